// tfckpt fuzz targets: shared helpers. Each target is one libFuzzer entry point built with
// clang++ -fsanitize=fuzzer,address,undefined; see run_fuzzers.sh. A failed invariant aborts
// (libFuzzer records the input as a crash).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// test_regressions.cpp includes the targets too; it may predefine this.
#ifndef TFCKPT_FUZZ_CHECK
#define TFCKPT_FUZZ_CHECK(cond)                                                      \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)
#endif

namespace tfckpt_fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Consumes a little-endian integer of N bytes from the front (zero-filled when short).
template <class T>
T take(std::string_view& in) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    if (in.empty()) break;
    v = static_cast<T>(v | static_cast<T>(static_cast<T>(static_cast<unsigned char>(in[0])) << (8 * i)));
    in.remove_prefix(1);
  }
  return v;
}

}  // namespace tfckpt_fuzz
