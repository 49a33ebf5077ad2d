// tfckpt: memory for many small pieces freed together (the keys and shapes of a bundle's
// entries). Pieces are carved from large chunks that never move, so views into them stay valid
// as the arena grows: 10^5 entries cost a few chunk allocations instead of 10^5 strings and
// vectors, each allocated, filled and freed on its own. Large chunks get huge pages
// (large_pages.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "large_pages.hpp"

namespace tfckpt::detail {

class chunk_arena {
 public:
  // `first_chunk`: the size of the first chunk (a guess at the total, so that usually one chunk
  // serves). Chunks are left uninitialised: only the pages written are ever touched.
  explicit chunk_arena(std::size_t first_chunk = std::size_t{64} << 10) noexcept
      : next_size_(std::max<std::size_t>(first_chunk, 256)) {}
  chunk_arena(chunk_arena&& o) noexcept
      : chunks_(std::move(o.chunks_)),
        cur_(std::exchange(o.cur_, nullptr)),
        left_(std::exchange(o.left_, 0)),
        next_size_(o.next_size_),
        reserved_(std::exchange(o.reserved_, 0)) {}
  chunk_arena& operator=(chunk_arena&& o) noexcept {
    if (this != &o) {
      release();
      chunks_ = std::move(o.chunks_);
      cur_ = std::exchange(o.cur_, nullptr);
      left_ = std::exchange(o.left_, 0);
      next_size_ = o.next_size_;
      reserved_ = std::exchange(o.reserved_, 0);
    }
    return *this;
  }
  chunk_arena(const chunk_arena&) = delete;
  chunk_arena& operator=(const chunk_arena&) = delete;
  ~chunk_arena() { release(); }

  // `n` bytes aligned to 8 (enough for the integers stored here).
  char* allocate(std::size_t n) {
    n = (n + 7) & ~std::size_t{7};
    if (n > left_) grow(n);
    char* p = cur_;
    cur_ += n;
    left_ -= n;
    return p;
  }

  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  // Bytes held in chunks (used or not).
  std::size_t reserved() const noexcept { return reserved_; }

 private:
  void grow(std::size_t n) {
    // Each chunk at least as large as the last, and half of everything so far: a table that
    // outgrows the guess takes O(log n) chunks and wastes at most a third of them.
    const std::size_t size = std::max({n, next_size_, reserved_ / 2});
    chunks_.reserve(chunks_.size() + 1);  // (nothing to leak if this fails)
    chunks_.push_back({static_cast<char*>(allocate_large(size)), size});
    cur_ = chunks_.back().first;
    left_ = size;
    reserved_ += size;
    next_size_ = size;
  }

  void release() noexcept {
    for (auto& [p, n] : chunks_) release_large(p, n);
    chunks_.clear();
  }

  std::vector<std::pair<char*, std::size_t>> chunks_;
  char* cur_ = nullptr;
  std::size_t left_ = 0;
  std::size_t next_size_;
  std::size_t reserved_ = 0;
};

}  // namespace tfckpt::detail
