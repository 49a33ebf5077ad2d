// tfckpt: read a TensorFlow tensor bundle (`P.index` + `P.data-SSSSS-of-NNNNN`), from files or
// from memory. Mirrors tensor_bundle.cc BundleReader: header checks, entry lookup, checksums on
// every read (unless opted out), strings, variants, multiple shards and partitioned tensors.
//
//   auto r = tfckpt::bundle_reader::open("runs/exp1");       // directory, prefix or .index path
//   if (!r) { std::puts(r.error().to_string().c_str()); return 1; }
//   for (const auto& e : r->entries()) ...                     // key order, slice parts hidden
//     (e.key, e.info.dtype, e.info.shape: views into the reader's entry table)
//   auto t = r->read("model/w/.ATTRIBUTES/VARIABLE_VALUE");    // result<tensor>
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "../format/bundle_proto.hpp"
#include "../format/config.hpp"
#include "../format/options.hpp"
#include "data_files.hpp"
#include "../format/string_record.hpp"
#include "../format/slice.hpp"
#include "../format/state_file.hpp"
#include "../format/table_reader.hpp"
#include "../format/object_graph_proto.hpp"
#include "entry.hpp"
#include "tensor.hpp"

namespace tfckpt {

namespace detail {
struct entry_table;  // reader_impl.hpp
}

struct verify_summary {
  std::uint64_t tensors = 0;  // records checked (slice parts count individually)
  std::uint64_t bytes = 0;    // record bytes read
  std::uint64_t blocks = 0;   // index-file blocks checked
};

class bundle_reader {
 public:
  // `path`: a prefix, a `.index` / `.data-*` file of one, or a directory (its `checkpoint` state
  // file names the latest prefix; a SavedModel directory maps to variables/variables).
  TFCKPT_LAZY static result<bundle_reader> open(const std::string& path, const read_options& opts = {});

  // A bundle held in memory (embedded in a binary, or fuzz input). The views must outlive the
  // reader. `shards[i]` is data file i.
  TFCKPT_LAZY static result<bundle_reader> open_memory(std::string_view index,
                                           std::vector<std::string_view> shards,
                                           const read_options& opts = {});

  const std::string& prefix() const noexcept { return prefix_; }
  const read_options& options() const noexcept { return opts_; }
  const bundle_header& header() const noexcept { return header_; }
  // Visible entries in key order: the header and the parts of partitioned tensors are hidden.
  std::span<const entry> entries() const noexcept { return visible_; }
  // The hidden parts of partitioned tensors (binary slice keys), key order.
  std::span<const entry> slice_parts() const noexcept { return parts_; }
  // Any entry by exact key (slice parts included); nullptr when absent.
  const entry* find(std::string_view key) const noexcept;
  bool has_object_graph() const noexcept { return find(object_graph_key) != nullptr; }
  TFCKPT_LAZY result<trackable_object_graph> object_graph() const;
  TFCKPT_LAZY std::string data_path(std::int32_t shard) const;

  // The whole tensor (partitioned ones assembled).
  TFCKPT_LAZY result<tensor> read(std::string_view key) const;
  // Into caller memory, no intermediate copy: fixed-size dtypes only. The dtype and the byte
  // size of `dst` must match exactly (TensorFlow does not cast).
  TFCKPT_LAZY result<void> read_into(std::string_view key, dtype expected, std::span<std::byte> dst) const;
  template <class T>
  result<void> read_into(std::string_view key, std::span<T> dst) const {
    static_assert(::tfckpt::detail::offending<T, dtype_of<T> != dtype::invalid && dtype_of<T> != dtype::string>::value,
                  "tfckpt: read_into needs a fixed-size element type; use read() for strings");
    return read_into(key, dtype_of<T>, std::as_writable_bytes(dst));
  }
  // Every check read() makes before allocating, without reading: the key exists, its size agrees
  // with its dtype and shape, fits the limits of read_options and lies inside its data file
  // (all parts, for a partitioned tensor). Lets callers size their own storage from the index.
  TFCKPT_LAZY result<void> check_readable(std::string_view key) const;
  // Several tensors at once, into caller memory (each as read_into), on up to opts.threads
  // threads. Stops at the first error, which is returned.
  struct read_request {
    std::string_view key;
    dtype type = dtype::invalid;
    std::span<std::byte> dst;
  };
  TFCKPT_LAZY result<void> read_many_into(std::span<const read_request> requests) const;

