// tfckpt: collective save and restore over MPI, in TensorFlow's format. The only header that
// includes <mpi.h>; include it explicitly (tfckpt.hpp does not) and link MPI.
//
// Every rank calls with its own state, the same struct on every rank:
//   struct state {
//     tfckpt::mpi::sharded_rows<float> embedding;  // this rank's block of rows of [1000, 64]
//     std::array<std::array<float, 10>, 64> dense;  // replicated: the same value on every rank
//     std::int64_t step = 0;
//   };
//   state s{tfckpt::mpi::sharded_rows<float>::even({1000, 64}, rank, size), {}, 0};
//   tfckpt::mpi::checkpoint ck(MPI_COMM_WORLD, s);
//   auto path = ck.save("runs/exp1/ckpt");       // collective; runs/exp1/ckpt-1
//   auto st = ck.restore("runs/exp1");           // collective, any number of ranks
//   if (st) { auto ok = st->assert_consumed(); } // same result on every rank
//
// Save: replicated tensors go to ranks balanced by bytes; each rank writes only its own
// `prefix.data-<rank>-of-<N>` (bundle_writer::create_shard) and a sharded_rows writes this
// rank's rows as one slice of one key, as TensorFlow saves a ShardedVariable. Rank 0 gathers the
// entries and writes the `.index` (the object graph is in its data file) and the state file.
// Commit: rank 0 publishes (index, then state file) only after every rank reported its data file
// durable (fsynced and renamed); any failure before that gives every rank the same error and
// removes the new data files. A rank that dies makes Open MPI end the job: nothing is published
// then either, since the index is written only after the last rank's report arrives.
//
// Restore: every rank restores its whole struct from the same checkpoint (rank 0 resolves the
// state file and broadcasts the prefix); a sharded_rows reads only the records overlapping its
// rows, checksums verified, so any number of ranks can restore what any other number saved.
// Replicated tensors are read by every rank (see docs/mpi.md for why not read-and-broadcast).
#pragma once

// Plain MPI C API: no deprecated C++ bindings (they do not compile warning-free).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bundle/reader.hpp"
#include "bundle/writer.hpp"
#include "checkpoint.hpp"
#include "checkpoint_manager.hpp"
#include "format/file_io.hpp"
#include "format/state_file.hpp"
#include "format/table_builder.hpp"
#include "graph/build.hpp"
#include "reflect/leaf.hpp"

namespace tfckpt::mpi {

// Rows [begin, begin + count) of `rows` split over `size` ranks as TensorFlow splits a
// ShardedVariable (np.array_split): the first rows % size ranks get one row more.
inline std::pair<std::int64_t, std::int64_t> even_rows(std::int64_t rows, int rank, int size) {
  const std::int64_t n = size, r = rank, base = rows / n, extra = rows % n;
  return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}

// A tensor sharded by rows across ranks: its global shape and this rank's block of rows
// (row-major, `row_count` rows of global_shape[1:]). A field of a reflected struct; saved by
// tfckpt::mpi::checkpoint as one key with slices, restored from any slicing (or a plain record).
template <class E>
struct sharded_rows {
  shape_t global_shape;
  std::int64_t row_begin = 0;
  std::int64_t row_count = 0;
  std::vector<E> values;

