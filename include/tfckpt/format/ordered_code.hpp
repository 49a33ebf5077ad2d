// tfckpt: TensorFlow's OrderedCode (tensorflow/core/lib/strings/ordered_code.cc), the
// order-preserving encoding of the binary keys of partitioned-tensor slices (docs/format.md §8.2).
// Only the "increasing" variants exist here; bundles never use the decreasing ones.
//
// Writers append to a std::string and produce exactly TF's bytes. Readers take a string_view by
// reference, consume one item on success and return false on malformed or truncated input, leaving
// both the view and the output untouched. Readers are stricter than TF's (which only DCHECKs):
// they reject non-minimal encodings, so decode(encode(x)) and encode(decode(k)) are both identities
// and a key that TF could never have written is reported rather than silently mis-looked-up.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace tfckpt::detail {

// --- NumIncreasing (unsigned) -------------------------------------------------------------------
// One length byte (number of significant bytes, 0 for value 0), then those bytes big-endian.
// 0 -> 00, 2 -> 01 02, 300 -> 02 01 2c.
inline void write_num_increasing(std::string& out, std::uint64_t v) {
  const int len = (std::bit_width(v) + 7) / 8;
  out.push_back(static_cast<char>(len));
  for (int i = len - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline bool read_num_increasing(std::string_view& in, std::uint64_t& v) noexcept {
  if (in.empty()) return false;
  const std::size_t len = static_cast<unsigned char>(in[0]);
  if (len > 8 || len + 1 > in.size()) return false;
  // Minimality: TF writes no leading zero byte, so one can only come from corruption.
  if (len > 0 && in[1] == '\0') return false;
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < len; ++i) x = (x << 8) | static_cast<unsigned char>(in[1 + i]);
  v = x;
  in.remove_prefix(len + 1);
  return true;
}

// --- String -------------------------------------------------------------------------------------
// The bytes with 00 -> 00 ff and ff -> ff 00, then the terminator 00 01. The escapes keep byte-wise
// order of the encodings equal to the order of the strings (no encoding is a prefix of another).
inline void write_string(std::string& out, std::string_view s) {
  for (char c : s) {
    out.push_back(c);
    if (c == '\0') {
      out.push_back('\xff');
    } else if (c == '\xff') {
      out.push_back('\0');
    }
  }
  out.push_back('\0');
  out.push_back('\x01');
}

// On success `out` is replaced by the decoded string. Rejects a missing terminator, 00 followed by
// anything but 01/ff, and ff followed by anything but 00 (ff ff is OrderedCode's "infinity", which
// TF's reader rejects too).
inline bool read_string(std::string_view& in, std::string& out) {
  std::string s;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c != '\0' && c != '\xff') {
      s.push_back(c);
      continue;
    }
    if (i + 1 >= in.size()) return false;
    const char next = in[++i];
    if (c == '\0' && next == '\x01') {
      out = std::move(s);
      in.remove_prefix(i + 1);
      return true;
    }
    if (c == '\0' && next == '\xff') {
      s.push_back('\0');
    } else if (c == '\xff' && next == '\0') {
      s.push_back('\xff');
    } else {
      return false;
    }
  }
  return false;
}

// --- SignedNumIncreasing ------------------------------------------------------------------------
// Sign bit (1 = non-negative), then as many further bits equal to the sign bit as there are extra
// bytes, a delimiter bit, then the two's-complement payload; 1 to 10 bytes. n bytes hold
// [-2^(7n-1), 2^(7n-1)), so the length is bit_width(x)/7 + 1 with x = v or ~v.

// Encoded length of v, 1..10.
constexpr int signed_num_length(std::int64_t v) noexcept {
  const auto x = static_cast<std::uint64_t>(v < 0 ? ~v : v);
  return std::bit_width(x) / 7 + 1;
}

// Header bits of the first two bytes per length (TF's kLengthToHeaderBits).
inline constexpr unsigned char signed_header_bits[11][2] = {
    {0x00, 0x00}, {0x80, 0x00}, {0xc0, 0x00}, {0xe0, 0x00}, {0xf0, 0x00}, {0xf8, 0x00},
    {0xfc, 0x00}, {0xfe, 0x00}, {0xff, 0x00}, {0xff, 0x80}, {0xff, 0xc0}};

inline void write_signed_num_increasing(std::string& out, std::int64_t v) {
  const int len = signed_num_length(v);
  // v big-endian, sign-extended to 10 bytes; the encoding is its last `len` bytes with the header
  // XORed in. For a negative v the header bits land on 1s and come out as 0s, which is what makes
  // negatives sort first.
  unsigned char buf[10];
  const auto u = static_cast<std::uint64_t>(v);
  buf[0] = buf[1] = v < 0 ? 0xff : 0x00;
  for (int i = 0; i < 8; ++i) buf[2 + i] = static_cast<unsigned char>(u >> (56 - 8 * i));
  unsigned char* begin = buf + 10 - len;
  begin[0] ^= signed_header_bits[len][0];
  if (len >= 2) begin[1] ^= signed_header_bits[len][1];
  out.append(reinterpret_cast<const char*>(begin), static_cast<std::size_t>(len));
}

inline bool read_signed_num_increasing(std::string_view& in, std::int64_t& v) noexcept {
  if (in.empty()) return false;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(in[i]); };
  // Negative numbers store the header inverted; flip so the header reads as leading 1 bits.
  const unsigned char flip = (byte(0) & 0x80) ? 0x00 : 0xff;
  const auto b0 = static_cast<unsigned char>(byte(0) ^ flip);
  int len = std::countl_one(b0);  // 1..8
  if (len == 8) {
    if (in.size() < 2) return false;
    const auto b1 = static_cast<unsigned char>(byte(1) ^ flip);
    const int more = std::countl_one(b1);
    if (more >= 3) return false;  // would need more than 10 bytes
    len += more;
    // A 10-byte encoding has 69 payload bits for a 64-bit value: the 5 low bits of byte 1 and the
    // top bit of byte 2 must all be sign extension (TF: second byte exactly c0, third < 80).
    if (len == 10 && (b1 != 0xc0 || in.size() < 3 || ((byte(2) ^ flip) & 0x80))) return false;
  }
  if (in.size() < static_cast<std::size_t>(len)) return false;
  // Assemble the last min(len, 8) bytes over a sign-extended background, then strip the header.
  std::uint64_t x = flip ? ~std::uint64_t{0} : 0;
  const int first = len > 8 ? len - 8 : 0;
  for (int i = first; i < len; ++i) x = (x << 8) | byte(static_cast<std::size_t>(i));
  // XOR the header's size bits back into sign-extension bits (TF's kLengthToMask): for len <= 8
  // they are the top `len` bits of the field, for len 9 only the top bit of the loaded 8 bytes
  // carries header, for len 10 none does.
  if (len <= 8) {
    x ^= ((std::uint64_t{1} << len) - 1) << (7 * len);
  } else if (len == 9) {
    x ^= std::uint64_t{1} << 63;
  }
  const auto value = static_cast<std::int64_t>(x);
  if (signed_num_length(value) != len) return false;  // non-minimal encoding
  v = value;
  in.remove_prefix(static_cast<std::size_t>(len));
  return true;
}

}  // namespace tfckpt::detail
