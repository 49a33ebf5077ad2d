// Varints and fixed-width integers: edge cases of the LevelDB/protobuf base-128 coding.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "tfckpt/format/coding.hpp"

using namespace tfckpt::detail;

TEST_CASE("varint: known encodings") {
  auto enc = [](std::uint64_t v) { std::string s; put_varint64(s, v); return s; };
  CHECK(enc(0) == std::string("\x00", 1));
  CHECK(enc(1) == "\x01");
  CHECK(enc(127) == "\x7f");
  CHECK(enc(128) == "\x80\x01");
  CHECK(enc(300) == "\xac\x02");
  CHECK(enc(16383) == "\xff\x7f");
  CHECK(enc(16384) == "\x80\x80\x01");
  CHECK(enc(0xffffffffu) == "\xff\xff\xff\xff\x0f");
  CHECK(enc(std::numeric_limits<std::uint64_t>::max()) == "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
  // A negative int64 (dim size -1) travels as ten bytes, as protobuf does.
  CHECK(enc(static_cast<std::uint64_t>(std::int64_t{-1})) == "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
}

TEST_CASE("varint: lengths agree with the encoder at every 7-bit boundary") {
  for (int bits = 0; bits <= 64; ++bits) {
    // 2^bits and 2^bits - 1; for bits == 64 both saturate to the all-ones value (no shift by 64).
    const std::uint64_t pow2 = bits == 64 ? ~0ull : (1ull << bits);
    const std::uint64_t below = bits == 64 ? ~0ull : (bits == 0 ? 0ull : pow2 - 1);
    for (std::uint64_t v : {pow2, below}) {
      std::string s;
      put_varint64(s, v);
      CHECK(static_cast<int>(s.size()) == varint_length(v));
      std::string_view in = s;
      std::uint64_t back = 0;
      REQUIRE(get_varint64(in, back));
      CHECK(back == v);
      CHECK(in.empty());
    }
  }
}

TEST_CASE("varint: random values round trip back to back") {
  std::mt19937_64 rng(7);
  std::string s;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);
    values.push_back(v);
    put_varint64(s, v);
  }
  std::string_view in = s;
  for (std::uint64_t v : values) {
    std::uint64_t got;
    REQUIRE(get_varint64(in, got));
    CHECK(got == v);
  }
  CHECK(in.empty());
}

TEST_CASE("varint: truncated input fails and leaves the input untouched") {
  std::string s;
  put_varint64(s, 1ull << 40);
  for (std::size_t n = 0; n < s.size(); ++n) {
    std::string_view in(s.data(), n);
    std::uint64_t v;
    CHECK_FALSE(get_varint64(in, v));
    CHECK(in.size() == n);
  }
}

TEST_CASE("varint: over-long encodings are rejected") {
  std::uint64_t v;
  std::string_view eleven("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11);
  CHECK_FALSE(get_varint64(eleven, v));
  std::string_view tenth_too_big("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
  CHECK_FALSE(get_varint64(tenth_too_big, v));
}

TEST_CASE("varint32: values above 32 bits and six-byte encodings are rejected") {
  std::uint32_t v;
  std::string big;
  put_varint64(big, 1ull << 32);
  std::string_view in = big;
  CHECK_FALSE(get_varint32(in, v));
  std::string_view six("\x80\x80\x80\x80\x80\x00", 6);
  CHECK_FALSE(get_varint32(six, v));
  std::string_view ok("\xff\xff\xff\xff\x0f", 5);
  REQUIRE(get_varint32(ok, v));
  CHECK(v == 0xffffffffu);
}

TEST_CASE("fixed32 and fixed64 are little-endian") {
  std::string s;
  put_fixed32(s, 0x8b80fb57u);
  put_fixed64(s, 0xdb4775248b80fb57ull);
  CHECK(s.substr(0, 4) == "\x57\xfb\x80\x8b");
  CHECK(decode_fixed32(s.data()) == 0x8b80fb57u);
  CHECK(decode_fixed64(s.data() + 4) == 0xdb4775248b80fb57ull);
}

TEST_CASE("length-prefixed: a length beyond the input fails") {
  std::string_view in("\x05" "abc", 4), out;
  CHECK_FALSE(get_length_prefixed(in, out));
  std::string_view ok("\x03" "abcd", 5);
  REQUIRE(get_length_prefixed(ok, out));
  CHECK(out == "abc");
  CHECK(ok == "d");
}
