// tfckpt: restore a checkpoint held in memory (embedded in the binary as byte arrays) into a
// struct whose variables all have a fixed dtype and shape, with no heap allocation and no
// exceptions:
//
//   root_fixed r;
//   auto st = tfckpt::restore_from_memory(r, ckpt_index, {ckpt_data});
//   if (!st) std::printf("%s: %.*s\n", st.what, int(st.path.size()), st.path.data());
//
// How it differs from tfckpt::restore: this walks the .index SSTable in place (uncompressed
// blocks only: a Snappy block is errc::unsupported here, as its decompressed bytes would need a
// buffer) and matches tensors by the checkpoint keys tfckpt::schema_of<T>() derives at compile
// time rather than by walking the object graph alongside a live tree (which allocates). For a
// fixed struct the two agree whenever the object graph is TensorFlow's: keys are a function of the
// first path reaching each variable. When the checkpoint carries an object graph we check that
// claim, still without allocating: for every variable we walk the saved graph from its root by the
// local names of the variable's path and require the node reached to hold that key
// (memory_restore_status::graph_checked). Checksums of index blocks, of every restored record and
// of the object graph record are verified. Checkpoint values the struct does not have are counted
// in `unused` (expect_partial semantics); a variable missing from the checkpoint is an error.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string_view>

#include "format/block.hpp"
#include "format/coding.hpp"
#include "format/crc32c.hpp"
#include "format/protobuf.hpp"
#include "format/string_record.hpp"
#include "format/table_reader.hpp"
#include "format/error.hpp"
#include "schema.hpp"

#ifndef TFCKPT_MEMORY_RESTORE_MAX_KEY
#define TFCKPT_MEMORY_RESTORE_MAX_KEY 1024  // bytes of the key buffer on the stack
#endif