  sharded_rows() = default;
  sharded_rows(shape_t global, std::int64_t begin, std::int64_t count)
      : global_shape(std::move(global)), row_begin(begin), row_count(count) {
    const std::int64_t n = count * row_elements();
    values.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  static sharded_rows even(shape_t global, int rank, int size) {
    const auto [b, c] = even_rows(global.empty() ? 0 : global[0], rank, size);
    return sharded_rows(std::move(global), b, c);
  }
  // Elements per row: the product of the dimensions after the first.
  std::int64_t row_elements() const {
    if (global_shape.empty()) return 0;
    return num_elements(shape_t(global_shape.begin() + 1, global_shape.end()));
  }
  // This rank's rows as a TensorFlow slice of the global shape (explicit extents, as TF writes).
  tensor_slice slice() const {
    tensor_slice s;
    s.extents.push_back({row_begin, row_count});
    for (std::size_t d = 1; d < global_shape.size(); ++d) s.extents.push_back({0, global_shape[d]});
    return s;
  }
  result<void> check(std::string_view key) const {
    const std::int64_t re = row_elements();
    if (global_shape.empty() || re < 0)
      return make_error(errc::invalid_argument, "sharded_rows needs a global shape of rank >= 1, got " +
                                                    shape_to_string(global_shape)).at_key(key);
    if (row_begin < 0 || row_count < 0 || row_begin > global_shape[0] - row_count)
      return make_error(errc::invalid_argument, "rows [" + std::to_string(row_begin) + ", " +
                                                    std::to_string(row_begin + row_count) + ") outside " +
                                                    shape_to_string(global_shape)).at_key(key);
    if (values.size() != static_cast<std::uint64_t>(row_count) * static_cast<std::uint64_t>(re))
      return make_error(errc::invalid_argument, std::to_string(values.size()) + " values held for " +
                                                    std::to_string(row_count) + " rows of " +
                                                    shape_to_string(global_shape)).at_key(key);
    return {};
  }
};

namespace detail {

// Set while this thread runs a collective save: only then may a sharded_rows write a part.
inline thread_local bool collective_save = false;

inline std::int64_t dims_product(const shape_t& s, std::size_t from) {
  return num_elements(shape_t(s.begin() + static_cast<std::ptrdiff_t>(std::min(from, s.size())), s.end()));
}

// Rows [begin, begin + count) of `key` (stored entry `e`, rows of `row_bytes` bytes) into dst.
// Reads only the records overlapping those rows; each is checksummed whole.
inline result<void> read_rows(const bundle_reader& r, const std::string& key, const entry_info& e,
                              std::int64_t begin, std::int64_t count, std::size_t row_bytes, std::byte* dst) {
  if (count == 0) return {};
  auto copy_from = [&](std::span<const std::byte> rec, std::int64_t rec_begin, std::int64_t rec_rows) -> result<void> {
    if (rec.size() != static_cast<std::uint64_t>(rec_rows) * row_bytes)
      return make_error(errc::corruption, "record of " + std::to_string(rec.size()) + " bytes for " +
                                              std::to_string(rec_rows) + " rows").at_key(key);
    const std::int64_t lo = std::max(begin, rec_begin), hi = std::min(begin + count, rec_begin + rec_rows);
    if (lo < hi)
      std::memcpy(dst + static_cast<std::size_t>(lo - begin) * row_bytes,
                  rec.data() + static_cast<std::size_t>(lo - rec_begin) * row_bytes,
                  static_cast<std::size_t>(hi - lo) * row_bytes);
    return {};
  };
  // Bytes of a plain record: mapped in place when possible, else read (big-endian bundles).
  auto record = [&](const std::string& k, std::optional<tensor>& hold) -> result<std::span<const std::byte>> {
    auto v = r.view_bytes(k);
    if (v || v.error().code != errc::unsupported) return v;
    auto t = r.read(k);
    if (!t) return std::move(t).error();
    hold = std::move(*t);
    const auto b = hold->byte_view();
    return std::span<const std::byte>(reinterpret_cast<const std::byte*>(b.data()), b.size());
  };
  bool rows_only = !e.slices.empty();
  for (const auto& s : e.slices) {
    if (s.rank() != e.shape.size()) rows_only = false;
    for (std::size_t d = 1; rows_only && d < s.rank(); ++d)
      if (!s.extents[d].full() && (s.extents[d].start != 0 || s.extents[d].length != e.shape[d])) rows_only = false;
  }
  if (e.slices.empty() || !rows_only) {
    // A plain record, or parts cut along other dimensions: the whole tensor, then our rows.
    std::optional<tensor> hold;
    std::span<const std::byte> all;
    if (e.slices.empty()) {
      auto v = record(key, hold);
      if (!v) return std::move(v).error();
      all = *v;
    } else {
      auto t = r.read(key);
      if (!t) return std::move(t).error();
      hold = std::move(*t);
      const auto b = hold->byte_view();
      all = std::span<const std::byte>(reinterpret_cast<const std::byte*>(b.data()), b.size());
    }
    return copy_from(all, 0, e.shape[0]);
  }
  std::vector<bool> covered(static_cast<std::size_t>(count), false);
  for (const auto& s : e.slices) {
    const auto [sb, se] = tfckpt::detail::extent_range(s.extents[0], e.shape[0]);
    if (se <= begin || sb >= begin + count) continue;  // not ours: never read
    std::optional<tensor> hold;
    auto v = record(encode_tensor_name_slice(key, s), hold);
    if (!v) return std::move(v).error();
    TFCKPT_TRY(copy_from(*v, sb, se - sb));
    for (std::int64_t i = std::max(begin, sb); i < std::min(begin + count, se); ++i)
      covered[static_cast<std::size_t>(i - begin)] = true;
  }
  if (auto gap = std::find(covered.begin(), covered.end(), false); gap != covered.end())
    return make_error(errc::corruption, "row " + std::to_string(begin + (gap - covered.begin())) +
                                            " is in no stored slice").at_key(key);
  return {};
}

}  // namespace detail
}  // namespace tfckpt::mpi

namespace tfckpt::detail {

template <class E>
struct leaf_traits<mpi::sharded_rows<E>, std::enable_if_t<is_numeric<E> && !std::is_same_v<E, bool>>> {
  using S = mpi::sharded_rows<E>;
  static constexpr bool is_leaf = true;
  static constexpr dtype type = dtype_of<E>;
  static constexpr bool static_shape = false;
  static constexpr graph::shape_rule rule = graph::shape_rule::exact;
  static shape_t shape(const S& s) { return s.global_shape; }
  static result<void> save(const void* o, bundle_writer& w, const std::string& key) {
    const auto& s = *static_cast<const S*>(o);
    TFCKPT_TRY(s.check(key));
    const bool whole = s.row_begin == 0 && s.row_count == s.global_shape[0];
    if (!mpi::detail::collective_save && !whole)
      return make_error(errc::invalid_argument, "a sharded_rows holding part of its rows is saved only by the "
                                                "collective tfckpt::mpi::checkpoint").at_key(key);
    if (s.row_count == 0) return {};  // nothing here: the other ranks' slices cover the tensor
    const std::string_view bytes(reinterpret_cast<const char*>(s.values.data()), s.values.size() * sizeof(E));
    return w.add_slice(key, type, s.global_shape, s.slice(), bytes);
  }
  static result<void> restore(void* o, const bundle_reader& r, const std::string& key, const entry_info& e) {
    auto& s = *static_cast<S*>(o);
    TFCKPT_TRY(s.check(key));
    return mpi::detail::read_rows(r, key, e, s.row_begin, s.row_count,
                                  static_cast<std::size_t>(s.row_elements()) * sizeof(E),
                                  reinterpret_cast<std::byte*>(s.values.data()));
  }
};

}  // namespace tfckpt::detail

namespace tfckpt::mpi {

namespace detail {

inline error mpi_error(int rc, std::string_view what) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return make_error(errc::io_error, std::string(what) + " failed: " + std::string(text, static_cast<std::size_t>(len)));
}
#define TFCKPT_MPI(call, what)                                  \
  do {                                                          \
    if (const int tfckpt_rc_ = (call); tfckpt_rc_ != MPI_SUCCESS) \
      return ::tfckpt::mpi::detail::mpi_error(tfckpt_rc_, what); \
  } while (0)

// A private duplicate of the caller's communicator whose errors are returned, not fatal.
class comm {
 public:
  static result<comm> dup(MPI_Comm c) {
    comm out;
    TFCKPT_MPI(MPI_Comm_dup(c, &out.c_), "MPI_Comm_dup");
    TFCKPT_MPI(MPI_Comm_set_errhandler(out.c_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    TFCKPT_MPI(MPI_Comm_rank(out.c_, &out.rank_), "MPI_Comm_rank");
    TFCKPT_MPI(MPI_Comm_size(out.c_, &out.size_), "MPI_Comm_size");
    return out;
  }
  comm(comm&& o) noexcept : c_(std::exchange(o.c_, MPI_COMM_NULL)), rank_(o.rank_), size_(o.size_) {}
  comm& operator=(comm&&) = delete;
  ~comm() {
    if (c_ != MPI_COMM_NULL) MPI_Comm_free(&c_);
  }
  MPI_Comm get() const noexcept { return c_; }
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }

 private:
  comm() = default;
  MPI_Comm c_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
};

// Every rank's outcome becomes one outcome, the same on every rank: success when every rank
// succeeded, else the error (code, file, key, offset, message) of the lowest failing rank, its
// message prefixed with that rank.
inline result<std::string> bcast_string(const comm& c, std::string s, int root = 0);
inline result<void> agree(const comm& c, const result<void>& mine) {
  int failed = mine ? 0 : 1;
  std::vector<int> all(static_cast<std::size_t>(c.size()));
  TFCKPT_MPI(MPI_Allgather(&failed, 1, MPI_INT, all.data(), 1, MPI_INT, c.get()), "MPI_Allgather");
  const auto it = std::find(all.begin(), all.end(), 1);
  if (it == all.end()) return {};
  const int root = static_cast<int>(it - all.begin());
  std::int64_t head[2] = {static_cast<std::int64_t>(errc::io_error), -1};  // code, offset
  std::string parts[3];                                                   // file, key, message
  if (c.rank() == root) {
    const error& e = mine.error();
    head[0] = static_cast<std::int64_t>(e.code);
    head[1] = e.offset == no_offset ? -1 : static_cast<std::int64_t>(e.offset);
    parts[0] = e.file, parts[1] = e.key, parts[2] = e.message;
  }
  TFCKPT_MPI(MPI_Bcast(head, 2, MPI_INT64_T, root, c.get()), "MPI_Bcast");
  for (auto& part : parts) {
    auto got = bcast_string(c, part.substr(0, 1 << 16), root);
    if (!got) return std::move(got).error();
    part = std::move(*got);
  }
  error out(static_cast<errc>(head[0]), "rank " + std::to_string(root) + ": " + parts[2]);
  out.file = std::move(parts[0]);
  out.key = std::move(parts[1]);
  if (head[1] >= 0) out.offset = static_cast<std::uint64_t>(head[1]);
  return out;
}

inline result<std::string> bcast_string(const comm& c, std::string s, int root) {
  std::uint64_t len = s.size();
  TFCKPT_MPI(MPI_Bcast(&len, 1, MPI_UINT64_T, root, c.get()), "MPI_Bcast");
  if (len > INT_MAX) return make_error(errc::limit_exceeded, "broadcast of " + std::to_string(len) + " bytes");
  s.resize(static_cast<std::size_t>(len));
  TFCKPT_MPI(MPI_Bcast(s.data(), static_cast<int>(len), MPI_CHAR, root, c.get()), "MPI_Bcast");
  return s;
}

// The bytes of every rank, at `root` (empty elsewhere).
inline result<std::vector<std::string>> gather_strings(const comm& c, const std::string& mine, int root = 0) {
  if (mine.size() > INT_MAX) return make_error(errc::limit_exceeded, "gather of " + std::to_string(mine.size()) + " bytes");
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(static_cast<std::size_t>(c.size())), displs(lens.size());
  TFCKPT_MPI(MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, root, c.get()), "MPI_Gather");
  std::string all;
  if (c.rank() == root) {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < lens.size(); ++i) {
      if (total > INT_MAX) return make_error(errc::limit_exceeded, "gathered index entries above 2 GiB");
      displs[i] = static_cast<int>(total);
      total += static_cast<std::uint64_t>(lens[i]);
    }
    if (total > INT_MAX) return make_error(errc::limit_exceeded, "gathered index entries above 2 GiB");
    all.resize(static_cast<std::size_t>(total));
  }
  TFCKPT_MPI(MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, root, c.get()),
             "MPI_Gatherv");
  std::vector<std::string> out;
  if (c.rank() == root)
    for (std::size_t i = 0; i < lens.size(); ++i)
      out.push_back(all.substr(static_cast<std::size_t>(displs[i]), static_cast<std::size_t>(lens[i])));
  return out;
}

