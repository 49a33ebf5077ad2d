// tfckpt: an owning tensor as read from or written to a bundle: dtype, shape and either raw
// element bytes (fixed-size dtypes, row-major, little-endian) or one byte string per element
// (DT_STRING; DT_VARIANT elements are kept as serialized VariantTensorDataProto bytes).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../format/bundle_proto.hpp"
#include "../format/config.hpp"
#include "../format/dtype.hpp"
#include "../format/error.hpp"
#include "../format/half.hpp"

namespace tfckpt {

// The dtype a C++ element type is stored as; dtype::invalid for types with no TF counterpart.
template <class T>
inline constexpr dtype dtype_of = dtype::invalid;
template <> inline constexpr dtype dtype_of<float> = dtype::float32;
template <> inline constexpr dtype dtype_of<double> = dtype::float64;
template <> inline constexpr dtype dtype_of<std::int8_t> = dtype::int8;
template <> inline constexpr dtype dtype_of<std::int16_t> = dtype::int16;
template <> inline constexpr dtype dtype_of<std::int32_t> = dtype::int32;
template <> inline constexpr dtype dtype_of<std::int64_t> = dtype::int64;
template <> inline constexpr dtype dtype_of<std::uint8_t> = dtype::uint8;
template <> inline constexpr dtype dtype_of<std::uint16_t> = dtype::uint16;
template <> inline constexpr dtype dtype_of<std::uint32_t> = dtype::uint32;
template <> inline constexpr dtype dtype_of<std::uint64_t> = dtype::uint64;
template <> inline constexpr dtype dtype_of<bool> = dtype::bool_;
template <> inline constexpr dtype dtype_of<float16> = dtype::float16;
template <> inline constexpr dtype dtype_of<bfloat16> = dtype::bfloat16;
template <> inline constexpr dtype dtype_of<std::string> = dtype::string;
// `long long` may differ from int64_t (e.g. int64_t = long on LP64).
template <class T>
  requires(std::is_same_v<T, long long> && !std::is_same_v<long long, std::int64_t>)
inline constexpr dtype dtype_of<T> = dtype::int64;

namespace detail {
// std::complex<float> / <double> without including <complex>: with libstdc++ it pulls in
// <sstream> and costs every unit ~0.2 s of parsing. Matched by shape: a value_type V, real() and
// imag() returning V, and the size of two V (as [complex.numbers] lays it out).
template <class T, class V>
concept complex_of = requires(const T& c) {
  typename T::value_type;
  c.real();
  c.imag();
} && std::is_same_v<typename T::value_type, V> && std::is_same_v<decltype(std::declval<const T&>().real()), V> &&
                     std::is_same_v<decltype(std::declval<const T&>().imag()), V> && sizeof(T) == 2 * sizeof(V);
}  // namespace detail
template <class T>
  requires detail::complex_of<T, float>
inline constexpr dtype dtype_of<T> = dtype::complex64;
template <class T>
  requires detail::complex_of<T, double>
inline constexpr dtype dtype_of<T> = dtype::complex128;

namespace detail {

// The element count of a shape given by a caller (not read from a file): invalid_argument for a
// rank above max_rank, a negative dim, or more elements than int64 (or the address space) holds.
TFCKPT_LAZY result<std::size_t> element_count(const shape_t& shape, std::string_view who) {
  const std::int64_t n = shape.size() > max_rank ? -1 : tfckpt::num_elements(shape);
  if (n < 0 || static_cast<std::uint64_t>(n) > static_cast<std::uint64_t>(PTRDIFF_MAX) / 16)
    return make_error(errc::invalid_argument, std::string(who) + ": invalid shape " + shape_to_string(shape));
  return static_cast<std::size_t>(n);
}
// As element_count, and `given` values must be exactly one per element.
TFCKPT_LAZY result<std::size_t> element_count_for(const shape_t& shape, std::size_t given, std::string_view who) {
  auto n = element_count(shape, who);
  if (n && *n != given)
    return make_error(errc::invalid_argument, std::string(who) + ": " + std::to_string(given) + " values given for shape " +
                                                  shape_to_string(shape) + " (" + std::to_string(*n) + " elements)");
  return n;
}

}  // namespace detail

class tensor;

namespace detail {
// For readers that validated the shape (and bounded the allocation) against the file already:
// the unchecked constructions behind tensor's checked factories.
struct tensor_access {
  static tensor zeros(::tfckpt::dtype t, shape_t shape);
  static tensor strings(shape_t shape, std::vector<std::string> values, ::tfckpt::dtype t);
};
}  // namespace detail

class tensor {
 public:
  tensor() = default;

