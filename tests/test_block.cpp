// SSTable blocks: builder layout, iteration, seeks, and rejection of malformed blocks.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <tfckpt/format/block.hpp>
#include <tfckpt/format/coding.hpp>
#include <vector>

using tfckpt::errc;
using tfckpt::detail::block;
using tfckpt::detail::block_builder;
using tfckpt::detail::block_iter;

namespace {

std::string key_of(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "k%04d", i);
  return buf;
}

// Keys k0000, k0002, ..., k0198 (even numbers, so odd ones fall between), value = "v" + key.
std::string build(int interval, int n = 100) {
  block_builder b(interval);
  for (int i = 0; i < n; ++i) b.add(key_of(2 * i), "v" + key_of(2 * i));
  return std::string(b.finish());
}

// Iterates the whole block; returns false on the first error.
bool walk(std::string_view contents, std::vector<std::string>* keys = nullptr) {
  auto b = block::parse(contents);
  if (!b) return false;
  block_iter it(*b);
  for (auto r = it.seek_to_first();; r = it.next()) {
    if (!r) return false;
    if (!it.valid()) return true;
    if (keys) keys->emplace_back(it.key());
  }
}

std::string entry(std::uint32_t shared, std::string_view delta, std::string_view value) {
  std::string s;
  tfckpt::detail::put_varint32(s, shared);
  tfckpt::detail::put_varint32(s, static_cast<std::uint32_t>(delta.size()));
  tfckpt::detail::put_varint32(s, static_cast<std::uint32_t>(value.size()));
  return s + std::string(delta) + std::string(value);
}

std::string with_restarts(std::string entries, std::vector<std::uint32_t> restarts) {
  for (auto r : restarts) tfckpt::detail::put_fixed32(entries, r);
  tfckpt::detail::put_fixed32(entries, static_cast<std::uint32_t>(restarts.size()));
  return entries;
}

}  // namespace

TEST_CASE("block: an empty block is the 8 bytes 00000000 01000000 and iterates to nothing") {
  block_builder b;
  CHECK(b.empty());
  CHECK(b.size_estimate() == 8);
  const std::string s(b.finish());
  CHECK(s == std::string("\0\0\0\0\1\0\0\0", 8));
  auto blk = block::parse(s);
  REQUIRE(blk.has_value());
  block_iter it(*blk);
  REQUIRE(it.seek_to_first().has_value());
  CHECK_FALSE(it.valid());
  REQUIRE(it.seek("").has_value());
  CHECK_FALSE(it.valid());
}

TEST_CASE("block: builder prefix-compresses, places restart points and estimates size like TF") {
  block_builder b(2);
  b.add("abc", "1");
  CHECK(b.size_estimate() == 3 + 3 + 1 + 8);
  b.add("abd", "22");  // shares "ab"
  b.add("abe", "");    // restart point: full key
  CHECK(b.size_estimate() == (3 + 3 + 1) + (3 + 1 + 2) + (3 + 3) + 4 * 2 + 4);
  const std::string s(b.finish());
  const std::string expect = entry(0, "abc", "1") + entry(2, "d", "22") + entry(0, "abe", "");
  CHECK(s == with_restarts(expect, {0, 13}));
  b.reset();
  CHECK(b.empty());
  CHECK(b.size_estimate() == 8);
}

TEST_CASE("block: iteration and seeks with restart intervals 1, 2 and 16") {
  for (int interval : {1, 2, 16}) {
    CAPTURE(interval);
    const std::string s = build(interval);
    auto b = block::parse(s);
    REQUIRE(b.has_value());
    CHECK(b->num_restarts() == static_cast<std::uint32_t>((100 + interval - 1) / interval));
    std::vector<std::string> keys;
    REQUIRE(walk(s, &keys));
    REQUIRE(keys.size() == 100);
    for (int i = 0; i < 100; ++i) CHECK(keys[i] == key_of(2 * i));

    block_iter it(*b);
    REQUIRE(it.seek("").has_value());  // before the first key
    REQUIRE(it.valid());
    CHECK(it.key() == "k0000");
    CHECK(it.value() == "vk0000");
    for (int i = 0; i < 199; ++i) {  // exact (even) and between (odd) keys
      REQUIRE(it.seek(key_of(i)).has_value());
      REQUIRE(it.valid());
      CHECK(it.key() == key_of(i % 2 ? i + 1 : i));
      CHECK(it.value() == "v" + key_of(i % 2 ? i + 1 : i));
    }
    REQUIRE(it.seek("k0198\x01").has_value());  // past the last key
    CHECK_FALSE(it.valid());
    REQUIRE(it.seek("z").has_value());
    CHECK_FALSE(it.valid());
    REQUIRE(it.seek("k0197").has_value());  // then keep going with next()
    REQUIRE(it.valid());
    REQUIRE(it.next().has_value());
    CHECK_FALSE(it.valid());
  }
}