// Which live variables are sharded_rows: their save function is one of these.
template <class... E>
bool is_sharded_io(const graph::variable_io* io) {
  return ((io->save == &reflect::leaf_traits<sharded_rows<E>>::save) || ...);
}
inline bool is_sharded(const graph::variable& v) {
  return is_sharded_io<float, double, std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t,
                       std::uint16_t, std::uint32_t, std::uint64_t>(v.io);
}
// The row range of a sharded variable.
template <class... E>
std::pair<std::int64_t, std::int64_t> rows_of_impl(const graph::variable& v) {
  std::pair<std::int64_t, std::int64_t> out{0, 0};
  (void)((v.io->save == &reflect::leaf_traits<sharded_rows<E>>::save
              ? (out = {static_cast<const sharded_rows<E>*>(v.object)->row_begin,
                        static_cast<const sharded_rows<E>*>(v.object)->row_count},
                 true)
              : false) ||
         ...);
  return out;
}
inline std::pair<std::int64_t, std::int64_t> rows_of(const graph::variable& v) {
  return rows_of_impl<float, double, std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t,
                      std::uint16_t, std::uint32_t, std::uint64_t>(v);
}

// A result's success or error, without its value.
template <class T>
result<void> status_of(const result<T>& r) {
  if (r) return {};
  return r.error();
}