  // A tensor of dtype `t` and `shape`: zero bytes (fixed-size dtypes) or empty elements (string,
  // variant, resource). An invalid shape (negative dim, too many elements, rank above max_rank)
  // or dtype::invalid is errc::invalid_argument. The caller decides what it can afford: the size
  // is not limited.
  //   auto k = tfckpt::tensor::zeros(tfckpt::dtype::float32, {4, 8});
  static result<tensor> zeros(::tfckpt::dtype t, shape_t shape) {
    if (t == ::tfckpt::dtype::invalid)
      return make_error(errc::invalid_argument, "tensor::zeros: dtype invalid");
    auto n = detail::element_count(shape, "tensor::zeros");
    if (!n) return std::move(n).error();
    return tensor(t, std::move(shape), *n);
  }

  // A tensor of dtype_of<T> holding a copy of `values`, exactly one per element of `shape`. A
  // wrong count or an invalid shape (negative dim, too many elements, rank above max_rank) is
  // errc::invalid_argument: never truncated, never zero-filled.
  template <class T>
  static result<tensor> from_values(shape_t shape, std::span<const T> values) {
    static_assert(::tfckpt::detail::offending<T, dtype_of<T> != ::tfckpt::dtype::invalid && !std::is_same_v<T, std::string>>::value,
                  "tfckpt: from_values needs a fixed-size element type; use from_strings for strings");
    auto n = detail::element_count_for(shape, values.size(), "tensor::from_values");
    if (!n) return std::move(n).error();
    tensor t(dtype_of<T>, std::move(shape), *n);
    if (values.size_bytes() != 0) std::memcpy(t.bytes_.data(), values.data(), values.size_bytes());
    return t;
  }
  // A string (or variant: serialized elements) tensor, exactly one element per entry of `shape`;
  // the same errors as from_values, and a fixed-size `t` is errc::invalid_argument.
  static result<tensor> from_strings(shape_t shape, std::vector<std::string> values,
                                     ::tfckpt::dtype t = ::tfckpt::dtype::string) {
    if (t != ::tfckpt::dtype::string && t != ::tfckpt::dtype::variant)
      return make_error(errc::invalid_argument,
                        "tensor::from_strings: dtype " + std::string(dtype_name(t)) + " is not string or variant");
    auto n = detail::element_count_for(shape, values.size(), "tensor::from_strings");
    if (!n) return std::move(n).error();
    return detail::tensor_access::strings(std::move(shape), std::move(values), t);
  }

  ::tfckpt::dtype dtype() const noexcept { return dtype_; }
  const shape_t& shape() const noexcept { return shape_; }
  std::int64_t num_elements() const noexcept { return tfckpt::num_elements(shape_); }

  // Raw element bytes of a fixed-size tensor (empty for string/variant).
  std::span<std::byte> bytes() noexcept { return bytes_; }
  std::span<const std::byte> bytes() const noexcept { return bytes_; }
  std::string_view byte_view() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

  // Typed view of the elements, as a result like every fallible call (format/error.hpp): T must
  // be the element type of the tensor's dtype (dtype_of<T> == dtype()); any other T, or a
  // string/variant tensor, is errc::dtype_mismatch (TensorFlow does not cast), never an empty
  // span that reads like a tensor with no elements.
  //   auto v = t.values<float>();
  //   if (!v) return std::move(v).error();   // or TFCKPT_TRY-style propagation
  //   for (float x : *v) ...
  template <class T>
  result<std::span<const T>> values() const {
    TFCKPT_TRY(check_element_type<T>());
    return std::span<const T>(reinterpret_cast<const T*>(bytes_.data()), bytes_.size() / sizeof(T));
  }
  template <class T>
  result<std::span<T>> values() {
    TFCKPT_TRY(check_element_type<T>());
    return std::span<T>(reinterpret_cast<T*>(bytes_.data()), bytes_.size() / sizeof(T));
  }

  // Elements of a string or variant tensor.
  const std::vector<std::string>& strings() const noexcept { return elements_; }
  std::vector<std::string>& strings() noexcept { return elements_; }

  friend bool operator==(const tensor& a, const tensor& b) = default;

 private:
  template <class T>
  result<void> check_element_type() const {
    if (dtype_of<T> == dtype_ && is_fixed_size(dtype_)) return {};
    std::string msg = "values<";
    msg += dtype_of<T> == ::tfckpt::dtype::invalid ? std::string_view("?") : dtype_name(dtype_of<T>);
    msg += ">() of a ";
    msg += dtype_name(dtype_);
    msg += " tensor (TensorFlow does not cast)";
    return make_error(errc::dtype_mismatch, std::move(msg));
  }

