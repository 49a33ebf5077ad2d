// tfckpt: bundle_reader implementation (included at the end of bundle_reader.hpp).
#pragma once

// Included on its own (e.g. by the header self-containment check), the class comes first: this
// include then reaches back here only after #pragma once has marked this file, so it is a no-op.
#include <algorithm>
#include <array>
#include <bit>
#include <deque>
#include <functional>
#include <limits>
#include <utility>

#include "reader.hpp"
#include "../format/byte_swap.hpp"
#include "arena.hpp"
#include "large_pages.hpp"
#include "parallel.hpp"

namespace tfckpt {

namespace detail {

TFCKPT_LAZY bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Strips `.data-SSSSS-of-NNNNN` (digits, at least 5 each) if present.
TFCKPT_LAZY std::optional<std::string> strip_data_suffix(const std::string& path) {
  const auto pos = path.rfind(".data-");
  if (pos == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(path).substr(pos + 6);
  const auto of = rest.find("-of-");
  auto digits = [](std::string_view d) {
    return d.size() >= 5 && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (of == std::string_view::npos || !digits(rest.substr(0, of)) || !digits(rest.substr(of + 4)))
    return std::nullopt;
  return path.substr(0, pos);
}

// Reads the 8-byte magic only (never the whole file); FIFOs and devices are refused unread.
TFCKPT_LAZY bool looks_like_sstable(const std::string& path) {
  auto f = readable_file::open(path);
  if (!f || f->size() < 48) return false;
  char magic[8];
  if (!f->read_at(f->size() - 8, 8, magic)) return false;
  return decode_fixed64(magic) == 0xdb4775248b80fb57ull;
}

// A V1 checkpoint is one or more `P-SSSSS-of-NNNNN` sstables (or any name) without a .index.
TFCKPT_LAZY std::optional<std::string> find_legacy_v1(const std::string& dir, std::string_view name_prefix) {
  auto names = list_directory(dir.empty() ? "." : dir);
  if (!names) return std::nullopt;
  for (const auto& n : *names) {
    if (n.compare(0, name_prefix.size(), name_prefix) != 0 || ends_with(n, ".index")) continue;
    const std::string full = path_join(dir, n);
    if (!is_directory(full) && looks_like_sstable(full)) return full;
  }
  return std::nullopt;
}

TFCKPT_LAZY error legacy_v1_error(const std::string& path) {
  return make_error(errc::unsupported,
                    "legacy V1 (TensorSlice) checkpoint: this format predates TensorFlow's V2 tensor "
                    "bundle (there is no .index file); re-save it with a V2 saver "
                    "(tf.compat.v1.train.Saver(write_version=tf.compat.v1.train.SaverDef.V2))")
      .in_file(path);
}

// Directory → latest checkpoint; `.index`/`.data-*` path → its prefix; else the prefix itself.
TFCKPT_LAZY result<std::string> resolve_prefix(const std::string& path) {
  if (path.empty()) return make_error(errc::invalid_argument, "empty checkpoint path");
  if (is_directory(path)) {
    if (file_exists(path_join(path, "checkpoint"))) {
      auto latest = latest_checkpoint(path);
      if (!latest) return std::move(latest).error();
      return *latest;
    }
    const std::string saved_model = path_join(path_join(path, "variables"), "variables");
    if (file_exists(saved_model + ".index")) return saved_model;
    auto names = list_directory(path);
    if (!names) return std::move(names).error().in_file(path);
    std::vector<std::string> prefixes;
    for (const auto& n : *names)
      if (ends_with(n, ".index")) prefixes.push_back(n.substr(0, n.size() - 6));
    if (prefixes.size() == 1) return path_join(path, prefixes[0]);
    if (prefixes.empty())
      if (auto v1 = find_legacy_v1(path, ""); v1) return legacy_v1_error(*v1);
    return make_error(errc::not_found,
                      prefixes.empty() ? "no checkpoint in this directory (no `checkpoint` state file and no .index file)"
                                       : "several checkpoints in this directory and no `checkpoint` state file to choose one; name a prefix")
        .in_file(path);
  }
  if (ends_with(path, ".index")) return path.substr(0, path.size() - 6);
  if (auto p = strip_data_suffix(path); p && file_exists(*p + ".index")) return *p;
  if (!file_exists(path + ".index")) {
    if (file_exists(path) && !is_directory(path) && looks_like_sstable(path)) return legacy_v1_error(path);
    if (auto v1 = find_legacy_v1(path_dirname(path), path_basename(path) + "-"); v1) return legacy_v1_error(*v1);
    return make_error(errc::not_found, "no checkpoint here: " + printable_path(path) + ".index does not exist").in_file(path);
  }
  return path;
}

// The header entry (key "", the iterator's current entry): a V2 bundle this consumer may read
// (validate_header, the check restore_from_memory makes too).
TFCKPT_LAZY result<void> check_bundle_header(const table_reader::iterator& it, const read_options& opts,
                                        bundle_header& out) {
  auto header = decode_bundle_header(it.value());
  if (!header) return std::move(header).error().at_offset(it.block_offset());
  out = *header;
  header_fields f;
  (void)decode_header_fields(it.value(), f, [](std::int32_t) {});  // decoded above: cannot fail
  if (const fault ok = validate_header(f, opts.max_shards); !ok)
    return make_error(ok.code, std::string(ok.what) + " (num_shards " + std::to_string(f.num_shards) + ", producer " +
                                   std::to_string(f.producer) + ", min_consumer " + std::to_string(f.min_consumer) + ")");
  return {};
}

// The table's first entry: the bundle header, checked.
TFCKPT_LAZY result<void> open_bundle_table(table_reader::iterator& it, const read_options& opts, bundle_header& out) {
  TFCKPT_TRY(it.seek_to_first());
  if (!it.valid() || !it.key().empty())
    return make_error(errc::corruption, "missing bundle header (the first key must be \"\")");
  return check_bundle_header(it, opts, out);
}

// The checks every reader of an index makes on a decoded entry: validate_entry, then each slice
// against the shape.
TFCKPT_LAZY result<void> check_decoded_entry(std::string_view key, const entry_fields& fields, const bundle_header& header,
                                        std::span<const std::int64_t> shape, std::span<const tensor_slice> slices) {
  if (const fault ok = validate_entry(fields, header.num_shards); !ok)
    return make_error(ok.code, std::string(ok.what) + " (shard " + std::to_string(fields.shard_id) + " of " +
                                   std::to_string(header.num_shards) + ")")
        .at_key(key);
  if (!slices.empty()) {
    const shape_t full(shape.begin(), shape.end());
    for (const tensor_slice& s : slices)
      if (auto ok = check_slice(s, full); !ok) return std::move(ok).error().at_key(key);
  }
  return {};
}

inline error too_many_entries(const read_options& opts) {
  return make_error(errc::limit_exceeded, "more than " + std::to_string(opts.max_entries) + " entries");
}

// The iterator's current entry into `info`, checked (check_decoded_entry). `count` entries came
// before it.
TFCKPT_LAZY result<void> decode_checked_entry(const table_reader::iterator& it, const bundle_header& header,
                                         const read_options& opts, std::uint64_t count, bundle_entry& info) {
  if (count >= opts.max_entries) return too_many_entries(opts);
  entry_fields fields;
  if (auto d = decode_bundle_entry_into(it.value(), info, fields); !d)
    return std::move(d).error().at_key(it.key()).at_offset(it.block_offset());
  return check_decoded_entry(it.key(), fields, header, info.shape, info.slices);
}

// bundle_reader's entry table: the entries, their keys and shapes in arena chunks, the slices
// of partitioned tensors (rare) each in a vector of their own.
struct entry_table {
  explicit entry_table(std::size_t arena_guess) : arena(arena_guess) {}
  using entries = std::vector<entry, large_allocator<entry>>;
  entries visible;  // key order
  entries parts;    // slice parts of partitioned tensors, key order
  chunk_arena arena;
  std::deque<std::vector<tensor_slice>> slices;
};

// decode_entry_fields' sink for the entry table: the dims into a fixed array (a rank is at most
// max_rank), then copied once into the arena; no allocation per entry. Errors read as
// bundle_entry_sink's.
struct entry_table_sink {
  std::size_t rank = 0;
  std::vector<tensor_slice> slices;
  std::optional<error> slice_error;
  std::int64_t dims[max_rank];

  void clear() noexcept {
    rank = 0;
    slices.clear();
  }
  void clear_shape() noexcept { rank = 0; }
  void dim(std::int64_t d) noexcept { dims[rank++] = d; }  // the decoders stop at max_rank
  fault slice(std::string_view bytes) {
    auto s = decode_slice(bytes);
    if (!s) {
      slice_error = std::move(s).error();
      return {errc::corruption, "malformed TensorSliceProto"};
    }
    slices.push_back(std::move(*s));
    return {};
  }
  std::span<const std::int64_t> shape() const noexcept { return {dims, rank}; }
  error to_error(fault f) {
    if (slice_error) return std::move(*slice_error);
    if (f.what == invalid_shape_fault.what) return make_error(f.code, std::string(f.what) + " " + shape_to_string(shape()));
    return make_error(f);
  }
};

// Sorts `order` (indices) by (shard, offset) of info(i), stably: an LSD radix sort over the bits
// of the offset, then of the shard, skipping the bits all records share. On 10^5 small records a
// comparison sort through the entries was a sixth of read_many_into's time; this makes one pass
// to find the varying bits, one to count and one per digit of up to 11 of them (byte digits over
// 24-byte items, all 12 bytes counted, were still 15% of a restore).
template <class Info>
void sort_by_position(std::vector<std::size_t>& order, Info&& info) {
  const std::size_t n = order.size();
  if (n < 2) return;
  constexpr std::size_t max32 = std::numeric_limits<std::uint32_t>::max();
  if (n > max32 || *std::max_element(order.begin(), order.end()) > max32) {
    // (beyond any index's entry count: items keep 32-bit indices)
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      const auto &l = info(x), &r = info(y);
      return l.shard_id != r.shard_id ? l.shard_id < r.shard_id : l.offset < r.offset;
    });
    return;
  }
  struct item {
    std::uint64_t offset;
    std::uint32_t shard;
    std::uint32_t index;  // order's value
  };
  std::vector<item> a(n), b(n);
  bool sorted = true;
  std::uint64_t offset_diff = 0;  // the bits in which some offset differs from the first
  std::uint32_t shard_diff = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const auto& e = info(order[k]);
    a[k] = {static_cast<std::uint64_t>(e.offset), static_cast<std::uint32_t>(e.shard_id), static_cast<std::uint32_t>(order[k])};
    offset_diff |= a[k].offset ^ a[0].offset;
    shard_diff |= a[k].shard ^ a[0].shard;
    if (k > 0 && (a[k].shard < a[k - 1].shard || (a[k].shard == a[k - 1].shard && a[k].offset < a[k - 1].offset)))
      sorted = false;
  }
  if (sorted) return;  // a bundle read in the order it was written
  // Digits of at most 11 bits over the bits that vary, offset first, then shard: 10^5 records
  // of 64 bytes (offsets varying in bits 6..22) take two passes.
  struct digit {
    bool shard;
    unsigned shift, width;
  };
  digit digits[12];
  unsigned m = 0;
  auto add_digits = [&](bool shard, std::uint64_t diff) {
    if (diff == 0) return;
    const unsigned lo = static_cast<unsigned>(std::countr_zero(diff));
    const unsigned bits = 64 - static_cast<unsigned>(std::countl_zero(diff)) - lo;
    const unsigned passes = (bits + 10) / 11, width = (bits + passes - 1) / passes;
    for (unsigned j = 0; j < passes; ++j) digits[m++] = {shard, lo + j * width, width};
  };
  add_digits(false, offset_diff);
  add_digits(true, shard_diff);
  auto value_of = [](const item& x, const digit& d) -> std::size_t {
    return static_cast<std::size_t>(((d.shard ? x.shard : x.offset) >> d.shift) & ((std::uint64_t{1} << d.width) - 1));
  };
  std::vector<std::array<std::uint32_t, 2048>> counts(m);
  for (auto& c : counts) c.fill(0);
  for (const item& x : a)
    for (unsigned j = 0; j < m; ++j) ++counts[j][value_of(x, digits[j])];
  for (unsigned j = 0; j < m; ++j) {
    auto& c = counts[j];
    std::uint32_t sum = 0;
    for (auto& v : c) sum += std::exchange(v, sum);
    for (const item& x : a) b[c[value_of(x, digits[j])]++] = x;
    a.swap(b);
  }
  for (std::size_t k = 0; k < n; ++k) order[k] = a[k].index;
}

}  // namespace detail

