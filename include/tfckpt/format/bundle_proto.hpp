// tfckpt: the protobuf messages of a tensor bundle's .index file (tensor_bundle.proto,
// tensor_shape.proto, tensor_slice.proto, versions.proto), decoded with validation and encoded
// byte-identically to TensorFlow.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protobuf.hpp"
#include "dtype.hpp"
#include "error.hpp"
#include "shape.hpp"
#include "slice.hpp"

namespace tfckpt {

struct version_def {
  std::int32_t producer = 0;
  std::int32_t min_consumer = 0;
  std::vector<std::int32_t> bad_consumers;
};

enum class endianness : std::int32_t { little = 0, big = 1 };

struct bundle_header {
  std::int32_t num_shards = 1;
  tfckpt::endianness endian = endianness::little;
  version_def version{1, 0, {}};  // kTensorBundleVersion = 1, kTensorBundleMinConsumer = 0
};

struct bundle_entry {
  ::tfckpt::dtype dtype = ::tfckpt::dtype::invalid;
  shape_t shape;
  std::int32_t shard_id = 0;
  std::int64_t offset = 0;
  std::int64_t size = 0;
  std::uint32_t crc32c = 0;  // masked; absent on the wire means 0 (docs/format.md §5.3)
  std::vector<tensor_slice> slices;
};

namespace detail {

TFCKPT_LAZY error proto_error(std::string_view what, std::string_view why) {
  return make_error(errc::corruption, "malformed " + std::string(what) + ": " + std::string(why));
}

TFCKPT_LAZY result<tensor_slice> decode_slice(std::string_view bytes) {
  tensor_slice s;
  proto_reader r(bytes);
  std::uint32_t f;
  wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return proto_error("TensorSliceProto", "bad tag");
    if (f == 1 && t == wire_type::length_delimited) {
      std::string_view ext;
      if (!r.read_bytes(ext)) return proto_error("TensorSliceProto", "truncated extent");
      slice_extent e;  // no fields = the full dimension
      bool has_length = false;
      proto_reader x(ext);
      while (!x.done()) {
        std::uint32_t xf;
        wire_type xt;
        if (!x.next(xf, xt)) return proto_error("TensorSliceProto.Extent", "bad tag");
        if (xf == 1 && xt == wire_type::varint) {
          if (!x.read_int64(e.start)) return proto_error("TensorSliceProto.Extent", "bad start");
        } else if (xf == 2 && xt == wire_type::varint) {
          if (!x.read_int64(e.length)) return proto_error("TensorSliceProto.Extent", "bad length");
          has_length = true;
        } else if (!x.skip(xt)) {
          return proto_error("TensorSliceProto.Extent", "truncated field");
        }
      }
      if (!has_length) e = slice_extent{};
      if (has_length && (e.start < 0 || e.length < 0))
        return proto_error("TensorSliceProto.Extent", "negative start or length");
      if (s.extents.size() >= max_rank) return proto_error("TensorSliceProto", "rank above 254");
      s.extents.push_back(e);
    } else if (!r.skip(t)) {
      return proto_error("TensorSliceProto", "truncated field");
    }
  }
  return s;
}

TFCKPT_LAZY void encode_slice(const tensor_slice& s, std::string& out) {
  proto_writer w(out);
  for (const slice_extent& e : s.extents) {
    std::string ext;
    if (!e.full()) {
      proto_writer x(ext);
      x.int64_field(1, e.start);
      x.int64_field_always(2, e.length);  // oneof member: present even when 0
    }
    w.bytes_field_always(1, ext);
  }
}

}  // namespace detail

// ---- allocation-free decoding and checks --------------------------------------------------------
// One decoder and one set of entry and header checks, used by bundle_reader, list_entries and
// restore_from_memory; none of them allocates, so the last can use them as they are.

