// Raw Snappy decompression, checked against Debian's libsnappy as an oracle.
#include <doctest/doctest.h>
#include <snappy.h>

#include <cstdint>
#include <random>
#include <string>
#include <tfckpt/format/coding.hpp>
#include <tfckpt/format/snappy.hpp>

using tfckpt::errc;
using tfckpt::detail::snappy_uncompress;

namespace {

std::string compress(const std::string& in) {
  std::string out;
  snappy::Compress(in.data(), in.size(), &out);
  return out;
}

// Inputs of a given size whose entropy grows with `kind`: zeros, a short repeated pattern,
// text-like runs over a small alphabet, random bytes with repeated chunks, pure random bytes.
std::string make_input(std::mt19937_64& rng, std::size_t n, int kind) {
  std::string s(n, '\0');
  switch (kind) {
    case 0: break;
    case 1:
      for (std::size_t i = 0; i < n; ++i) s[i] = "abcabd"[i % 6];
      break;
    case 2:
      for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + rng() % 4);
      break;
    case 3:
      for (std::size_t i = 0; i < n; ++i) {
        if (i >= 16 && rng() % 3 == 0) {
          const std::size_t back = 1 + rng() % std::min<std::size_t>(i, 70000);
          const std::size_t len = std::min<std::size_t>(n - i, 1 + rng() % 80);
          for (std::size_t k = 0; k < len; ++k, ++i) s[i] = s[i - back];
          --i;
        } else {
          s[i] = static_cast<char>(rng());
        }
      }
      break;
    default:
      for (auto& c : s) c = static_cast<char>(rng());
  }
  return s;
}

// Our decoder accepts exactly what libsnappy accepts, and produces the same bytes.
void check_agrees_with_libsnappy(const std::string& c) {
  auto ours = snappy_uncompress(c);
  const bool valid = snappy::IsValidCompressedBuffer(c.data(), c.size());
  REQUIRE(ours.has_value() == valid);
  if (valid) {
    std::string theirs;
    REQUIRE(snappy::Uncompress(c.data(), c.size(), &theirs));
    CHECK(*ours == theirs);
  } else {
    CHECK((ours.error().code == errc::corruption || ours.error().code == errc::limit_exceeded));
  }
}

std::string preamble(std::uint64_t n) {
  std::string s;
  tfckpt::detail::put_varint64(s, n);
  return s;
}

}  // namespace

TEST_CASE("snappy: libsnappy output of varied sizes and entropy decompresses identically") {
  std::mt19937_64 rng(42);
  const std::size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 59, 60, 61, 63, 64, 65, 100,
                               255, 256, 257, 1000, 4095, 4096, 65535, 65536, 65537, 100000,
                               1 << 20, (1 << 20) + 17};
  int cases = 0;
  for (std::size_t n : sizes) {
    for (int kind = 0; kind < 5; ++kind) {
      const std::string in = make_input(rng, n, kind);
      const std::string c = compress(in);
      auto r = snappy_uncompress(c);
      REQUIRE_MESSAGE(r.has_value(), "size " << n << " kind " << kind << ": " << r.error().to_string());
      CHECK(*r == in);
      ++cases;
    }
  }
  for (int i = 0; i < 300; ++i) {  // random sizes too
    const std::size_t n = rng() % 5000;
    const std::string in = make_input(rng, n, static_cast<int>(rng() % 5));
    auto r = snappy_uncompress(compress(in));
    REQUIRE(r.has_value());
    CHECK(*r == in);
  }
  CHECK(cases == 150);
}

TEST_CASE("snappy: every truncation of a valid stream is an error") {
  std::mt19937_64 rng(7);
  for (int kind = 0; kind < 5; ++kind) {
    const std::string c = compress(make_input(rng, 3000, kind));
    for (std::size_t len = 0; len < c.size(); ++len) {
      auto r = snappy_uncompress(std::string_view(c).substr(0, len));
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == errc::corruption);
    }
  }
}

TEST_CASE("snappy: corrupted streams are rejected exactly when libsnappy rejects them") {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 40; ++round) {
    const std::size_t n = 1 + rng() % 2000;
    const std::string good = compress(make_input(rng, n, static_cast<int>(rng() % 5)));
    for (int flip = 0; flip < 100; ++flip) {
      std::string c = good;
      const int nflips = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < nflips; ++k) c[rng() % c.size()] ^= static_cast<char>(1 + rng() % 255);
      check_agrees_with_libsnappy(c);
    }
  }
  for (int i = 0; i < 5000; ++i) {  // pure garbage
    std::string c(rng() % 64, '\0');
    for (auto& ch : c) ch = static_cast<char>(rng());
    check_agrees_with_libsnappy(c);
  }
}