  friend struct detail::tensor_access;
  // REQUIRES: `n` is the element count of the valid `shape`.
  tensor(::tfckpt::dtype t, shape_t shape, std::size_t n) : dtype_(t), shape_(std::move(shape)) {
    if (is_fixed_size(t)) bytes_.assign(n * dtype_size(t), std::byte{0});
    else elements_.assign(n, std::string());
  }

  ::tfckpt::dtype dtype_ = ::tfckpt::dtype::invalid;
  shape_t shape_;
  std::vector<std::byte> bytes_;
  std::vector<std::string> elements_;
};

// REQUIRES: the shape is valid and its byte size was checked against limits by the caller.
inline tensor detail::tensor_access::zeros(::tfckpt::dtype t, shape_t shape) {
  const auto n = static_cast<std::size_t>(tfckpt::num_elements(shape));
  return tensor(t, std::move(shape), n);
}
// REQUIRES: a valid shape; `values` one per element, except a resource (one raw record).
inline tensor detail::tensor_access::strings(shape_t shape, std::vector<std::string> values, ::tfckpt::dtype t) {
  tensor out;
  out.dtype_ = t;
  out.shape_ = std::move(shape);
  out.elements_ = std::move(values);
  return out;
}

// An owning tensor whose element type is part of its type and whose shape is decided at run
// time: `tensor_of<float> kernel, bias;` in a layer struct. As a struct field it is a variable of
// dtype dtype_of<T>; a restore never casts (a dtype mismatch is an error). A default-constructed
// tensor has no shape yet and takes the checkpoint's; one given a shape (constructor, reset())
// or restored once keeps it, and a restore then requires exactly that shape.
template <class T>
class tensor_of {
  static_assert(::tfckpt::detail::offending<T, dtype_of<T> != ::tfckpt::dtype::invalid && !std::is_same_v<T, std::string> &&
                                     !std::is_same_v<T, bool>>::value,
                "tfckpt: tensor_of<T> needs a fixed-size numeric element type (bool and std::string: "
                "use the untyped tfckpt::tensor)");

 public:
  using value_type = T;
  static constexpr ::tfckpt::dtype type = dtype_of<T>;

  tensor_of() = default;
  // A shaped tensor, as tensor::from_values: exactly one value per element; a wrong count or an
  // invalid shape is errc::invalid_argument (never truncated, never zero-filled).
  static result<tensor_of> from_values(shape_t shape, std::span<const T> values) {
    auto n = detail::element_count_for(shape, values.size(), "tensor_of::from_values");
    if (!n) return std::move(n).error();
    tensor_of t;
    t.shape_ = std::move(shape);
    t.has_shape_ = true;
    t.data_.assign(values.begin(), values.end());
    return t;
  }
  // A shaped, zero-filled tensor; an invalid shape is errc::invalid_argument. The caller decides
  // what it can afford: the size is not limited.
  static result<tensor_of> zeros(shape_t shape) {
    tensor_of t;
    TFCKPT_TRY(t.reset(std::move(shape)));
    return t;
  }

  // Gives the tensor a shape; all elements become zero. An invalid shape is
  // errc::invalid_argument and leaves the tensor as it was.
  result<void> reset(shape_t shape) {
    auto n = detail::element_count(shape, "tensor_of::reset");
    if (!n) return std::move(n).error();
    data_.assign(*n, T{});
    shape_ = std::move(shape);
    has_shape_ = true;
    return {};
  }
  // Back to "no shape yet": the next restore takes the checkpoint's shape.
  void clear() noexcept {
    shape_.clear();
    data_.clear();
    has_shape_ = false;
  }

  bool has_shape() const noexcept { return has_shape_; }
  const shape_t& shape() const noexcept { return shape_; }
  std::int64_t num_elements() const noexcept { return static_cast<std::int64_t>(data_.size()); }
  std::size_t size() const noexcept { return data_.size(); }

  std::span<T> values() noexcept { return data_; }
  std::span<const T> values() const noexcept { return data_; }
  T* data() noexcept { return data_.data(); }
  const T* data() const noexcept { return data_.data(); }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  auto begin() noexcept { return data_.begin(); }
  auto end() noexcept { return data_.end(); }
  auto begin() const noexcept { return data_.begin(); }
  auto end() const noexcept { return data_.end(); }

  friend bool operator==(const tensor_of&, const tensor_of&) = default;

 private:
  shape_t shape_;
  std::vector<T> data_;
  bool has_shape_ = false;
};

}  // namespace tfckpt
