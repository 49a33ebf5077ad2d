// tfckpt: an owning tensor as read from or written to a bundle: dtype, shape and either raw
// element bytes (fixed-size dtypes, row-major, little-endian) or one byte string per element
// (DT_STRING; DT_VARIANT elements are kept as serialized VariantTensorDataProto bytes).
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../format/bundle_proto.hpp"
#include "../format/dtype.hpp"
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
template <> inline constexpr dtype dtype_of<std::complex<float>> = dtype::complex64;
template <> inline constexpr dtype dtype_of<std::complex<double>> = dtype::complex128;
template <> inline constexpr dtype dtype_of<float16> = dtype::float16;
template <> inline constexpr dtype dtype_of<bfloat16> = dtype::bfloat16;
template <> inline constexpr dtype dtype_of<std::string> = dtype::string;
// `long long` may differ from int64_t (e.g. int64_t = long on LP64).
template <class T>
  requires(std::is_same_v<T, long long> && !std::is_same_v<long long, std::int64_t>)
inline constexpr dtype dtype_of<T> = dtype::int64;

class tensor {
 public:
  tensor() = default;

  // Zero-filled (fixed-size dtypes) or empty elements (string, variant).
  // REQUIRES: the shape is valid and its byte size was checked against limits by the caller.
  tensor(::tfckpt::dtype t, shape_t shape) : dtype_(t), shape_(std::move(shape)) {
    const auto n = static_cast<std::size_t>(tfckpt::num_elements(shape_));
    if (is_fixed_size(t)) bytes_.assign(n * dtype_size(t), std::byte{0});
    else elements_.assign(n, std::string());
  }

  template <class T>
  static tensor from_values(shape_t shape, std::span<const T> values) {
    static_assert(dtype_of<T> != ::tfckpt::dtype::invalid && !std::is_same_v<T, std::string>,
                  "tfckpt: from_values needs a fixed-size element type; use from_strings for strings");
    tensor t(dtype_of<T>, std::move(shape));
    std::memcpy(t.bytes_.data(), values.data(), std::min(t.bytes_.size(), values.size_bytes()));
    return t;
  }
  static tensor from_strings(shape_t shape, std::vector<std::string> values, ::tfckpt::dtype t = ::tfckpt::dtype::string) {
    tensor out;
    out.dtype_ = t;
    out.shape_ = std::move(shape);
    out.elements_ = std::move(values);
    return out;
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

  // Typed view. Returns an empty span when T does not match the dtype.
  template <class T>
  std::span<const T> values() const noexcept {
    if (dtype_of<T> != dtype_ || !is_fixed_size(dtype_)) return {};
    return {reinterpret_cast<const T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }
  template <class T>
  std::span<T> values() noexcept {
    if (dtype_of<T> != dtype_ || !is_fixed_size(dtype_)) return {};
    return {reinterpret_cast<T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }

  // Elements of a string or variant tensor.
  const std::vector<std::string>& strings() const noexcept { return elements_; }
  std::vector<std::string>& strings() noexcept { return elements_; }

  friend bool operator==(const tensor& a, const tensor& b) = default;

 private:
  ::tfckpt::dtype dtype_ = ::tfckpt::dtype::invalid;
  shape_t shape_;
  std::vector<std::byte> bytes_;
  std::vector<std::string> elements_;
};

// An owning tensor whose element type is part of its type and whose shape is decided at run
// time: `tensor_of<float> kernel, bias;` in a layer struct. As a struct field it is a variable of
// dtype dtype_of<T>; a restore never casts (a dtype mismatch is an error). A default-constructed
// tensor has no shape yet and takes the checkpoint's; one given a shape (constructor, reset())
// or restored once keeps it, and a restore then requires exactly that shape.
template <class T>
class tensor_of {
  static_assert(dtype_of<T> != ::tfckpt::dtype::invalid && !std::is_same_v<T, std::string> &&
                    !std::is_same_v<T, bool>,
                "tfckpt: tensor_of<T> needs a fixed-size numeric element type (bool and std::string: "
                "use the untyped tfckpt::tensor)");

 public:
  using value_type = T;
  static constexpr ::tfckpt::dtype type = dtype_of<T>;

  tensor_of() = default;
  // Zero-filled. REQUIRES: a valid shape whose size the caller can afford.
  explicit tensor_of(shape_t shape) { reset(std::move(shape)); }
  tensor_of(shape_t shape, std::span<const T> values) {
    reset(std::move(shape));
    std::copy_n(values.begin(), std::min(values.size(), data_.size()), data_.begin());
  }

  // Gives the tensor a shape; all elements become zero.
  void reset(shape_t shape) {
    shape_ = std::move(shape);
    has_shape_ = true;
    data_.assign(static_cast<std::size_t>(tfckpt::num_elements(shape_)), T{});
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
