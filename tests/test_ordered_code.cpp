// ordered_code: TF's OrderedCode increasing encodings (docs/format.md §8.2): the known
// vectors, round trips, byte order agreeing with value order, and rejection of malformed input.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tfckpt/format/ordered_code.hpp"

namespace {

using namespace tfckpt::detail;

// "00 ff 13" -> the bytes.
std::string hex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i < h.size(); i += 3) {
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string enc_u(std::uint64_t v) {
  std::string s;
  write_num_increasing(s, v);
  return s;
}
std::string enc_s(std::int64_t v) {
  std::string s;
  write_signed_num_increasing(s, v);
  return s;
}
std::string enc_str(std::string_view v) {
  std::string s;
  write_string(s, v);
  return s;
}

// Values around every power of two, both signs, plus the extremes.
std::vector<std::int64_t> boundary_values() {
  std::vector<std::int64_t> v = {0, 1, -1, std::numeric_limits<std::int64_t>::max(),
                                 std::numeric_limits<std::int64_t>::min()};
  for (int k = 0; k < 63; ++k) {
    const std::int64_t p = std::int64_t{1} << k;
    for (std::int64_t x : {p - 1, p, p + 1}) {
      v.push_back(x);
      v.push_back(-x);
      v.push_back(~x);
    }
  }
  return v;
}

}  // namespace

TEST_CASE("ordered_code: NumIncreasing writes a length byte then big-endian significant bytes") {
  CHECK(enc_u(0) == hex("00"));
  CHECK(enc_u(2) == hex("01 02"));
  CHECK(enc_u(255) == hex("01 ff"));
  CHECK(enc_u(256) == hex("02 01 00"));
  CHECK(enc_u(300) == hex("02 01 2c"));
  CHECK(enc_u(~std::uint64_t{0}) == hex("08 ff ff ff ff ff ff ff ff"));
}

TEST_CASE("ordered_code: String escapes 00 and ff and ends with 00 01") {
  CHECK(enc_str("") == hex("00 01"));
  CHECK(enc_str("foo") == hex("66 6f 6f 00 01"));
  // The example in ordered_code.cc's comment.
  CHECK(enc_str(hex("00 13 ff")) == hex("00 ff 13 ff 00 00 01"));
}

TEST_CASE("ordered_code: SignedNumIncreasing matches TF's OrderedCode vectors") {
  struct vec {
    std::int64_t v;
    const char* bytes;
  };
  const vec vectors[] = {
      {0, "80"}, {1, "81"}, {5, "85"}, {63, "bf"}, {64, "c0 40"}, {100, "c0 64"},
      {8191, "df ff"}, {8192, "e0 20 00"}, {1 << 20, "f0 10 00 00"}, {0x424242, "f0 42 42 42"},
      {-1, "7f"}, {-64, "40"}, {-65, "3f bf"}, {-0x800, "38 00"},
      // Observed in keys written by TF 2.21 SaveV2 (see test_slice.cpp): 2^50-634 and 2^62-3.
      {(std::int64_t{1} << 50) - 634, "ff 03 ff ff ff ff fd 86"},
      {(std::int64_t{1} << 62) - 3, "ff bf ff ff ff ff ff ff fd"},
      // The two 10-byte extremes, derived from the algorithm (header ff c0).
      {std::numeric_limits<std::int64_t>::max(), "ff c0 7f ff ff ff ff ff ff ff"},
      {std::numeric_limits<std::int64_t>::min(), "00 3f 80 00 00 00 00 00 00 00"},
  };
  for (const auto& t : vectors) {
    CAPTURE(t.v);
    CHECK(enc_s(t.v) == hex(t.bytes));
    const std::string bytes = hex(t.bytes);
    std::string_view in = bytes;
    std::int64_t back = 0;
    REQUIRE(read_signed_num_increasing(in, back));
    CHECK(back == t.v);
    CHECK(in.empty());
  }
}

