// tfckpt fuzz targets: shared helpers. Each target is one libFuzzer entry point built with
// clang++ -fsanitize=fuzzer,address,undefined; see run_fuzzers.sh. A failed invariant aborts
// (libFuzzer records the input as a crash).
#pragma once

#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "tfckpt/bundle/reader.hpp"

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

// A whole checkpoint in one input: uint32 LE index length, the index bytes, then the data shards
// as [uint32 LE length][bytes]... (missing shards are empty; the last shard takes the rest). The
// number of shards comes from the index header (1 when unreadable; at most 8).
struct memory_checkpoint {
  std::string_view index;
  std::vector<std::string_view> shards;
};

inline int shard_count(std::string_view index) {
  auto t = tfckpt::detail::table_reader::open(index);
  if (!t) return 1;
  auto it = t->make_iterator();
  if (!it.seek_to_first() || !it.valid() || !it.key().empty()) return 1;
  auto h = tfckpt::decode_bundle_header(it.value());
  if (!h || h->num_shards < 1 || h->num_shards > 8) return 1;
  return h->num_shards;
}

inline memory_checkpoint split_checkpoint(std::string_view in) {
  memory_checkpoint c;
  const auto index_len = take<std::uint32_t>(in);
  c.index = in.substr(0, std::min<std::size_t>(index_len, in.size()));
  in.remove_prefix(c.index.size());
  const int n = shard_count(c.index);
  for (int s = 0; s < n; ++s) {
    if (s == n - 1) {
      c.shards.push_back(in);
      break;
    }
    const auto len = take<std::uint32_t>(in);
    c.shards.push_back(in.substr(0, std::min<std::size_t>(len, in.size())));
    in.remove_prefix(c.shards.back().size());
  }
  return c;
}

// Reader limits small enough that no input makes a target allocate more than libFuzzer allows.
inline tfckpt::read_options bounded_read_options() {
  tfckpt::read_options opts;
  opts.max_tensor_bytes = std::uint64_t{1} << 24;
  opts.max_total_bytes = std::uint64_t{1} << 26;
  opts.max_entries = 100000;
  opts.graph.max_nodes = 4096;
  opts.graph.max_edges = 16384;
  return opts;
}

}  // namespace tfckpt_fuzz