TFCKPT_LAZY_DEF result<bundle_reader> bundle_reader::open(const std::string& path, const read_options& opts) {
  auto prefix = detail::resolve_prefix(path);
  if (!prefix) return std::move(prefix).error();
  bundle_reader r;
  r.opts_ = opts;
  r.prefix_ = *prefix;
  r.index_name_ = index_filename(*prefix);
  // One snapshot: the index and the data files it describes are opened under the directory's
  // shared lock, which tfckpt's writers hold exclusively while they replace a prefix's files
  // (file_io.hpp), and the data files are opened before the lock is released. A prefix written
  // over later (a training loop reusing a name) then cannot pair this index with new data.
  const auto lock = detail::directory_lock::acquire(detail::path_dirname(r.index_name_),
                                                    detail::directory_lock::mode::shared);
  // Mapped, not copied (a copy into fresh memory cost as much as decoding the entries): read-only
  // and private, and tfckpt's and TF's writers replace an index by renaming a new file over it,
  // which leaves this mapping's file as it was.
  auto index = detail::mapped_file::open(r.index_name_, ~std::uint64_t{0});
  if (!index) return std::move(index).error().in_file(r.index_name_);
  if (index->bytes().size() > opts.max_index_bytes)
    return make_error(errc::limit_exceeded, "file has " + std::to_string(index->bytes().size()) + " bytes, limit is " +
                                                std::to_string(opts.max_index_bytes))
        .in_file(r.index_name_);
  r.index_owned_ = std::make_shared<const detail::mapped_file>(std::move(*index));
  r.index_view_ = r.index_owned_->bytes();
  if (auto ok = r.load_index(); !ok) return std::move(ok).error().in_file(r.index_name_);
  r.shards_ = std::make_shared<detail::shard_set>(r.prefix_, r.header_.num_shards);
  r.shards_->open_files(eager_shard_limit);
  return r;
}

