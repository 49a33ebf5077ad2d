// tfckpt: memory for the large tables built from an index (bundle_reader's entries, keys and
// shapes). A 10^5-entry table is ~12 MB of fresh memory: in 4 KiB pages that is 3,000 faults,
// each trapping and zeroing its page, which cost more than decoding the entries. Tables of at
// least 2 MiB are mapped 2 MiB-aligned and advised for transparent huge pages (Linux; honoured
// when THP is "always" or "madvise"), one fault per 2 MiB instead: 4x faster here. Anywhere
// else, or below that size, plain operator new.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tfckpt::detail {

inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

// `n` bytes, at least 16-aligned; free with release_large(p, n).
inline void* allocate_large(std::size_t n) {
#if defined(__linux__)
  if (n >= huge_page_bytes && n <= (~std::size_t{0} >> 1)) {
    const std::size_t size = (n + huge_page_bytes - 1) & ~(huge_page_bytes - 1);
    // Over-map by 2 MiB, then cut the ends so the mapping starts on a 2 MiB boundary.
    void* raw = ::mmap(nullptr, size + huge_page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw != MAP_FAILED) {
      const auto begin = reinterpret_cast<std::uintptr_t>(raw);
      const std::uintptr_t aligned = (begin + huge_page_bytes - 1) & ~std::uintptr_t{huge_page_bytes - 1};
      if (aligned > begin) ::munmap(raw, aligned - begin);
      if (const std::size_t tail = begin + huge_page_bytes - aligned; tail > 0)
        ::munmap(reinterpret_cast<void*>(aligned + size), tail);
      (void)::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
      return reinterpret_cast<void*>(aligned);
    }
    // No address space left. release_large would munmap whatever this returned, so it cannot
    // fall back to operator new: fail the way operator new does.
#if defined(__cpp_exceptions)
    throw std::bad_alloc();
#else
    std::abort();
#endif
  }
#endif
  return ::operator new(n);
}

inline void release_large(void* p, std::size_t n) noexcept {
  if (!p) return;
#if defined(__linux__)
  if (n >= huge_page_bytes && n <= (~std::size_t{0} >> 1)) {
    ::munmap(p, (n + huge_page_bytes - 1) & ~(huge_page_bytes - 1));
    return;
  }
#endif
  ::operator delete(p);
}

// A std allocator over allocate_large (for the entry table's vector).
template <class T>
struct large_allocator {
  using value_type = T;
  large_allocator() noexcept = default;
  template <class U>
  large_allocator(const large_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_large(n * sizeof(T))); }  // n <= max_size()
  void deallocate(T* p, std::size_t n) noexcept { release_large(p, n * sizeof(T)); }
  friend bool operator==(const large_allocator&, const large_allocator&) noexcept { return true; }
};

}  // namespace tfckpt::detail