// One value of the checkpoint as every rank sees it.
struct item {
  std::string key;
  dtype type = dtype::invalid;
  shape_t shape;
  std::uint64_t bytes = 0;  // whole tensor (fixed-size dtypes; strings: an estimate)
  bool sharded = false;
  std::size_t live = graph::no_live;  // live node of a variable
  std::size_t slot = graph::no_live;  // index into built.slots of a slot variable
  int owner = 0;                      // replicated: the rank writing it
};

struct plan {
  graph::live_tree tree;
  graph::built_graph built;
  std::vector<item> items;
  std::string describe;  // what must agree across ranks, one line per value
};

inline std::uint64_t value_bytes(dtype t, const shape_t& shape) {
  const std::int64_t n = num_elements(shape);
  if (n < 0) return 0;
  return static_cast<std::uint64_t>(n) * (is_fixed_size(t) ? dtype_size(t) : 16);
}

inline result<plan> make_plan(graph::live_tree tree) {
  plan p;
  p.tree = std::move(tree);
  for (auto& n : p.tree.nodes())
    if (n.value && is_sharded(*n.value) && n.value->full_name.empty())
      n.value->full_name = "ShardedVariable";  // as TensorFlow names a ShardedVariable's value
  auto built = graph::build_object_graph(p.tree);
  if (!built) return std::move(built).error();
  p.built = std::move(*built);
  std::size_t held = 0;
  for (const auto& n : p.tree.nodes())
    if (n.slots) held += n.slots->size();
  if (held != p.built.slots.size())
    return make_error(errc::invalid_argument, std::to_string(held - p.built.slots.size()) +
                                                  " optimizer slot(s) refer to variable paths not in the object tree");
  for (std::size_t id = 0; id < p.built.bfs_nodes; ++id) {
    const graph::live_node& ln = p.tree.node(p.built.live_index[id]);
    if (!ln.value) continue;
    item it;
    it.key = p.built.graph.nodes[id].attributes.front().checkpoint_key;
    it.type = ln.value->type;
    it.shape = ln.value->shape;
    it.bytes = value_bytes(it.type, it.shape);
    it.sharded = is_sharded(*ln.value);
    it.live = p.built.live_index[id];
    p.items.push_back(std::move(it));
  }
  for (std::size_t s = 0; s < p.built.slots.size(); ++s) {
    const auto& sn = p.built.slots[s];
    const tensor* t = p.tree.node(sn.optimizer_live).slots->find(sn.variable_path, sn.slot_name);
    item it;
    it.key = p.built.graph.nodes[p.built.bfs_nodes + s].attributes.front().checkpoint_key;
    it.type = t->dtype();
    it.shape = t->shape();
    it.bytes = value_bytes(it.type, it.shape);
    it.slot = s;
    p.items.push_back(std::move(it));
  }
  const std::string graph_bytes = encode_object_graph(p.built.graph);
  p.describe = "object graph of " + std::to_string(graph_bytes.size()) + " bytes, crc32c " +
               std::to_string(tfckpt::detail::crc32c(graph_bytes.data(), graph_bytes.size())) + "\n";
  for (const auto& it : p.items)
    p.describe += it.key + " " + std::string(dtype_name(it.type)) + shape_to_string(it.shape) +
                  (it.sharded ? " sharded by rows" : " replicated") + "\n";
  return p;
}

