// tfckpt: the data-file record layouts of DT_STRING and DT_VARIANT tensors (docs/format.md §6.3-§6.4,
// tensor_bundle.cc WriteStringTensor / ReadStringTensor / WriteVariantTensor), with the checksums
// TensorFlow computes over them. Decoders are bounds-checked and never allocate more elements
// than the record can hold.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "coding.hpp"
#include "crc32c.hpp"

namespace tfckpt::detail {

// The CRC over lengths uses fixed-width integers, not the varints: 4 bytes when the length fits
// in 32 bits, else 8. Byte order is the writer's (little-endian unless the header says big).
TFCKPT_LAZY std::uint32_t crc_extend_length(std::uint32_t crc, std::uint64_t len, bool big_endian,
                                       bool always64 = false) {
  char buf[8];
  const int width = (always64 || len > 0xffffffffu) ? 8 : 4;
  for (int i = 0; i < width; ++i) {
    const int shift = big_endian ? 8 * (width - 1 - i) : 8 * i;
    buf[i] = static_cast<char>((len >> shift) & 0xff);
  }
  return crc32c_extend(crc, buf, static_cast<std::size_t>(width));
}

// Appends the record of `elements` to `out`; returns the unmasked CRC of the record.
template <class Strings>
std::uint32_t encode_string_record(const Strings& elements, std::string& out) {
  std::uint32_t crc = 0;
  for (const auto& s : elements) {
    put_varint64(out, s.size());
    crc = crc_extend_length(crc, s.size(), false);
  }
  char masked[4];
  encode_fixed32(masked, crc32c_mask(crc));
  out.append(masked, 4);
  crc = crc32c_extend(crc, masked, 4);
  for (const auto& s : elements) {
    out.append(s.data(), s.size());
    crc = crc32c_extend(crc, s.data(), s.size());
  }
  return crc;
}

// Decodes the record of an `n`-element string tensor. `expected_masked_crc` is the entry's
// crc32c field; checked only when `verify`.
TFCKPT_LAZY result<std::vector<std::string>> decode_string_record(std::string_view rec, std::int64_t n,
                                                             std::uint32_t expected_masked_crc,
                                                             bool verify, bool big_endian = false) {
  // TF special case: an empty record decodes without reading (only valid if the CRC is Mask(0)).
  if (rec.empty() && n >= 0) {
    if (verify && expected_masked_crc != crc32c_mask(0))
      return make_error(errc::checksum_mismatch, "checksum does not match (empty string record)");
    if (n != 0) return make_error(errc::corruption, "empty record for a non-empty string tensor");
    return std::vector<std::string>{};
  }
  // Each element needs at least one varint byte: bounds the allocation below by the record size.
  if (n < 0 || static_cast<std::uint64_t>(n) > rec.size())
    return make_error(errc::corruption, "string record of " + std::to_string(rec.size()) +
                                            " bytes cannot hold " + std::to_string(n) + " elements");
  std::vector<std::uint64_t> lengths(static_cast<std::size_t>(n));
  std::string_view in = rec;
  std::uint32_t crc = 0;
  std::uint64_t total = 0;
  for (auto& len : lengths) {
    if (!get_varint64(in, len)) return make_error(errc::corruption, "bad string length varint");
    if (len > rec.size() || total + len > rec.size())
      return make_error(errc::corruption, "string lengths exceed the record size");
    total += len;
    crc = crc_extend_length(crc, len, big_endian);
  }
  if (in.size() < 4) return make_error(errc::corruption, "string record truncated before length checksum");
  const std::uint32_t stored = decode_fixed32(in.data());
  const std::uint32_t stored_host = big_endian ? __builtin_bswap32(stored) : stored;
  if (verify && crc32c_unmask(stored_host) != crc)
    return make_error(errc::checksum_mismatch, "the length checksum does not match");
  crc = crc32c_extend(crc, in.data(), 4);
  in.remove_prefix(4);
  if (in.size() != total)
    return make_error(errc::corruption, "string record has " + std::to_string(in.size()) +
                                            " payload bytes, lengths say " + std::to_string(total));
  std::vector<std::string> out;
  out.reserve(lengths.size());
  for (std::uint64_t len : lengths) {
    out.emplace_back(in.substr(0, static_cast<std::size_t>(len)));
    in.remove_prefix(static_cast<std::size_t>(len));
  }
  if (verify) {
    crc = crc32c_extend(crc, rec.data() + (rec.size() - total), static_cast<std::size_t>(total));
    if (crc32c_mask(crc) != expected_masked_crc)
      return make_error(errc::checksum_mismatch, "checksum does not match");
  }
  return out;
}

// Variant: per element varint64 length, payload, 4-byte Mask(running crc); lengths enter the CRC
// as 8-byte integers.
template <class Strings>
std::uint32_t encode_variant_record(const Strings& elements, std::string& out) {
  std::uint32_t crc = 0;
  for (const auto& s : elements) {
    put_varint64(out, s.size());
    crc = crc_extend_length(crc, s.size(), false, true);
    out.append(s.data(), s.size());
    crc = crc32c_extend(crc, s.data(), s.size());
    char masked[4];
    encode_fixed32(masked, crc32c_mask(crc));
    out.append(masked, 4);
    crc = crc32c_extend(crc, masked, 4);
  }
  return crc;
}

TFCKPT_LAZY result<std::vector<std::string>> decode_variant_record(std::string_view rec, std::int64_t n,
                                                              std::uint32_t expected_masked_crc,
                                                              bool verify) {
  // Each element takes at least 5 bytes (1 varint byte + 4 checksum bytes).
  if (n < 0 || static_cast<std::uint64_t>(n) > rec.size() / 5)
    return make_error(errc::corruption, "variant record of " + std::to_string(rec.size()) +
                                            " bytes cannot hold " + std::to_string(n) + " elements");
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  std::string_view in = rec;
  std::uint32_t crc = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint64_t len;
    if (!get_varint64(in, len) || len > in.size() || in.size() - len < 4)
      return make_error(errc::corruption, "variant element " + std::to_string(i) + " truncated");
    crc = crc_extend_length(crc, len, false, true);
    const std::string_view payload = in.substr(0, static_cast<std::size_t>(len));
    crc = crc32c_extend(crc, payload.data(), payload.size());
    in.remove_prefix(payload.size());
    if (verify && crc32c_unmask(decode_fixed32(in.data())) != crc)
      return make_error(errc::checksum_mismatch,
                        "variant element " + std::to_string(i) + " checksum does not match");
    crc = crc32c_extend(crc, in.data(), 4);
    in.remove_prefix(4);
    out.emplace_back(payload);
  }
  if (!in.empty()) return make_error(errc::corruption, "trailing bytes after variant elements");
  if (verify && crc32c_mask(crc) != expected_masked_crc)
    return make_error(errc::checksum_mismatch, "checksum does not match");
  return out;
}

}  // namespace tfckpt::detail
