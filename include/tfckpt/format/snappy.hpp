// tfckpt: raw Snappy block-format decompression (not the framed format). TF writes table blocks
// with Snappy when its table builder runs with kSnappyCompression (SavedModel exports of TF 1.14,
// 2.10, 2.14 do); a reader must undo it. Input is untrusted: every length, offset and tag is
// checked, nothing is read out of bounds and the output buffer is sized only from a declared
// length that passed both the caller's limit and a plausibility check against the input size.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "error.hpp"
#include "coding.hpp"

namespace tfckpt::detail {

// Element tag layout (low two bits select the kind):
//   00 literal: length-1 in the upper 6 bits; 60..63 mean "length-1 follows in 1..4 LE bytes"
//   01 copy, 1-byte offset: length 4..11 in bits 2..4, offset bits 8..10 in bits 5..7
//   10 copy, 2-byte LE offset: length-1 in the upper 6 bits
//   11 copy, 4-byte LE offset: length-1 in the upper 6 bits
// The table maps a tag to {bits 0..7: length (or 1 for long literals: added to the trailer),
// bits 8..10: high offset bits of a 1-byte-offset copy, bits 11..13: number of trailer bytes}.
constexpr std::array<std::uint16_t, 256> make_snappy_tag_table() {
  std::array<std::uint16_t, 256> t{};
  for (unsigned tag = 0; tag < 256; ++tag) {
    const unsigned kind = tag & 3, hi = tag >> 2;
    unsigned len = 0, extra = 0, off_hi = 0;
    switch (kind) {
      case 0:
        if (hi < 60) {
          len = hi + 1;
        } else {
          len = 1;
          extra = hi - 59;  // 1..4 length bytes follow
        }
        break;
      case 1:
        len = 4 + ((tag >> 2) & 7);
        off_hi = tag >> 5;
        extra = 1;
        break;
      case 2:
        len = hi + 1;
        extra = 2;
        break;
      default:
        len = hi + 1;
        extra = 4;
        break;
    }
    t[tag] = static_cast<std::uint16_t>(len | (off_hi << 8) | (extra << 11));
  }
  return t;
}

inline constexpr auto snappy_tag_table = make_snappy_tag_table();

// The densest element is a 3-byte copy producing 64 bytes, so no valid stream expands its
// element bytes by more than 64/3 < 22. Declared lengths beyond that are rejected before any
// allocation (a 10-byte "bomb" cannot make us allocate 1 GiB).
inline constexpr std::size_t snappy_max_expansion = 22;

// Decodes a raw Snappy block. Errors: errc::limit_exceeded if the declared length exceeds
// `max_output`; errc::corruption for anything malformed (messages name the input position).
// Never allocates more than the declared length.
TFCKPT_LAZY result<std::string> snappy_uncompress(std::string_view compressed,
                                             std::size_t max_output = std::size_t{1} << 30) {
  auto bad = [&](std::string what, std::size_t pos) {
    return make_error(errc::corruption, "corrupted snappy block: " + std::move(what) +
                                            " at input byte " + std::to_string(pos));
  };
  std::string_view in = compressed;
  std::uint32_t declared = 0;
  if (!get_varint32(in, declared)) return bad("bad uncompressed-length preamble", 0);
  if (declared > max_output)
    return make_error(errc::limit_exceeded, "snappy block declares " + std::to_string(declared) +
                                                " uncompressed bytes, limit is " +
                                                std::to_string(max_output));
  if (declared / snappy_max_expansion > in.size())
    return bad("declared length " + std::to_string(declared) + " impossible for " +
                   std::to_string(in.size()) + " compressed bytes",
               0);

  std::string out(declared, '\0');
  char* const base = out.data();
  std::size_t op = 0;  // bytes produced so far
  const auto* const ubegin = reinterpret_cast<const unsigned char*>(compressed.data());
  const auto* ip = reinterpret_cast<const unsigned char*>(in.data());
  const auto* const iend = ip + in.size();

  // Masks that keep the `extra` low bytes of a 4-byte little-endian load.
  static constexpr std::uint32_t trailer_mask[5] = {0, 0xff, 0xffff, 0xffffff, 0xffffffff};
  while (ip < iend) {
    const std::size_t tag_pos = static_cast<std::size_t>(ip - ubegin);
    const unsigned tag = *ip++;
    const unsigned entry = snappy_tag_table[tag];
    const unsigned extra = entry >> 11;
    const auto avail = static_cast<std::size_t>(iend - ip);
    if (avail < extra) return bad("truncated element", tag_pos);
    std::uint32_t trailer;  // the `extra` little-endian bytes after the tag
    if (avail >= 4) {
      trailer = decode_fixed32(reinterpret_cast<const char*>(ip)) & trailer_mask[extra];
    } else {
      trailer = 0;
      for (unsigned i = 0; i < extra; ++i) trailer |= static_cast<std::uint32_t>(ip[i]) << (8 * i);
    }
    ip += extra;

    if ((tag & 3) == 0) {  // literal
      // Long literal: stored value is length-1, added in 32 bits as libsnappy (TensorFlow's
      // decoder) does, so a 4-byte 0xffffffff is a zero-length literal there and here.
      const std::uint64_t len = extra ? std::uint32_t{trailer + 1u} : (entry & 0xff);
      const auto in_left = static_cast<std::size_t>(iend - ip);
      if (len <= 16 && in_left >= 16 && declared - op >= 16) {
        // Short literal with slack on both sides: one fixed-size copy, as libsnappy does.
        std::memcpy(base + op, ip, 16);
      } else {
        if (len > in_left) return bad("literal past end of input", tag_pos);
        if (len > declared - op) return bad("literal overflows declared length", tag_pos);
        std::memcpy(base + op, ip, static_cast<std::size_t>(len));
      }
      ip += len;
      op += static_cast<std::size_t>(len);
      continue;
    }

    const std::size_t len = entry & 0xff;
    const std::size_t offset = (tag & 3) == 1 ? ((entry & 0x700) | trailer) : trailer;
    if (offset == 0) return bad("copy with offset 0", tag_pos);
    if (offset > op) return bad("copy offset " + std::to_string(offset) + " before output start", tag_pos);
    if (len > declared - op) return bad("copy overflows declared length", tag_pos);
    char* dst = base + op;
    const char* const src = dst - offset;
    if (offset >= len) {
      std::memcpy(dst, src, len);  // regions do not overlap
    } else {
      // Overlap means "repeat the last `offset` bytes". Everything in [src, dst) already has
      // that period, so copy it whole (never overlapping) and let it double each round.
      for (std::size_t done = 0; done < len;) {
        const std::size_t n = std::min(len - done, static_cast<std::size_t>(dst + done - src));
        std::memcpy(dst + done, src, n);
        done += n;
      }
    }
    op += len;
  }
  if (op != declared)
    return bad("produced " + std::to_string(op) + " bytes, declared " + std::to_string(declared),
               compressed.size());
  return out;
}

}  // namespace tfckpt::detail
