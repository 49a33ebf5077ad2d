// tfckpt: the shape vocabulary every layer shares (tensor_shape.proto / TensorShape): shape_t,
// the one rank limit, element counts and the text form used in messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace tfckpt {

using shape_t = std::vector<std::int64_t>;

// TensorShape::IsValid: rank <= 254 (kMaxDims). Also bounds the rank of a tensor slice, of a
// decoded slice key and of what the writer accepts.
inline constexpr std::size_t max_rank = 254;

// Number of elements of `dims[0, rank)`, or -1 for a negative dim or a product past int64
// (TensorShape's limits). Allocation-free: callers with fixed arrays use it too.
inline std::int64_t num_elements(const std::int64_t* dims, std::size_t rank) noexcept {
  std::int64_t n = 1;
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t d = dims[i];
    if (d < 0) return -1;
    // Both factors below 2^31 cannot overflow: no division in the usual case (once per entry).
    if (((n | d) >> 31) == 0) {
      n *= d;
      continue;
    }
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

inline std::int64_t num_elements(const shape_t& shape) noexcept { return num_elements(shape.data(), shape.size()); }
// (Shapes viewed in place: bundle_reader's entries.)
inline std::int64_t num_elements(std::span<const std::int64_t> shape) noexcept {
  return num_elements(shape.data(), shape.size());
}

inline bool same_shape(std::span<const std::int64_t> a, std::span<const std::int64_t> b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// A shape held elsewhere (bundle_reader's entry table keeps every entry's dims in shared
// chunks): a span of the dims that compares with shape_t and with other views.
class shape_view : public std::span<const std::int64_t> {
 public:
  shape_view() = default;
  shape_view(std::span<const std::int64_t> s) noexcept : std::span<const std::int64_t>(s) {}  // NOLINT: implicit
  shape_view(const std::int64_t* dims, std::size_t rank) noexcept : std::span<const std::int64_t>(dims, rank) {}
  shape_t to_shape() const { return shape_t(begin(), end()); }
  friend bool operator==(shape_view a, shape_view b) noexcept { return same_shape(a, b); }
  friend bool operator==(shape_view a, const shape_t& b) noexcept { return same_shape(a, b); }
};

inline std::string shape_to_string(std::span<const std::int64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace tfckpt
