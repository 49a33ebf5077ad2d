// tfckpt: write a TensorFlow tensor bundle byte-identical to tensor_bundle.cc BundleWriter:
// records appended to the data file(s) in the order they are added, the index holding the header
// and every entry in bytewise key order, TF's table parameters. Files are written under temporary
// names, fsynced and renamed only by finish(), so a crash never leaves a half-written bundle
// under the final name.
//
//   auto w = tfckpt::bundle_writer::create("out/ckpt-1");
//   TFCKPT_TRY(w->add<float>("w", {2}, values));
//   TFCKPT_TRY(w->finish());
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../format/bundle_proto.hpp"
#include "../format/config.hpp"
#include "../format/options.hpp"
#include "../format/crc32c.hpp"
#include "../format/file_io.hpp"
#include "parallel.hpp"
#include "../format/string_record.hpp"
#include "../format/table_builder.hpp"
#include "../format/naming.hpp"
#include "../format/slice.hpp"
#include "arena.hpp"
#include "key_set.hpp"
#include "large_pages.hpp"
#include "tensor.hpp"

namespace tfckpt {

class bundle_writer;

namespace detail {
// Internal (the object-graph save, graph/core_io_impl.hpp), not part of bundle_writer's API:
// after begin(), the writer's add() of a fixed-size tensor only checks and queues it, and
// flush() (or finish()) writes the queue with one add_many, so a caller that adds tensors one by
// one still gets shards written in parallel. The added bytes must then stay valid until flush()
// or finish(): only a caller that owns every tensor for the writer's whole life may begin().
// Strings and variants are still written at once. A public add() always writes (or copies)
// before it returns.
struct deferred_writes {
  static void begin(bundle_writer& w) noexcept;
  static result<void> flush(bundle_writer& w);
};
}  // namespace detail

class bundle_writer {
 public:
  // Any shard: the writer picks the one holding the fewest bytes.
  static constexpr std::int32_t any_shard = -1;

  TFCKPT_LAZY static result<bundle_writer> create(std::string prefix, const write_options& opts = {}) {
    if (prefix.empty()) return make_error(errc::invalid_argument, "empty checkpoint prefix");
    if (opts.num_shards < 1) return make_error(errc::invalid_argument, "num_shards must be >= 1");
    if (opts.data_alignment < 1) return make_error(errc::invalid_argument, "data_alignment must be >= 1");
    bundle_writer w;
    w.prefix_ = std::move(prefix);
    w.opts_ = opts;
    if (const std::string dir = detail::path_dirname(w.prefix_); !dir.empty())
      TFCKPT_TRY(detail::make_directories(dir));
    for (std::int32_t s = 0; s < opts.num_shards; ++s) {
      const std::string final_name = data_filename(w.prefix_, s, opts.num_shards);
      auto f = detail::writable_file::create(detail::temp_path_for(final_name), /*exclusive=*/true);
      if (!f) return std::move(f).error();
      w.shards_.push_back(shard{std::move(*f), final_name, 0});
    }
    return w;
  }

  // Only data file `shard_index` of a `num_shards`-file bundle that several processes write
  // together (tfckpt/mpi.hpp): records go to `prefix.data-<shard_index>-of-<num_shards>` (under a
  // temporary name), finish_shard() makes that file durable under its final name and returns the
  // entries; whoever gathers every process's entries writes the index.
  TFCKPT_LAZY static result<bundle_writer> create_shard(std::string prefix, std::int32_t shard_index, std::int32_t num_shards,
                                            write_options opts = {}) {
    if (num_shards < 1 || shard_index < 0 || shard_index >= num_shards)
      return make_error(errc::invalid_argument, "shard " + std::to_string(shard_index) + " of " +
                                                    std::to_string(num_shards) + " out of range")
          .in_file(prefix);
    opts.num_shards = 1;
    auto w = create(std::move(prefix), opts);
    if (!w) return w;
    w->shard_offset_ = shard_index;
    w->shards_[0].final_name = data_filename(w->prefix_, shard_index, num_shards);
    return w;
  }