TEST_CASE("ordered_code: encoded lengths grow by one byte per 7 bits") {
  CHECK(signed_num_length(63) == 1);
  CHECK(signed_num_length(-64) == 1);
  CHECK(signed_num_length(64) == 2);
  CHECK(signed_num_length(-65) == 2);
  CHECK(signed_num_length((std::int64_t{1} << 55) - 1) == 8);
  CHECK(signed_num_length(std::int64_t{1} << 55) == 9);
  CHECK(signed_num_length((std::int64_t{1} << 62) - 1) == 9);
  CHECK(signed_num_length(std::int64_t{1} << 62) == 10);
}

TEST_CASE("ordered_code: signed and unsigned round trips keep value order as byte order") {
  std::vector<std::int64_t> vals = boundary_values();
  std::mt19937_64 rng(42);
  for (int i = 0; i < 3000; ++i) {
    const std::uint64_t x = rng() >> (rng() % 64);  // all magnitudes
    vals.push_back(static_cast<std::int64_t>((i & 1) ? ~x : x));
  }
  std::string all;  // every encoding concatenated: readers must consume exactly one each
  for (auto v : vals) {
    const std::string e = enc_s(v);
    CHECK(static_cast<int>(e.size()) == signed_num_length(v));
    all += e;
    const auto u = static_cast<std::uint64_t>(v);
    all += enc_u(u);
  }
  std::string_view in = all;
  for (auto v : vals) {
    std::int64_t s = 0;
    std::uint64_t u = 0;
    REQUIRE(read_signed_num_increasing(in, s));
    CHECK(s == v);
    REQUIRE(read_num_increasing(in, u));
    CHECK(u == static_cast<std::uint64_t>(v));
  }
  CHECK(in.empty());
  for (std::size_t i = 0; i + 1 < vals.size(); ++i) {
    const auto a = vals[i], b = vals[i + 1];
    CAPTURE(a);
    CAPTURE(b);
    CHECK((a < b) == (enc_s(a) < enc_s(b)));
    const auto ua = static_cast<std::uint64_t>(a), ub = static_cast<std::uint64_t>(b);
    CHECK((ua < ub) == (enc_u(ua) < enc_u(ub)));
  }
}

TEST_CASE("ordered_code: string round trips keep string order as byte order") {
  std::mt19937 rng(7);
  const char alphabet[] = {'\0', '\x01', 'a', '\xfe', '\xff'};
  std::vector<std::string> strs = {"", std::string(1, '\0'), "\xff", "a", "ab"};
  for (int i = 0; i < 500; ++i) {
    std::string s(rng() % 6, ' ');
    for (auto& c : s) c = alphabet[rng() % 5];
    strs.push_back(s);
  }
  for (std::size_t i = 0; i < strs.size(); ++i) {
    const std::string e = enc_str(strs[i]) + "tail";
    std::string_view in = e;
    std::string back = "junk";
    REQUIRE(read_string(in, back));
    CHECK(back == strs[i]);
    CHECK(in == "tail");
    if (i + 1 < strs.size()) CHECK((strs[i] < strs[i + 1]) == (enc_str(strs[i]) < enc_str(strs[i + 1])));
  }
}

TEST_CASE("ordered_code: truncated input is rejected and left untouched") {
  for (auto v : boundary_values()) {
    const std::string s = enc_s(v), u = enc_u(static_cast<std::uint64_t>(v));
    for (std::size_t n = 0; n < s.size(); ++n) {
      std::string_view in(s.data(), n);
      std::int64_t out = 12345;
      CHECK_FALSE(read_signed_num_increasing(in, out));
      CHECK(in.size() == n);
      CHECK(out == 12345);
    }
    for (std::size_t n = 0; n < u.size(); ++n) {
      std::string_view in(u.data(), n);
      std::uint64_t out = 12345;
      CHECK_FALSE(read_num_increasing(in, out));
      CHECK(in.size() == n);
    }
  }
  const std::string str = enc_str(hex("00 61 ff"));
  for (std::size_t n = 0; n < str.size(); ++n) {
    std::string_view in(str.data(), n);
    std::string out = "keep";
    CHECK_FALSE(read_string(in, out));
    CHECK(out == "keep");
    CHECK(in.size() == n);
  }
}