// The scalar fields of a BundleEntryProto. Its dims and slices go to a sink:
//   void clear();                      start over (both lists)
//   void clear_shape();                a repeated shape field replaces the earlier one
//   void dim(std::int64_t size);       the next dimension
//   fault slice(std::string_view);     one TensorSliceProto, still encoded
struct entry_fields {
  ::tfckpt::dtype dtype = ::tfckpt::dtype::invalid;
  std::int32_t shard_id = 0;
  std::int64_t offset = 0;
  std::int64_t size = 0;
  std::uint32_t crc32c = 0;  // masked; absent on the wire means 0 (FORMAT.md §14.29)
  std::size_t rank = 0;
  std::int64_t elements = 1;  // product of the dims, -1 past TensorShape's limits
  std::size_t slices = 0;
};

// The fields of a BundleHeaderProto; bad_consumers also go to a callback.
struct header_fields {
  std::int32_t num_shards = 1;  // as decoded, 1 when absent (has_num_shards tells)
  bool has_num_shards = false;
  tfckpt::endianness endian = endianness::little;
  std::int32_t producer = 0;
  std::int32_t min_consumer = 0;
  bool consumer_1_is_bad = false;  // bad_consumers holds 1 (this reader's version)
};

inline constexpr fault invalid_shape_fault{errc::corruption, "invalid tensor shape"};

namespace detail {

// n *= d within TensorShape's limits: n becomes -1 on a negative d or a product past int64.
constexpr void multiply_dim(std::int64_t& n, std::int64_t d) noexcept {
  if (n < 0) return;
  if (d < 0 || (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d)) n = -1;
  else n *= d;
}

// The layout TF's writer produces, in this order: [08 dtype] 12 shape{12 dim{[08 size]}}*
// [18 shard_id] [20 offset] [28 size] [35 crc32c], nothing else. Decodes it straight through
// (listing 10^5 entries spends most of its time here). Returns false for anything else, valid or
// not: the general decoder then starts over and decides, with its own fault.
template <class Sink>
bool canonical_entry_fields(std::string_view bytes, entry_fields& e, Sink& sink) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  auto tag = [&p, end](char t) { return p != end && *p == t ? (++p, true) : false; };
  std::uint64_t v;
  e = entry_fields{};
  sink.clear();
  if (tag(0x08)) {
    if (!get_varint64(p, end, v) || !is_storable(static_cast<std::int64_t>(v))) return false;
    e.dtype = static_cast<tfckpt::dtype>(v);
  }
  if (!tag(0x12) || !get_varint64(p, end, v) || v > static_cast<std::uint64_t>(end - p)) return false;
  const char* const shape_end = p + v;
  while (p != shape_end) {
    if (*p++ != 0x12 || !get_varint64(p, shape_end, v) || v > static_cast<std::uint64_t>(shape_end - p)) return false;
    const char* const dim_end = p + v;
    std::uint64_t size = 0;
    if (p != dim_end && (*p++ != 0x08 || !get_varint64(p, dim_end, size) || p != dim_end)) return false;
    if (e.rank >= max_rank) return false;
    ++e.rank;
    multiply_dim(e.elements, static_cast<std::int64_t>(size));
    sink.dim(static_cast<std::int64_t>(size));
  }
  if (e.elements < 0) return false;
  if (tag(0x18)) {
    if (!get_varint64(p, end, v)) return false;
    e.shard_id = static_cast<std::int32_t>(static_cast<std::int64_t>(v));  // int32 truncation, as protobuf
    if (e.shard_id < 0) return false;
  }
  if (tag(0x20)) {
    if (!get_varint64(p, end, v) || static_cast<std::int64_t>(v) < 0) return false;
    e.offset = static_cast<std::int64_t>(v);
  }
  if (tag(0x28)) {
    if (!get_varint64(p, end, v) || static_cast<std::int64_t>(v) < 0) return false;
    e.size = static_cast<std::int64_t>(v);
  }
  if (tag(0x35)) {
    if (end - p < 4) return false;
    e.crc32c = decode_fixed32(p);
    p += 4;
  }
  return p == end;
}