TFCKPT_LAZY_DEF result<bundle_reader> bundle_reader::open_memory(std::string_view index,
                                                        std::vector<std::string_view> shards,
                                                        const read_options& opts) {
  bundle_reader r;
  r.opts_ = opts;
  r.index_name_ = "<memory index>";
  r.index_view_ = index;
  if (auto ok = r.load_index(); !ok) return std::move(ok).error().in_file(r.index_name_);
  if (static_cast<std::size_t>(r.header_.num_shards) != shards.size())
    return make_error(errc::invalid_argument, "the header declares " + std::to_string(r.header_.num_shards) +
                                                  " shards but " + std::to_string(shards.size()) + " were given");
  r.shards_ = std::make_shared<detail::shard_set>(std::move(shards));
  return r;
}

// Header first (key ""), then every entry; partitioned tensors' parts are moved out of sight.
TFCKPT_LAZY_DEF result<void> bundle_reader::load_index() {
  detail::table_read_options topts;
  topts.verify_checksums = opts_.verify_checksums;
  auto table = detail::table_reader::open(index_view_, topts);
  if (!table) {
    if (table.error().code == errc::corruption && index_view_.size() < 48)
      return make_error(errc::corruption, "file is too short to be an sstable (" +
                                              std::to_string(index_view_.size()) + " bytes)");
    return std::move(table).error();
  }
  auto it = table->make_iterator();
  TFCKPT_TRY(detail::open_bundle_table(it, opts_, header_));

  // The first arena chunk: the index size, about what its keys and shapes take (TF's 10^5-entry
  // index: 5.1 MB, 4.2 MB of keys and dims); a table outgrowing it takes a few more chunks.
  auto owned = std::make_shared<detail::entry_table>(index_view_.size());
  auto& all = owned->visible;
  // A guess at the entry count (an entry takes at least ~24 index bytes: key suffix, sizes, a
  // dtype, a shape, an offset, a size and a CRC), so that 10^5 entries are not moved as the table
  // grows; the table can still grow past it.
  all.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(opts_.max_entries, index_view_.size() / 48)));
  std::unordered_set<std::string> hidden;
  // Memory the entry table will hold, bounded before it grows (see max_index_expansion).
  std::uint64_t table_bytes = 0;
  const std::uint64_t table_limit =
      std::min<std::uint64_t>(opts_.max_total_bytes,
                              (std::uint64_t{64} << 20) + opts_.max_index_expansion * index_view_.size());
  auto sink = std::make_unique<detail::entry_table_sink>();
  entry_fields fields;
  TFCKPT_TRY(it.next());
  TFCKPT_TRY(it.for_each([&](std::string_view key, std::string_view value) -> result<void> {
    if (all.size() >= opts_.max_entries) return detail::too_many_entries(opts_);
    if (const fault ok = decode_entry_fields(value, fields, *sink); !ok)
      return sink->to_error(ok).at_key(key).at_offset(it.block_offset());
    if (!validate_entry(fields, header_.num_shards) || fields.slices != 0)
      TFCKPT_TRY(detail::check_decoded_entry(key, fields, header_, sink->shape(), sink->slices));
    table_bytes += sizeof(entry) + 2 * key.size() + sink->rank * sizeof(std::int64_t);
    for (const tensor_slice& s : sink->slices)
      table_bytes += sizeof(tensor_slice) + s.extents.size() * (sizeof(slice_extent) + 20) + key.size() + 64;
    if (table_bytes > table_limit)
      return make_error(errc::limit_exceeded, "the entry table would need more than " + std::to_string(table_limit) +
                                                  " bytes (max_total_bytes / max_index_expansion)")
          .at_key(key);
    entry& e = all.emplace_back();
    e.key = owned->arena.copy(key);
    if (sink->rank != 0) {
      auto* dims = reinterpret_cast<std::int64_t*>(owned->arena.allocate(sink->rank * sizeof(std::int64_t)));
      std::memcpy(dims, sink->dims, sink->rank * sizeof(std::int64_t));
      e.info.shape = shape_view(dims, sink->rank);
    }
    e.info.dtype = fields.dtype;
    e.info.shard_id = fields.shard_id;
    e.info.offset = fields.offset;
    e.info.size = fields.size;
    e.info.crc32c = fields.crc32c;
    if (!sink->slices.empty()) {
      for (const tensor_slice& s : sink->slices) hidden.insert(encode_tensor_name_slice(key, s));
      e.info.slices = owned->slices.emplace_back(std::move(sink->slices));
      sink->slices = {};
    }
    return {};
  }));
  if (!hidden.empty()) {
    detail::entry_table::entries visible;
    for (const entry& e : all) (hidden.count(std::string(e.key)) ? owned->parts : visible).push_back(e);
    owned->visible = std::move(visible);
  }
  visible_ = owned->visible;
  parts_ = owned->parts;
  table_ = std::move(owned);
  return {};
}

