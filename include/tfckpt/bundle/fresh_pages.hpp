// tfckpt: fault in fresh memory before it is filled. A restore into a newly built struct gets
// its vectors' pages from the kernel one 4 KiB fault at a time, taken in user space by the zero
// fill std::vector does on resize: for a 1 GiB model most of the restore's time. Asking the
// kernel to populate the range first (MADV_POPULATE_WRITE, Linux 5.14) does the same work
// without a trap per page, in 4 MiB pieces on up to `threads` threads (the page allocation is
// the cost, and it scales). A hint: where it is unsupported nothing happens.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "parallel.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tfckpt::detail {

// REQUIRES: [p, p + n) is memory this process allocated (not yet necessarily touched).
inline void populate_for_write(void* p, std::size_t n, unsigned threads) noexcept {
#if defined(__linux__)
  constexpr std::size_t min_bytes = std::size_t{1} << 20;  // below this the faults are noise
  constexpr std::size_t piece = std::size_t{4} << 20;
  constexpr int populate_write = 23;  // MADV_POPULATE_WRITE (<linux/mman.h>; older libcs lack it)
  if (n < min_bytes) return;
  const std::uintptr_t page = 4096, begin = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = (begin + page - 1) / page * page, last = (begin + n) / page * page;
  if (last <= first) return;
  const std::size_t pieces = (last - first + piece - 1) / piece;
  parallel_for(pieces, threads, [&](std::size_t i) {
    const std::uintptr_t at = first + i * piece;
    (void)::madvise(reinterpret_cast<void*>(at), std::min<std::uintptr_t>(piece, last - at), populate_write);
  });
#else
  (void)p;
  (void)n;
  (void)threads;
#endif
}

}  // namespace tfckpt::detail