  // create_shard()'s writer: syncs the data file (opts.sync), renames it to its final name, syncs
  // the directory and returns every entry, shard ids set to this file's. The writer is spent.
  TFCKPT_LAZY result<std::map<std::string, bundle_entry>> finish_shard() {
    result<void> r = start_finish("finish_shard()");
    if (r && opts_.sync) r = shards_[0].file.sync();
    if (r) r = shards_[0].file.close();
    if (r) r = detail::rename_file(shards_[0].file.path(), shards_[0].final_name);
    if (!r) {
      abandon();
      return std::move(r).error();
    }
    shards_.clear();
    if (opts_.sync) TFCKPT_TRY(detail::fsync_directory(detail::path_dirname(prefix_)));
    std::map<std::string, bundle_entry> out;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      bundle_entry e = owned_entry(i);
      if (e.slices.empty()) e.shard_id += shard_offset_;
      out.emplace(std::string(keys_[i]), std::move(e));
    }
    return out;
  }

  bundle_writer(bundle_writer&&) noexcept = default;
  bundle_writer& operator=(bundle_writer&&) noexcept = default;
  ~bundle_writer() { abandon(); }

  const std::string& prefix() const noexcept { return prefix_; }

  // Fixed-size dtypes: `bytes` = the row-major little-endian elements.
  TFCKPT_LAZY result<void> add(std::string_view key, dtype t, const shape_t& shape, std::string_view bytes,
                   std::int32_t shard = any_shard) {
    TFCKPT_TRY(check_fixed_size(key, t, shape, bytes.size()));
    if (deferring_) {
      // (The shard is checked now: the queue is written later as one batch that cannot fail
      // on a request.)
      TFCKPT_TRY(check_shard(key, shard));
      pending_.push_back(queued{new_entry(key, t, shape, /*pending=*/true), bytes, shard});
      return {};
    }
    return append(key, t, shape, bytes, std::nullopt, shard);
  }

  template <class T>
  result<void> add(std::string_view key, const shape_t& shape, std::span<const T> values,
                   std::int32_t shard = any_shard) {
    static_assert(::tfckpt::detail::offending<T, dtype_of<T> != dtype::invalid && dtype_of<T> != dtype::string>::value,
                  "tfckpt: add<T> needs a fixed-size element type; use add_strings for strings");
    return add(key, dtype_of<T>, shape,
               std::string_view(reinterpret_cast<const char*>(values.data()), values.size_bytes()), shard);
  }

  TFCKPT_LAZY result<void> add_strings(std::string_view key, const shape_t& shape, std::span<const std::string> values,
                           std::int32_t shard = any_shard) {
    return add_elements(key, dtype::string, shape, values, shard);
  }
  // DT_VARIANT: each element is a serialized VariantTensorDataProto.
  TFCKPT_LAZY result<void> add_variant(std::string_view key, const shape_t& shape, std::span<const std::string> values,
                           std::int32_t shard = any_shard) {
    return add_elements(key, dtype::variant, shape, values, shard);
  }

  TFCKPT_LAZY result<void> add(std::string_view key, const tensor& t, std::int32_t shard = any_shard) {
    if (t.dtype() == dtype::string || t.dtype() == dtype::variant)
      return add_elements(key, t.dtype(), t.shape(), t.strings(), shard);
    return add(key, t.dtype(), t.shape(), t.byte_view(), shard);
  }

  // One record of add_many: a fixed-size tensor whose bytes stay valid for the whole call.
  struct request {
    std::string_view key;
    dtype type = dtype::invalid;
    shape_t shape;
    std::string_view bytes;  // the row-major little-endian elements
    std::int32_t shard = any_shard;
  };

