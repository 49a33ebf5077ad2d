// tfckpt: the distinct keys of a bundle being written, numbered in the order they were added,
// each copied once into an arena and found again by hash (open addressing, linear probing).
// bundle_writer checks every add against it: 10^5 adds cost 10^5 hash probes instead of a
// std::map of strings (a node, a string and ~17 string compares per add).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "arena.hpp"
#include "large_pages.hpp"

namespace tfckpt::detail {

class key_set {
 public:
  static constexpr std::size_t npos = ~std::size_t{0};

  // The number of `key`, or npos.
  std::size_t find(std::string_view key) const noexcept {
    const std::size_t h = std::hash<std::string_view>{}(key);
    last_ = {key, h};
    if (slots_.empty()) return npos;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const slot& s = slots_[i];
      if (s.number == 0) return npos;
      if (s.hash == static_cast<std::uint32_t>(h) && keys_[s.number - 1] == key) return s.number - 1;
    }
  }

  // Adds `key` (REQUIRES: find(key) == npos) and returns its number, size() before the call.
  // The hash of the last find() is reused when `key` is the same view (the writer checks a key,
  // then adds it, with nothing in between that could change its bytes): hashing each key twice
  // was a twentieth of a 10^5-entry save.
  std::size_t insert(std::string_view key) {
    const std::size_t h = key.data() == last_.key.data() && key.size() == last_.key.size()
                              ? last_.hash
                              : std::hash<std::string_view>{}(key);
    last_ = {};
    if ((keys_.size() + 1) * 4 > slots_.size() * 3) grow();
    keys_.push_back(arena_.copy(key));
    key_bytes_ += key.size();
    place(h, keys_.size());
    return keys_.size() - 1;
  }

  // Forgets the keys numbered n and above (a batch of adds that failed as a whole).
  void truncate(std::size_t n) {
    if (n >= keys_.size()) return;
    for (std::size_t i = n; i < keys_.size(); ++i) key_bytes_ -= keys_[i].size();
    keys_.resize(n);
    rehash(slots_.size());
  }

  std::size_t size() const noexcept { return keys_.size(); }
  std::size_t key_bytes() const noexcept { return key_bytes_; }

  // The key numbers in bytewise key order (what an SSTable needs). Keys added in order cost one
  // pass; otherwise an MSD radix sort on the key bytes: ~17 string compares per key for a
  // comparison sort on 10^5 keys took longer than writing their records.
  std::vector<std::size_t> sorted() const {
    std::vector<std::size_t> order(keys_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    bool in_order = true;
    for (std::size_t i = 1; i < keys_.size() && in_order; ++i) in_order = keys_[i - 1] < keys_[i];
    if (in_order) return order;
    std::vector<std::size_t> scratch(order.size());
    std::vector<std::uint16_t> digits(order.size());
    radix_sort(order.data(), scratch.data(), digits.data(), order.size(), 0);
    return order;
  }
  std::string_view operator[](std::size_t i) const noexcept { return keys_[i]; }

 private:
  struct slot {
    std::uint32_t hash = 0;    // low bits of the key's hash: most mismatches fail without a compare
    std::uint32_t number = 0;  // key number + 1; 0 = empty
  };

  void place(std::size_t h, std::size_t number_plus_1) {
    std::size_t i = h & mask_;
    while (slots_[i].number != 0) i = (i + 1) & mask_;
    slots_[i] = {static_cast<std::uint32_t>(h), static_cast<std::uint32_t>(number_plus_1)};
  }

  // Sorts order[0, n) by key bytes from `depth` on (the first `depth` bytes are all equal).
  // Buckets by the byte at `depth` (0 for a key that ends there, which sorts first); the
  // largest bucket continues in the loop, the others recurse: each holds at most half, so the
  // recursion stays within log2(n) levels whatever the keys.
  void radix_sort(std::size_t* order, std::size_t* scratch, std::uint16_t* digits, std::size_t n,
                  std::size_t depth) const {
    while (n > 1) {
      if (n < 32) {
        std::sort(order, order + n,
                  [&](std::size_t a, std::size_t b) { return keys_[a].substr(depth) < keys_[b].substr(depth); });
        return;
      }
      std::size_t count[257] = {};
      for (std::size_t k = 0; k < n; ++k) {
        const std::string_view key = keys_[order[k]];
        digits[k] = key.size() > depth ? static_cast<std::uint16_t>(1 + static_cast<unsigned char>(key[depth])) : 0;
        ++count[digits[k]];
      }
      std::size_t start[257];
      std::size_t sum = 0, largest = 0;
      for (std::size_t d = 0; d < 257; ++d) {
        start[d] = sum;
        sum += count[d];
        if (count[d] > count[largest]) largest = d;
      }
      if (count[largest] != n) {
        std::size_t next[257];
        std::copy(start, start + 257, next);
        for (std::size_t k = 0; k < n; ++k) scratch[next[digits[k]]++] = order[k];
        std::copy(scratch, scratch + n, order);
        for (std::size_t d = 1; d < 257; ++d)  // bucket 0: keys ending at depth, at most one
          if (d != largest && count[d] > 1) radix_sort(order + start[d], scratch, digits, count[d], depth + 1);
      }
      if (largest == 0) return;
      order += start[largest];
      n = count[largest];
      ++depth;
    }
  }

  // Twice the slots, each key placed again by the hash bits its slot kept (all the bits a slot
  // index uses below 2^32 slots): rehashing every key's bytes at each doubling cost as much as
  // the adds' own hashing.
  void grow() {
    if (slots_.empty()) return rehash(1024);
    if (std::uint64_t{slots_.size()} * 2 > (std::uint64_t{1} << 32)) return rehash(slots_.size() * 2);
    std::vector<slot, large_allocator<slot>> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const slot& s : old)
      if (s.number != 0) place(s.hash, s.number);
  }

  void rehash(std::size_t n) {
    slots_.assign(n, slot{});
    mask_ = n - 1;
    for (std::size_t k = 0; k < keys_.size(); ++k) place(std::hash<std::string_view>{}(keys_[k]), k + 1);
  }

  struct hashed {
    std::string_view key;
    std::size_t hash = 0;
  };
  mutable hashed last_;  // the last find()'s key and hash, for insert()
  chunk_arena arena_{std::size_t{256} << 10};
  std::vector<std::string_view, large_allocator<std::string_view>> keys_;
  std::vector<slot, large_allocator<slot>> slots_;  // a power of two, at most 3/4 full
  std::size_t key_bytes_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace tfckpt::detail
