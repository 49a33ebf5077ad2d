// tfckpt: the protobuf messages of a tensor bundle's .index file (tensor_bundle.proto,
// tensor_shape.proto, tensor_slice.proto, versions.proto), decoded with validation and encoded
// byte-identically to TensorFlow.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "protobuf.hpp"
#include "dtype.hpp"
#include "error.hpp"
#include "slice.hpp"

namespace tfckpt {

using shape_t = std::vector<std::int64_t>;  // num_elements(shape_t) is in slice.hpp

// TensorShape::IsValid: rank <= 254 (kMaxDims), every dim >= 0, element count fits in int64.
inline constexpr std::size_t max_rank = 254;

inline std::string shape_to_string(const shape_t& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

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

inline error proto_error(std::string_view what, std::string_view why) {
  return make_error(errc::corruption, "malformed " + std::string(what) + ": " + std::string(why));
}

// Packed or unpacked repeated int32 (VersionDef.bad_consumers).
inline bool read_repeated_int32(proto_reader& r, wire_type t, std::vector<std::int32_t>& out) {
  if (t == wire_type::varint) {
    std::int32_t v;
    if (!r.read_int32(v)) return false;
    out.push_back(v);
    return true;
  }
  if (t != wire_type::length_delimited) return false;
  std::string_view packed;
  if (!r.read_bytes(packed)) return false;
  proto_reader p(packed);
  while (!p.done()) {
    std::int32_t v;
    if (!p.read_int32(v)) return false;
    out.push_back(v);
  }
  return true;
}

// Into `shape`, reusing its capacity (listing a large index decodes one shape per entry).
TFCKPT_ALWAYS_INLINE result<void> decode_shape_into(std::string_view bytes, shape_t& shape) {
  shape.clear();
  proto_reader r(bytes);
  std::uint32_t f;
  wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return proto_error("TensorShapeProto", "bad tag");
    if (f == 2 && t == wire_type::length_delimited) {
      std::string_view dim;
      if (!r.read_bytes(dim)) return proto_error("TensorShapeProto", "truncated dim");
      std::int64_t size = 0;
      proto_reader d(dim);
      while (!d.done()) {
        std::uint32_t df;
        wire_type dt;
        if (!d.next(df, dt)) return proto_error("TensorShapeProto.Dim", "bad tag");
        if (df == 1 && dt == wire_type::varint) {
          if (!d.read_int64(size)) return proto_error("TensorShapeProto.Dim", "bad size");
        } else if (!d.skip(dt)) {
          return proto_error("TensorShapeProto.Dim", "truncated field");
        }
      }
      if (shape.size() >= max_rank) return proto_error("TensorShapeProto", "rank above 254");
      shape.push_back(size);
    } else if (!r.skip(t)) {
      return proto_error("TensorShapeProto", "truncated field");
    }
  }
  if (num_elements(shape) < 0)
    return make_error(errc::corruption, "invalid tensor shape " + shape_to_string(shape));
  return {};
}

inline result<shape_t> decode_shape(std::string_view bytes) {
  shape_t shape;
  TFCKPT_TRY(decode_shape_into(bytes, shape));
  return shape;
}

inline result<tensor_slice> decode_slice(std::string_view bytes) {
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

inline void encode_shape(const shape_t& shape, std::string& out) {
  proto_writer w(out);
  for (std::int64_t d : shape) {
    std::string dim;
    proto_writer(dim).int64_field(1, d);
    w.bytes_field_always(2, dim);
  }
}

inline void encode_slice(const tensor_slice& s, std::string& out) {
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

inline result<bundle_header> decode_bundle_header(std::string_view bytes) {
  using namespace detail;
  bundle_header h;
  h.version = version_def{};
  proto_reader r(bytes);
  std::uint32_t f;
  wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return proto_error("BundleHeaderProto", "bad tag");
    bool ok = true;
    if (f == 1 && t == wire_type::varint) {
      ok = r.read_int32(h.num_shards);
    } else if (f == 2 && t == wire_type::varint) {
      std::int32_t e = 0;  // read on the error path too (g++ -O2 -Wmaybe-uninitialized)
      ok = r.read_int32(e);
      if (ok && e != 0 && e != 1) return proto_error("BundleHeaderProto", "unknown endianness " + std::to_string(e));
      h.endian = static_cast<endianness>(e);
    } else if (f == 3 && t == wire_type::length_delimited) {
      std::string_view v;
      ok = r.read_bytes(v);
      proto_reader vr(v);
      while (ok && !vr.done()) {
        std::uint32_t vf;
        wire_type vt;
        if (!vr.next(vf, vt)) return proto_error("VersionDef", "bad tag");
        if (vf == 1 && vt == wire_type::varint) ok = vr.read_int32(h.version.producer);
        else if (vf == 2 && vt == wire_type::varint) ok = vr.read_int32(h.version.min_consumer);
        else if (vf == 3) ok = read_repeated_int32(vr, vt, h.version.bad_consumers);
        else ok = vr.skip(vt);
      }
    } else {
      ok = r.skip(t);
    }
    if (!ok) return proto_error("BundleHeaderProto", "truncated field");
  }
  return h;
}

inline std::string encode_bundle_header(const bundle_header& h) {
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

// Empty, keeping the vectors' capacity.
inline void reset_entry(bundle_entry& e) noexcept {
  e.dtype = dtype::invalid;
  e.shard_id = 0;
  e.offset = e.size = 0;
  e.crc32c = 0;
  e.shape.clear();
  e.slices.clear();
}

// The layout TF's writer produces, in this order: [08 dtype] 12 shape{12 dim{[08 size]}}*
// [18 shard_id] [20 offset] [28 size] [35 crc32c], nothing else. Decodes it straight through
// (listing 10^5 entries spends most of its time here). Returns false for anything else, valid or
// not: the general decoder then starts over and decides, with its own error messages.
inline bool decode_canonical_entry(std::string_view bytes, bundle_entry& e) noexcept {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  auto tag = [&p, end](char t) { return p != end && *p == t ? (++p, true) : false; };
  std::uint64_t v;
  reset_entry(e);
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
    if (e.shape.size() >= max_rank) return false;
    e.shape.push_back(static_cast<std::int64_t>(size));
  }
  if (num_elements(e.shape) < 0) return false;
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

// Any valid encoding (fields in any order, repeated, unknown fields skipped), with an error
// that says what is wrong otherwise.
inline result<void> decode_general_entry(std::string_view bytes, bundle_entry& e) {
  reset_entry(e);
  proto_reader r(bytes);
  std::uint32_t f;
  wire_type t;
  while (!r.done()) {
    if (!r.next(f, t)) return proto_error("BundleEntryProto", "bad tag");
    bool ok = true;
    if (f == 1 && t == wire_type::varint) {
      std::int64_t d = 0;
      ok = r.read_int64(d);
      if (ok && !is_storable(d) && d != static_cast<std::int64_t>(dtype::resource))
        return make_error(errc::corruption, "unknown dtype " + std::to_string(d) + " in bundle entry");
      e.dtype = static_cast<tfckpt::dtype>(d);
    } else if (f == 2 && t == wire_type::length_delimited) {
      std::string_view s;
      if (!r.read_bytes(s)) return proto_error("BundleEntryProto", "truncated shape");
      TFCKPT_TRY(decode_shape_into(s, e.shape));
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
      if (!r.read_bytes(s)) return proto_error("BundleEntryProto", "truncated slice");
      auto slice = decode_slice(s);
      if (!slice) return std::move(slice).error();
      e.slices.push_back(std::move(*slice));
    } else {
      ok = r.skip(t);
    }
    if (!ok) return proto_error("BundleEntryProto", "truncated field");
  }
  if (e.shard_id < 0) return proto_error("BundleEntryProto", "negative shard_id");
  if (e.offset < 0 || e.size < 0) return proto_error("BundleEntryProto", "negative offset or size");
  return {};
}

}  // namespace detail

// Into `e`, reusing the capacity of its vectors (see decode_shape_into).
inline result<void> decode_bundle_entry_into(std::string_view bytes, bundle_entry& e) {
  if (detail::decode_canonical_entry(bytes, e)) return {};
  return detail::decode_general_entry(bytes, e);
}

inline result<bundle_entry> decode_bundle_entry(std::string_view bytes) {
  bundle_entry e;
  TFCKPT_TRY(decode_bundle_entry_into(bytes, e));
  return e;
}

inline std::string encode_bundle_entry(const bundle_entry& e) {
  std::string out, shape;
  detail::proto_writer w(out);
  w.int64_field(1, static_cast<std::int32_t>(e.dtype));
  detail::encode_shape(e.shape, shape);
  w.bytes_field_always(2, shape);  // TF always sets the shape, even for scalars (`12 00`)
  w.int64_field(3, e.shard_id);
  w.int64_field(4, e.offset);
  w.int64_field(5, e.size);
  w.fixed32_field(6, e.crc32c);
  for (const tensor_slice& s : e.slices) {
    std::string slice;
    detail::encode_slice(s, slice);
    w.bytes_field_always(7, slice);
  }
  return out;
}

}  // namespace tfckpt