  // Adds several fixed-size tensors at once, as add() would one by one (same shard choice, same
  // bytes), but knowing every record up front lets several threads write different shards at
  // the same time: with opts.threads > 1 and num_shards > 1 each shard's records go to one
  // thread. That beats several threads on one file, whose buffered writes the kernel serializes.
  // Every request is checked before anything is written; an invalid one fails the call whole.
  TFCKPT_LAZY result<void> add_many(std::span<const request> requests) {
    for (const request& q : requests) {
      TFCKPT_TRY(check_fixed_size(q.key, q.type, q.shape, q.bytes.size()));
      TFCKPT_TRY(check_shard(q.key, q.shard));
    }
    // The batch's entries, or none of them: a key repeated within it fails it whole, naming the
    // smallest such key.
    const std::size_t first = entries_.size();
    std::optional<std::string_view> duplicate;
    for (const request& q : requests) {
      if (keys_.find(q.key) != detail::key_set::npos) {
        if (!duplicate || q.key < *duplicate) duplicate = q.key;
        continue;
      }
      if (!duplicate) new_entry(q.key, q.type, q.shape);
    }
    if (duplicate) {
      const std::string key(*duplicate);
      drop_entries(first);
      return make_error(errc::invalid_argument, "duplicate tensor key").at_key(key);
    }
    std::vector<queued> batch(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) batch[i] = {first + i, requests[i].bytes, requests[i].shard};
    return write_queued(batch);
  }

  // One part of a partitioned tensor (BundleWriter::AddSlice). A slice covering the whole
  // tensor degenerates to a plain add, as in TF.
  TFCKPT_LAZY result<void> add_slice(std::string_view key, dtype t, const shape_t& full_shape, const tensor_slice& slice,
                         std::string_view slice_bytes, std::int32_t shard = any_shard) {
    TFCKPT_TRY(check_slice(slice, full_shape));
    if (is_full_slice(slice, full_shape)) return add(key, t, full_shape, slice_bytes, shard);
    if (!is_fixed_size(t))
      return make_error(errc::invalid_argument, "partitioned tensors need a fixed-size dtype").at_key(key);
    std::size_t i = keys_.find(key);
    if (i == detail::key_set::npos || entries_[i].pending) {
      TFCKPT_TRY(check_new(key, t, full_shape));
      i = new_entry(key, t, full_shape);
      slices_.emplace_back();
      entries_[i].slices = static_cast<std::uint32_t>(slices_.size());
    } else if (entries_[i].slices == 0 || entries_[i].type != t || !same_shape(shape_of(i), full_shape)) {
      return make_error(errc::invalid_argument, "slice disagrees with the tensor already added under this key")
          .at_key(key);
    }
    slices_[entries_[i].slices - 1].push_back(slice);
    return add(encode_tensor_name_slice(key, slice), t, slice_shape(slice, full_shape), slice_bytes, shard);
  }

  // Writes the index and moves every file to its final name. The writer is spent afterwards.
  TFCKPT_LAZY result<void> finish() {
    result<void> r = start_finish("finish()");
    if (r) r = finish_files();
    if (!r) abandon();
    return r;
  }

 private:
  struct shard {
    detail::writable_file file;  // open on the temp name
    std::string final_name;
    std::uint64_t bytes;
  };

  // Entry i has key keys_[i]; entries are kept in the order added and sorted by key (bytewise,
  // as TF) once, by finish().
  struct stored {  // 48 bytes
    dtype type = dtype::invalid;
    std::int32_t shard_id = 0;
    std::int64_t offset = 0;
    std::int64_t size = 0;
    const std::int64_t* dims = nullptr;  // in dims_
    std::uint32_t crc32c = 0;  // masked
    std::uint32_t rank = 0;    // <= max_rank
    std::uint32_t slices = 0;  // a partitioned tensor's full entry: 1 + its index in slices_
    bool pending = false;      // queued by a deferred add, not yet placed
  };
  // A record to write: entry `entry`, its bytes, the shard asked for.
  struct queued {
    std::size_t entry = 0;
    std::string_view bytes;
    std::int32_t shard = any_shard;
  };