// Every rank must describe the same checkpoint: the first line where a rank differs from rank 0.
inline result<void> check_same_structure(const comm& c, const std::string& describe) {
  auto ref = bcast_string(c, describe);
  if (!ref) return std::move(ref).error();
  result<void> mine;
  if (*ref != describe) {
    std::size_t a = 0, line = 1;
    while (a < ref->size() && a < describe.size() && (*ref)[a] == describe[a]) {
      if (describe[a] == '\n') ++line;
      ++a;
    }
    auto line_at = [](const std::string& s, std::size_t pos) {
      const std::size_t b = s.rfind('\n', pos == 0 ? 0 : pos - 1);
      const std::size_t from = (b == std::string::npos || pos == 0) ? 0 : b + 1;
      const std::size_t to = s.find('\n', from);
      return s.substr(from, to == std::string::npos ? std::string::npos : to - from);
    };
    mine = make_error(errc::invalid_argument,
                      "ranks disagree on the checkpoint's structure at line " + std::to_string(line) +
                          ": rank 0 has '" + line_at(*ref, a) + "', rank " + std::to_string(c.rank()) + " has '" +
                          line_at(describe, a) + "'");
  }
  return agree(c, mine);
}

// The row ranges of every sharded value, from every rank; they must tile the rows exactly.
// Returns per item, per rank, the (begin, count).
inline result<std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>>> gather_rows(const comm& c, const plan& p) {
  std::vector<std::int64_t> mine;
  for (const auto& it : p.items)
    if (it.sharded) {
      const auto [b, n] = rows_of(*p.tree.node(it.live).value);
      mine.push_back(b);
      mine.push_back(n);
    }
  std::vector<std::int64_t> all(mine.size() * static_cast<std::size_t>(c.size()));
  TFCKPT_MPI(MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_INT64_T, all.data(),
                           static_cast<int>(mine.size()), MPI_INT64_T, c.get()),
             "MPI_Allgather");
  std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> out(p.items.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    if (!p.items[i].sharded) continue;
    auto& ranges = out[i];
    for (int r = 0; r < c.size(); ++r) {
      const std::size_t at = static_cast<std::size_t>(r) * mine.size() + 2 * k;
      ranges.emplace_back(all[at], all[at + 1]);
    }
    ++k;
    auto sorted = ranges;
    std::sort(sorted.begin(), sorted.end());
    std::int64_t next = 0;
    for (const auto& [b, n] : sorted) {
      if (n == 0) continue;
      if (b != next)
        return make_error(errc::invalid_argument, "the ranks' rows do not tile the tensor: " +
                                                      std::string(b > next ? "rows missing" : "rows held twice") +
                                                      " at row " + std::to_string(std::min(b, next)))
            .at_key(p.items[i].key);
      next = b + n;
    }
    if (next != p.items[i].shape[0])
      return make_error(errc::invalid_argument, "the ranks' rows end at " + std::to_string(next) + " of " +
                                                    std::to_string(p.items[i].shape[0]))
          .at_key(p.items[i].key);
  }
  return out;
}

