// tfckpt: the one threading primitive the library uses (opt-in through read/write options):
// run fn(i) for every i in [0, n) on up to `threads` threads, the calling thread included.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace tfckpt::detail {

// Items are handed out one at a time from a shared counter, so uneven items still balance.
// fn must not throw (the library never does); results travel through caller-owned slots.
template <class F>
void parallel_for(std::size_t n, unsigned threads, F&& fn) {
  const std::size_t workers = std::min<std::size_t>(threads == 0 ? 1 : threads, n);
  if (workers <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (std::size_t k = 1; k < workers; ++k) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

}  // namespace tfckpt::detail
