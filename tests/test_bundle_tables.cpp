// The bundle writer's and reader's tables: chunk_arena (views that stay valid as it grows, huge
// chunks included) and key_set (hash lookup, truncation, and the radix sort that orders an
// SSTable's keys), checked against std containers; and the reader's sort of read requests by
// (shard, offset), checked against std::stable_sort.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <tfckpt/bundle/arena.hpp>
#include <tfckpt/bundle/key_set.hpp>
#include <tfckpt/bundle/reader.hpp>
#include <utility>
#include <vector>

using tfckpt::detail::chunk_arena;
using tfckpt::detail::key_set;

TEST_CASE("chunk_arena: copies stay valid and aligned while it grows past a huge-page chunk") {
  chunk_arena arena(256);
  std::vector<std::pair<std::string, std::string_view>> kept;
  std::mt19937 rng(7);
  std::size_t total = 0;
  for (int i = 0; total < (std::size_t{5} << 20); ++i) {
    // Mostly small pieces, now and then one larger than the current chunk.
    const std::size_t n = i % 97 == 0 ? (std::size_t{1} << 20) + static_cast<std::size_t>(i) : rng() % 200 + 1;
    std::string s(n, static_cast<char>('a' + i % 26));
    s[0] = static_cast<char>(i);
    kept.emplace_back(s, arena.copy(s));
    total += n;
    CHECK(reinterpret_cast<std::uintptr_t>(kept.back().second.data()) % 8 == 0);
  }
  CHECK(arena.reserved() >= total);
  for (const auto& [original, view] : kept) REQUIRE(view == original);
  CHECK(arena.copy("").empty());

  chunk_arena moved = std::move(arena);
  for (const auto& [original, view] : kept) REQUIRE(view == original);
  CHECK(moved.reserved() >= total);
}

namespace {
// Keys that stress the sort: long shared prefixes, prefixes of other keys, bytes above 0x7f
// (which must sort after ASCII, as in TensorFlow's bytewise comparator) and embedded zeros.
std::vector<std::string> awkward_keys(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  const std::string alphabet("ab/\0\x7f\x80\xff", 7);
  std::vector<std::string> keys;
  std::vector<std::string> seen;
  while (keys.size() < n) {
    std::string k;
    if (!seen.empty() && rng() % 3 == 0) k = seen[rng() % seen.size()];  // extend an existing key
    const std::size_t extra = rng() % 6 + (rng() % 50 == 0 ? 40 : 0);
    for (std::size_t i = 0; i < extra; ++i) k += alphabet[rng() % alphabet.size()];
    if (std::find(seen.begin(), seen.end(), k) != seen.end() || k.empty()) continue;
    seen.push_back(k);
    keys.push_back(k);
  }
  return keys;
}
}  // namespace

TEST_CASE("key_set: sorted() is the bytewise order, for keys added in any order") {
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{31}, std::size_t{33}, std::size_t{2500}}) {
    CAPTURE(n);
    const std::vector<std::string> keys = awkward_keys(n, static_cast<unsigned>(n));
    key_set set;
    for (const auto& k : keys) {
      REQUIRE(set.find(k) == key_set::npos);
      set.insert(k);
    }
    REQUIRE(set.size() == n);
    std::vector<std::size_t> expected(n);
    for (std::size_t i = 0; i < n; ++i) expected[i] = i;
    std::sort(expected.begin(), expected.end(), [&](std::size_t a, std::size_t b) {
      return std::string_view(keys[a]) < std::string_view(keys[b]);  // char_traits<char>: unsigned bytes
    });
    CHECK(set.sorted() == expected);
    for (std::size_t i = 0; i < n; ++i) REQUIRE(set.find(keys[i]) == i);

    // Added already in order: one pass, the identity.
    key_set in_order;
    for (const std::size_t i : expected) in_order.insert(keys[i]);
    const auto order = in_order.sorted();
    for (std::size_t i = 0; i < n; ++i) REQUIRE(order[i] == i);
  }
  CHECK(std::string_view("\x80", 1) > std::string_view("\x7f", 1));
}