// Replicated values to ranks, largest first, each to the rank with the fewest bytes so far
// (sharded rows counted): the same deterministic answer on every rank.
inline void assign_owners(plan& p, const std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>>& rows,
                          int size) {
  std::vector<std::uint64_t> load(static_cast<std::size_t>(size), 0);
  std::vector<std::size_t> replicated;
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    const item& it = p.items[i];
    if (!it.sharded) {
      replicated.push_back(i);
      continue;
    }
    const std::uint64_t row = it.shape[0] > 0 ? it.bytes / static_cast<std::uint64_t>(it.shape[0]) : 0;
    for (std::size_t r = 0; r < load.size(); ++r) load[r] += row * static_cast<std::uint64_t>(rows[i][r].second);
  }
  std::stable_sort(replicated.begin(), replicated.end(),
                   [&](std::size_t a, std::size_t b) { return p.items[a].bytes > p.items[b].bytes; });
  for (std::size_t i : replicated) {
    const auto r = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    p.items[i].owner = static_cast<int>(r);
    load[r] += p.items[i].bytes;
  }
}

inline std::string encode_entries(const std::map<std::string, bundle_entry>& entries) {
  std::string out;
  for (const auto& [key, e] : entries) {
    const std::string v = encode_bundle_entry(e);
    tfckpt::detail::put_varint64(out, key.size());
    out += key;
    tfckpt::detail::put_varint64(out, v.size());
    out += v;
  }
  return out;
}

inline result<void> decode_entries(std::string_view in, int rank, std::map<std::string, bundle_entry>& out) {
  auto bad = [&] { return make_error(errc::corruption, "garbled index entries from rank " + std::to_string(rank)); };
  while (!in.empty()) {
    std::string_view kv[2];
    for (auto& part : kv) {
      std::uint64_t n = 0;
      if (!tfckpt::detail::get_varint64(in, n) || n > in.size()) return bad();
      part = in.substr(0, static_cast<std::size_t>(n));
      in.remove_prefix(static_cast<std::size_t>(n));
    }
    auto e = decode_bundle_entry(kv[1]);
    if (!e) return std::move(e).error().at_key(kv[0]);
    auto [it, fresh] = out.emplace(std::string(kv[0]), *e);
    if (fresh) continue;
    bundle_entry& have = it->second;
    if (have.slices.empty() || e->slices.empty() || have.dtype != e->dtype || have.shape != e->shape)
      return make_error(errc::invalid_argument, "written by two ranks").at_key(kv[0]);
    have.slices.insert(have.slices.end(), e->slices.begin(), e->slices.end());
  }
  return {};
}

// Rank 0: the index of the whole bundle, from every rank's entries; slices in row order, as
// TensorFlow lists a ShardedVariable's parts.
inline result<void> write_index(const std::string& prefix, const std::vector<std::string>& per_rank, bool sync) {
  std::map<std::string, bundle_entry> entries;
  for (std::size_t r = 0; r < per_rank.size(); ++r) TFCKPT_TRY(decode_entries(per_rank[r], static_cast<int>(r), entries));
  tfckpt::detail::table_builder table;
  bundle_header header;
  header.num_shards = static_cast<std::int32_t>(per_rank.size());
  table.add("", encode_bundle_header(header));
  for (auto& [key, e] : entries) {
    std::sort(e.slices.begin(), e.slices.end(), [](const tensor_slice& a, const tensor_slice& b) {
      return a.extents.front().start < b.extents.front().start;
    });
    table.add(key, encode_bundle_entry(e));
  }
  const std::string index = table.finish();
  if (sync) return tfckpt::detail::atomic_write_file(index_filename(prefix), index);
  const std::string tmp = tfckpt::detail::temp_path_for(index_filename(prefix));
  auto f = tfckpt::detail::writable_file::create(tmp, true);
  if (!f) return std::move(f).error();
  TFCKPT_TRY(f->append(index));
  TFCKPT_TRY(f->close());
  return tfckpt::detail::rename_file(tmp, index_filename(prefix));
}

