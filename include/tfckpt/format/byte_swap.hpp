// tfckpt: byte order of tensor elements. Bundles record the writer's byte order; a big-endian
// bundle read here is swapped per element after its checksum (computed over file bytes) passed.
#pragma once

#include <algorithm>
#include <cstddef>

#include "dtype.hpp"

namespace tfckpt::detail {

// Complex numbers swap each component separately.
inline void swap_elements(char* p, std::size_t n, dtype t) noexcept {
  std::size_t width = dtype_size(t);
  if (t == dtype::complex64 || t == dtype::complex128) width /= 2;
  if (width <= 1) return;
  for (std::size_t i = 0; i + width <= n; i += width) std::reverse(p + i, p + i + width);
}

}  // namespace tfckpt::detail