  bundle_writer() = default;

  friend struct detail::deferred_writes;
  // See detail::deferred_writes: add() of a fixed-size tensor then only checks and queues it.
  void defer_fixed_size_writes() noexcept { deferring_ = true; }

  TFCKPT_LAZY result<void> write_deferred() {
    std::vector<queued> batch = std::move(pending_);
    pending_.clear();
    deferring_ = false;
    if (batch.empty()) return {};
    if (broken_) return broken_error();
    return write_queued(batch);
  }

  // The common start of finish() and finish_shard(): queued records written, the writer spent.
  // A second call is refused without touching the files the first one produced.
  TFCKPT_LAZY result<void> start_finish(std::string_view what) {
    if (finished_) return make_error(errc::invalid_argument, std::string(what) + " called twice").in_file(prefix_);
    result<void> r;
    if (broken_)
      r = broken_error();
    else if (!pending_.empty())
      r = write_deferred();  // before finished_ is set: it adds
    finished_ = true;
    return r;
  }

  // After a failed write the data files no longer match the entries: nothing more may be added
  // and finish() must not publish them.
  TFCKPT_LAZY error broken_error() const {
    return make_error(errc::io_error, "an earlier write to this bundle failed; it cannot be completed")
        .in_file(prefix_);
  }

  TFCKPT_LAZY result<void> check_new(std::string_view key, dtype t, const shape_t& shape) const {
    if (finished_) return make_error(errc::invalid_argument, "add after finish()").at_key(key);
    if (broken_) return broken_error();
    if (key.empty()) return make_error(errc::invalid_argument, "empty tensor key (reserved for the header)");
    if (keys_.find(key) != detail::key_set::npos)
      return make_error(errc::invalid_argument, "duplicate tensor key").at_key(key);
    if (!is_storable(static_cast<std::int32_t>(t)))
      return make_error(errc::invalid_argument, "dtype cannot be stored in a bundle").at_key(key);
    if (shape.size() > max_rank || num_elements(shape) < 0)
      return make_error(errc::invalid_argument, "invalid shape " + shape_to_string(shape)).at_key(key);
    return {};
  }

  TFCKPT_LAZY result<void> check_fixed_size(std::string_view key, dtype t, const shape_t& shape, std::size_t bytes) const {
    TFCKPT_TRY(check_new(key, t, shape));
    if (!is_fixed_size(t))
      return make_error(errc::invalid_argument, "add() needs a fixed-size dtype; use add_strings").at_key(key);
    const auto n = static_cast<std::uint64_t>(num_elements(shape));
    if (bytes != n * dtype_size(t))
      return make_error(errc::invalid_argument, std::to_string(bytes) + " bytes given for " +
                                                    std::string(dtype_name(t)) + shape_to_string(shape))
          .at_key(key);
    return {};
  }

  template <class Strings>
  result<void> add_elements(std::string_view key, dtype t, const shape_t& shape, const Strings& values,
                            std::int32_t shard) {
    TFCKPT_TRY(check_new(key, t, shape));
    if (static_cast<std::uint64_t>(num_elements(shape)) != static_cast<std::uint64_t>(std::size(values)))
      return make_error(errc::invalid_argument, std::to_string(std::size(values)) + " elements given for shape " +
                                                    shape_to_string(shape))
          .at_key(key);
    std::string rec;
    const std::uint32_t crc = t == dtype::string ? detail::encode_string_record(values, rec)
                                                 : detail::encode_variant_record(values, rec);
    return append(key, t, shape, rec, crc, shard);
  }

  TFCKPT_LAZY result<void> check_shard(std::string_view key, std::int32_t shard) const {
    if (shard != any_shard && (shard < 0 || shard >= static_cast<std::int32_t>(shards_.size())))
      return make_error(errc::invalid_argument, "shard " + std::to_string(shard) + " out of range").at_key(key);
    return {};
  }