// Whether the state file next to `prefix` names it: then it is published, whatever failed after.
inline bool is_named(const std::string& prefix) {
  auto st = get_checkpoint_state(tfckpt::detail::path_dirname(prefix));
  return st && tfckpt::detail::normalize_path(st->model_checkpoint_path) == tfckpt::detail::normalize_path(prefix);
}

// The collective write of `prefix`; then, on rank 0 after the index, `publish` (the state file).
inline result<void> write_collective(const comm& c, const std::string& prefix, graph::live_tree tree,
                                     const write_options& opts, const std::function<result<void>()>& publish) {
  auto p = make_plan(std::move(tree));
  TFCKPT_TRY(agree(c, detail::status_of(p)));
  TFCKPT_TRY(check_same_structure(c, p->describe));
  auto rows = gather_rows(c, *p);
  TFCKPT_TRY(agree(c, detail::status_of(rows)));
  assign_owners(*p, *rows, c.size());

  // An old index of this prefix must never describe the new data files.
  result<void> cleared;
  if (c.rank() == 0) {
    if (const std::string dir = tfckpt::detail::path_dirname(prefix); !dir.empty())
      cleared = tfckpt::detail::make_directories(dir);
    if (cleared)
      if (auto rm = tfckpt::detail::remove_file(index_filename(prefix)); !rm && rm.error().code != errc::not_found)
        cleared = std::move(rm).error();
  }
  TFCKPT_TRY(agree(c, cleared));

  const std::string my_data = data_filename(prefix, c.rank(), c.size());
  result<std::map<std::string, bundle_entry>> entries = error(errc::io_error, "not written");
  {
    auto w = bundle_writer::create_shard(prefix, c.rank(), c.size(), opts);
    if (!w) {
      entries = std::move(w).error();
    } else {
      collective_save = true;
      result<void> r;
      for (const item& it : p->items) {
        if (!it.sharded && it.owner != c.rank()) continue;
        if (it.slot != graph::no_live) {
          const auto& sn = p->built.slots[it.slot];
          r = w->add(it.key, *p->tree.node(sn.optimizer_live).slots->find(sn.variable_path, sn.slot_name));
        } else {
          const graph::variable& v = *p->tree.node(it.live).value;
          r = v.io->save(v.object, *w, it.key);
        }
        if (!r) {
          r = std::move(r).error().at_key(it.key);
          break;
        }
      }
      collective_save = false;
      if (r && c.rank() == 0) {
        const std::string graph_bytes[1] = {encode_object_graph(p->built.graph)};
        r = w->add_strings(object_graph_key, {}, graph_bytes);
      }
      if (r)
        entries = w->finish_shard();
      else
        entries = std::move(r).error();
    }
  }
  // Commit point 1: every data file durable under its final name, or nobody goes on.
  if (auto ok = agree(c, detail::status_of(entries)); !ok) {
    if (entries) (void)tfckpt::detail::remove_file(my_data);
    return ok;
  }
  auto gathered = gather_strings(c, encode_entries(*entries));
  result<void> published = detail::status_of(gathered);
  if (c.rank() == 0 && published) {
    published = write_index(prefix, *gathered, opts.sync);
    if (published && publish) published = publish();
  }
  if (auto ok = agree(c, published); !ok) {
    // Unless the state file already names it (a checkpoint manager's sweep failed afterwards),
    // the new checkpoint is withdrawn: its index first, so no reader sees it half gone.
    if (!is_named(prefix)) {
      if (c.rank() == 0) (void)tfckpt::detail::remove_file(index_filename(prefix));
      TFCKPT_TRY(agree(c, {}));
      (void)tfckpt::detail::remove_file(my_data);
    }
    return ok;
  }
  return {};
}

}  // namespace detail

// A restore's status, checked collectively: every call gives the same result on every rank.
class collective_status {
 public:
  collective_status(MPI_Comm comm, restore_status local) : comm_(comm), local_(std::move(local)) {}
  const restore_status& local() const noexcept { return local_; }
  result<void> assert_consumed() const { return check(local_.assert_consumed()); }
  result<void> assert_existing_objects_matched() const { return check(local_.assert_existing_objects_matched()); }
  result<void> assert_nontrivial_match() const { return check(local_.assert_nontrivial_match()); }

 private:
  result<void> check(const result<void>& mine) const {
    auto c = detail::comm::dup(comm_);
    if (!c) return std::move(c).error();
    return detail::agree(*c, mine);
  }
  MPI_Comm comm_;
  restore_status local_;
};

