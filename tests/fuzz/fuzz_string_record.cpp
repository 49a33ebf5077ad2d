// Fuzz target: DT_STRING and DT_VARIANT records with a fuzzed element count, checksum and byte
// order. Input: int64 n (LE), uint32 masked crc, 1 flag byte (bit0 verify, bit1 big-endian),
// then the record.
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "tfckpt/format/string_record.hpp"

namespace td = tfckpt::detail;  // no using-directive: test_regressions.cpp includes this file

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = tfckpt_fuzz::as_view(data, size);
  const auto n = tfckpt_fuzz::take<std::int64_t>(in);
  const auto crc = tfckpt_fuzz::take<std::uint32_t>(in);
  const auto flags = tfckpt_fuzz::take<std::uint8_t>(in);
  const bool verify = flags & 1, big = flags & 2;
  if (auto s = td::decode_string_record(in, n, crc, verify, big)) {
    TFCKPT_FUZZ_CHECK(static_cast<std::int64_t>(s->size()) == n);
    std::string rec;
    const std::uint32_t c = td::encode_string_record(*s, rec);
    auto back = td::decode_string_record(rec, n, td::crc32c_mask(c), true);
    TFCKPT_FUZZ_CHECK(back && *back == *s);
  }
  if (auto v = td::decode_variant_record(in, n, crc, verify)) {
    TFCKPT_FUZZ_CHECK(static_cast<std::int64_t>(v->size()) == n);
    std::string rec;
    const std::uint32_t c = td::encode_variant_record(*v, rec);
    auto back = td::decode_variant_record(rec, n, td::crc32c_mask(c), true);
    TFCKPT_FUZZ_CHECK(back && *back == *v);
  }
  return 0;
}