inline const entry* bundle_reader::find(std::string_view key) const noexcept {
  for (const auto* list : {&visible_, &parts_}) {
    auto it = std::lower_bound(list->begin(), list->end(), key,
                               [](const entry& e, std::string_view k) { return e.key < k; });
    if (it != list->end() && it->key == key) return &*it;
  }
  return nullptr;
}

// find(), trying first the entry that follows `previous` (a visible entry or nullptr): requests
// made in key order (a restore of every tensor) then cost one key comparison each instead of a
// binary search, which on 10^5 entries was most of the per-tensor cost of read_many_into.
inline const entry* bundle_reader::find_after(std::string_view key, const entry* previous) const noexcept {
  const std::less<const entry*> before;  // (previous may point into parts_: no raw < across arrays)
  const entry* last = visible_.empty() ? nullptr : &visible_.back();
  if (previous && !before(previous, visible_.data()) && before(previous, last) && previous[1].key == key)
    return previous + 1;
  return find(key);
}

TFCKPT_LAZY_DEF std::string bundle_reader::data_path(std::int32_t shard) const { return shards_->path(shard); }

TFCKPT_LAZY_DEF error bundle_reader::located(error err, const entry& e) const {
  return std::move(err).at_key(e.key).in_file(shards_->path(e.info.shard_id)).at_offset(
      static_cast<std::uint64_t>(e.info.offset));
}

// The size an entry's record must have, for fixed-size dtypes (tensor_bundle.cc GetValue).
TFCKPT_LAZY_DEF result<void> bundle_reader::check_record(const entry& e) const {
  const std::int64_t n = num_elements(e.info.shape);
  const std::size_t elem = dtype_size(e.info.dtype);
  if (const fault ok = check_record_size(e.info.dtype, n, e.info.size); !ok)
    return located(make_error(ok.code, std::string(ok.what) + ": " + std::to_string(e.info.size) + " bytes for " +
                                           std::string(dtype_name(e.info.dtype)) + shape_to_string(e.info.shape)),
                   e);
  if (static_cast<std::uint64_t>(e.info.size) > opts_.max_tensor_bytes)
    return located(make_error(errc::limit_exceeded, "tensor of " + std::to_string(e.info.size) +
                                                        " bytes exceeds max_tensor_bytes"),
                   e);
  // String/variant reads also hold one std::string (and a length) per element.
  const std::uint64_t per_elem = elem == 0 ? sizeof(std::string) + sizeof(std::uint64_t) : 0;
  const std::uint64_t count = n < 0 ? ~std::uint64_t{0} : static_cast<std::uint64_t>(n);
  if (static_cast<std::uint64_t>(e.info.size) > opts_.max_total_bytes ||
      (per_elem != 0 && count > (opts_.max_total_bytes - static_cast<std::uint64_t>(e.info.size)) / per_elem))
    return located(make_error(errc::limit_exceeded, "reading " + std::string(dtype_name(e.info.dtype)) +
                                                        shape_to_string(e.info.shape) +
                                                        " would allocate more than max_total_bytes"),
                   e);
  return {};
}

// REQUIRES: dst holds e.info.size bytes. Verifies the record CRC for fixed-size dtypes (strings
// and variants carry their own checksums, checked when decoded).
TFCKPT_LAZY_DEF result<void> bundle_reader::read_record_into(const entry& e, char* dst, bool verify) const {
  const bool check = verify && is_fixed_size(e.info.dtype);
  std::uint32_t crc = 0;
  if (auto r = shards_->read(e.info.shard_id, static_cast<std::uint64_t>(e.info.offset),
                             static_cast<std::uint64_t>(e.info.size), dst, check ? &crc : nullptr);
      !r)
    return located(std::move(r).error(), e);
  if (check) {
    if (crc != detail::crc32c_unmask(e.info.crc32c))
      return located(make_error(errc::checksum_mismatch, "checksum does not match: stored " +
                                                             std::to_string(detail::crc32c_unmask(e.info.crc32c)) +
                                                             ", computed " + std::to_string(crc)),
                     e);
  }
  if (header_.endian == endianness::big) {
    if (!is_fixed_size(e.info.dtype) && e.info.dtype != dtype::string)
      return located(make_error(errc::unsupported, "cannot read a variant tensor from a big-endian bundle"), e);
    if (is_fixed_size(e.info.dtype)) detail::swap_elements(dst, static_cast<std::size_t>(e.info.size), e.info.dtype);
  }
  return {};
}