TEST_CASE("key_set: insert reuses the last find's hash only for that same view") {
  key_set set;
  const std::string a = "layer/kernel", b = "layer/bias";
  REQUIRE(set.find(a) == key_set::npos);
  CHECK(set.insert(b) == 0);  // another key than the one looked up: hashed afresh
  REQUIRE(set.find(a) == key_set::npos);
  CHECK(set.insert(a) == 1);  // the view just looked up
  std::string copy = a;       // equal bytes elsewhere
  CHECK(set.find(copy) == 1);
  CHECK(set.find(b) == 0);
  CHECK(set.find("layer") == key_set::npos);
  // Many keys through one buffer, each looked up then inserted: all findable afterwards.
  std::string buffer;
  for (int i = 0; i < 3000; ++i) {
    buffer = "v/" + std::to_string(i);
    REQUIRE(set.find(buffer) == key_set::npos);
    REQUIRE(set.insert(buffer) == static_cast<std::size_t>(i) + 2);
  }
  for (int i = 0; i < 3000; ++i) REQUIRE(set.find("v/" + std::to_string(i)) == static_cast<std::size_t>(i) + 2);
}

TEST_CASE("key_set: truncate forgets the last keys and keeps the others findable") {
  key_set set;
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) keys.push_back("layer/" + std::to_string(i * 7919 % 3000) + "/.ATTRIBUTES/VARIABLE_VALUE");
  for (const auto& k : keys) set.insert(k);
  const std::size_t bytes_all = set.key_bytes();
  set.truncate(1000);
  CHECK(set.size() == 1000);
  for (std::size_t i = 0; i < keys.size(); ++i) REQUIRE(set.find(keys[i]) == (i < 1000 ? i : key_set::npos));
  std::size_t bytes_kept = 0;
  for (std::size_t i = 0; i < 1000; ++i) bytes_kept += keys[i].size();
  CHECK(set.key_bytes() == bytes_kept);
  CHECK(bytes_kept < bytes_all);
  // The forgotten keys can be added again and get the next numbers.
  CHECK(set.insert(keys[2999]) == 1000);
  CHECK(set.find(keys[2999]) == 1000);
  set.truncate(5000);  // past the end: nothing to forget
  CHECK(set.size() == 1001);
}

TEST_CASE("sort_by_position: the order of std::stable_sort by (shard, offset), ties kept in request order") {
  struct position {
    std::int32_t shard_id;
    std::int64_t offset;
  };
  std::mt19937_64 rng(11);
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{100},
                              std::size_t{5000}}) {
    // Offsets spread over few bytes, over all 8 (high bytes only varying), equal ones (ties), and
    // a single shard or many.
    for (int variant = 0; variant < 5; ++variant) {
      CAPTURE(n);
      CAPTURE(variant);
      std::vector<position> info(n + 7);  // more entries than requests: order holds a subset
      for (auto& p : info) {
        const std::uint64_t r = rng();
        p.shard_id = variant == 3 ? static_cast<std::int32_t>(r % 3) : variant == 4 ? static_cast<std::int32_t>(r % 70000) : 2;
        p.offset = variant == 0   ? static_cast<std::int64_t>(r % 5000000)
                   : variant == 1 ? static_cast<std::int64_t>((r >> 1) & 0x7f00'0000'0000'0000ull)
                   : variant == 2 ? static_cast<std::int64_t>(r % 4) * 64
                                  : static_cast<std::int64_t>(r >> 1);
      }
      std::vector<std::size_t> order;
      for (std::size_t i = 0; i < n; ++i) order.push_back((i * 7 + 3) % info.size());
      auto expected = order;
      std::stable_sort(expected.begin(), expected.end(), [&](std::size_t a, std::size_t b) {
        return info[a].shard_id != info[b].shard_id ? info[a].shard_id < info[b].shard_id
                                                    : info[a].offset < info[b].offset;
      });
      tfckpt::detail::sort_by_position(order, [&](std::size_t i) -> const position& { return info[i]; });
      CHECK(order == expected);
      // Already in order: unchanged.
      tfckpt::detail::sort_by_position(order, [&](std::size_t i) -> const position& { return info[i]; });
      CHECK(order == expected);
    }
  }
}