// TensorShapeProto into the sink (after clear_shape()).
template <class Sink>
fault shape_fields(std::string_view bytes, entry_fields& e, Sink& sink) {
  sink.clear_shape();
  e.rank = 0;
  e.elements = 1;
  proto_reader r(bytes);
  std::uint32_t f;
  wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return {errc::corruption, "malformed TensorShapeProto: bad tag"};
    if (f == 2 && t == wire_type::length_delimited) {
      std::string_view dim;
      if (!r.read_bytes(dim)) return {errc::corruption, "malformed TensorShapeProto: truncated dim"};
      std::int64_t size = 0;
      proto_reader d(dim);
      while (!d.done()) {
        std::uint32_t df;
        wire_type dt;
        if (!d.next(df, dt)) return {errc::corruption, "malformed TensorShapeProto.Dim: bad tag"};
        if (df == 1 && dt == wire_type::varint) {
          if (!d.read_int64(size)) return {errc::corruption, "malformed TensorShapeProto.Dim: bad size"};
        } else if (!d.skip(dt)) {
          return {errc::corruption, "malformed TensorShapeProto.Dim: truncated field"};
        }
      }
      if (e.rank >= max_rank) return {errc::corruption, "malformed TensorShapeProto: rank above 254"};
      ++e.rank;
      multiply_dim(e.elements, size);
      sink.dim(size);
    } else if (!r.skip(t)) {
      return {errc::corruption, "malformed TensorShapeProto: truncated field"};
    }
  }
  if (e.elements < 0) return invalid_shape_fault;
  return {};
}

// Any valid encoding (fields in any order, repeated, unknown fields skipped).
template <class Sink>
fault general_entry_fields(std::string_view bytes, entry_fields& e, Sink& sink) {
  constexpr fault truncated{errc::corruption, "malformed BundleEntryProto: truncated field"};
  e = entry_fields{};
  sink.clear();
  proto_reader r(bytes);
  std::uint32_t f;
  wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return {errc::corruption, "malformed BundleEntryProto: bad tag"};
    bool ok = true;
    if (f == 1 && t == wire_type::varint) {
      std::int64_t d = 0;
      ok = r.read_int64(d);
      if (ok && !is_storable(d) && d != static_cast<std::int64_t>(dtype::resource))
        return {errc::corruption, "unknown dtype in bundle entry"};
      e.dtype = static_cast<tfckpt::dtype>(d);
    } else if (f == 2 && t == wire_type::length_delimited) {
      std::string_view s;
      if (!r.read_bytes(s)) return {errc::corruption, "malformed BundleEntryProto: truncated shape"};
      if (const fault ok_shape = shape_fields(s, e, sink); !ok_shape) return ok_shape;
    } else if (f == 3 && t == wire_type::varint) {
      ok = r.read_int32(e.shard_id);
    } else if (f == 4 && t == wire_type::varint) {
      ok = r.read_int64(e.offset);
    } else if (f == 5 && t == wire_type::varint) {
      ok = r.read_int64(e.size);
    } else if (f == 6 && t == wire_type::fixed32) {
      ok = r.read_fixed32(e.crc32c);
    } else if (f == 7 && t == wire_type::length_delimited) {
      std::string_view s;
      if (!r.read_bytes(s)) return {errc::corruption, "malformed BundleEntryProto: truncated slice"};
      ++e.slices;
      if (const fault ok_slice = sink.slice(s); !ok_slice) return ok_slice;
    } else {
      ok = r.skip(t);
    }
    if (!ok) return truncated;
  }
  if (e.shard_id < 0) return {errc::corruption, "malformed BundleEntryProto: negative shard_id"};
  if (e.offset < 0 || e.size < 0) return {errc::corruption, "malformed BundleEntryProto: negative offset or size"};
  return {};
}

}  // namespace detail

// A BundleEntryProto: the canonical layout straight through, anything else field by field.
template <class Sink>
fault decode_entry_fields(std::string_view bytes, entry_fields& e, Sink& sink) {
  if (detail::canonical_entry_fields(bytes, e, sink)) return {};
  return detail::general_entry_fields(bytes, e, sink);
}

