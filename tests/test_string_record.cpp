// DT_STRING and DT_VARIANT records: docs/format.md §6.3 vectors, checksums and hostile lengths.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tfckpt/format/string_record.hpp"

using namespace tfckpt;
using namespace tfckpt::detail;
using namespace std::string_literals;

namespace {
std::pair<std::string, std::uint32_t> encode(const std::vector<std::string>& v) {
  std::string rec;
  const std::uint32_t crc = encode_string_record(v, rec);
  return {rec, crc32c_mask(crc)};
}
}  // namespace

TEST_CASE("string record: the documented vectors") {
  CHECK(encode({"abc"}) == std::pair{"\x03\x63\x3f\x7f\x28" "abc"s, 0x199ad1c3u});
  CHECK(encode({""}) == std::pair{"\x00\xa6\x7b\x11\x3a"s, 0xbe0767bdu});
  CHECK(encode({"a", "bc"}) == std::pair{"\x01\x02\xbf\xdf\xdb\x7a" "abc"s, 0x8536e4e9u});
  CHECK(encode({}) == std::pair{"\xd8\xea\x82\xa2"s, 0x640cc1f6u});
}

TEST_CASE("string record: round trip of empty, binary, non-ASCII and long strings") {
  const std::vector<std::string> v = {"", "\0\xff\x01"s, "h\xc3\xa9llo \xe6\x97\xa5", std::string(200, 'x'),
                                      std::string(70000, '\x7f')};
  auto [rec, crc] = encode(v);
  auto back = decode_string_record(rec, static_cast<std::int64_t>(v.size()), crc, true);
  REQUIRE(back);
  CHECK(*back == v);
}

TEST_CASE("string record: every flipped byte is caught by a checksum or a structure check") {
  auto [rec, crc] = encode({"alpha", "", "gamma-delta"});
  for (std::size_t i = 0; i < rec.size(); ++i) {
    std::string bad = rec;
    bad[i] ^= 0x20;
    auto r = decode_string_record(bad, 3, crc, true);
    CHECK_FALSE(r);
  }
}

TEST_CASE("string record: a huge declared element count is refused before allocating") {
  auto r = decode_string_record("\x01\x02\x03\x04\x05"s, std::int64_t{1} << 40, 0, true);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corruption);
  auto big_len = decode_string_record("\xff\xff\xff\xff\x0f\x00\x00\x00\x00"s, 1, 0, true);
  CHECK_FALSE(big_len);
}

TEST_CASE("variant record: round trip and checksum per element") {
  const std::vector<std::string> v = {"payload-one", "", std::string(300, 'v')};
  std::string rec;
  const std::uint32_t crc = crc32c_mask(encode_variant_record(v, rec));
  auto back = decode_variant_record(rec, 3, crc, true);
  REQUIRE(back);
  CHECK(*back == v);
  for (std::size_t i = 0; i < rec.size(); i += 7) {
    std::string bad = rec;
    bad[i] ^= 0x01;
    CHECK_FALSE(decode_variant_record(bad, 3, crc, true));
  }
  CHECK_FALSE(decode_variant_record(rec, std::int64_t{1} << 40, crc, true));
}