// tf.train.Checkpoint over a root struct, every rank of `comm` holding its own copy (replicated
// fields) or part (sharded_rows fields). Every member function is collective.
template <class Root>
class checkpoint {
 public:
  checkpoint(MPI_Comm comm, Root& root) : comm_(comm), root_(&root) {}

  std::int64_t save_counter() const noexcept { return save_counter_; }
  void set_save_counter(std::int64_t n) noexcept { save_counter_ = n; }

  // `prefix-N`, N = the incremented save_counter; the state file then names it (rank 0).
  result<std::string> save(const std::string& prefix, const write_options& opts = {}) {
    const std::int64_t n = save_counter_ + 1;
    std::int64_t counter = n;
    const std::string path = prefix + "-" + std::to_string(n);
    TFCKPT_TRY(write_impl(path, &counter, opts, {}, [&] { return core::record_checkpoint(prefix, path); }));
    save_counter_ = n;
    return path;
  }
  // checkpoint_manager::save(ck) made collective: `m` is every rank's manager of one directory.
  // Rank 0's names the checkpoint in the state file and deletes old ones (max_to_keep) once every
  // rank's data is durable; the other ranks' managers follow the same list.
  result<std::string> save(checkpoint_manager& m, std::optional<std::int64_t> checkpoint_number = std::nullopt,
                           const write_options& opts = {}) {
    const std::int64_t n = save_counter_ + 1;
    std::int64_t counter = n;
    const std::string path = m.prefix() + "-" + std::to_string(checkpoint_number ? *checkpoint_number : n);
    TFCKPT_TRY(write_impl(path, &counter, opts, m.status(), [&] { return m.record_written(path); }));
    save_counter_ = n;
    int rank = 0;
    MPI_Comm_rank(comm_, &rank);
    if (rank != 0) TFCKPT_TRY(m.record_written(path, /*own_files=*/false));
    return path;
  }
  // `prefix` itself, without save_counter or state file.
  result<std::string> write(const std::string& prefix, const write_options& opts = {}) {
    TFCKPT_TRY(write_impl(prefix, nullptr, opts, {}, {}));
    return prefix;
  }
  // Restores (with save_counter) from a directory's latest checkpoint or a prefix.
  result<collective_status> restore(const std::string& path, const read_options& opts = {}) {
    std::int64_t counter = save_counter_;
    auto st = read_impl(path, &counter, opts);
    if (st) save_counter_ = counter;
    return st;
  }
  result<collective_status> read(const std::string& path, const read_options& opts = {}) {
    return read_impl(path, nullptr, opts);
  }

 private:
  result<void> write_impl(const std::string& path, std::int64_t* counter, const write_options& opts,
                          const result<void>& ready, const std::function<result<void>()>& publish) {
    auto c = detail::comm::dup(comm_);
    if (!c) return std::move(c).error();
    auto tree = ready ? tfckpt::detail::checkpoint_tree(*root_, counter) : result<graph::live_tree>(ready.error());
    if (!tree) return detail::agree(*c, tree.error());  // matches the others' first agree
    return detail::write_collective(*c, path, std::move(*tree), opts, publish);
  }

  result<collective_status> read_impl(const std::string& path, std::int64_t* counter, const read_options& opts) {
    auto c = detail::comm::dup(comm_);
    if (!c) return std::move(c).error();
    // One prefix for every rank, even if the state file changes meanwhile.
    result<std::string> prefix = path;
    if (c->rank() == 0 && tfckpt::detail::is_directory(path) && !tfckpt::detail::file_exists(path + ".index"))
      prefix = latest_checkpoint(path);
    TFCKPT_TRY(detail::agree(*c, detail::status_of(prefix)));
    auto shared = detail::bcast_string(*c, *prefix);
    if (!shared) return std::move(shared).error();
    auto tree = tfckpt::detail::checkpoint_tree(*root_, counter);
    TFCKPT_TRY(detail::agree(*c, detail::status_of(tree)));
    auto p = detail::make_plan(std::move(*tree));
    TFCKPT_TRY(detail::agree(*c, detail::status_of(p)));
    TFCKPT_TRY(detail::check_same_structure(*c, p->describe));
    auto rows = detail::gather_rows(*c, *p);
    TFCKPT_TRY(detail::agree(*c, detail::status_of(rows)));
    auto st = tfckpt::detail::restore_checkpoint(*shared, *root_, counter, opts);
    TFCKPT_TRY(detail::agree(*c, detail::status_of(st)));
    return collective_status(comm_, std::move(*st));
  }

  MPI_Comm comm_;
  Root* root_;
  std::int64_t save_counter_ = 0;
};

}  // namespace tfckpt::mpi