  // Registers a checked new key: an entry not yet placed in a data file.
  TFCKPT_LAZY std::size_t new_entry(std::string_view key, dtype t, const shape_t& shape, bool pending = false) {
    const std::size_t i = keys_.insert(key);
    stored& e = entries_.emplace_back();
    e.type = t;
    e.pending = pending;
    e.rank = static_cast<std::uint32_t>(shape.size());  // checked: <= max_rank
    if (!shape.empty()) {
      auto* dims = reinterpret_cast<std::int64_t*>(dims_.allocate(shape.size() * sizeof(std::int64_t)));
      std::copy(shape.begin(), shape.end(), dims);
      e.dims = dims;
    }
    return i;
  }

  // Forgets the entries from `first` on (a batch refused whole; nothing of it was written).
  TFCKPT_LAZY void drop_entries(std::size_t first) {
    entries_.resize(first);
    keys_.truncate(first);
  }

  TFCKPT_LAZY std::span<const std::int64_t> shape_of(std::size_t i) const noexcept { return {entries_[i].dims, entries_[i].rank}; }

  TFCKPT_LAZY bundle_entry owned_entry(std::size_t i) const {
    const stored& s = entries_[i];
    const auto shape = shape_of(i);
    bundle_entry e{s.type, shape_t(shape.begin(), shape.end()), s.shard_id, s.offset, s.size, s.crc32c, {}};
    if (s.slices != 0) e.slices = slices_[s.slices - 1];
    return e;
  }

  // Where entry i's record of `size` bytes goes: the shard (any_shard = the one holding the
  // fewest bytes; REQUIRES: check_shard) and its offset there. The shard's end moves past the
  // record and its alignment padding, so several records can be placed before any is written
  // (add_many).
  TFCKPT_LAZY void place(std::size_t i, std::uint64_t size, std::int32_t shard_id) {
    if (shard_id == any_shard) {
      shard_id = 0;
      for (std::size_t s = 1; s < shards_.size(); ++s)
        if (shards_[s].bytes < shards_[static_cast<std::size_t>(shard_id)].bytes) shard_id = static_cast<std::int32_t>(s);
    }
    shard& s = shards_[static_cast<std::size_t>(shard_id)];
    stored& e = entries_[i];
    e.pending = false;
    e.shard_id = shard_id;
    e.offset = static_cast<std::int64_t>(s.bytes);
    e.size = static_cast<std::int64_t>(size);
    s.bytes += size;
    s.bytes += (opts_.data_alignment - s.bytes % opts_.data_alignment) % opts_.data_alignment;
  }

  // Writes a placed record and its padding at the shard file's end, which must be where the record
  // was placed; fills in the entry's CRC (`crc` if already known, else computed while writing).
  TFCKPT_LAZY result<void> write_placed(stored& e, std::string_view rec, std::optional<std::uint32_t> crc, unsigned threads) {
    detail::writable_file& f = shards_[static_cast<std::size_t>(e.shard_id)].file;
    if (f.size() != static_cast<std::uint64_t>(e.offset))
      return make_error(errc::io_error, "record placed at offset " + std::to_string(e.offset) +
                                            " but the data file ends at " + std::to_string(f.size()))
          .in_file(f.path());
    if (crc) {
      TFCKPT_TRY(f.append(rec));
    } else {
      auto r = write_record(f, rec, threads);
      if (!r) return std::move(r).error();
      crc = *r;
    }
    e.crc32c = detail::crc32c_mask(*crc);
    static constexpr char zeros[4096] = {};
    for (std::size_t pad = (opts_.data_alignment - f.size() % opts_.data_alignment) % opts_.data_alignment; pad > 0;) {
      const std::size_t n = std::min(pad, sizeof zeros);
      TFCKPT_TRY(f.append(std::string_view(zeros, n)));
      pad -= n;
    }
    return {};
  }