namespace tfckpt {

struct memory_restore_options {
  bool verify_checksums = true;
  bool check_object_graph = true;  // when the checkpoint has one
};

// The outcome; never allocates. `what` is static text, `path` a view into the schema.
struct memory_restore_status {
  errc code = errc::ok;
  const char* what = "ok";
  std::string_view path;             // the variable concerned, when there is one
  std::uint64_t offset = no_offset;  // index-file offset of the block concerned, when known
  std::size_t restored = 0;          // variables restored
  std::size_t unused = 0;            // checkpoint values the struct has no variable for
  bool graph_checked = false;        // an object graph was present and agrees with every key
  explicit operator bool() const noexcept { return code == errc::ok; }
};

namespace memory_detail {

inline constexpr std::string_view object_graph_key = "_CHECKPOINTABLE_OBJECT_GRAPH";

inline memory_restore_status fail(errc c, const char* what, std::string_view path = {},
                                  std::uint64_t offset = no_offset) {
  memory_restore_status s;
  s.code = c;
  s.what = what;
  s.path = path;
  s.offset = offset;
  return s;
}

// Addresses of T's leaves in schema walk order (schema_entry::leaf).
template <class T>
void collect_leaves(T& obj, void** out, std::size_t& n) {
  if constexpr (reflect::is_leaf<T>) {
    out[n++] = static_cast<void*>(&obj);
  } else if constexpr (std::is_same_v<T, graph::slot_table> || reflect::is_ref<T>::value) {
    // not in the schema
  } else if constexpr (reflect::is_std_array<T>::value) {
    for (auto& e : obj) collect_leaves(e, out, n);
  } else {
    reflect::for_each_field(obj, [&](const reflect::name_set& names, auto& field) {
      if (names.count != 0) collect_leaves(field, out, n);
    });
  }
}

struct stored_entry {
  dtype type = dtype::invalid;
  int rank = 0;
  std::int64_t dims[schema_max_rank] = {};
  bool rank_too_large = false;
  std::int32_t shard = 0;
  std::int64_t offset = 0, size = 0;
  std::uint32_t crc = 0;
  bool sliced = false;
};

inline bool decode_entry(std::string_view bytes, stored_entry& e) {
  detail::proto_reader r(bytes);
  std::uint32_t f;
  detail::wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return false;
    bool ok = true;
    if (f == 1 && t == detail::wire_type::varint) {
      std::int64_t d = 0;
      ok = r.read_int64(d);
      e.type = static_cast<dtype>(d);
    } else if (f == 2 && t == detail::wire_type::length_delimited) {
      std::string_view s;
      if (!r.read_bytes(s)) return false;
      detail::proto_reader sr(s);
      while (!sr.done()) {
        std::uint32_t sf;
        detail::wire_type st;
        if (!sr.next(sf, st)) return false;
        if (sf == 2 && st == detail::wire_type::length_delimited) {
          std::string_view dim;
          if (!sr.read_bytes(dim)) return false;
          std::int64_t size = 0;
          detail::proto_reader dr(dim);
          while (!dr.done()) {
            std::uint32_t df;
            detail::wire_type dt;
            if (!dr.next(df, dt)) return false;
            if (df == 1 && dt == detail::wire_type::varint) {
              if (!dr.read_int64(size)) return false;
            } else if (!dr.skip(dt)) {
              return false;
            }
          }
          if (e.rank < static_cast<int>(schema_max_rank)) e.dims[e.rank] = size;
          else e.rank_too_large = true;
          ++e.rank;
        } else if (!sr.skip(st)) {
          return false;
        }
      }
    } else if (f == 3 && t == detail::wire_type::varint) {
      ok = r.read_int32(e.shard);
    } else if (f == 4 && t == detail::wire_type::varint) {
      ok = r.read_int64(e.offset);
    } else if (f == 5 && t == detail::wire_type::varint) {
      ok = r.read_int64(e.size);
    } else if (f == 6 && t == detail::wire_type::fixed32) {
      ok = r.read_fixed32(e.crc);
    } else if (f == 7) {
      e.sliced = true;
      ok = r.skip(t);
    } else {
      ok = r.skip(t);
    }
    if (!ok) return false;
  }
  return e.shard >= 0 && e.offset >= 0 && e.size >= 0;
}

// BundleHeaderProto: little-endian, readable by consumer version 1 (versions.cc CheckVersions).
inline memory_restore_status check_header(std::string_view bytes, std::size_t shards_given) {
  detail::proto_reader r(bytes);
  std::uint32_t f;
  detail::wire_type t;
  std::int32_t num_shards = 0, endian = 0, producer = 0, min_consumer = 0;
  bool bad_consumer = false;
  while (!r.done()) {
    if (!r.next(f, t)) return fail(errc::corruption, "malformed bundle header");
    bool ok = true;
    if (f == 1 && t == detail::wire_type::varint) ok = r.read_int32(num_shards);
    else if (f == 2 && t == detail::wire_type::varint) ok = r.read_int32(endian);
    else if (f == 3 && t == detail::wire_type::length_delimited) {
      std::string_view v;
      ok = r.read_bytes(v);
      detail::proto_reader vr(v);
      while (ok && !vr.done()) {
        std::uint32_t vf;
        detail::wire_type vt;
        if (!vr.next(vf, vt)) return fail(errc::corruption, "malformed bundle header version");
        if (vf == 1 && vt == detail::wire_type::varint) ok = vr.read_int32(producer);
        else if (vf == 2 && vt == detail::wire_type::varint) ok = vr.read_int32(min_consumer);
        else if (vf == 3 && vt == detail::wire_type::varint) {
          std::int32_t b = 0;
          ok = vr.read_int32(b);
          bad_consumer = bad_consumer || b == 1;
        } else if (vf == 3 && vt == detail::wire_type::length_delimited) {
          std::string_view packed;
          ok = vr.read_bytes(packed);
          detail::proto_reader pr(packed);
          while (ok && !pr.done()) {
            std::int32_t b = 0;
            ok = pr.read_int32(b);
            bad_consumer = bad_consumer || b == 1;
          }
        } else {
          ok = vr.skip(vt);
        }
      }
    } else {
      ok = r.skip(t);
    }
    if (!ok) return fail(errc::corruption, "malformed bundle header");
  }
  if (endian != 0) return fail(errc::unsupported, "big-endian bundle: not supported by restore_from_memory");
  if (producer < 0 || min_consumer > 1 || bad_consumer)
    return fail(errc::version_mismatch, "bundle version is not readable by consumer version 1");
  if (num_shards < 0 || static_cast<std::size_t>(num_shards) != shards_given)
    return fail(errc::invalid_argument, "the number of data shards given differs from the header's num_shards");
  return {};
}

// A block of the index file: bounds, masked CRC32C over contents + type byte, type "none".
inline memory_restore_status read_block(std::string_view file, std::size_t limit, detail::block_handle h,
                                        bool verify, std::string_view& out) {
  if (h.offset > limit || h.size > limit - h.offset || 5 > limit - h.offset - h.size)
    return fail(errc::corruption, "block handle extends past the end of the table data", {}, h.offset);
  const auto off = static_cast<std::size_t>(h.offset);
  const auto n = static_cast<std::size_t>(h.size);
  const char* trailer = file.data() + off + n;
  if (verify) {
    const std::uint32_t expected = detail::crc32c_unmask(detail::decode_fixed32(trailer + 1));
    if (detail::crc32c_extend(detail::crc32c(file.data() + off, n), trailer, 1) != expected)
      return fail(errc::checksum_mismatch, "index block checksum mismatch", {}, h.offset);
  }
  if (trailer[0] == 1)
    return fail(errc::unsupported,
                "Snappy-compressed index block: restore_from_memory reads uncompressed blocks only "
                "(write the checkpoint without compression, the TensorFlow default)",
                {}, h.offset);
  if (trailer[0] != 0) return fail(errc::corruption, "bad block type", {}, h.offset);
  out = file.substr(off, n);
  return {};
}

// Calls fn(key, value) for every entry of a block, reconstructing keys into a stack buffer.
// fn returns a status; a failing one stops the walk.
template <class Fn>
memory_restore_status for_each_block_entry(std::string_view contents, std::uint64_t block_offset, Fn&& fn) {
  if (contents.size() < 4) return fail(errc::corruption, "bad block: no restart count", {}, block_offset);
  const std::uint32_t restarts = detail::decode_fixed32(contents.data() + contents.size() - 4);
  if (restarts > (contents.size() - 4) / 4)
    return fail(errc::corruption, "bad block: restart count too large", {}, block_offset);
  const std::string_view entries = contents.substr(0, contents.size() - 4 - std::size_t{restarts} * 4);
  char key[TFCKPT_MEMORY_RESTORE_MAX_KEY];
  std::size_t key_len = 0;
  for (std::size_t pos = 0; pos < entries.size();) {
    detail::block_entry e;
    const std::size_t end = detail::decode_block_entry(entries, pos, e);
    if (end == 0 || e.shared > key_len) return fail(errc::corruption, "bad block: malformed entry", {}, block_offset);
    if (e.key_delta.size() > sizeof(key) - e.shared)
      return fail(errc::limit_exceeded, "key longer than TFCKPT_MEMORY_RESTORE_MAX_KEY", {}, block_offset);
    if (!e.key_delta.empty()) std::memcpy(key + e.shared, e.key_delta.data(), e.key_delta.size());
    key_len = e.shared + e.key_delta.size();
    if (auto st = fn(std::string_view(key, key_len), e.value); !st) {
      if (st.offset == no_offset) st.offset = block_offset;
      return st;
    }
    pos = end;
  }
  return {};
}

// Walks every data block of the table in `index`, calling fn(key, value) per entry.
template <class Fn>
memory_restore_status for_each_table_entry(std::string_view index, bool verify, Fn&& fn) {
  constexpr std::size_t footer_size = 48;
  if (index.size() < footer_size) return fail(errc::corruption, "index is too short to be an sstable", {}, 0);
  const std::size_t footer_at = index.size() - footer_size;
  if (detail::decode_fixed64(index.data() + footer_at + 40) != 0xdb4775248b80fb57ull)
    return fail(errc::corruption, "not an sstable (bad magic number)", {}, footer_at + 40);
  std::string_view handles = index.substr(footer_at, 40);
  detail::block_handle meta, idx;
  if (!detail::get_block_handle(handles, meta) || !detail::get_block_handle(handles, idx))
    return fail(errc::corruption, "bad block handle in footer", {}, footer_at);
  std::string_view index_block;
  if (auto st = read_block(index, footer_at, idx, verify, index_block); !st) return st;
  return for_each_block_entry(index_block, idx.offset, [&](std::string_view, std::string_view handle_bytes) {
    detail::block_handle h;
    if (!detail::get_block_handle(handle_bytes, h) || !handle_bytes.empty())
      return fail(errc::corruption, "bad block handle in index entry");
    std::string_view data_block;
    if (auto st = read_block(index, footer_at, h, verify, data_block); !st) return st;
    return for_each_block_entry(data_block, h.offset, fn);
  });
}

// ---- object graph (TrackableObjectGraph), read in place -----------------------------------------

// The bytes of node `id` (TrackableObjectGraph.nodes, field 1), or false.
inline bool graph_node(std::string_view graph, std::uint64_t id, std::string_view& node) {
  detail::proto_reader r(graph);
  std::uint32_t f;
  detail::wire_type t;
  std::uint64_t i = 0;
  while (!r.done()) {
    if (!r.next(f, t)) return false;
    if (f == 1 && t == detail::wire_type::length_delimited) {
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

// escape_local_name(raw) == escaped, without building the escaped string.
inline bool escaped_equals(std::string_view raw, std::string_view escaped) {
  std::size_t j = 0;
  for (char c : raw) {
    const char a = c == '.' ? '.' : c == '/' ? '.' : c;
    const char b = c == '.' ? '.' : c == '/' ? 'S' : '\0';
    if (j >= escaped.size() || escaped[j++] != a) return false;
    if (b != '\0' && (j >= escaped.size() || escaped[j++] != b)) return false;
  }
  return j == escaped.size();
}

// The child of `node` whose escaped local name is `component`.
inline bool graph_child(std::string_view node, std::string_view component, std::uint64_t& child) {
  detail::proto_reader r(node);
  std::uint32_t f;
  detail::wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return false;
    if (f == 1 && t == detail::wire_type::length_delimited) {
      std::string_view ref;
      if (!r.read_bytes(ref)) return false;
      detail::proto_reader rr(ref);
      std::uint64_t id = 0;
      std::string_view name;
      while (!rr.done()) {
        std::uint32_t g;
        detail::wire_type u;
        if (!rr.next(g, u)) return false;
        if (g == 1 && u == detail::wire_type::varint) {
          if (!rr.read_varint(id)) return false;
        } else if (g == 2 && u == detail::wire_type::length_delimited) {
          if (!rr.read_bytes(name)) return false;
        } else if (!rr.skip(u)) {
          return false;
        }
      }
      if (escaped_equals(name, component)) {
        child = id;
        return true;
      }
    } else if (!r.skip(t)) {
      return false;
    }
  }
  return false;
}

// Does `node` save VARIABLE_VALUE under `key`?
inline bool graph_node_has_key(std::string_view node, std::string_view key) {
  detail::proto_reader r(node);
  std::uint32_t f;
  detail::wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return false;
    if (f == 2 && t == detail::wire_type::length_delimited) {
      std::string_view attr;
      if (!r.read_bytes(attr)) return false;
      detail::proto_reader ar(attr);
      std::string_view name, ckey;
      while (!ar.done()) {
        std::uint32_t g;
        detail::wire_type u;
        if (!ar.next(g, u)) return false;
        if (g == 1 && u == detail::wire_type::length_delimited) {
          if (!ar.read_bytes(name)) return false;
        } else if (g == 3 && u == detail::wire_type::length_delimited) {
          if (!ar.read_bytes(ckey)) return false;
        } else if (!ar.skip(u)) {
          return false;
        }
      }
      if (name == "VARIABLE_VALUE" && ckey == key) return true;
    } else if (!r.skip(t)) {
      return false;
    }
  }
  return false;
}

// Walks `path` ("a/b/c", escaped names) from node 0; true when the node reached saves `key`.
inline bool graph_leads_to(std::string_view graph, std::string_view path, std::string_view key) {
  std::string_view node;
  if (!graph_node(graph, 0, node)) return false;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    std::uint64_t child = 0;
    if (!graph_child(node, component, child) || !graph_node(graph, child, node)) return false;
  }
  return graph_node_has_key(node, key);
}

// The serialized graph inside its scalar DT_STRING record: varint length, masked CRC of the
// length, the bytes (string_record.hpp layout), with the entry's CRC checked.
inline bool graph_bytes(std::string_view rec, std::uint32_t masked_crc, bool verify, std::string_view& out) {
  std::string_view in = rec;
  std::uint64_t len = 0;
  if (!detail::get_varint64(in, len) || in.size() < 4 || len != in.size() - 4) return false;
  if (verify) {
    std::uint32_t crc = detail::crc_extend_length(0, len, false);
    crc = detail::crc32c_extend(crc, in.data(), in.size());
    if (crc != detail::crc32c_unmask(masked_crc)) return false;
  }
  out = in.substr(4);
  return true;
}

inline std::string_view as_view(std::string_view v) { return v; }
inline std::string_view as_view(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

template <class T, class Shard>
memory_restore_status restore(T& root, std::string_view index, std::initializer_list<Shard> shards,
                              const memory_restore_options& opts) {
  constexpr const auto& schema = schema_of<T>();
  constexpr std::size_t n = schema.size();
  static_assert(all_leaves_fixed<T>(),
                "tfckpt: restore_from_memory copies into fixed-shape storage without allocating, so every "
                "variable of the struct must have a fixed dtype and a static shape (scalars, std::array, C "
                "arrays, tfckpt::fixed); std::vector, tfckpt::tensor and std::string need the heap (use "
                "tfckpt::restore)");
  static_assert([] {
    for (const auto& e : schema_of<T>())
      if (e.optional) return false;
    return true;
  }(), "tfckpt: restore_from_memory needs every variable present: std::optional fields are not supported");
  if constexpr (std::endian::native != std::endian::little) {
    return fail(errc::unsupported, "restore_from_memory needs a little-endian host");
  } else {
    void* dest[n == 0 ? 1 : n];
    bool found[n == 0 ? 1 : n] = {};
    std::size_t leaves = 0;
    collect_leaves(root, dest, leaves);
    bool has_graph = false;
    stored_entry graph_entry;
    memory_restore_status out;
    bool header_seen = false;
    auto st = for_each_table_entry(index, opts.verify_checksums, [&](std::string_view key, std::string_view value) {
      if (key.empty()) {
        header_seen = true;
        return check_header(value, shards.size());
      }
      if (!header_seen) return fail(errc::corruption, "the index has no bundle header entry first");
      std::size_t lo = 0, hi = n;  // schema keys are sorted: binary search
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (schema[mid].key < key) lo = mid + 1;
        else hi = mid;
      }
      if (lo == n || schema[lo].key != key) {
        if (key == object_graph_key) {
          if (!decode_entry(value, graph_entry)) return fail(errc::corruption, "malformed bundle entry of the object graph");
          has_graph = true;
        } else {
          ++out.unused;
        }
        return memory_restore_status{};
      }
      const schema_entry& want = schema[lo];
      if (found[lo]) return fail(errc::corruption, "duplicate key in the index", want.path);
      stored_entry e;
      if (!decode_entry(value, e)) return fail(errc::corruption, "malformed bundle entry", want.path);
      if (e.sliced) return fail(errc::unsupported, "partitioned (sliced) variable: not supported here", want.path);
      if (e.type != want.dtype) return fail(errc::dtype_mismatch, "stored dtype differs from the variable's", want.path);
      bool same_shape = !e.rank_too_large && e.rank == want.rank;
      std::int64_t count = 1;
      for (int i = 0; same_shape && i < want.rank; ++i) {
        same_shape = e.dims[i] == want.dims[static_cast<std::size_t>(i)];
        count *= want.dims[static_cast<std::size_t>(i)];
      }
      if (!same_shape) return fail(errc::shape_mismatch, "stored shape differs from the variable's", want.path);
      const std::int64_t bytes = count * static_cast<std::int64_t>(dtype_size(want.dtype));
      if (e.size != bytes) return fail(errc::corruption, "stored size does not match dtype and shape", want.path);
      if (static_cast<std::size_t>(e.shard) >= shards.size())
        return fail(errc::corruption, "entry names a data shard that was not given", want.path);
      const std::string_view shard = as_view(shards.begin()[e.shard]);
      if (static_cast<std::uint64_t>(e.offset) > shard.size() ||
          static_cast<std::uint64_t>(e.size) > shard.size() - static_cast<std::uint64_t>(e.offset))
        return fail(errc::corruption, "record extends past the end of its data shard", want.path);
      const char* src = shard.data() + e.offset;
      if (opts.verify_checksums && detail::crc32c(src, static_cast<std::size_t>(e.size)) != detail::crc32c_unmask(e.crc))
        return fail(errc::checksum_mismatch, "record checksum mismatch", want.path);
      if (e.size) std::memcpy(dest[want.leaf], src, static_cast<std::size_t>(e.size));
      found[lo] = true;
      ++out.restored;
      return memory_restore_status{};
    });
    if (!st) return st;
    if (!header_seen) return fail(errc::corruption, "the index has no bundle header entry");
    for (std::size_t i = 0; i < n; ++i)
      if (!found[i]) return fail(errc::not_found, "variable not in the checkpoint", schema[i].path);
    if (has_graph && opts.check_object_graph) {
      if (graph_entry.type != dtype::string || graph_entry.rank != 0 ||
          static_cast<std::size_t>(graph_entry.shard) >= shards.size())
        return fail(errc::corruption, "bad object graph entry");
      const std::string_view shard = as_view(shards.begin()[graph_entry.shard]);
      if (static_cast<std::uint64_t>(graph_entry.offset) > shard.size() ||
          static_cast<std::uint64_t>(graph_entry.size) > shard.size() - static_cast<std::uint64_t>(graph_entry.offset))
        return fail(errc::corruption, "object graph record extends past the end of its data shard");
      std::string_view graph;
      if (!graph_bytes(shard.substr(static_cast<std::size_t>(graph_entry.offset), static_cast<std::size_t>(graph_entry.size)),
                       graph_entry.crc, opts.verify_checksums, graph))
        return fail(errc::corruption, "object graph record is malformed or fails its checksum");
      for (const auto& e : schema)
        if (!graph_leads_to(graph, e.path, e.key))
          return fail(errc::unmatched, "the object graph does not lead from the root along this path to its key", e.path);
      out.graph_checked = true;
    }
    return out;
  }
}

}  // namespace memory_detail

// `index`: the .index file's bytes; `shards`: data files 0..N-1 (N = the header's num_shards).
template <class T>
memory_restore_status restore_from_memory(T& root, std::string_view index, std::initializer_list<std::string_view> shards,
                                          const memory_restore_options& opts = {}) {
  return memory_detail::restore(root, index, shards, opts);
}
template <class T>
memory_restore_status restore_from_memory(T& root, std::span<const std::byte> index,
                                          std::initializer_list<std::span<const std::byte>> shards,
                                          const memory_restore_options& opts = {}) {
  return memory_detail::restore(root, memory_detail::as_view(index), shards, opts);
}

}  // namespace tfckpt
