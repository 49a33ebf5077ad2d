// tfckpt: CRC-32C (Castagnoli), as TensorFlow stores it (tsl/lib/hash/crc32c.h).
// Hardware path (SSE4.2 crc32 instruction, chosen at run time, 3 interleaved streams) and a
// portable slicing-by-8 table fallback computed at compile time; CRCs of pieces can be combined. Every CRC stored in a checkpoint is masked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>  // SSE4.2 crc32 only: <immintrin.h> costs every includer ~0.3 s of parsing
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

// ---- combining CRCs --------------------------------------------------------------------------
// CRC registers are linear over GF(2): reg(init, A + B) = reg(init, A) * x^(8|B|) ^ reg(0, B)
// (mod P, bit-reflected). That lets independent streams (interleaved, or on other threads) be
// computed separately and joined. (zlib's crc32_combine, with the Castagnoli polynomial.)

// a * b mod P, both bit-reflected (bit 31 is x^0).
constexpr std::uint32_t crc32c_multmodp(std::uint32_t a, std::uint32_t b) noexcept {
  std::uint32_t p = 0;
  for (std::uint32_t m = 1u << 31; m != 0; m >>= 1) {
    if (a & m) p ^= b;
    b = (b & 1) ? (b >> 1) ^ crc32c_poly : b >> 1;
  }
  return p;
}

// x^(8n) mod P: the operator that appends n zero bytes to a register.
constexpr std::uint32_t crc32c_x8n(std::uint64_t n) noexcept {
  std::uint32_t sq = 1u << 30;  // x^1
  for (int i = 0; i < 3; ++i) sq = crc32c_multmodp(sq, sq);  // x^8
  std::uint32_t p = 1u << 31;  // x^0
  for (; n != 0; n >>= 1) {
    if (n & 1) p = crc32c_multmodp(sq, p);
    sq = crc32c_multmodp(sq, sq);
  }
  return p;
}

// crc32c(A + B) from crc32c(A), crc32c(B) and |B| (finished CRCs, not registers: the pre- and
// post-inversions cancel).
constexpr std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) noexcept {
  return crc32c_multmodp(crc32c_x8n(len_b), crc_a) ^ crc_b;
}

// Byte-wise lookup tables for "multiply by x^(8n)" with a fixed n, so that joining interleaved
// streams costs 4 lookups instead of a 32-step multiply.
struct crc32c_shift_table {
  std::uint32_t t[4][256];
  explicit crc32c_shift_table(std::uint64_t n) noexcept {
    const std::uint32_t k = crc32c_x8n(n);
    for (std::uint32_t b = 0; b < 4; ++b)
      for (std::uint32_t i = 0; i < 256; ++i) t[b][i] = crc32c_multmodp(k, i << (8 * b));
  }
  std::uint32_t operator()(std::uint32_t reg) const noexcept {
    return t[0][reg & 0xff] ^ t[1][(reg >> 8) & 0xff] ^ t[2][(reg >> 16) & 0xff] ^ t[3][reg >> 24];
  }
};

#if TFCKPT_CRC32C_X86
// The crc32 instruction has a latency of 3 cycles but issues every cycle, so one dependency
// chain runs at a third of the possible speed. Large inputs are cut into chunks of 3 stripes
// checksummed as 3 interleaved streams, then joined with the shift tables.
inline constexpr std::size_t crc32c_long_stripe = 8192;
inline constexpr std::size_t crc32c_short_stripe = 256;

// Built on first use (not constexpr: 8 KiB of tables evaluated in every translation unit
// would cost compile time).
inline const crc32c_shift_table& crc32c_long_shift() noexcept {
  static const crc32c_shift_table t(crc32c_long_stripe);
  return t;
}
inline const crc32c_shift_table& crc32c_short_shift() noexcept {
  static const crc32c_shift_table t(crc32c_short_stripe);
  return t;
}

// Register in, register out; consumes whole 3-stripe chunks of `stripe` bytes from p/n.
__attribute__((target("sse4.2"))) inline std::uint64_t crc32c_sse42_3way(
    std::uint64_t c0, const unsigned char*& p, std::size_t& n, std::size_t stripe,
    const crc32c_shift_table& shift) noexcept {
  while (n >= 3 * stripe) {
    std::uint64_t c1 = 0, c2 = 0;
    const unsigned char* end = p + stripe;
    do {
      std::uint64_t a, b, d;
      std::memcpy(&a, p, 8);
      std::memcpy(&b, p + stripe, 8);
      std::memcpy(&d, p + 2 * stripe, 8);
      c0 = _mm_crc32_u64(c0, a);
      c1 = _mm_crc32_u64(c1, b);
      c2 = _mm_crc32_u64(c2, d);
      p += 8;
    } while (p != end);
    c0 = shift(static_cast<std::uint32_t>(c0)) ^ c1;
    c0 = shift(static_cast<std::uint32_t>(c0)) ^ c2;
    p += 2 * stripe;
    n -= 3 * stripe;
  }
  return c0;
}

__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_extend_sse42(
    std::uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  std::uint64_t c = ~crc;
  while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
    --n;
  }
  if (n >= 3 * crc32c_long_stripe) c = crc32c_sse42_3way(c, p, n, crc32c_long_stripe, crc32c_long_shift());
  if (n >= 3 * crc32c_short_stripe) c = crc32c_sse42_3way(c, p, n, crc32c_short_stripe, crc32c_short_shift());
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
