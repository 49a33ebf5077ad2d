// tfckpt: CRC-32C (Castagnoli), as TensorFlow stores it (tsl/lib/hash/crc32c.h).
// Hardware path (SSE4.2 crc32 instruction, chosen at run time) and a portable slicing-by-8
// table fallback computed at compile time. Every CRC stored in a checkpoint is masked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define TFCKPT_CRC32C_X86 1
#else
#define TFCKPT_CRC32C_X86 0
#endif

namespace tfckpt::detail {

// Reflected polynomial of CRC-32C.
inline constexpr std::uint32_t crc32c_poly = 0x82F63B78u;
// TensorFlow's mask constant (kMaskDelta): CRCs of data that itself contains CRCs are weak,
// so stored values are rotated and offset.
inline constexpr std::uint32_t crc32c_mask_delta = 0xa282ead8u;

constexpr std::array<std::array<std::uint32_t, 256>, 8> make_crc32c_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ crc32c_poly : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t s = 1; s < 8; ++s)
    for (std::size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  return t;
}

inline constexpr auto crc32c_tables = make_crc32c_tables();

// Portable path. `crc` is the raw (un-inverted) running register.
inline std::uint32_t crc32c_extend_portable(std::uint32_t crc, const unsigned char* p,
                                            std::size_t n) noexcept {
  std::uint32_t c = ~crc;
  const auto& t = crc32c_tables;
  while (n >= 8) {
    std::uint32_t lo = static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                       static_cast<std::uint32_t>(p[2]) << 16 |
                       static_cast<std::uint32_t>(p[3]) << 24;
    lo ^= c;
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
  return ~c;
}

#if TFCKPT_CRC32C_X86
__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_extend_sse42(
    std::uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  std::uint64_t c = ~crc;
  while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
    --n;
  }
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  while (n--) c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
  return ~static_cast<std::uint32_t>(c);
}

inline bool crc32c_have_sse42() noexcept {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

// Continue a CRC over more bytes: crc32c_extend(crc32c(a), b) == crc32c(a + b).
inline std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t n) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
#if TFCKPT_CRC32C_X86
  if (crc32c_have_sse42()) return crc32c_extend_sse42(crc, p, n);
#endif
  return crc32c_extend_portable(crc, p, n);
}

inline std::uint32_t crc32c(const void* data, std::size_t n) noexcept {
  return crc32c_extend(0, data, n);
}

constexpr std::uint32_t crc32c_mask(std::uint32_t crc) noexcept {
  return ((crc >> 15) | (crc << 17)) + crc32c_mask_delta;
}

constexpr std::uint32_t crc32c_unmask(std::uint32_t masked) noexcept {
  const std::uint32_t rot = masked - crc32c_mask_delta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace tfckpt::detail
