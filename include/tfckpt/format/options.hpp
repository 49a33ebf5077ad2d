// tfckpt: the options of reading and writing bundles, apart from the reader and writer so that
// code passing them along (the checkpoint API, a TU built with TFCKPT_SEPARATE_COMPILATION) does
// not need the format layer's definitions.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace tfckpt {

namespace detail {
// Half the machine's physical memory, capped at 1 TiB (64 GiB where sysconf cannot tell): the
// default bound of one read's allocations, so that a tiny index naming a huge record gets a
// limit_exceeded error instead of an allocation failure (an abort under -fno-exceptions, an
// uncaught std::bad_alloc otherwise). Computed once.
inline std::uint64_t default_read_limit() noexcept {
  static const std::uint64_t limit = [] {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    std::uint64_t cap = std::uint64_t{1} << 40;
    if (pages <= 0 || page <= 0) return std::uint64_t{64} << 30;
    const std::uint64_t phys = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
    return phys / 2 < cap ? phys / 2 : cap;
  }();
  return limit;
}
}  // namespace detail

// Limits on a decoded object graph (object_graph_proto.hpp): hostile files stay cheap to reject.
struct object_graph_limits {
  std::size_t max_nodes = 1u << 22;
  std::size_t max_edges = 1u << 24;  // children + attributes + slot references, summed
  // Breadth-first depth from the root, and the summed length of every node's first path (what
  // the graph layer builds for diagnostics): a chain of nodes would otherwise cost
  // quadratically many path bytes.
  std::size_t max_depth = 4096;
  std::uint64_t max_path_bytes = std::uint64_t{1} << 30;
};

struct read_options {
  bool verify_checksums = true;
  std::uint64_t max_index_bytes = std::uint64_t{1} << 32;   // the .index file
  // One owning read. Default: half the physical memory (at most 1 TiB), see default_read_limit.
  std::uint64_t max_tensor_bytes = detail::default_read_limit();
  std::uint64_t max_entries = std::uint64_t{1} << 26;
  std::int32_t max_shards = 1 << 20;
  // Bytes one operation may allocate from file data: open's entry table (keys, shapes, slices),
  // or one read (record + decoded elements, or an assembled tensor + its parts).
  // Default: half the physical memory (at most 1 TiB), like max_tensor_bytes.
  std::uint64_t max_total_bytes = detail::default_read_limit();
  // The entry table may not exceed this many times the .index size (+ 64 MiB): prefix-compressed
  // keys let a small index describe quadratically many key bytes (each key extending the last).
  std::uint64_t max_index_expansion = 256;
  object_graph_limits graph;
  // Threads one call of read_many_into / read_into may use (large records are split across
  // them, checksums joined with crc32c_combine). 1 = only the calling thread.
  unsigned threads = 1;
};

struct write_options {
  std::int32_t num_shards = 1;
  // BundleWriter::Options::data_alignment: zero padding after each record so every record
  // starts at a multiple of it (zero-copy views). 1 = densely packed, as TF2's SaveV2 writes.
  std::size_t data_alignment = 1;
  bool sync = true;  // fsync files and the directory before reporting success
  // Threads a save may use. With several shards, each shard's records are written by its own
  // thread (bundle_writer::add_many, and the object-graph save): one file's buffered writes are
  // serialized by the kernel, several files' are not. Within one shard a large record is cut
  // into pieces that several threads checksum and pwrite in place. Shards are fsynced in
  // parallel. 1 = the calling thread.
  unsigned threads = 1;
};

}  // namespace tfckpt