TEST_CASE("ordered_code: malformed and non-minimal encodings are rejected") {
  const auto bad_u = [](std::string_view h) {
    const std::string b = hex(h);
    std::string_view in = b;
    std::uint64_t v = 0;
    return !read_num_increasing(in, v);
  };
  CHECK(bad_u("09 01 02 03 04 05 06 07 08 09"));  // more than 8 bytes
  CHECK(bad_u("01 00"));                          // leading zero byte: TF never writes it
  CHECK(bad_u("02 00 05"));
  const auto bad_s = [](std::string_view h) {
    const std::string b = hex(h);
    std::string_view in = b;
    std::int64_t v = 0;
    return !read_signed_num_increasing(in, v);
  };
  CHECK(bad_s("c0 00"));  // 0 in two bytes
  CHECK(bad_s("3f ff"));  // -1 in two bytes
  CHECK(bad_s("e0 00 3f"));
  CHECK(bad_s("ff ff 00 00 00 00 00 00 00 00 00"));  // length above 10
  CHECK(bad_s("ff e0 00 00 00 00 00 00 00 00"));
  CHECK(bad_s("ff c1 7f ff ff ff ff ff ff ff"));  // 10 bytes, junk in byte 1's payload
  CHECK(bad_s("ff c0 80 00 00 00 00 00 00 00"));  // 10 bytes, value past int64
  CHECK(bad_s("00 3f 7f ff ff ff ff ff ff ff"));  // negative past int64
  CHECK(bad_s("ff 80 00 00 00 00 00 00 01"));     // 9 bytes holding 1
  const auto bad_str = [](std::string_view h) {
    const std::string b = hex(h);
    std::string_view in = b;
    std::string v;
    return !read_string(in, v);
  };
  CHECK(bad_str("61 62"));     // no terminator
  CHECK(bad_str("61 00 02"));  // 00 followed by neither 01 nor ff
  CHECK(bad_str("ff ff"));     // OrderedCode "infinity"
  CHECK(bad_str("ff 01 00 01"));
  CHECK(bad_str("00"));
}

TEST_CASE("ordered_code: every accepted short signed encoding is canonical") {
  // All 1- and 2-byte inputs: whatever decodes must re-encode to the bytes it consumed.
  int accepted = 0;
  for (int n = 1; n <= 2; ++n) {
    for (std::uint32_t bits = 0; bits < (1u << (8 * n)); ++bits) {
      std::string b;
      for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
      std::string_view in = b;
      std::int64_t v = 0;
      if (!read_signed_num_increasing(in, v)) continue;
      ++accepted;
      CHECK(enc_s(v) == b.substr(0, b.size() - in.size()));
    }
  }
  // 1-byte inputs: the 128 one-byte values; 2-byte inputs: those values with any tail byte, plus
  // the 2 * (8192 - 64) two-byte values.
  CHECK(accepted == 128 + 128 * 256 + 2 * (8192 - 64));
  // Random longer inputs, biased to long headers.
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200000; ++i) {
    std::string b(1 + rng() % 11, '\0');
    for (auto& c : b) c = static_cast<char>(rng());
    if (rng() & 1) b[0] = static_cast<char>(rng() & 1 ? 0xff : 0x00);
    if (rng() & 1 && b.size() > 1) b[1] = static_cast<char>(rng() & 1 ? 0xc0 : 0x3f);
    std::string_view in = b;
    std::int64_t v = 0;
    if (read_signed_num_increasing(in, v)) CHECK(enc_s(v) == b.substr(0, b.size() - in.size()));
  }
}
