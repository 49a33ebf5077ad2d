// tfckpt: restore a checkpoint held in memory (embedded in the binary as byte arrays) into a
// struct whose variables all have a fixed dtype and shape, with no heap allocation and no
// exceptions:
//
//   root_fixed r;
//   auto st = tfckpt::restore_from_memory(ckpt_index, {ckpt_data}, r);   // (source, root)
//   if (!st) std::printf("%s: %.*s\n", st.error().message, int(st.error().key.size()), st.error().key.data());
//
// The outcome is every restore's restore_status (only its counts: restored, unused,
// matched_nodes, graph_checked), in a result whose error is a static_error: the same errc,
// static text and a view of the variable's path, so that failures do not allocate either.
//
// For any struct (dynamic shapes, strings, optimizer slots), with allocation, open the bytes as a
// reader and restore from it: tfckpt::restore(*tfckpt::bundle_reader::open_memory(index, {data}), r).
//
// The checks are bundle_reader's own, allocation-free functions of the format layer: the footer
// and block checks of table_reader.hpp / block.hpp, decode_entry_fields + validate_entry +
// check_record_size for every entry and decode_header_fields + validate_header for the header.
// How it differs from tfckpt::restore: this walks the .index SSTable in place (uncompressed
// blocks only: a Snappy block is errc::unsupported here, as its decompressed bytes would need a
// buffer) and matches tensors by the checkpoint keys tfckpt::schema_v<T> holds at compile
// time rather than by walking the object graph alongside a live tree (which allocates). For a
// fixed struct the two agree whenever the object graph is TensorFlow's: keys are a function of the
// first path reaching each variable. When the checkpoint carries an object graph we check that
// claim, still without allocating: for every variable we walk the saved graph from its root by the
// local names of the variable's path and require the node reached to hold that key
// (restore_status::graph_checked). Checksums of index blocks, of every restored record and
// of the object graph record are verified. Checkpoint values the struct does not have are counted
// in restore_status::unused (expect_partial semantics); a variable missing from the checkpoint is an error.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string_view>

#include "format/block.hpp"
#include "format/bundle_proto.hpp"
#include "format/coding.hpp"
#include "format/crc32c.hpp"
#include "format/error.hpp"
#include "format/object_graph_proto.hpp"
#include "format/protobuf.hpp"
#include "format/string_record.hpp"
#include "format/table_reader.hpp"
#include "graph/keys.hpp"
#include "graph/restore_status.hpp"
#include "schema.hpp"

#ifndef TFCKPT_MEMORY_RESTORE_MAX_KEY
#define TFCKPT_MEMORY_RESTORE_MAX_KEY 1024  // bytes of the key buffer on the stack
#endif