TEST_CASE("block: binary keys with NUL and 0xff bytes round-trip") {
  const std::vector<std::string> keys = {std::string(), std::string("\0", 1), std::string("\0\0", 2),
                                         std::string("\0\x01", 2), "a", std::string("a\0b", 3),
                                         "a\xff", "\xff", "\xff\xff"};
  block_builder b(2);
  for (const auto& k : keys) b.add(k, k);
  const std::string s(b.finish());
  std::vector<std::string> got;
  REQUIRE(walk(s, &got));
  CHECK(got == keys);
  auto blk = block::parse(s);
  block_iter it(*blk);
  for (const auto& k : keys) {
    REQUIRE(it.seek(k).has_value());
    REQUIRE(it.valid());
    CHECK(it.key() == k);
    CHECK(it.value() == k);
  }
}

TEST_CASE("block: malformed trailers are rejected by parse") {
  auto code = [](const std::string& s) {
    auto b = block::parse(s);
    return b ? errc::ok : b.error().code;
  };
  CHECK(code("") == errc::corruption);
  CHECK(code(std::string("\1\0\0", 3)) == errc::corruption);                        // < 4 bytes
  CHECK(code(with_restarts("", {})) == errc::ok);                         // R = 0, nothing else
  CHECK(code(with_restarts(entry(0, "a", "b"), {})) == errc::corruption);   // entries, R = 0
  CHECK(code(std::string("\0\0\0\0\2\0\0\0", 8)) == errc::corruption);    // R > (size-4)/4
  CHECK(code(std::string("\xff\xff\xff\xff", 4)) == errc::corruption);
  const std::string e = entry(0, "a", "b") + entry(0, "c", "d");
  CHECK(code(with_restarts(e, {0, 5})) == errc::ok);
  CHECK(code(with_restarts(e, {0, 10})) == errc::corruption);  // restart at/after the array
  CHECK(code(with_restarts(e, {0, 99})) == errc::corruption);
  CHECK(code(with_restarts(e, {5, 0})) == errc::corruption);   // not increasing, first != 0
  CHECK(code(with_restarts(e, {0, 0})) == errc::corruption);
}

TEST_CASE("block: malformed entries are rejected while iterating and seeking") {
  auto fails = [](const std::string& s) { return !walk(s); };
  // shared larger than the previous key
  CHECK(fails(with_restarts(entry(0, "ab", "") + entry(3, "c", ""), {0})));
  // a restart point entry that claims shared bytes
  CHECK(fails(with_restarts(entry(1, "ab", ""), {0})));
  // value running into the restart array
  std::string e = entry(0, "a", "bc");
  e.pop_back();
  CHECK(fails(with_restarts(e, {0})));
  // truncated varint header
  CHECK(fails(with_restarts(std::string("\x80", 1), {0})));
  // keys out of order, and a duplicate key
  CHECK(fails(with_restarts(entry(0, "b", "") + entry(0, "a", ""), {0})));
  CHECK(fails(with_restarts(entry(0, "ab", "") + entry(1, "b", ""), {0})));
  // a restart point that is not on an entry boundary
  CHECK(fails(with_restarts(entry(0, "ab", "") + entry(0, "cd", ""), {0, 2})));

  // Seek's binary search rejects a restart entry with shared != 0.
  const std::string s = with_restarts(entry(0, "a", "") + entry(1, "b", "") + entry(0, "c", ""), {0, 4});
  auto b = block::parse(s);
  REQUIRE(b.has_value());
  block_iter it(*b);
  auto r = it.seek("c");
  CHECK_FALSE(r.has_value());
  CHECK_FALSE(it.valid());
}

TEST_CASE("block: non-strict iteration accepts equal keys (index blocks)") {
  const std::string s = with_restarts(entry(0, "a", "1") + entry(0, "a", "2"), {0, 5});
  auto b = block::parse(s);
  REQUIRE(b.has_value());
  block_iter it(*b, /*strict=*/false);
  REQUIRE(it.seek_to_first().has_value());
  REQUIRE(it.next().has_value());
  CHECK(it.valid());
  CHECK(it.value() == "2");
  CHECK_FALSE(walk(s));
}

TEST_CASE("block: random byte corruption never crashes") {
  std::mt19937_64 rng(3);
  for (int interval : {1, 2, 16}) {
    const std::string good = build(interval, 40);
    REQUIRE(walk(good));  // the control: corruption below is what makes inputs fail
    for (int round = 0; round < 3000; ++round) {
      std::string s = good;
      const int n = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < n; ++k) s[rng() % s.size()] = static_cast<char>(rng());
      if (rng() % 8 == 0) s.resize(rng() % s.size());
      (void)walk(s);
      if (auto b = block::parse(s)) {
        block_iter it(*b);
        for (int q = 0; q < 5; ++q) (void)it.seek(key_of(static_cast<int>(rng() % 100)));
      }
    }
  }
}