// What a decoded entry must satisfy before anything is read through it (bundle_reader::open,
// list_entries, restore_from_memory): a dtype, a shard the header declares. Slices are checked
// by the caller against the shape (check_slice), which only the allocating paths decode.
inline fault validate_entry(const entry_fields& e, std::int32_t num_shards) noexcept {
  if (e.dtype == dtype::invalid) return {errc::corruption, "entry has no dtype"};
  if (e.shard_id >= num_shards) return {errc::corruption, "entry names a data shard the header does not declare"};
  return {};
}

// A fixed-size dtype's record holds exactly elements * dtype_size bytes (tensor_bundle.cc GetValue).
inline fault check_record_size(dtype type, std::int64_t elements, std::int64_t size) noexcept {
  const std::size_t elem = dtype_size(type);
  if (elem != 0 && (elements < 0 || static_cast<std::uint64_t>(elements) > static_cast<std::uint64_t>(INT64_MAX) / elem ||
                    size != elements * static_cast<std::int64_t>(elem)))
    return {errc::corruption, "invalid size in bundle entry"};
  return {};
}

// [offset, offset + size) lies inside a file of `file_size` bytes (overflow-safe).
constexpr bool record_within(std::int64_t offset, std::int64_t size, std::uint64_t file_size) noexcept {
  return offset >= 0 && size >= 0 && static_cast<std::uint64_t>(offset) <= file_size &&
         static_cast<std::uint64_t>(size) <= file_size - static_cast<std::uint64_t>(offset);
}

// BundleHeaderProto, without allocating; on_bad_consumer(int32) sees each of bad_consumers.
template <class OnBadConsumer>
fault decode_header_fields(std::string_view bytes, header_fields& h, OnBadConsumer&& on_bad_consumer) {
  using namespace detail;
  constexpr fault truncated{errc::corruption, "malformed BundleHeaderProto: truncated field"};
  h = header_fields{};
  auto bad = [&](std::int32_t b) {
    h.consumer_1_is_bad = h.consumer_1_is_bad || b == 1;
    on_bad_consumer(b);
  };
  proto_reader r(bytes);
  std::uint32_t f;
  wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return {errc::corruption, "malformed BundleHeaderProto: bad tag"};
    bool ok = true;
    if (f == 1 && t == wire_type::varint) {
      ok = r.read_int32(h.num_shards);
      h.has_num_shards = true;
    } else if (f == 2 && t == wire_type::varint) {
      std::int32_t e = 0;  // read on the error path too (g++ -O2 -Wmaybe-uninitialized)
      ok = r.read_int32(e);
      if (ok && e != 0 && e != 1) return {errc::corruption, "malformed BundleHeaderProto: unknown endianness"};
      h.endian = static_cast<endianness>(e);
    } else if (f == 3 && t == wire_type::length_delimited) {
      std::string_view v;
      ok = r.read_bytes(v);
      proto_reader vr(v);
      while (ok && !vr.done()) {
        std::uint32_t vf;
        wire_type vt;
        if (!vr.next(vf, vt)) return {errc::corruption, "malformed VersionDef: bad tag"};
        if (vf == 1 && vt == wire_type::varint) {
          ok = vr.read_int32(h.producer);
        } else if (vf == 2 && vt == wire_type::varint) {
          ok = vr.read_int32(h.min_consumer);
        } else if (vf == 3 && vt == wire_type::varint) {  // bad_consumers, unpacked
          std::int32_t b = 0;
          ok = vr.read_int32(b);
          if (ok) bad(b);
        } else if (vf == 3 && vt == wire_type::length_delimited) {  // packed
          std::string_view packed;
          ok = vr.read_bytes(packed);
          proto_reader p(packed);
          while (ok && !p.done()) {
            std::int32_t b = 0;
            ok = p.read_int32(b);
            if (ok) bad(b);
          }
        } else {
          ok = vr.skip(vt);
        }
      }
    } else {
      ok = r.skip(t);
    }
    if (!ok) return truncated;
  }
  return {};
}

