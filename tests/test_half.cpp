// 16-bit floats: every bit pattern survives a round trip through float, and rounding of floats
// to float16/bfloat16 is to nearest even.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>

#include "tfckpt/format/half.hpp"

using tfckpt::bfloat16;
using tfckpt::float16;

TEST_CASE("float16: every non-NaN bit pattern round trips through float") {
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const float16 h = float16::from_bits(static_cast<std::uint16_t>(b));
    const float f = h.to_float();
    if (std::isnan(f)) {
      CHECK(std::isnan(float16::from_float(f).to_float()));
      continue;
    }
    CHECK(float16::from_float(f).bits == h.bits);
  }
}

TEST_CASE("float16: known values and rounding") {
  CHECK(float16::from_float(1.0f).bits == 0x3c00);
  CHECK(float16::from_float(-2.0f).bits == 0xc000);
  CHECK(float16::from_float(65504.0f).bits == 0x7bff);
  CHECK(float16::from_float(65520.0f).bits == 0x7c00);  // halfway to 65536 rounds to infinity
  CHECK(float16::from_float(5.9604645e-08f).bits == 0x0001);  // smallest subnormal
  CHECK(float16::from_float(2.9802322e-08f).bits == 0x0000);  // half of it: ties to even (0)
  CHECK(float16::from_float(1.0f + 1.0f / 2048).bits == 0x3c00);  // tie, even mantissa stays
  CHECK(float16::from_float(1.0f + 3.0f / 2048).bits == 0x3c02);  // tie, odd mantissa rounds up
  CHECK(float16::from_bits(0x3555).to_float() == doctest::Approx(0.333251953125));
}

TEST_CASE("bfloat16: upper half of a float, rounded to nearest even") {
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const bfloat16 h = bfloat16::from_bits(static_cast<std::uint16_t>(b));
    const float f = h.to_float();
    if (!std::isnan(f)) CHECK(bfloat16::from_float(f).bits == h.bits);
  }
  CHECK(bfloat16::from_float(1.0f).bits == 0x3f80);
  CHECK(bfloat16::from_float(std::bit_cast<float>(0x3f808000u)).bits == 0x3f80);  // tie → even
  CHECK(bfloat16::from_float(std::bit_cast<float>(0x3f818000u)).bits == 0x3f82);  // tie → even (up)
  CHECK(bfloat16::from_float(std::bit_cast<float>(0x3f808001u)).bits == 0x3f81);
  CHECK(std::isnan(bfloat16::from_float(std::nanf("")).to_float()));
}