TEST_CASE("snappy: hand-made elements decode as specified") {
  // literal "ab", then a 1-byte-offset copy of length 6 at offset 2 (overlapping: repeats "ab").
  std::string c = preamble(8) + std::string("\x04" "ab", 3) + std::string("\x09\x02", 2);
  auto r = snappy_uncompress(c);
  REQUIRE(r.has_value());
  CHECK(*r == "abababab");

  // long literal: tag 60 << 2 with a 1-byte length-1 of 99 -> 100 bytes.
  std::string lit(100, 'x');
  c = preamble(100) + std::string(1, static_cast<char>(60 << 2)) + std::string(1, '\x63') + lit;
  r = snappy_uncompress(c);
  REQUIRE(r.has_value());
  CHECK(*r == lit);

  // 2-byte-offset copy (tag kind 2), non-overlapping: "abcd" + copy len 4 offset 4.
  c = preamble(8) + std::string("\x0c" "abcd", 5) + std::string("\x0e\x04\x00", 3);
  r = snappy_uncompress(c);
  REQUIRE(r.has_value());
  CHECK(*r == "abcdabcd");

  // 4-byte-offset copy (tag kind 3).
  c = preamble(6) + std::string("\x08" "xyz", 4) + std::string("\x0b\x03\x00\x00\x00", 5);
  r = snappy_uncompress(c);
  REQUIRE(r.has_value());
  CHECK(*r == "xyzxyz");

  // empty output
  r = snappy_uncompress(std::string(1, '\0'));
  REQUIRE(r.has_value());
  CHECK(r->empty());
}

TEST_CASE("snappy: bad copies and length mismatches are corruption") {
  auto bad = [](const std::string& c) {
    auto r = snappy_uncompress(c);
    return !r.has_value() && r.error().code == errc::corruption;
  };
  CHECK(bad(""));                                                        // no preamble
  CHECK(bad(std::string("\x80", 1)));                                    // truncated preamble
  CHECK(bad(std::string("\xff\xff\xff\xff\x10", 5)));                    // > 32 bits
  CHECK(bad(preamble(4) + std::string("\x04" "ab\x05\x00", 5)));          // copy offset 0
  CHECK(bad(preamble(8) + std::string("\x04" "ab\x09\x03", 5)));          // offset beyond output start
  CHECK(bad(preamble(4) + std::string("\x09\x01", 2)));                  // copy with no output yet
  CHECK(bad(preamble(3) + std::string("\x04" "ab", 3)));                  // produces less than declared
  CHECK(bad(preamble(1) + std::string("\x04" "ab", 3)));                  // literal overflows declared
  CHECK(bad(preamble(4) + std::string("\x04" "ab\x09\x02", 5)));          // copy overflows declared
  CHECK(bad(preamble(2) + std::string("\x04" "a", 2)));                   // literal past end of input
  CHECK(bad(preamble(2) + std::string("\x04" "ab", 3) + std::string(1, '\0')));  // trailing element
  CHECK(bad(preamble(10) + std::string(1, static_cast<char>(63 << 2)) +
            std::string("\xff\xff\xff\xff", 4)));                         // 4-byte literal length 2^32
}

// Found by fuzz_snappy against libsnappy: the 4-byte length field holds length-1, and libsnappy
// adds the 1 in 32 bits, so 0xffffffff is an empty literal. TensorFlow decodes with libsnappy;
// we read such a block as it does.
TEST_CASE("snappy: a 4-byte literal length of 0xffffffff is an empty literal, as in libsnappy") {
  const std::string c = preamble(1) + std::string(1, static_cast<char>(63 << 2)) +
                        std::string("\xff\xff\xff\xff", 4) + std::string("\x00\x00", 2);
  auto r = snappy_uncompress(c);
  REQUIRE(r.has_value());
  CHECK(*r == std::string(1, '\0'));
  std::string theirs;
  REQUIRE(snappy::Uncompress(c.data(), c.size(), &theirs));
  CHECK(theirs == *r);
}

TEST_CASE("snappy: declared-length bombs are rejected before allocating") {
  auto r = snappy_uncompress(preamble(0xffffffffu) + std::string("\x00", 1));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::limit_exceeded);

  r = snappy_uncompress(preamble(1000), 999);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::limit_exceeded);

  // Under the limit but impossible for 3 bytes of body: corruption, no 512 MiB allocation.
  r = snappy_uncompress(preamble(std::uint64_t{1} << 29) + std::string("\x04" "ab", 3));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::corruption);

  // A valid stream whose output exceeds the caller's limit.
  const std::string c = compress(std::string(5000, 'z'));
  r = snappy_uncompress(c, 4999);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::limit_exceeded);
  r = snappy_uncompress(c, 5000);
  REQUIRE(r.has_value());
  CHECK(*r == std::string(5000, 'z'));
}