TFCKPT_LAZY_DEF result<std::string> bundle_reader::read_record(const entry& e, bool verify) const {
  TFCKPT_TRY(check_record(e));
  auto sz = shards_->size(e.info.shard_id);  // bound the allocation by the real file size
  if (!sz) return located(std::move(sz).error(), e);
  if (!record_within(e.info.offset, e.info.size, *sz))
    return located(make_error(errc::corruption, "data file is shorter than its entries claim (" +
                                                    std::to_string(*sz) + " bytes, record of " +
                                                    std::to_string(e.info.size) + ")"),
                   e);
  std::string rec(static_cast<std::size_t>(e.info.size), '\0');
  TFCKPT_TRY(read_record_into(e, rec.data(), verify));
  return rec;
}

TFCKPT_LAZY_DEF result<tensor> bundle_reader::read_plain(const entry& e, bool verify) const {
  if (is_fixed_size(e.info.dtype)) {
    // One copy of the record at most: it is read straight into the tensor's buffer, after the
    // limits and the data file's real size have bounded the allocation.
    TFCKPT_TRY(check_record(e));
    if (auto ok = shards_->check_range(e.info.shard_id, static_cast<std::uint64_t>(e.info.offset),
                                       static_cast<std::uint64_t>(e.info.size));
        !ok)
      return located(std::move(ok).error(), e);
    tensor t = detail::tensor_access::zeros(e.info.dtype, shape_t(e.info.shape.begin(), e.info.shape.end()));
    if (e.info.size != 0) TFCKPT_TRY(read_record_into(e, reinterpret_cast<char*>(t.bytes().data()), verify));
    return t;
  }
  auto rec = read_record(e, verify);
  if (!rec) return std::move(rec).error();
  const std::int64_t n = num_elements(e.info.shape);
  if (e.info.dtype == dtype::string || e.info.dtype == dtype::variant) {
    auto elems = e.info.dtype == dtype::string
                     ? detail::decode_string_record(*rec, n, e.info.crc32c, verify,
                                                    header_.endian == endianness::big)
                     : detail::decode_variant_record(*rec, n, e.info.crc32c, verify);
    if (!elems) return located(std::move(elems).error(), e);
    return detail::tensor_access::strings(shape_t(e.info.shape.begin(), e.info.shape.end()), std::move(*elems), e.info.dtype);
  }
  // resource: kept as one raw element
  return detail::tensor_access::strings(shape_t(e.info.shape.begin(), e.info.shape.end()), {std::move(*rec)}, e.info.dtype);
}

// Calls fn(slice, part) for every slice of partitioned `e`, once the slices cover its shape,
// with the part holding it, typed and shaped as the slice says. Stops at the first error.
template <class Fn>
result<void> bundle_reader::for_each_part(const entry& e, Fn&& fn) const {
  // TF's rules (docs/errors.md): overlapping slices are refused, coverage is checked by volumes.
  // (Owned copies for the format layer's checks: partitioned tensors are few.)
  const shape_t full(e.info.shape.begin(), e.info.shape.end());
  if (auto ok = check_slice_partition(std::vector<tensor_slice>(e.info.slices.begin(), e.info.slices.end()), full); !ok)
    return located(std::move(ok).error(), e);
  for (const tensor_slice& s : e.info.slices) {
    const entry* part = find(encode_tensor_name_slice(e.key, s));
    if (!part)
      return located(make_error(errc::corruption, "missing slice " + tensor_slice_to_string(s) +
                                                      " of partitioned tensor"),
                     e);
    if (part->info.dtype != e.info.dtype || !same_shape(part->info.shape, slice_shape(s, full)))
      return located(make_error(errc::corruption, "slice " + tensor_slice_to_string(s) + " has dtype " +
                                                      std::string(dtype_name(part->info.dtype)) + " shape " +
                                                      shape_to_string(part->info.shape)),
                     e);
    TFCKPT_TRY(fn(s, *part));
  }
  return {};
}

// Every part of a partitioned tensor is present, typed and shaped as its slice says, and its
// record lies inside its data file. Nothing is allocated from the declared sizes.
TFCKPT_LAZY_DEF result<void> bundle_reader::check_parts(const entry& e) const {
  return for_each_part(e, [&](const tensor_slice&, const entry& part) -> result<void> {
    TFCKPT_TRY(check_record(part));
    auto sz = shards_->size(part.info.shard_id);
    if (!sz) return located(std::move(sz).error(), part);
    if (!record_within(part.info.offset, part.info.size, *sz))
      return located(make_error(errc::corruption, "data file is shorter than its entries claim (" +
                                                      std::to_string(*sz) + " bytes, record of " +
                                                      std::to_string(part.info.size) + ")"),
                     part);
    return {};
  });
}

// Assembles a partitioned tensor from its parts (tensor_bundle.cc GetSliceValue).
TFCKPT_LAZY_DEF result<void> bundle_reader::assemble_into(const entry& e, char* dst, std::size_t dst_size) const {
  if (!is_fixed_size(e.info.dtype))
    return located(make_error(errc::unsupported, "partitioned " + std::string(dtype_name(e.info.dtype)) +
                                                     " tensors cannot be assembled"),
                   e);
  const shape_t full(e.info.shape.begin(), e.info.shape.end());
  return for_each_part(e, [&](const tensor_slice& s, const entry& part) -> result<void> {
    auto rec = read_record(part, opts_.verify_checksums);
    if (!rec) return std::move(rec).error();
    if (auto ok = copy_slice_into(s, full, dtype_size(e.info.dtype), *rec, dst, dst_size); !ok)
      return located(std::move(ok).error(), e);
    return {};
  });
}

