// tfckpt: a tensor whose shape is part of its type, stored inline (no heap): the leaf for
// embedded builds and for compile-time schemas. `fixed<float, 64, 32>` is a [64, 32] float32
// variable; `fixed<float>` is a scalar.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tfckpt {

// The element access of tensor_of (bundle/tensor.hpp), with a shape fixed at compile time:
// size(), data(), begin()/end(), operator[], values(). Row-major, like the stored tensor. An
// aggregate (brace-initialize the elements: `fixed<float, 3> b{{1, 2, 3}}`), usable in constant
// expressions, no heap.
template <class T, std::size_t... Dims>
struct fixed {
  static constexpr std::size_t rank = sizeof...(Dims);
  static constexpr std::size_t count = (std::size_t{1} * ... * Dims);
  static constexpr std::array<std::int64_t, rank> dims{static_cast<std::int64_t>(Dims)...};
  using value_type = T;

  // The elements. Public only so that fixed stays an aggregate and a structural type; use the
  // accessors below.
  std::array<T, count> elements{};

  static constexpr std::size_t size() noexcept { return count; }
  static constexpr std::int64_t num_elements() noexcept { return static_cast<std::int64_t>(count); }
  constexpr T* data() noexcept { return elements.data(); }
  constexpr const T* data() const noexcept { return elements.data(); }
  constexpr auto begin() noexcept { return elements.begin(); }
  constexpr auto end() noexcept { return elements.end(); }
  constexpr auto begin() const noexcept { return elements.begin(); }
  constexpr auto end() const noexcept { return elements.end(); }
  constexpr T& operator[](std::size_t i) noexcept { return elements[i]; }
  constexpr const T& operator[](std::size_t i) const noexcept { return elements[i]; }
  constexpr std::span<T, count> values() noexcept { return elements; }
  constexpr std::span<const T, count> values() const noexcept { return elements; }
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