// A V2 bundle this consumer may read (versions.cc CheckVersions with consumer 1 =
// kTensorBundleVersion and min producer 0). A legacy V1 TensorSlice table's "" entry is a
// SavedTensorSlices proto whose field 1 is a length-delimited `meta`: it has no shard count,
// which every V2 writer emits (>= 1, a varint in field 1).
inline fault validate_header(const header_fields& h, std::int32_t max_shards) noexcept {
  if (!h.has_num_shards)
    return {errc::unsupported, "not a V2 tensor bundle: its header has no shard count (a legacy V1 TensorSlice table?)"};
  if (h.num_shards == 0 && h.producer == 0)
    return {errc::unsupported,
            "not a V2 tensor bundle: its header has no shard count or version (a legacy V1 TensorSlice table?)"};
  if (h.num_shards < 1 || h.num_shards > max_shards) return {errc::corruption, "bad num_shards in bundle header"};
  if (h.producer < 0 || h.min_consumer > 1 || h.consumer_1_is_bad)
    return {errc::version_mismatch, "bundle version is not readable by consumer version 1"};
  return {};
}

TFCKPT_LAZY result<bundle_header> decode_bundle_header(std::string_view bytes) {
  bundle_header h;
  header_fields f;
  h.version.bad_consumers.clear();
  const fault ok = decode_header_fields(bytes, f, [&](std::int32_t b) { h.version.bad_consumers.push_back(b); });
  if (!ok) return make_error(ok);
  h.num_shards = f.num_shards;
  h.endian = f.endian;
  h.version.producer = f.producer;
  h.version.min_consumer = f.min_consumer;
  return h;
}

TFCKPT_LAZY std::string encode_bundle_header(const bundle_header& h) {
  std::string out, version;
  detail::proto_writer w(out);
  w.int64_field(1, h.num_shards);
  w.int64_field(2, static_cast<std::int32_t>(h.endian));
  detail::proto_writer v(version);
  v.int64_field(1, h.version.producer);
  v.int64_field(2, h.version.min_consumer);
  if (!h.version.bad_consumers.empty()) {
    std::string packed;
    for (std::int32_t b : h.version.bad_consumers)
      detail::put_varint64(packed, static_cast<std::uint64_t>(static_cast<std::int64_t>(b)));
    v.bytes_field_always(3, packed);
  }
  w.bytes_field_always(3, version);
  return out;
}

namespace detail {

// Fills a bundle_entry (reusing its vectors' capacity: listing a large index decodes one shape
// per entry); slices are decoded with their own messages, kept in `slice_error`.
struct bundle_entry_sink {
  bundle_entry& e;
  std::optional<error> slice_error;
  void clear() noexcept {
    e.shape.clear();
    e.slices.clear();
  }
  void clear_shape() noexcept { e.shape.clear(); }
  void dim(std::int64_t d) { e.shape.push_back(d); }
  fault slice(std::string_view bytes) {
    auto s = decode_slice(bytes);
    if (!s) {
      slice_error = std::move(s).error();
      return {errc::corruption, "malformed TensorSliceProto"};
    }
    e.slices.push_back(std::move(*s));
    return {};
  }
  // The decoder's fault as an error (a slice's own message when a slice was at fault).
  error to_error(fault f) {
    if (slice_error) return std::move(*slice_error);
    if (f.what == invalid_shape_fault.what) return make_error(f.code, std::string(f.what) + " " + shape_to_string(e.shape));
    return make_error(f);
  }
  void set(const entry_fields& f) noexcept {
    e.dtype = f.dtype;
    e.shard_id = f.shard_id;
    e.offset = f.offset;
    e.size = f.size;
    e.crc32c = f.crc32c;
  }
};

// The straight-line decoder alone (tests compare it with the general one).
TFCKPT_LAZY bool decode_canonical_entry(std::string_view bytes, bundle_entry& e) {
  entry_fields f;
  bundle_entry_sink sink{e, {}};
  if (!canonical_entry_fields(bytes, f, sink)) return false;
  sink.set(f);
  return true;
}

// The general decoder alone.
TFCKPT_LAZY result<void> decode_general_entry(std::string_view bytes, bundle_entry& e) {
  entry_fields f;
  bundle_entry_sink sink{e, {}};
  if (const fault ok = general_entry_fields(bytes, f, sink); !ok) return sink.to_error(ok);
  sink.set(f);
  return {};
}

}  // namespace detail