// The assembled tensor's size within the read limits (before anything is allocated for it).
TFCKPT_LAZY_DEF result<void> bundle_reader::check_partitioned_size(const entry& e) const {
  const std::int64_t n = num_elements(e.info.shape);
  const std::size_t elem = dtype_size(e.info.dtype);
  if (elem != 0 && (n < 0 || static_cast<std::uint64_t>(n) > opts_.max_tensor_bytes / elem ||
                    static_cast<std::uint64_t>(n) > opts_.max_total_bytes / elem))
    return located(make_error(errc::limit_exceeded, "partitioned tensor " + shape_to_string(e.info.shape) +
                                                        " exceeds max_tensor_bytes"),
                   e);
  return {};
}

TFCKPT_LAZY_DEF result<tensor> bundle_reader::read_partitioned(const entry& e) const {
  TFCKPT_TRY(check_partitioned_size(e));
  // Strings and variants: assemble_into always fails for them, saying they cannot be assembled.
  if (dtype_size(e.info.dtype) == 0) return assemble_into(e, nullptr, 0).error();
  // The full tensor is allocated from the entry's declared shape: first make sure its parts
  // exist and their records fit in the data files (they cover the tensor, so this bounds the
  // allocation by the bytes actually present), or a tiny index could demand terabytes.
  TFCKPT_TRY(check_parts(e));
  tensor t = detail::tensor_access::zeros(e.info.dtype, shape_t(e.info.shape.begin(), e.info.shape.end()));
  TFCKPT_TRY(assemble_into(e, reinterpret_cast<char*>(t.bytes().data()), t.bytes().size()));
  return t;
}

TFCKPT_LAZY_DEF result<void> bundle_reader::check_readable(std::string_view key) const {
  const entry* e = find(key);
  if (!e) return make_error(errc::not_found, "key not found in checkpoint").at_key(key).in_file(index_name_);
  if (!e->info.slices.empty()) {
    TFCKPT_TRY(check_partitioned_size(*e));
    return check_parts(*e);
  }
  TFCKPT_TRY(check_record(*e));
  if (auto ok = shards_->check_range(e->info.shard_id, static_cast<std::uint64_t>(e->info.offset),
                                     static_cast<std::uint64_t>(e->info.size));
      !ok)
    return std::move(ok).error().at_key(e->key);
  return {};
}

TFCKPT_LAZY_DEF result<tensor> bundle_reader::read(std::string_view key) const {
  const entry* e = find(key);
  if (!e) return make_error(errc::not_found, "key not found in checkpoint").at_key(key).in_file(index_name_);
  return e->info.slices.empty() ? read_plain(*e, opts_.verify_checksums) : read_partitioned(*e);
}

// The key exists and holds `expected` (TensorFlow does not cast).
TFCKPT_LAZY_DEF result<const entry*> bundle_reader::find_typed(std::string_view key, dtype expected,
                                                      const entry* previous) const {
  const entry* e = find_after(key, previous);
  if (!e) return make_error(errc::not_found, "key not found in checkpoint").at_key(key).in_file(index_name_);
  if (e->info.dtype != expected)
    return located(make_error(errc::dtype_mismatch, "dtype " + std::string(dtype_name(e->info.dtype)) +
                                                        " in checkpoint, " + std::string(dtype_name(expected)) +
                                                        " requested"),
                   *e);
  return e;
}

// The checks of read_into: the key exists, has the expected fixed-size dtype and fills dst.
TFCKPT_LAZY_DEF result<const entry*> bundle_reader::check_into(std::string_view key, dtype expected,
                                                      std::size_t dst_size, const entry* previous) const {
  auto found = find_typed(key, expected, previous);
  if (!found) return std::move(found).error();
  const entry* e = *found;
  if (!is_fixed_size(expected))
    return make_error(errc::invalid_argument, "read_into needs a fixed-size dtype").at_key(key);
  const std::int64_t n = num_elements(e->info.shape);
  if (n < 0 || static_cast<std::uint64_t>(n) * dtype_size(expected) != dst_size)
    return located(make_error(errc::shape_mismatch, "checkpoint holds " + shape_to_string(e->info.shape) +
                                                        " (" + std::to_string(n) + " elements), destination has " +
                                                        std::to_string(dst_size / dtype_size(expected))),
                   *e);
  if (e->info.slices.empty()) TFCKPT_TRY(check_record(*e));
  return e;
}

TFCKPT_LAZY_DEF result<void> bundle_reader::read_into(std::string_view key, dtype expected, std::span<std::byte> dst) const {
  const read_request one{key, expected, dst};
  return read_many_into(std::span<const read_request>(&one, 1));
}

