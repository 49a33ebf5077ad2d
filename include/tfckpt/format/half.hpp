// tfckpt: 16-bit floating-point element types as stored by TensorFlow: IEEE binary16 (DT_HALF)
// and bfloat16 (DT_BFLOAT16, the upper half of a binary32). Storage types with conversions;
// arithmetic is done in float by the user.
#pragma once

#include <bit>
#include <cstdint>

namespace tfckpt {

struct float16 {
  std::uint16_t bits = 0;

  static constexpr float16 from_bits(std::uint16_t b) noexcept { return float16{b}; }

  // Round to nearest even, with overflow to infinity and NaN kept NaN.
  static constexpr float16 from_float(float f) noexcept {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const std::uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u)  // inf or nan
      return from_bits(static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u)));
    if (abs >= 0x477ff000u) return from_bits(static_cast<std::uint16_t>(sign | 0x7c00u));  // overflow
    if (abs < 0x38800000u) {  // subnormal half (or zero)
      if (abs < 0x33000000u) return from_bits(static_cast<std::uint16_t>(sign));
      const std::uint32_t e = abs >> 23;
      const std::uint32_t m = (abs & 0x7fffffu) | 0x800000u;
      const std::uint32_t shift = 126 - e;  // value = m * 2^(e-150) = (m >> (126-e)) * 2^-24
      std::uint32_t h = m >> shift;
      const std::uint32_t rem = m & ((1u << shift) - 1);
      const std::uint32_t half_way = 1u << (shift - 1);
      if (rem > half_way || (rem == half_way && (h & 1))) ++h;
      return from_bits(static_cast<std::uint16_t>(sign | h));
    }
    std::uint32_t h = ((abs - 0x38000000u) >> 13);
    const std::uint32_t rem = abs & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) ++h;
    return from_bits(static_cast<std::uint16_t>(sign | h));
  }

  constexpr float to_float() const noexcept {
    const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
    const std::uint32_t e = (bits >> 10) & 0x1f;
    std::uint32_t m = bits & 0x3ffu;
    if (e == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (m << 13));
    if (e == 0) {
      if (m == 0) return std::bit_cast<float>(sign);
      int shift = 0;  // normalise the subnormal
      while ((m & 0x400u) == 0) {
        m <<= 1;
        ++shift;
      }
      m &= 0x3ffu;
      return std::bit_cast<float>(sign | ((113u - static_cast<std::uint32_t>(shift)) << 23) | (m << 13));
    }
    return std::bit_cast<float>(sign | ((e + 112u) << 23) | (m << 13));
  }

  explicit constexpr operator float() const noexcept { return to_float(); }
  friend constexpr bool operator==(float16 a, float16 b) noexcept { return a.bits == b.bits; }
};

struct bfloat16 {
  std::uint16_t bits = 0;

  static constexpr bfloat16 from_bits(std::uint16_t b) noexcept { return bfloat16{b}; }
  // Round to nearest even as TensorFlow's bfloat16 conversion does; NaN stays a quiet NaN.
  static constexpr bfloat16 from_float(float f) noexcept {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return from_bits(static_cast<std::uint16_t>((x >> 16) | 0x40u));
    const std::uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
    return from_bits(static_cast<std::uint16_t>((x + rounding) >> 16));
  }
  constexpr float to_float() const noexcept {
    return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
  }
  explicit constexpr operator float() const noexcept { return to_float(); }
  friend constexpr bool operator==(bfloat16 a, bfloat16 b) noexcept { return a.bits == b.bits; }
};

static_assert(sizeof(float16) == 2 && sizeof(bfloat16) == 2, "tfckpt: 16-bit floats must be 2 bytes");

}  // namespace tfckpt
