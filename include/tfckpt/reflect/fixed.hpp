// tfckpt: a tensor whose shape is part of its type, stored inline (no heap): the leaf for
// embedded builds and for compile-time schemas. `fixed<float, 64, 32>` is a [64, 32] float32
// variable; `fixed<float>` is a scalar.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tfckpt {

template <class T, std::size_t... Dims>
struct fixed {
  static constexpr std::size_t rank = sizeof...(Dims);
  static constexpr std::size_t count = (std::size_t{1} * ... * Dims);
  static constexpr std::size_t size() noexcept { return count; }
  static constexpr std::array<std::int64_t, rank> dims{static_cast<std::int64_t>(Dims)...};
  using value_type = T;

  std::array<T, count> data{};

  constexpr T& operator[](std::size_t i) noexcept { return data[i]; }
  constexpr const T& operator[](std::size_t i) const noexcept { return data[i]; }
  constexpr std::span<T, count> values() noexcept { return data; }
  constexpr std::span<const T, count> values() const noexcept { return data; }
  friend constexpr bool operator==(const fixed&, const fixed&) = default;
};

// A non-owning edge to an object owned elsewhere in the same tree: TF objects reachable by
// several paths (tf-keras >= 2.11 optimizers list `_iterations` again as `_variables/0`).
// Null means "no edge".
template <class T>
struct ref {
  T* target = nullptr;
};

}  // namespace tfckpt
