// tfckpt: TensorFlow's DataType enum (tensorflow/core/framework/types.proto), names and sizes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tfckpt {

// Values are the wire values of tensorflow.DataType; never renumber.
enum class dtype : std::int32_t {
  invalid = 0,
  float32 = 1,
  float64 = 2,
  int32 = 3,
  uint8 = 4,
  int16 = 5,
  int8 = 6,
  string = 7,
  complex64 = 8,
  int64 = 9,
  bool_ = 10,
  qint8 = 11,
  quint8 = 12,
  qint32 = 13,
  bfloat16 = 14,
  qint16 = 15,
  quint16 = 16,
  uint16 = 17,
  complex128 = 18,
  float16 = 19,
  resource = 20,
  variant = 21,
  uint32 = 22,
  uint64 = 23,
  float8_e5m2 = 24,
  float8_e4m3fn = 25,
  float8_e4m3fnuz = 26,
  float8_e4m3b11fnuz = 27,
  float8_e5m2fnuz = 28,
  int4 = 29,
  uint4 = 30,
};

// Bytes per element for fixed-size ("memcpy") dtypes; 0 for string, variant, resource and
// unknown values (those have their own record layouts or cannot be stored).
constexpr std::size_t dtype_size(dtype t) noexcept {
  switch (t) {
    case dtype::float32: case dtype::int32: case dtype::uint32: case dtype::qint32: return 4;
    case dtype::float64: case dtype::int64: case dtype::uint64: case dtype::complex64: return 8;
    case dtype::complex128: return 16;
    case dtype::int16: case dtype::uint16: case dtype::qint16: case dtype::quint16:
    case dtype::bfloat16: case dtype::float16: return 2;
    case dtype::int8: case dtype::uint8: case dtype::bool_: case dtype::qint8: case dtype::quint8:
    case dtype::float8_e5m2: case dtype::float8_e4m3fn: case dtype::float8_e4m3fnuz:
    case dtype::float8_e4m3b11fnuz: case dtype::float8_e5m2fnuz:
    case dtype::int4: case dtype::uint4: return 1;  // int4/uint4: one element per byte in TF
    default: return 0;
  }
}

// True for dtypes whose record is the raw element bytes.
constexpr bool is_fixed_size(dtype t) noexcept { return dtype_size(t) != 0; }

// TensorFlow's Python names (tf.float32.name etc.), as printed by list_variables users.
constexpr std::string_view dtype_name(dtype t) noexcept {
  switch (t) {
    case dtype::invalid: return "invalid";
    case dtype::float32: return "float32";
    case dtype::float64: return "float64";
    case dtype::int32: return "int32";
    case dtype::uint8: return "uint8";
    case dtype::int16: return "int16";
    case dtype::int8: return "int8";
    case dtype::string: return "string";
    case dtype::complex64: return "complex64";
    case dtype::int64: return "int64";
    case dtype::bool_: return "bool";
    case dtype::qint8: return "qint8";
    case dtype::quint8: return "quint8";
    case dtype::qint32: return "qint32";
    case dtype::bfloat16: return "bfloat16";
    case dtype::qint16: return "qint16";
    case dtype::quint16: return "quint16";
    case dtype::uint16: return "uint16";
    case dtype::complex128: return "complex128";
    case dtype::float16: return "float16";
    case dtype::resource: return "resource";
    case dtype::variant: return "variant";
    case dtype::uint32: return "uint32";
    case dtype::uint64: return "uint64";
    case dtype::float8_e5m2: return "float8_e5m2";
    case dtype::float8_e4m3fn: return "float8_e4m3fn";
    case dtype::float8_e4m3fnuz: return "float8_e4m3fnuz";
    case dtype::float8_e4m3b11fnuz: return "float8_e4m3b11fnuz";
    case dtype::float8_e5m2fnuz: return "float8_e5m2fnuz";
    case dtype::int4: return "int4";
    case dtype::uint4: return "uint4";
  }
  return "unknown";
}

// A wire value is a known, storable dtype (not invalid, not resource, not a *_REF value).
// Every wire value in 1..30 is named (checked below), so this is a range test: it runs once per
// index entry.
constexpr bool is_storable(std::int64_t v) noexcept {
  return v >= 1 && v <= 30 && v != static_cast<std::int64_t>(dtype::resource);
}
static_assert([] {
  for (std::int32_t v = 1; v <= 30; ++v)
    if (dtype_name(static_cast<dtype>(v)) == "unknown") return false;
  return dtype_name(static_cast<dtype>(31)) == "unknown";
}(), "is_storable assumes the names cover exactly 1..30");

constexpr std::optional<dtype> dtype_from_name(std::string_view n) noexcept {
  for (std::int32_t v = 1; v <= 30; ++v) {
    if (dtype_name(static_cast<dtype>(v)) == n) return static_cast<dtype>(v);
  }
  if (n == "float") return dtype::float32;
  if (n == "double") return dtype::float64;
  if (n == "half") return dtype::float16;
  return std::nullopt;
}

}  // namespace tfckpt