namespace tfckpt {

struct memory_restore_options {
  bool verify_checksums = true;
  bool check_object_graph = true;  // when the checkpoint has one
};

namespace detail {

// Internal status of the walk: code ok = go on. `message` is static text, `key` a view into the
// schema (the variable's object path).
TFCKPT_LAZY static_error memory_fail(fault f, std::string_view path = {}, std::uint64_t offset = no_offset) {
  return static_error{f.code, f.what, path, offset};
}
inline bool failed(const static_error& s) noexcept { return s.code != errc::ok; }

// Addresses of T's leaves in schema walk order (schema_entry::leaf).
template <class T>
void collect_leaves(T& obj, void** out, std::size_t& n) {
  if constexpr (detail::is_leaf<T>) {
    out[n++] = static_cast<void*>(&obj);
  } else if constexpr (std::is_same_v<T, detail::slot_table> || detail::is_ref<T>::value) {
    // not in the schema
  } else if constexpr (detail::is_std_array<T>::value) {
    for (auto& e : obj) collect_leaves(e, out, n);
  } else {
    detail::for_each_field(obj, [&](const detail::name_set& names, auto& field) {
      if (names.count != 0) collect_leaves(field, out, n);
    });
  }
}

// decode_entry_fields' sink for a fixed struct: the first schema_max_rank dims (a longer shape
// cannot match any variable; entry_fields::rank says how long it was). Slices are only counted.
struct fixed_dims_sink {
  std::int64_t dims[schema_max_rank] = {};
  std::size_t n = 0;
  void clear() noexcept { n = 0; }
  void clear_shape() noexcept { n = 0; }
  void dim(std::int64_t d) noexcept {
    if (n < schema_max_rank) dims[n] = d;
    ++n;
  }
  fault slice(std::string_view) noexcept { return {}; }
};

// Calls fn(key, value) for every entry of a block, reconstructing keys into a stack buffer; the
// block's restart array is checked by block::check, keys must increase (strictly in data
// blocks) and restart points hold whole keys, as block_iter requires. fn returns a status; a
// failing one stops the walk.
template <class Fn>
static_error for_each_block_entry(std::string_view contents, std::uint64_t block_offset, bool strict, Fn&& fn) {
  block b;
  std::uint32_t bad_restart = 0;
  if (const fault ok = block::check(contents, b, bad_restart); !ok) return memory_fail(ok, {}, block_offset);
  const std::string_view entries = b.entries();
  char key[TFCKPT_MEMORY_RESTORE_MAX_KEY];
  std::size_t key_len = 0;
  std::uint32_t next_restart = 0;
  for (std::size_t pos = 0; pos < entries.size();) {
    bool at_restart = false;
    for (; next_restart < b.num_restarts() && b.restart(next_restart) <= pos; ++next_restart) {
      if (b.restart(next_restart) < pos)
        return memory_fail({errc::corruption, "bad block: restart point not on an entry boundary"}, {}, block_offset);
      at_restart = true;
    }
    block_entry e;
    const std::size_t end = decode_block_entry(entries, pos, e);
    if (end == 0 || e.shared > key_len || (at_restart && e.shared != 0))
      return memory_fail({errc::corruption, "bad block: malformed entry"}, {}, block_offset);
    if (e.key_delta.size() > sizeof(key) - e.shared)
      return memory_fail({errc::limit_exceeded, "key longer than TFCKPT_MEMORY_RESTORE_MAX_KEY"}, {}, block_offset);
    const int order = e.key_delta.compare(std::string_view(key + e.shared, key_len - e.shared));
    if (pos != 0 && (order < 0 || (order == 0 && strict)))
      return memory_fail({errc::corruption, "bad block: keys out of order"}, {}, block_offset);
    if (!e.key_delta.empty()) std::memcpy(key + e.shared, e.key_delta.data(), e.key_delta.size());
    key_len = e.shared + e.key_delta.size();
    if (auto st = fn(std::string_view(key, key_len), e.value); failed(st)) {
      if (st.offset == no_offset) st.offset = block_offset;
      return st;
    }
    pos = end;
  }
  return {};
}

// A block of the index, located and checked by locate_table_block (table_reader's own check);
// a Snappy block would need a buffer, so it is unsupported here.
TFCKPT_LAZY static_error memory_block(std::string_view file, std::size_t limit, block_handle h, bool verify,
                                          std::string_view& out) {
  unsigned char type = 0;
  if (const fault ok = locate_table_block(file, limit, h, verify, out, type); !ok) return memory_fail(ok, {}, h.offset);
  if (type == static_cast<unsigned char>(block_type::snappy))
    return memory_fail({errc::unsupported,
                        "Snappy-compressed index block: restore_from_memory reads uncompressed blocks only "
                        "(write the checkpoint without compression, the TensorFlow default)"},
                       {}, h.offset);
  if (type != static_cast<unsigned char>(block_type::none))
    return memory_fail({errc::corruption, "bad block type"}, {}, h.offset);
  return {};
}

// Walks every data block of the table in `index`, calling fn(key, value) per entry.
template <class Fn>
static_error for_each_table_entry(std::string_view index, bool verify, Fn&& fn) {
  block_handle meta, idx;
  std::uint64_t at = 0;
  if (const fault ok = read_table_footer(index, meta, idx, at); !ok) return memory_fail(ok, {}, at);
  const std::size_t limit = index.size() - table_footer_size;
  std::string_view index_block;
  if (auto st = memory_block(index, limit, idx, verify, index_block); failed(st)) return st;
  return for_each_block_entry(index_block, idx.offset, /*strict=*/false, [&](std::string_view, std::string_view handle_bytes) {
    block_handle h;
    if (!get_block_handle(handle_bytes, h) || !handle_bytes.empty())
      return memory_fail({errc::corruption, "bad block handle in index entry"});
    std::string_view data_block;
    if (auto st = memory_block(index, limit, h, verify, data_block); failed(st)) return st;
    return for_each_block_entry(data_block, h.offset, /*strict=*/true, fn);
  });
}

// ---- object graph (TrackableObjectGraph), read in place -----------------------------------------

// The bytes of node `id` (TrackableObjectGraph.nodes, field 1), or false.
TFCKPT_LAZY bool graph_node(std::string_view graph, std::uint64_t id, std::string_view& node) {
  proto_reader r(graph);
  std::uint32_t f;
  wire_type t;
  std::uint64_t i = 0;
  while (!r.done()) {
    if (!r.next(f, t)) return false;
    if (f == 1 && t == wire_type::length_delimited) {
      std::string_view b;
      if (!r.read_bytes(b)) return false;
      if (i++ == id) {
        node = b;
        return true;
      }
    } else if (!r.skip(t)) {
      return false;
    }
  }
  return false;
}

// Calls fn(a, b) for each element of the repeated message field `field` of `msg`, with `a` the
// bytes of its field `fa` and `b` of its field `fb` (length-delimited; a varint `fa` is returned
// through `id`). fn returns true to stop. False when malformed or not stopped.
template <class Fn>
bool find_in_repeated(std::string_view msg, std::uint32_t field, std::uint32_t fa, std::uint32_t fb, Fn&& fn) {
  proto_reader r(msg);
  std::uint32_t f;
  wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return false;
    if (f == field && t == wire_type::length_delimited) {
      std::string_view sub;
      if (!r.read_bytes(sub)) return false;
      proto_reader sr(sub);
      std::uint64_t id = 0;
      std::string_view a, b;
      while (!sr.done()) {
        std::uint32_t g;
        wire_type u;
        if (!sr.next(g, u)) return false;
        bool ok = true;
        if (g == fa && u == wire_type::varint) ok = sr.read_varint(id);
        else if (g == fa && u == wire_type::length_delimited) ok = sr.read_bytes(a);
        else if (g == fb && u == wire_type::length_delimited) ok = sr.read_bytes(b);
        else ok = sr.skip(u);
        if (!ok) return false;
      }
      if (fn(id, a, b)) return true;
    } else if (!r.skip(t)) {
      return false;
    }
  }
  return false;
}

// Walks `path` ("a/b/c", escaped names) from node 0; true when the node reached saves `key`
// as VARIABLE_VALUE (ObjectReference: node_id 1, local_name 2; SerializedTensor: name 1,
// checkpoint_key 3).
TFCKPT_LAZY bool graph_leads_to(std::string_view graph, std::string_view path, std::string_view key) {
  std::string_view node;
  if (!graph_node(graph, 0, node)) return false;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    std::uint64_t child = 0;
    const bool found = find_in_repeated(node, 1, 1, 2, [&](std::uint64_t id, std::string_view, std::string_view name) {
      child = id;
      return detail::escaped_equals(name, component);
    });
    if (!found || !graph_node(graph, child, node)) return false;
  }
  return find_in_repeated(node, 2, 1, 3, [&](std::uint64_t, std::string_view name, std::string_view ckey) {
    return name == detail::variable_value_name && ckey == key;
  });
}