  TFCKPT_LAZY result<void> append(std::string_view key, dtype t, const shape_t& shape, std::string_view rec,
                      std::optional<std::uint32_t> crc, std::int32_t shard_id) {
    TFCKPT_TRY(check_shard(key, shard_id));
    const std::size_t i = new_entry(key, t, shape);
    place(i, rec.size(), shard_id);
    if (auto r = write_placed(entries_[i], rec, crc, opts_.threads); !r) {
      broken_ = true;
      return std::move(r).error().at_key(key);
    }
    return {};
  }

  // Places the queued records in order, then writes them: with opts.threads > 1 and several
  // shards, each shard's records on a thread of their own (see add_many).
  result<void> write_queued(std::span<const queued> batch) {
    for (const queued& q : batch) place(q.entry, q.bytes.size(), q.shard);
    std::vector<std::optional<error>> errors(batch.size());
    auto write_one = [&](std::size_t k, unsigned threads) {
      if (auto r = write_placed(entries_[batch[k].entry], batch[k].bytes, std::nullopt, threads); !r)
        errors[k] = std::move(r).error().at_key(keys_[batch[k].entry]);
    };
    if (opts_.threads > 1 && shards_.size() > 1) {
      // Per shard, its records in batch order: the file grows exactly as placed.
      std::vector<std::vector<std::size_t>> by_shard(shards_.size());
      for (std::size_t k = 0; k < batch.size(); ++k)
        by_shard[static_cast<std::size_t>(entries_[batch[k].entry].shard_id)].push_back(k);
      detail::parallel_for(by_shard.size(), opts_.threads, [&](std::size_t s) {
        for (std::size_t k : by_shard[s]) {
          write_one(k, 1);
          if (errors[k]) return;
        }
      });
    } else {
      for (std::size_t k = 0; k < batch.size(); ++k) {
        write_one(k, opts_.threads);
        if (errors[k]) break;
      }
    }
    for (auto& err : errors)
      if (err) {
        broken_ = true;
        return std::move(*err);
      }
    return {};
  }

  // Writes `rec` and returns its CRC32C without a second pass over memory: piece by piece, each
  // piece checksummed just before write() copies it, while it is in cache. With threads, a
  // large record's pieces go to several threads, each checksumming and pwrite()ing its own
  // pieces at their final offsets; the pieces' CRCs are then joined in order.
  TFCKPT_LAZY static result<std::uint32_t> write_record(detail::writable_file& f, std::string_view rec, unsigned threads) {
    constexpr std::size_t piece = std::size_t{512} << 10;  // as the reader: half a typical L2
    if (threads > 1 && rec.size() >= (std::size_t{8} << 20)) {
      TFCKPT_TRY(f.flush());
      const std::uint64_t base = f.size();
      const std::size_t n = (rec.size() + piece - 1) / piece;
      std::vector<std::uint32_t> crcs(n);
      std::vector<std::optional<error>> errors(n);
      detail::parallel_for(n, threads, [&](std::size_t i) {
        const std::string_view p = rec.substr(i * piece, piece);
        crcs[i] = detail::crc32c(p.data(), p.size());
        if (auto r = f.write_at(base + i * piece, p); !r) errors[i] = std::move(r).error();
      });
      for (auto& e : errors)
        if (e) return std::move(*e);
      TFCKPT_TRY(f.advance(rec.size()));
      std::uint32_t crc = 0;
      for (std::size_t i = 0; i < n; ++i)
        crc = detail::crc32c_combine(crc, crcs[i], std::min(piece, rec.size() - i * piece));
      return crc;
    }
    std::uint32_t crc = 0;
    for (std::size_t done = 0; done < rec.size();) {
      const std::string_view p = rec.substr(done, piece);
      crc = detail::crc32c_extend(crc, p.data(), p.size());
      TFCKPT_TRY(f.append(p));
      done += p.size();
    }
    return crc;
  }

