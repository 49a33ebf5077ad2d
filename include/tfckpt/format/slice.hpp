// tfckpt: partitioned (sliced) tensors (docs/format.md §8): TF's TensorSlice text syntax, the binary
// slice keys of a bundle (saved_tensor_slice_util.cc EncodeTensorNameSlice), validity against a
// full shape, copying slices in and out of a full row-major buffer, and coverage checks.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ordered_code.hpp"
#include "shape.hpp"
#include "dtype.hpp"
#include "error.hpp"

namespace tfckpt {

// One dimension of a slice. A negative length (TF's kFullExtent -1) = the whole dimension.
struct slice_extent {
  std::int64_t start = 0;
  std::int64_t length = -1;
  bool full() const { return length < 0; }
  friend bool operator==(const slice_extent&, const slice_extent&) = default;
};

struct tensor_slice {
  std::vector<slice_extent> extents;  // one per dimension
  std::size_t rank() const { return extents.size(); }
  static tensor_slice full(std::size_t rank) { return {std::vector<slice_extent>(rank)}; }
  friend bool operator==(const tensor_slice&, const tensor_slice&) = default;
};

namespace detail {

// TF splits slice specs on ':' and ',' skipping empty items, shape_and_slice on ' ' keeping them.
TFCKPT_LAZY std::vector<std::string_view> split(std::string_view s, char sep, bool skip_empty) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto p = s.find(sep);
    if (!skip_empty || (p != 0 && !s.empty())) out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

// Decimal int64, optional '-'; rejects empty input, junk and overflow.
TFCKPT_LAZY std::optional<std::int64_t> parse_int64(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A partial extent needs start >= 0, length > 0 and an end within int64 (TF's BuildTensorSlice).
TFCKPT_LAZY bool valid_partial_extent(const slice_extent& e) {
  return e.start >= 0 && e.length > 0 && e.start <= INT64_MAX - e.length;
}

// [begin, end) of an extent in a dimension of size `dim`.
TFCKPT_LAZY std::pair<std::int64_t, std::int64_t> extent_range(const slice_extent& e, std::int64_t dim) {
  if (e.full()) return {0, dim};
  return {e.start, e.start + e.length};
}

// Bytes of a tensor of `dims`; false on overflow or elem == 0.
TFCKPT_LAZY bool byte_size(const shape_t& dims, std::size_t elem, std::size_t& out) {
  const std::int64_t n = tfckpt::num_elements(dims);
  if (n < 0 || elem == 0 || static_cast<std::uint64_t>(n) > SIZE_MAX / elem) return false;
  out = static_cast<std::size_t>(n) * elem;
  return true;
}

}  // namespace detail

// "0,5:-" -> [{0,5}, full] (TF's TensorSlice::Parse; empty items are skipped, "" is rank 0).
TFCKPT_LAZY result<tensor_slice> parse_tensor_slice(std::string_view spec) {
  const auto bad = [&](errc c, std::string_view what) {
    return make_error(c, std::string(what) + " in tensor slice '" + std::string(spec) + "'");
  };
  tensor_slice s;
  for (auto item : detail::split(spec, ':', true)) {
    if (s.rank() >= max_rank) return bad(errc::limit_exceeded, "rank above 254");
    if (item == "-") {
      s.extents.emplace_back();
      continue;
    }
    const auto sl = detail::split(item, ',', true);
    const auto st = sl.size() == 2 ? detail::parse_int64(sl[0]) : std::nullopt;
    const auto len = sl.size() == 2 ? detail::parse_int64(sl[1]) : std::nullopt;
    if (!st || !len) return bad(errc::invalid_argument, "expected a pair of numbers or '-'");
    s.extents.push_back({*st, *len});
    if (!detail::valid_partial_extent(s.extents.back())) {
      return bad(errc::invalid_argument, "expected non-negative start and positive length");
    }
  }
  return s;
}

// TF's TensorSlice::DebugString: "-" for a full dimension, "start,length" otherwise.
TFCKPT_LAZY std::string tensor_slice_to_string(const tensor_slice& s) {
  std::string out;
  for (const auto& e : s.extents) {
    if (!out.empty()) out += ':';
    out += e.full() ? std::string("-") : std::to_string(e.start) + "," + std::to_string(e.length);
  }
  return out;
}

// Slice validity against a full shape (TF's BuildTensorSlice + SliceTensorShape): equal ranks,
// dims >= 0, partial extents with start >= 0, length > 0, start + length <= dim, no overflow.
TFCKPT_LAZY result<void> check_slice(const tensor_slice& s, const shape_t& full_shape) {
  const auto where = " (slice " + tensor_slice_to_string(s) + ")";
  if (s.rank() != full_shape.size()) {
    return make_error(errc::shape_mismatch, "slice rank differs from shape rank " +
                                                std::to_string(full_shape.size()) + where);
  }
  for (std::size_t d = 0; d < s.rank(); ++d) {
    const auto& e = s.extents[d];
    if (full_shape[d] < 0) return make_error(errc::invalid_argument, "negative dimension" + where);
    if (!e.full() && (!detail::valid_partial_extent(e) || e.start + e.length > full_shape[d])) {
      return make_error(errc::invalid_argument, "extent out of bounds in dimension " +
                                                    std::to_string(d) + " of size " +
                                                    std::to_string(full_shape[d]) + where);
    }
  }
  return {};
}

// SaveV2's shape_and_slice: full dims separated by spaces, a space, the slice ("10 20 0,5:-").
struct shape_and_slice {
  shape_t shape;
  tensor_slice slice;
};
TFCKPT_LAZY result<shape_and_slice> parse_shape_and_slice(std::string_view spec) {
  auto parts = detail::split(spec, ' ', false);
  if (parts.size() < 2 || parts.size() - 1 > max_rank) {
    return make_error(errc::invalid_argument, "shape_and_slice '" + std::string(spec) +
                                                  "' needs 1..254 dims and a slice");
  }
  auto sl = parse_tensor_slice(parts.back());
  if (!sl) return std::move(sl).error();
  shape_and_slice r{{}, std::move(*sl)};
  parts.pop_back();
  for (auto p : parts) {
    const auto d = detail::parse_int64(p);
    if (!d) return make_error(errc::invalid_argument, "bad dim in '" + std::string(spec) + "'");
    r.shape.push_back(*d);
  }
  if (num_elements(r.shape) < 0) {
    return make_error(errc::invalid_argument, "invalid shape in '" + std::string(spec) + "'");
  }
  TFCKPT_TRY(check_slice(r.slice, r.shape));
  return r;
}
// REQUIRES: rank >= 1 (the syntax cannot express a scalar).
TFCKPT_LAZY std::string shape_and_slice_to_string(const shape_t& shape, const tensor_slice& s) {
  std::string out;
  for (auto d : shape) out += std::to_string(d) + ' ';
  return out + tensor_slice_to_string(s);
}

// NumIncreasing(0) . String(name) . NumIncreasing(rank) . per dim SignedNumIncreasing(start),
// SignedNumIncreasing(length). A full extent is written (0, -1) whatever its stored start. TF1
// Python partitioned variables write explicit "0,dim" extents for unsplit dims; those stay
// explicit (0,20 -> 80 94, not 80 7f) because TF looks slices up by exactly these bytes.
TFCKPT_LAZY std::string encode_tensor_name_slice(std::string_view name, const tensor_slice& s) {
  std::string k;
  detail::write_num_increasing(k, 0);
  detail::write_string(k, name);
  detail::write_num_increasing(k, s.rank());
  for (const auto& e : s.extents) {
    detail::write_signed_num_increasing(k, e.full() ? 0 : e.start);
    detail::write_signed_num_increasing(k, e.full() ? -1 : e.length);
  }
  return k;
}

// Inverse of encode_tensor_name_slice. Stricter than TF: besides rank 0 (which TF rejects too) it
// rejects trailing bytes, invalid partial extents and full extents other than (0, -1), so every
// accepted key re-encodes to itself.
TFCKPT_LAZY result<std::pair<std::string, tensor_slice>> decode_tensor_name_slice(std::string_view key) {
  const auto bad = [&](const char* what) {
    return make_error(errc::corruption, std::string("malformed slice key: ") + what).at_key(key);
  };
  std::string_view in = key;
  std::uint64_t x = 0;
  std::pair<std::string, tensor_slice> r;
  if (!detail::read_num_increasing(in, x) || x != 0) return bad("leading number is not 0");
  if (!detail::read_string(in, r.first)) return bad("bad tensor name");
  if (!detail::read_num_increasing(in, x) || x == 0 || x > max_rank) return bad("bad rank");
  if (x * 2 > in.size()) return bad("truncated extents");  // checked before reserving
  r.second.extents.resize(static_cast<std::size_t>(x));
  for (auto& e : r.second.extents) {
    if (!detail::read_signed_num_increasing(in, e.start) ||
        !detail::read_signed_num_increasing(in, e.length)) {
      return bad("bad extent number");
    }
    if (e.full() ? e.start != 0 || e.length != -1 : !detail::valid_partial_extent(e)) {
      return bad("invalid extent");
    }
  }
  if (!in.empty()) return bad("trailing bytes");
  return r;
}

// TF's IsFullSlice: every extent is full or spans its whole dimension. False on rank mismatch.
TFCKPT_LAZY bool is_full_slice(const tensor_slice& s, const shape_t& full_shape) {
  if (s.rank() != full_shape.size()) return false;
  for (std::size_t d = 0; d < s.rank(); ++d) {
    const auto& e = s.extents[d];
    if (!e.full() && (e.start != 0 || e.length != full_shape[d])) return false;
  }
  return true;
}

// REQUIRES: check_slice(s, full_shape) ok.
TFCKPT_LAZY shape_t slice_shape(const tensor_slice& s, const shape_t& full_shape) {
  shape_t out(s.rank());
  for (std::size_t d = 0; d < s.rank(); ++d) {
    out[d] = s.extents[d].full() ? full_shape[d] : s.extents[d].length;
  }
  return out;
}

namespace detail {
// Calls f(slice_byte_offset, full_byte_offset, nbytes) for each contiguous run of the slice in
// row-major order. Trailing dims the slice spans completely merge into one run, so a slice along
// dim 0 is one memcpy. REQUIRES: check_slice ok and byte_size(full, elem) succeeds.
template <class F>
void for_each_slice_run(const tensor_slice& s, const shape_t& full, std::size_t elem, F&& f) {
  const auto sub = slice_shape(s, full);
  const std::size_t r = sub.size();
  if (std::find(sub.begin(), sub.end(), 0) != sub.end()) return;  // no elements
  if (r == 0) return f(std::size_t{0}, std::size_t{0}, elem);
  std::vector<std::size_t> stride(r, elem), first(r), idx(r, 0);  // byte strides of `full`
  for (std::size_t d = r; d-- > 0;) {
    if (d + 1 < r) stride[d] = stride[d + 1] * static_cast<std::size_t>(full[d + 1]);
    first[d] = static_cast<std::size_t>(extent_range(s.extents[d], full[d]).first);
  }
  std::size_t k = r - 1;  // dims after k are spanned completely
  while (k > 0 && sub[k] == full[k]) --k;
  const std::size_t run = static_cast<std::size_t>(sub[k]) * stride[k];
  for (std::size_t src = 0;; src += run) {  // odometer idx over dims 0..k-1
    std::size_t off = first[k] * stride[k];
    for (std::size_t d = 0; d < k; ++d) off += (first[d] + idx[d]) * stride[d];
    f(src, off, run);
    std::size_t d = k;
    while (d > 0 && ++idx[d - 1] == static_cast<std::size_t>(sub[d - 1])) idx[--d] = 0;
    if (d == 0) return;
  }
}
}  // namespace detail

// Copies a stored slice (row-major, elem_size bytes per element) into its place in the full
// row-major buffer. Errors if the slice is invalid for full_shape or either size is wrong.
TFCKPT_LAZY result<void> copy_slice_into(const tensor_slice& s, const shape_t& full_shape,
                                    std::size_t elem_size, std::string_view slice_bytes,
                                    char* full_dst, std::size_t full_dst_size) {
  TFCKPT_TRY(check_slice(s, full_shape));
  std::size_t full_bytes = 0, sub_bytes = 0;
  if (!detail::byte_size(full_shape, elem_size, full_bytes) || full_bytes != full_dst_size ||
      !detail::byte_size(slice_shape(s, full_shape), elem_size, sub_bytes) ||
      sub_bytes != slice_bytes.size()) {
    return make_error(errc::shape_mismatch,
                      "slice " + tensor_slice_to_string(s) + ": buffers of " +
                          std::to_string(slice_bytes.size()) + " and " +
                          std::to_string(full_dst_size) + " bytes, expected " +
                          std::to_string(sub_bytes) + " and " + std::to_string(full_bytes));
  }
  detail::for_each_slice_run(s, full_shape, elem_size, [&](auto src, auto dst, auto n) {
    std::memcpy(full_dst + dst, slice_bytes.data() + src, n);
  });
  return {};
}

// The slice's elements taken out of a full row-major tensor (for writing partitioned variables).
// REQUIRES: check_slice ok and full_bytes.size() matches full_shape; otherwise returns "".
TFCKPT_LAZY std::string extract_slice(const tensor_slice& s, const shape_t& full_shape,
                                 std::size_t elem_size, std::string_view full_bytes) {
  std::size_t need = 0, sub_bytes = 0;
  if (!check_slice(s, full_shape) || !detail::byte_size(full_shape, elem_size, need) ||
      need != full_bytes.size() ||
      !detail::byte_size(slice_shape(s, full_shape), elem_size, sub_bytes)) {
    return {};
  }
  std::string out(sub_bytes, '\0');
  detail::for_each_slice_run(s, full_shape, elem_size, [&](auto dst, auto src, auto n) {
    std::memcpy(out.data() + dst, full_bytes.data() + src, n);
  });
  return out;
}

// Whether two slices share an element. TF's TensorSliceSet::Register refuses such sets
// ("Overlapping slices"). Pairwise like TF, but sweeping dim-0 ranges sorted by start, so slices
// split along dim 0 cost O(n log n). REQUIRES: every slice passes check_slice.
TFCKPT_LAZY bool slices_overlap(const std::vector<tensor_slice>& slices, const shape_t& full_shape) {
  if (full_shape.empty()) return slices.size() > 1;
  const auto range = [&](std::size_t i, std::size_t d) {
    return detail::extent_range(slices[i].extents[d], full_shape[d]);
  };
  std::vector<std::size_t> order(slices.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return range(a, 0) < range(b, 0); });
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto end0 = range(order[i], 0).second;
    for (std::size_t j = i + 1; j < order.size() && range(order[j], 0).first < end0; ++j) {
      bool meet = true;
      for (std::size_t d = 1; d < full_shape.size() && meet; ++d) {
        const auto [a0, a1] = range(order[i], d);
        const auto [b0, b1] = range(order[j], d);
        meet = std::max(a0, b0) < std::min(a1, b1);
      }
      if (meet) return true;
    }
  }
  return false;
}

// Caps of slices_cover: grid cells, cell markings, slices for the pairwise fallback.
inline constexpr std::uint64_t max_cover_cells = std::uint64_t{1} << 22;
inline constexpr std::uint64_t max_cover_work = std::uint64_t{1} << 24;
inline constexpr std::size_t max_cover_pairwise = 4096;

// Whether every element of full_shape lies in at least one slice (else TF's reader fails with
// "Does not have sufficient slices for partitioned tensor"). Never allocates per element: each
// dim is cut at the slice boundaries and one flag kept per grid cell. Past the cell or work caps
// it falls back to TF's own test (no overlap, volumes sum to the total) for up to
// max_cover_pairwise slices, else answers false. Any invalid slice gives false.
TFCKPT_LAZY bool slices_cover(const std::vector<tensor_slice>& slices, const shape_t& full_shape) {
  for (const auto& s : slices) {
    if (!check_slice(s, full_shape)) return false;
  }
  const std::int64_t total = num_elements(full_shape);
  if (total <= 0) return total == 0;  // zero elements: vacuously covered
  const std::size_t r = full_shape.size();
  std::vector<shape_t> cuts(r);
  std::uint64_t cells = 1;
  for (std::size_t d = 0; d < r; ++d) {
    cuts[d] = {0, full_shape[d]};
    for (const auto& s : slices) {
      const auto [b, e] = detail::extent_range(s.extents[d], full_shape[d]);
      cuts[d].insert(cuts[d].end(), {b, e});
    }
    std::sort(cuts[d].begin(), cuts[d].end());
    cuts[d].erase(std::unique(cuts[d].begin(), cuts[d].end()), cuts[d].end());
    cells = std::min<std::uint64_t>(cells * (cuts[d].size() - 1), max_cover_cells + 1);
  }
  std::uint64_t work = 0;
  if (cells <= max_cover_cells) {
    std::vector<unsigned char> hit(static_cast<std::size_t>(cells), 0);
    std::vector<std::size_t> lo(r), hi(r), idx(r);  // the cell box of one slice
    const auto cut = [&](std::size_t d, std::int64_t v) {
      const auto it = std::lower_bound(cuts[d].begin(), cuts[d].end(), v);
      return static_cast<std::size_t>(it - cuts[d].begin());
    };
    for (const auto& s : slices) {
      std::uint64_t box = 1;
      for (std::size_t d = 0; d < r; ++d) {
        const auto [b, e] = detail::extent_range(s.extents[d], full_shape[d]);
        lo[d] = idx[d] = cut(d, b);
        hi[d] = cut(d, e);
        box *= hi[d] - lo[d];  // <= cells
      }
      if ((work += box) > max_cover_work) break;  // heavy overlap; see the fallback
      for (std::uint64_t n = 0; n < box; ++n) {
        std::size_t cell = 0;
        for (std::size_t d = 0; d < r; ++d) cell = cell * (cuts[d].size() - 1) + idx[d];
        hit[cell] = 1;
        for (std::size_t d = r; d > 0 && ++idx[d - 1] == hi[d - 1]; --d) idx[d - 1] = lo[d - 1];
      }
    }
    if (work <= max_cover_work) return std::find(hit.begin(), hit.end(), 0) == hit.end();
  }
  if (slices.size() > max_cover_pairwise || slices_overlap(slices, full_shape)) return false;
  std::uint64_t sum = 0;  // disjoint slices inside the shape: sum <= total, no overflow
  for (const auto& s : slices) sum += static_cast<std::uint64_t>(num_elements(slice_shape(s, full_shape)));
  return sum == static_cast<std::uint64_t>(total);
}

// Bound on the slice pairs check_slice_partition compares (each costing O(rank)).
inline constexpr std::uint64_t max_partition_pairs = std::uint64_t{1} << 26;

// What TF's reader demands of a partitioned tensor's slices before it reads any part
// (TensorSliceSet::Register, then QueryMeta): each slice valid for the shape, no two sharing an
// element (corruption "Overlapping slices: existing slice = A, new slice = B", as TF says), and,
// being disjoint, their volumes summing to the tensor's ("does not have sufficient slices for
// partitioned tensor"). Interval arithmetic only, nothing per element: the pairs are swept along
// the dimension with the most distinct slice starts, so a tensor split along any one dimension
// costs O(n log n); past max_partition_pairs compared pairs the answer is limit_exceeded.
TFCKPT_LAZY result<void> check_slice_partition(const std::vector<tensor_slice>& slices, const shape_t& full_shape) {
  for (const auto& s : slices) TFCKPT_TRY(check_slice(s, full_shape));
  const std::size_t r = full_shape.size();
  const auto range = [&](std::size_t i, std::size_t d) {
    return detail::extent_range(slices[i].extents[d], full_shape[d]);
  };
  const auto empty = [&](std::size_t i) {
    for (std::size_t d = 0; d < r; ++d)
      if (range(i, d).first == range(i, d).second) return true;
    return false;
  };
  auto overlapping = [&](std::size_t a, std::size_t b) {
    return make_error(errc::corruption, "Overlapping slices: existing slice = " + tensor_slice_to_string(slices[a]) +
                                            ", new slice = " + tensor_slice_to_string(slices[b]));
  };
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < slices.size(); ++i)
    if (!empty(i)) order.push_back(i);  // an empty slice overlaps nothing
  if (r == 0) {
    if (order.size() > 1) return overlapping(order[0], order[1]);
  } else if (order.size() > 1) {
    std::size_t sweep = 0, best = 0;
    std::vector<std::int64_t> starts(order.size());
    for (std::size_t d = 0; d < r; ++d) {
      for (std::size_t k = 0; k < order.size(); ++k) starts[k] = range(order[k], d).first;
      std::sort(starts.begin(), starts.end());
      const auto distinct = static_cast<std::size_t>(std::unique(starts.begin(), starts.end()) - starts.begin());
      if (distinct > best) best = distinct, sweep = d;
    }
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return range(a, sweep) < range(b, sweep); });
    std::uint64_t pairs = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
      const auto end = range(order[i], sweep).second;
      for (std::size_t j = i + 1; j < order.size() && range(order[j], sweep).first < end; ++j) {
        if (++pairs > max_partition_pairs)
          return make_error(errc::limit_exceeded, "more than " + std::to_string(max_partition_pairs) +
                                                      " pairs of slices to compare for overlap (" +
                                                      std::to_string(slices.size()) + " slices)");
        bool meet = true;
        for (std::size_t d = 0; d < r && meet; ++d) {
          if (d == sweep) continue;
          const auto [a0, a1] = range(order[i], d);
          const auto [b0, b1] = range(order[j], d);
          meet = std::max(a0, b0) < std::min(a1, b1);
        }
        if (meet) return overlapping(std::min(order[i], order[j]), std::max(order[i], order[j]));
      }
    }
  }
  const std::int64_t total = num_elements(full_shape);
  std::uint64_t sum = 0;  // disjoint slices inside the shape: sum <= total, no overflow
  for (std::size_t i : order) sum += static_cast<std::uint64_t>(num_elements(slice_shape(slices[i], full_shape)));
  if (total < 0 || sum != static_cast<std::uint64_t>(total))
    return make_error(errc::corruption, "does not have sufficient slices for partitioned tensor (" +
                                            std::to_string(slices.size()) + " slices cover " + std::to_string(sum) +
                                            " of " + std::to_string(total) + " elements)");
  return {};
}

// Dtypes TF's BundleReader can reassemble from slices ([TB.cc] GetSliceValue HANDLE_COPY).
// int4/uint4 verified with TF 2.21 RestoreV2; half, uint16/32/64, qint16/quint16 and string fail
// there with "Dtype ... not supported", as do float8 types (not in the list).
constexpr bool dtype_supports_slicing(dtype t) noexcept {
  switch (t) {
    case dtype::float32: case dtype::float64: case dtype::int32: case dtype::uint8:
    case dtype::int16: case dtype::int8: case dtype::complex64: case dtype::complex128:
    case dtype::int64: case dtype::bool_: case dtype::qint32: case dtype::quint8:
    case dtype::qint8: case dtype::bfloat16: case dtype::int4: case dtype::uint4: return true;
    default: return false;
  }
}

}  // namespace tfckpt