// Every request is checked before anything is read. Plain records are then cut into pieces
// (several per record when there are more threads than records), each read straight into its
// destination and checksummed while cached; the pieces' CRCs are joined per record afterwards.
// Small records lying next to each other in a data file (the index-bound case: thousands of
// biases and scalars) are read as runs instead, one read per run into a bounce buffer, each
// record then checksummed and copied: a read() per 64-byte record would cost far more.
TFCKPT_LAZY_DEF result<void> bundle_reader::read_many_into(std::span<const read_request> requests) const {
  std::vector<const entry*> entries(requests.size());
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto e = check_into(requests[i].key, requests[i].type, requests[i].dst.size(), i ? entries[i - 1] : nullptr);
    if (!e) return std::move(e).error();
    entries[i] = *e;
    total += requests[i].dst.size();
  }
  struct piece {
    std::size_t request;
    std::uint64_t offset, size;  // within the record; size 0 with a partitioned entry: all of it
    std::uint32_t crc;
  };
  // A run of small records, requests run_order[first, first + count), in file order.
  struct run {
    std::size_t first, count;
    std::uint64_t offset, size;  // the span of the data file covering them
  };
  constexpr std::uint64_t small_record = std::uint64_t{64} << 10;
  constexpr std::uint64_t run_limit = std::uint64_t{1} << 20;
  constexpr std::uint64_t max_gap = 4096;  // alignment padding is read over, not around
  auto is_small = [&](std::size_t i) {
    const auto size = requests[i].dst.size();
    return entries[i]->info.slices.empty() && size > 0 && size <= small_record;
  };
  std::vector<std::size_t> run_order;
  for (std::size_t i = 0; i < requests.size(); ++i)
    if (is_small(i)) run_order.push_back(i);
  detail::sort_by_position(run_order, [&](std::size_t i) -> const entry_info& { return entries[i]->info; });
  std::vector<run> runs;
  std::vector<bool> in_run(requests.size(), false);
  for (std::size_t k = 0; k < run_order.size();) {
    const entry_info& head = entries[run_order[k]]->info;
    const auto start = static_cast<std::uint64_t>(head.offset);
    std::uint64_t end = start + static_cast<std::uint64_t>(head.size);
    std::size_t m = k + 1;
    for (; m < run_order.size(); ++m) {
      const entry_info& next = entries[run_order[m]]->info;
      const auto at = static_cast<std::uint64_t>(next.offset);
      const auto next_end = at + static_cast<std::uint64_t>(next.size);
      if (next.shard_id != head.shard_id || at < end || at - end > max_gap || next_end - start > run_limit) break;
      end = next_end;
    }
    if (m - k > 1) {
      runs.push_back({k, m - k, start, end - start});
      for (std::size_t j = k; j < m; ++j) in_run[run_order[j]] = true;
    }
    k = m;
  }

  const unsigned threads = opts_.threads == 0 ? 1 : opts_.threads;
  // Pieces of at least 4 MiB (fewer thread hand-offs), small enough to keep every thread busy.
  const std::uint64_t piece_bytes =
      std::max<std::uint64_t>(std::uint64_t{4} << 20, threads > 1 ? total / (4 * threads) + 1 : total + 1);
  std::vector<piece> pieces;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (in_run[i]) continue;
    const std::uint64_t size = requests[i].dst.size();
    if (!entries[i]->info.slices.empty() || size == 0) {
      pieces.push_back({i, 0, 0, 0});
      continue;
    }
    // Piece boundaries stay multiples of 64 bytes so byte swapping never splits an element.
    const std::uint64_t step = (piece_bytes + 63) / 64 * 64;
    for (std::uint64_t off = 0; off < size; off += step) pieces.push_back({i, off, std::min(step, size - off), 0});
  }
  const bool verify = opts_.verify_checksums;
  const bool swap = header_.endian == endianness::big;
  auto checked = [&](std::size_t i, std::uint32_t crc) -> result<void> {
    const entry& e = *entries[i];
    if (verify && crc != detail::crc32c_unmask(e.info.crc32c))
      return located(make_error(errc::checksum_mismatch, "checksum does not match: stored " +
                                                             std::to_string(detail::crc32c_unmask(e.info.crc32c)) +
                                                             ", computed " + std::to_string(crc)),
                     e);
    if (swap) detail::swap_elements(reinterpret_cast<char*>(requests[i].dst.data()), requests[i].dst.size(), e.info.dtype);
    return {};
  };
  auto read_run = [&](const run& g) -> result<void> {
    std::unique_ptr<char[]> buf(new char[static_cast<std::size_t>(g.size)]);
    const std::int32_t shard = entries[run_order[g.first]]->info.shard_id;
    if (!shards_->read(shard, g.offset, g.size, buf.get())) {
      // Read them one by one instead, so that an error names the record at fault.
      for (std::size_t j = g.first; j < g.first + g.count; ++j) {
        const std::size_t i = run_order[j];
        const entry& e = *entries[i];
        std::uint32_t crc = 0;
        auto r = shards_->read(e.info.shard_id, static_cast<std::uint64_t>(e.info.offset),
                               static_cast<std::uint64_t>(e.info.size), reinterpret_cast<char*>(requests[i].dst.data()),
                               verify ? &crc : nullptr);
        if (!r) return located(std::move(r).error(), e);
        TFCKPT_TRY(checked(i, crc));
      }
      return {};
    }
    for (std::size_t j = g.first; j < g.first + g.count; ++j) {
      const std::size_t i = run_order[j];
      const char* src = buf.get() + (static_cast<std::uint64_t>(entries[i]->info.offset) - g.offset);
      const std::size_t n = requests[i].dst.size();
      std::memcpy(requests[i].dst.data(), src, n);
      TFCKPT_TRY(checked(i, verify ? detail::crc32c(src, n) : 0));
    }
    return {};
  };

  std::vector<std::optional<error>> errors(pieces.size() + runs.size());
  std::atomic<bool> failed{false};
  detail::parallel_for(pieces.size() + runs.size(), threads, [&](std::size_t k) {
    if (failed.load(std::memory_order_relaxed)) return;
    result<void> r;
    if (k >= pieces.size()) {
      r = read_run(runs[k - pieces.size()]);
    } else {
      piece& p = pieces[k];
      const entry& e = *entries[p.request];
      char* dst = reinterpret_cast<char*>(requests[p.request].dst.data());
      if (!e.info.slices.empty()) {
        r = assemble_into(e, dst, requests[p.request].dst.size());
      } else if (p.size != 0) {
        r = shards_->read(e.info.shard_id, static_cast<std::uint64_t>(e.info.offset) + p.offset, p.size,
                          dst + p.offset, verify ? &p.crc : nullptr);
        if (!r) r = located(std::move(r).error(), e);
      }
    }
    if (!r) {
      errors[k] = std::move(r).error();
      failed.store(true, std::memory_order_relaxed);
    }
  });
  for (auto& err : errors)
    if (err) return std::move(*err);
  for (std::size_t k = 0; k < pieces.size();) {
    const std::size_t i = pieces[k].request;
    std::uint32_t crc = 0;
    for (; k < pieces.size() && pieces[k].request == i; ++k)
      crc = detail::crc32c_combine(crc, pieces[k].crc, pieces[k].size);
    if (!entries[i]->info.slices.empty()) continue;  // its parts were checked as they were read
    TFCKPT_TRY(checked(i, crc));
  }
  return {};
}