  TFCKPT_LAZY result<void> finish_files() {
    detail::table_builder table;
    // The index in one allocation: keys (shared prefixes not subtracted) + ~24 bytes of entry each.
    table.reserve(keys_.key_bytes() + 32 * entries_.size() + 4096);
    bundle_header header;
    header.num_shards = opts_.num_shards;
    table.add("", encode_bundle_header(header));
    std::string value;
    for (const std::size_t i : keys_.sorted()) {
      const stored& e = entries_[i];
      value.clear();
      append_bundle_entry(value, e.type, shape_of(i), e.shard_id, e.offset, e.size, e.crc32c,
                          e.slices != 0 ? std::span<const tensor_slice>(slices_[e.slices - 1]) : std::span<const tensor_slice>());
      table.add(keys_[i], value);
    }
    const std::string index = table.finish();

    const std::string index_name = index_filename(prefix_);
    auto index_file = detail::writable_file::create(detail::temp_path_for(index_name), true);
    if (!index_file) return std::move(index_file).error();
    index_temp_ = index_file->path();
    TFCKPT_TRY(index_file->append(index));
    // Each shard's fsync waits for its own device writes: overlap them when threads allow.
    std::vector<std::optional<error>> errors(shards_.size());
    detail::parallel_for(shards_.size(), opts_.threads, [&](std::size_t i) {
      result<void> r;
      if (opts_.sync) r = shards_[i].file.sync();
      if (r) r = shards_[i].file.close();
      if (!r) errors[i] = std::move(r).error();
    });
    for (auto& err : errors)
      if (err) return std::move(*err);
    if (opts_.sync) TFCKPT_TRY(index_file->sync());
    TFCKPT_TRY(index_file->close());
    {
      // Another process finishing the same prefix must not interleave its renames with ours (its
      // .index over our .data): the rename sequence holds the directory lock (file_io.hpp).
      const auto lock = detail::directory_lock::acquire(detail::path_dirname(index_name),
                                                        detail::directory_lock::mode::exclusive);
      // An old index must never describe new data: drop it before the data files move in (gone
      // already is fine: another writer of this prefix may have just replaced it).
      if (auto rm = detail::remove_file(index_name); !rm && rm.error().code != errc::not_found)
        return std::move(rm).error();
      for (shard& s : shards_) TFCKPT_TRY(detail::rename_file(s.file.path(), s.final_name));
      TFCKPT_TRY(detail::rename_file(index_temp_, index_name));
    }
    index_temp_.clear();
    shards_.clear();
    if (opts_.sync) TFCKPT_TRY(detail::fsync_directory(detail::path_dirname(index_name)));
    return {};
  }

  // Removes every temporary file; the final names are left as they were.
  void abandon() noexcept {
    for (shard& s : shards_) {
      (void)s.file.close();
      if (!s.file.path().empty()) (void)detail::remove_file(s.file.path());
    }
    shards_.clear();
    if (!index_temp_.empty()) (void)detail::remove_file(index_temp_);
    index_temp_.clear();
  }

  std::string prefix_;
  write_options opts_;
  std::vector<shard> shards_;
  detail::key_set keys_;
  std::vector<stored, detail::large_allocator<stored>> entries_;
  detail::chunk_arena dims_;
  std::vector<std::vector<tensor_slice>> slices_;
  std::string index_temp_;
  std::vector<queued> pending_;  // see detail::deferred_writes
  bool deferring_ = false;
  bool finished_ = false;
  bool broken_ = false;  // a write failed: see broken_error()
  std::int32_t shard_offset_ = 0;  // create_shard(): this file's shard id in the whole bundle
};

inline void detail::deferred_writes::begin(bundle_writer& w) noexcept { w.defer_fixed_size_writes(); }
inline result<void> detail::deferred_writes::flush(bundle_writer& w) { return w.write_deferred(); }

}  // namespace tfckpt