// Into `e`, reusing the capacity of its vectors; `fields` gets the scalar fields and counts.
TFCKPT_LAZY result<void> decode_bundle_entry_into(std::string_view bytes, bundle_entry& e, entry_fields& fields) {
  detail::bundle_entry_sink sink{e, {}};
  if (const fault ok = decode_entry_fields(bytes, fields, sink); !ok) return sink.to_error(ok);
  sink.set(fields);
  return {};
}

TFCKPT_LAZY result<void> decode_bundle_entry_into(std::string_view bytes, bundle_entry& e) {
  entry_fields fields;
  return decode_bundle_entry_into(bytes, e, fields);
}

TFCKPT_LAZY result<bundle_entry> decode_bundle_entry(std::string_view bytes) {
  bundle_entry e;
  TFCKPT_TRY(decode_bundle_entry_into(bytes, e));
  return e;
}

// A BundleEntryProto of these fields appended to `out`, allocating nothing but out's growth for
// plain entries (the writer encodes 10^5 of them into one reused buffer).
TFCKPT_LAZY void append_bundle_entry(std::string& out, dtype type, std::span<const std::int64_t> shape,
                                std::int32_t shard_id, std::int64_t offset, std::int64_t size, std::uint32_t crc32c,
                                std::span<const tensor_slice> slices) {
  // Written through a pointer into room for the longest encoding (a varint field is at most 11
  // bytes, a dim 13), then cut to size: field by field appends were a tenth of a 10^5-entry save.
  // Same bytes as proto_writer: proto3 scalars omitted when zero, the shape always present.
  auto dim_bytes = [](std::int64_t d) -> std::size_t {
    return d == 0 ? 0 : 1 + static_cast<std::size_t>(detail::varint_length(static_cast<std::uint64_t>(d)));
  };
  std::size_t shape_bytes = 0;
  for (std::int64_t d : shape) {
    const std::size_t n = dim_bytes(d);
    shape_bytes += 1 + static_cast<std::size_t>(detail::varint_length(n)) + n;
  }
  const std::size_t start = out.size();
  out.resize(start + 6 * (1 + detail::max_varint64_bytes) + shape.size() * (3 + detail::max_varint64_bytes));
  char* p = out.data() + start;
  auto field = [&p](char tag, std::uint64_t v) {
    if (v == 0) return;
    *p++ = tag;
    p = detail::encode_varint64(p, v);
  };
  field(0x08, static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(type))));
  *p++ = 0x12;
  p = detail::encode_varint64(p, shape_bytes);
  for (std::int64_t d : shape) {
    *p++ = 0x12;
    p = detail::encode_varint64(p, dim_bytes(d));
    field(0x08, static_cast<std::uint64_t>(d));
  }
  field(0x18, static_cast<std::uint64_t>(static_cast<std::int64_t>(shard_id)));
  field(0x20, static_cast<std::uint64_t>(offset));
  field(0x28, static_cast<std::uint64_t>(size));
  if (crc32c != 0) {
    *p++ = 0x35;
    detail::encode_fixed32(p, crc32c);
    p += 4;
  }
  out.resize(static_cast<std::size_t>(p - out.data()));
  detail::proto_writer w(out);
  for (const tensor_slice& s : slices) {
    std::string slice;
    detail::encode_slice(s, slice);
    w.bytes_field_always(7, slice);
  }
}

TFCKPT_LAZY std::string encode_bundle_entry(const bundle_entry& e) {
  std::string out;
  append_bundle_entry(out, e.dtype, e.shape, e.shard_id, e.offset, e.size, e.crc32c, e.slices);
  return out;
}

}  // namespace tfckpt