TFCKPT_LAZY_DEF result<void> bundle_reader::check_view_type(std::string_view key, dtype expected, std::size_t align) const {
  auto found = find_typed(key, expected);
  if (!found) return std::move(found).error();
  const entry* e = *found;
  if (static_cast<std::uint64_t>(e->info.offset) % align != 0)
    return located(make_error(errc::unsupported, "record is not aligned for a zero-copy view (write the bundle "
                                                 "with data_alignment >= " + std::to_string(align) + ")"),
                   *e);
  return {};
}

TFCKPT_LAZY_DEF result<std::span<const std::byte>> bundle_reader::view_bytes(std::string_view key) const {
  const entry* e = find(key);
  if (!e) return make_error(errc::not_found, "key not found in checkpoint").at_key(key).in_file(index_name_);
  if (!is_fixed_size(e->info.dtype) || !e->info.slices.empty())
    return located(make_error(errc::unsupported, "zero-copy views need a plain fixed-size tensor; use read() "
                                                 "for strings, variants and partitioned tensors"),
                   *e);
  if (header_.endian == endianness::big)
    return located(make_error(errc::unsupported, "a big-endian bundle cannot be viewed in place; use read()"), *e);
  TFCKPT_TRY(check_record(*e));
  auto v = shards_->view(e->info.shard_id, static_cast<std::uint64_t>(e->info.offset),
                         static_cast<std::uint64_t>(e->info.size));
  if (!v) return located(std::move(v).error(), *e);
  if (opts_.verify_checksums) {
    const std::uint32_t crc = detail::crc32c(v->data(), v->size());
    if (crc != detail::crc32c_unmask(e->info.crc32c))
      return located(make_error(errc::checksum_mismatch, "checksum does not match: stored " +
                                                             std::to_string(detail::crc32c_unmask(e->info.crc32c)) +
                                                             ", computed " + std::to_string(crc)),
                     *e);
  }
  return std::span<const std::byte>(reinterpret_cast<const std::byte*>(v->data()), v->size());
}

TFCKPT_LAZY_DEF result<trackable_object_graph> bundle_reader::object_graph() const {
  return read_object_graph(opts_.verify_checksums);
}

TFCKPT_LAZY_DEF result<trackable_object_graph> bundle_reader::read_object_graph(bool verify) const {
  const entry* e = find(object_graph_key);
  if (!e)
    return make_error(errc::not_found, "key not found in checkpoint").at_key(object_graph_key).in_file(index_name_);
  auto t = e->info.slices.empty() ? read_plain(*e, verify) : read_partitioned(*e);
  if (!t) return std::move(t).error();
  if (t->dtype() != dtype::string || t->strings().size() != 1)
    return make_error(errc::corruption, "_CHECKPOINTABLE_OBJECT_GRAPH is not a scalar string").in_file(index_name_);
  auto g = decode_object_graph(t->strings()[0], opts_.graph);
  if (!g) return std::move(g).error().at_key(object_graph_key).in_file(index_name_);
  return g;
}

TFCKPT_LAZY_DEF result<verify_summary> bundle_reader::verify() const {
  verify_summary sum;
  detail::table_read_options topts;  // verification always checks block CRCs
  auto table = detail::table_reader::open(index_view_, topts);
  if (!table) return std::move(table).error().in_file(index_name_);
  if (auto ok = table->verify_all_blocks(); !ok) return std::move(ok).error().in_file(index_name_);
  sum.blocks = table->num_data_blocks() + 2;
  for (const auto* list : {&visible_, &parts_}) {
    for (const entry& e : *list) {
      if (!e.info.slices.empty()) {
        // No overlap, full coverage and every part present (what TF's reader needs); the
        // parts' records are checked as entries of their own.
        TFCKPT_TRY(check_parts(e));
        continue;
      }
      if (is_fixed_size(e.info.dtype)) {
        // Streamed: a fixed-size record is checksummed through a small buffer, so verifying
        // costs O(1) memory whatever the tensor's size.
        TFCKPT_TRY(check_record(e));
        const auto off = static_cast<std::uint64_t>(e.info.offset), size = static_cast<std::uint64_t>(e.info.size);
        if (auto ok = shards_->check_range(e.info.shard_id, off, size); !ok) return located(std::move(ok).error(), e);
        constexpr std::uint64_t chunk = std::uint64_t{4} << 20;
        std::unique_ptr<char[]> buf(new char[static_cast<std::size_t>(std::min(chunk, std::max<std::uint64_t>(size, 1)))]);
        std::uint32_t crc = 0;
        for (std::uint64_t done = 0; done < size;) {
          const std::uint64_t n = std::min(chunk, size - done);
          std::uint32_t part = 0;
          if (auto r = shards_->read(e.info.shard_id, off + done, n, buf.get(), &part); !r)
            return located(std::move(r).error(), e);
          crc = detail::crc32c_combine(crc, part, n);
          done += n;
        }
        if (crc != detail::crc32c_unmask(e.info.crc32c))
          return located(make_error(errc::checksum_mismatch, "checksum does not match: stored " +
                                                                 std::to_string(detail::crc32c_unmask(e.info.crc32c)) +
                                                                 ", computed " + std::to_string(crc)),
                         e);
      } else {
        auto t = read_plain(e, /*verify=*/true);
        if (!t) return std::move(t).error();
      }
      ++sum.tensors;
      sum.bytes += static_cast<std::uint64_t>(e.info.size);
    }
  }
  if (has_object_graph()) {
    auto g = read_object_graph(/*verify=*/true);
    if (!g) return std::move(g).error();
  }
  return sum;
}

}  // namespace tfckpt
