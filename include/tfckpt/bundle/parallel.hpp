// tfckpt: the one threading primitive the library uses (opt-in through read/write options):
// run fn(i) for every i in [0, n) on up to `threads` threads, the calling thread included.
#pragma once

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace tfckpt::detail {

// The type-erased core, one copy for every caller: items are handed out one at a time from a
// shared counter, so uneven items still balance. POSIX threads rather than std::thread: <thread>
// brings <stop_token>, <semaphore> and <chrono> into every unit (~0.2 s of parsing each), and
// one std::thread instantiation per calling lambda. A thread that cannot be started leaves its
// share to the others (the calling thread always works).
struct parallel_job {
  std::atomic<std::size_t> next{0};
  std::size_t n = 0;
  void (*call)(void*, std::size_t) = nullptr;
  void* fn = nullptr;

  void work() {
    for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) call(fn, i);
  }
  static void* entry(void* job) {
    static_cast<parallel_job*>(job)->work();
    return nullptr;
  }
};

inline void parallel_for_erased(std::size_t n, unsigned threads, void (*call)(void*, std::size_t), void* fn) {
  const std::size_t workers = std::min<std::size_t>(threads == 0 ? 1 : threads, n);
  if (workers <= 1) {
    for (std::size_t i = 0; i < n; ++i) call(fn, i);
    return;
  }
  parallel_job job;
  job.n = n;
  job.call = call;
  job.fn = fn;
  std::vector<pthread_t> pool(workers - 1);
  std::size_t started = 0;
  for (; started < workers - 1; ++started)
    if (::pthread_create(&pool[started], nullptr, &parallel_job::entry, &job) != 0) break;
  job.work();
  for (std::size_t k = 0; k < started; ++k) ::pthread_join(pool[k], nullptr);
}

// fn must not throw (the library never does); results travel through caller-owned slots.
template <class F>
void parallel_for(std::size_t n, unsigned threads, F&& fn) {
  using fn_t = std::remove_reference_t<F>;
  parallel_for_erased(
      n, threads, [](void* f, std::size_t i) { (*static_cast<fn_t*>(f))(i); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

}  // namespace tfckpt::detail