  // Zero copy: the stored record itself, inside a read-only mapping of the data file (or the
  // caller's memory for open_memory), valid while this reader or a copy of it lives. Fixed-size
  // dtypes, plain (not partitioned) tensors of a little-endian bundle only. With
  // verify_checksums, the record's CRC is checked first (one pass over its pages, no copy).
  TFCKPT_LAZY result<std::span<const std::byte>> view_bytes(std::string_view key) const;
  // Typed: the dtype must be T's and the record aligned for T, which holds for bundles written
  // with data_alignment >= alignof(T) (TF's default dense packing gives no such guarantee).
  template <class T>
  result<std::span<const T>> view(std::string_view key) const {
    static_assert(::tfckpt::detail::offending<T, dtype_of<T> != dtype::invalid && dtype_of<T> != dtype::string>::value,
                  "tfckpt: view needs a fixed-size element type");
    TFCKPT_TRY(check_view_type(key, dtype_of<T>, alignof(T)));
    auto b = view_bytes(key);
    if (!b) return std::move(b).error();
    if (reinterpret_cast<std::uintptr_t>(b->data()) % alignof(T) != 0)
      return make_error(errc::unsupported, "record is not aligned for a zero-copy view (write the bundle "
                                           "with data_alignment >= " + std::to_string(alignof(T)) + ")")
          .at_key(key);
    return std::span<const T>(reinterpret_cast<const T*>(b->data()), b->size() / sizeof(T));
  }

  // Reads every block and every record and checks every checksum.
  TFCKPT_LAZY result<verify_summary> verify() const;

 private:
  bundle_reader() = default;
  TFCKPT_LAZY result<void> load_index();
  TFCKPT_LAZY result<void> check_record(const entry& e) const;
  TFCKPT_LAZY result<void> read_record_into(const entry& e, char* dst, bool verify) const;
  TFCKPT_LAZY result<std::string> read_record(const entry& e, bool verify) const;
  TFCKPT_LAZY result<tensor> read_plain(const entry& e, bool verify) const;
  TFCKPT_LAZY result<trackable_object_graph> read_object_graph(bool verify) const;
  const entry* find_after(std::string_view key, const entry* previous) const noexcept;
  TFCKPT_LAZY result<const entry*> find_typed(std::string_view key, dtype expected, const entry* previous = nullptr) const;
  TFCKPT_LAZY result<const entry*> check_into(std::string_view key, dtype expected, std::size_t dst_size,
                                  const entry* previous = nullptr) const;
  TFCKPT_LAZY result<void> check_view_type(std::string_view key, dtype expected, std::size_t align) const;
  TFCKPT_LAZY result<tensor> read_partitioned(const entry& e) const;
  TFCKPT_LAZY result<void> check_partitioned_size(const entry& e) const;
  TFCKPT_LAZY result<void> assemble_into(const entry& e, char* dst, std::size_t dst_size) const;
  TFCKPT_LAZY result<void> check_parts(const entry& e) const;
  template <class Fn>
  result<void> for_each_part(const entry& e, Fn&& fn) const;
  TFCKPT_LAZY error located(error err, const entry& e) const;

  // Data files bundle_reader::open opens at once; a bundle with more shards opens the rest on
  // their first read (so a hostile header cannot make open() use millions of descriptors).
  static constexpr std::int32_t eager_shard_limit = 256;

  read_options opts_;
  std::string prefix_;  // empty for in-memory bundles
  std::string index_name_;
  bundle_header header_;
  std::shared_ptr<const detail::entry_table> table_;  // shared by copies: entries point into it
  std::span<const entry> visible_;  // key order
  std::span<const entry> parts_;    // slice parts of partitioned tensors, key order
  std::shared_ptr<detail::shard_set> shards_;
  std::shared_ptr<const detail::mapped_file> index_owned_;  // a file-based reader's index (verify())
  std::string_view index_view_;  // the index bytes (owned or caller's)
};

}  // namespace tfckpt

#include "reader_impl.hpp"
