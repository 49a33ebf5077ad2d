// tfckpt: the shape vocabulary every layer shares (tensor_shape.proto / TensorShape): shape_t,
// the one rank limit, element counts and the text form used in messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
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

inline std::string shape_to_string(const shape_t& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace tfckpt