// The serialized graph inside its scalar DT_STRING record: varint length, masked CRC of the
// length, the bytes (string_record.hpp layout), with the entry's CRC checked.
TFCKPT_LAZY bool graph_bytes(std::string_view rec, std::uint32_t masked_crc, bool verify, std::string_view& out) {
  std::string_view in = rec;
  std::uint64_t len = 0;
  if (!get_varint64(in, len) || in.size() < 4 || len != in.size() - 4) return false;
  if (verify) {
    std::uint32_t crc = crc_extend_length(0, len, false);
    crc = crc32c_extend(crc, in.data(), in.size());
    if (crc != crc32c_unmask(masked_crc)) return false;
  }
  out = in.substr(4);
  return true;
}

TFCKPT_LAZY std::string_view as_view(std::string_view v) { return v; }
TFCKPT_LAZY std::string_view as_view(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

template <class T, class Shard>
result<restore_status, static_error> restore_from_memory(std::string_view index, std::initializer_list<Shard> shards, T& root,
                                          const memory_restore_options& opts) {
  constexpr auto schema = schema_v<T>;
  constexpr std::size_t n = schema.size();
  static_assert(::tfckpt::detail::offending<T, all_leaves_fixed<T>()>::value,
                "tfckpt: restore_from_memory copies into fixed-shape storage without allocating, so every "
                "variable of the struct must have a fixed dtype and a static shape (scalars, std::array, C "
                "arrays, tfckpt::fixed); std::vector, tfckpt::tensor and std::string need the heap (use "
                "tfckpt::restore)");
  static constexpr bool all_present = [] {
    for (const auto& e : schema_v<T>)
      if (e.optional) return false;
    return true;
  }();
  static_assert(::tfckpt::detail::offending<T, all_present>::value,
                "tfckpt: restore_from_memory needs every variable present: std::optional fields are not supported");
  if constexpr (std::endian::native != std::endian::little) {
    return memory_fail({errc::unsupported, "restore_from_memory needs a little-endian host"});
  } else {
    void* dest[n == 0 ? 1 : n];
    bool found[n == 0 ? 1 : n] = {};
    std::size_t leaves = 0;
    collect_leaves(root, dest, leaves);
    bool has_graph = false;
    entry_fields graph_entry;
    restore_status out;  // counts only: a default restore_status holds no heap memory
    bool header_seen = false;
    std::int32_t num_shards = 0;
    auto st = for_each_table_entry(index, opts.verify_checksums, [&](std::string_view key, std::string_view value) {
      if (key.empty()) {
        header_seen = true;
        header_fields h;
        if (const fault ok = decode_header_fields(value, h, [](std::int32_t) {}); !ok) return memory_fail(ok);
        if (const fault ok = validate_header(h, INT32_MAX); !ok) return memory_fail(ok);
        if (h.endian != endianness::little)
          return memory_fail({errc::unsupported, "big-endian bundle: not supported by restore_from_memory"});
        if (static_cast<std::size_t>(h.num_shards) != shards.size())
          return memory_fail({errc::invalid_argument, "the number of data shards given differs from the header's num_shards"});
        num_shards = h.num_shards;
        return static_error{};
      }
      if (!header_seen) return memory_fail({errc::corruption, "the index has no bundle header entry first"});
      std::size_t lo = 0, hi = n;  // schema keys are sorted: binary search
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (schema[mid].key < key) lo = mid + 1;
        else hi = mid;
      }
      const bool known = lo != n && schema[lo].key == key;
      const std::string_view path = known ? schema[lo].path : std::string_view{};
      // Every entry is decoded and checked as bundle_reader::open checks it, used or not.
      entry_fields e;
      fixed_dims_sink dims;
      if (const fault ok = decode_entry_fields(value, e, dims); !ok) return memory_fail(ok, path);
      if (const fault ok = validate_entry(e, num_shards); !ok) return memory_fail(ok, path);
      if (!known) {
        if (key == object_graph_key) {
          graph_entry = e;
          has_graph = true;
        } else {
          ++out.unused;
        }
        return static_error{};
      }
      const schema_entry& want = schema[lo];
      if (found[lo]) return memory_fail({errc::corruption, "duplicate key in the index"}, path);
      if (e.slices != 0) return memory_fail({errc::unsupported, "partitioned (sliced) variable: not supported here"}, path);
      if (e.dtype != want.dtype) return memory_fail({errc::dtype_mismatch, "stored dtype differs from the variable's"}, path);
      bool same_shape = e.rank == static_cast<std::size_t>(want.rank);
      for (int i = 0; same_shape && i < want.rank; ++i)
        same_shape = dims.dims[i] == want.dims[static_cast<std::size_t>(i)];
      if (!same_shape) return memory_fail({errc::shape_mismatch, "stored shape differs from the variable's"}, path);
      if (const fault ok = check_record_size(e.dtype, e.elements, e.size); !ok) return memory_fail(ok, path);
      const std::string_view shard = as_view(shards.begin()[e.shard_id]);
      if (!record_within(e.offset, e.size, shard.size()))
        return memory_fail({errc::corruption, "record extends past the end of its data shard"}, path);
      const char* src = shard.data() + e.offset;
      if (opts.verify_checksums && crc32c(src, static_cast<std::size_t>(e.size)) != crc32c_unmask(e.crc32c))
        return memory_fail({errc::checksum_mismatch, "record checksum mismatch"}, path);
      if (e.size) std::memcpy(dest[want.leaf], src, static_cast<std::size_t>(e.size));
      found[lo] = true;
      ++out.restored;
      return static_error{};
    });
    if (failed(st)) return st;
    if (!header_seen) return memory_fail({errc::corruption, "the index has no bundle header entry"});
    for (std::size_t i = 0; i < n; ++i)
      if (!found[i]) return memory_fail({errc::not_found, "variable not in the checkpoint"}, schema[i].path);
    if (has_graph && opts.check_object_graph) {
      if (graph_entry.dtype != dtype::string || graph_entry.rank != 0 || graph_entry.slices != 0)
        return memory_fail({errc::corruption, "bad object graph entry"});
      const std::string_view shard = as_view(shards.begin()[graph_entry.shard_id]);
      if (!record_within(graph_entry.offset, graph_entry.size, shard.size()))
        return memory_fail({errc::corruption, "object graph record extends past the end of its data shard"});
      std::string_view graph;
      if (!graph_bytes(shard.substr(static_cast<std::size_t>(graph_entry.offset), static_cast<std::size_t>(graph_entry.size)),
                       graph_entry.crc32c, opts.verify_checksums, graph))
        return memory_fail({errc::corruption, "object graph record is malformed or fails its checksum"});
      for (const auto& e : schema)
        if (!graph_leads_to(graph, e.path, e.key))
          return memory_fail({errc::unmatched, "the object graph does not lead from the root along this path to its key"},
                             e.path);
      out.graph_checked = true;
    }
    out.matched_nodes = out.restored + 1;  // the root and the node of each variable
    return out;
  }
}

}  // namespace detail

// (source, root), as every restore: `index` is the .index file's bytes, `shards` the data files
// 0..N-1 (N = the header's num_shards).
template <class T>
result<restore_status, static_error> restore_from_memory(std::string_view index, std::initializer_list<std::string_view> shards, T& root,
                                          const memory_restore_options& opts = {}) {
  return detail::restore_from_memory(index, shards, root, opts);
}
template <class T>
result<restore_status, static_error> restore_from_memory(std::span<const std::byte> index,
                                          std::initializer_list<std::span<const std::byte>> shards, T& root,
                                          const memory_restore_options& opts = {}) {
  return detail::restore_from_memory(detail::as_view(index), shards, root, opts);
}

}  // namespace tfckpt
