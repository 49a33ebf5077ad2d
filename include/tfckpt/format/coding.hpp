// tfckpt: little-endian fixed-width integers and base-128 varints (LevelDB / protobuf coding).
// Decoders take a string_view by reference and advance it; they never read past its end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config.hpp"

namespace tfckpt::detail {

inline constexpr int max_varint32_bytes = 5;
inline constexpr int max_varint64_bytes = 10;

// REQUIRES: p points at >= 4 writable bytes.
inline void encode_fixed32(char* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// The encoders build the bytes in a local buffer and append them once: a push_back per byte
// (a capacity check and a terminator each) was a tenth of a 10^5-entry save.
inline void put_fixed32(std::string& out, std::uint32_t v) {
  char b[4];
  encode_fixed32(b, v);
  out.append(b, 4);
}
inline void put_fixed64(std::string& out, std::uint64_t v) {
  char b[8];
  encode_fixed32(b, static_cast<std::uint32_t>(v));
  encode_fixed32(b + 4, static_cast<std::uint32_t>(v >> 32));
  out.append(b, 8);
}
// REQUIRES: p points at >= 4 (resp. 8) readable bytes.
inline std::uint32_t decode_fixed32(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint32_t>(u[0]) | static_cast<std::uint32_t>(u[1]) << 8 |
         static_cast<std::uint32_t>(u[2]) << 16 | static_cast<std::uint32_t>(u[3]) << 24;
}
inline std::uint64_t decode_fixed64(const char* p) noexcept {
  return static_cast<std::uint64_t>(decode_fixed32(p)) |
         static_cast<std::uint64_t>(decode_fixed32(p + 4)) << 32;
}

// Writes v's varint at p (REQUIRES: max_varint64_bytes writable) and returns the end: for
// encoders that fill a buffer of known bound instead of appending byte by byte.
inline char* encode_varint64(char* p, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline void put_varint64(std::string& out, std::uint64_t v) {
  char b[max_varint64_bytes];
  out.append(b, static_cast<std::size_t>(encode_varint64(b, v) - b));
}
inline void put_varint32(std::string& out, std::uint32_t v) { put_varint64(out, v); }

constexpr int varint_length(std::uint64_t v) noexcept {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Returns false (leaving `in` unchanged) on truncation or an over-long encoding. A 10th byte may
// only carry the top bit of a 64-bit value.
inline bool get_varint64(std::string_view& in, std::uint64_t& v) noexcept {
  if (!in.empty() && static_cast<unsigned char>(in[0]) < 0x80) {  // one byte: tags, dims, dtypes
    v = static_cast<unsigned char>(in[0]);
    in.remove_prefix(1);
    return true;
  }
  std::uint64_t result = 0;
  for (std::size_t i = 0; i < in.size() && i < max_varint64_bytes; ++i) {
    const auto b = static_cast<std::uint64_t>(static_cast<unsigned char>(in[i]));
    if (i == 9 && b > 1) return false;
    result |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      v = result;
      in.remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

// The same over a pointer range [p, end), p advanced past the varint. For per-entry decoding
// loops: up to three bytes (tags, dtypes, dims, offsets below 2 MiB) stay inline, the rest is
// get_varint64 above.
TFCKPT_ALWAYS_INLINE bool get_varint64(const char*& p, const char* end, std::uint64_t& v) noexcept {
  if (p != end && static_cast<unsigned char>(*p) < 0x80) {
    v = static_cast<unsigned char>(*p++);
    return true;
  }
  if (end - p >= 3) {  // here p[0] >= 0x80
    const std::uint64_t b0 = static_cast<unsigned char>(p[0]) & 0x7f, b1 = static_cast<unsigned char>(p[1]);
    if (b1 < 0x80) {
      v = b0 | b1 << 7;
      p += 2;
      return true;
    }
    const std::uint64_t b2 = static_cast<unsigned char>(p[2]);
    if (b2 < 0x80) {
      v = b0 | (b1 & 0x7f) << 7 | b2 << 14;
      p += 3;
      return true;
    }
  }
  std::string_view rest(p, static_cast<std::size_t>(end - p));
  if (!get_varint64(rest, v)) return false;
  p = rest.data();
  return true;
}

// varint32: at most 5 bytes and the value must fit in 32 bits.
inline bool get_varint32(std::string_view& in, std::uint32_t& v) noexcept {
  std::string_view probe = in;
  std::uint64_t r;
  if (!get_varint64(probe, r) || r > 0xffffffffu || in.size() - probe.size() > max_varint32_bytes)
    return false;
  v = static_cast<std::uint32_t>(r);
  in = probe;
  return true;
}

// A varint length followed by that many bytes.
inline bool get_length_prefixed(std::string_view& in, std::string_view& out) noexcept {
  std::string_view probe = in;
  std::uint64_t n;
  if (!get_varint64(probe, n) || n > probe.size()) return false;
  out = probe.substr(0, static_cast<std::size_t>(n));
  probe.remove_prefix(static_cast<std::size_t>(n));
  in = probe;
  return true;
}

}  // namespace tfckpt::detail
