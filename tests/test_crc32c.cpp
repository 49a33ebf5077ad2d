// crc32c: known-answer vectors (docs/format.md §4), masking, extension, and agreement
// between the portable table path and the SSE4.2 path. Also a build smoke test: the
// format-layer basics (error.hpp, dtype.hpp) must be includable together.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tfckpt/format/crc32c.hpp"
#include "tfckpt/format/dtype.hpp"
#include "tfckpt/format/error.hpp"

namespace {

using tfckpt::detail::crc32c;
using tfckpt::detail::crc32c_extend;
using tfckpt::detail::crc32c_extend_portable;
using tfckpt::detail::crc32c_mask;
using tfckpt::detail::crc32c_unmask;

std::uint32_t crc_of(std::string_view s) { return crc32c(s.data(), s.size()); }

std::uint32_t crc_portable(const unsigned char* p, std::size_t n) {
  return crc32c_extend_portable(0, p, n);
}

}  // namespace

TEST_CASE("crc32c: \"123456789\" has the standard check value") {
  CHECK(crc_of("123456789") == 0xe3069283u);
  CHECK(crc32c_mask(crc_of("123456789")) == 0xc78ab0e5u);
}

TEST_CASE("crc32c: 32 zero bytes, 32 0xff bytes and bytes 0..31 match the RFC 3720 vectors") {
  std::array<unsigned char, 32> zeros{};
  std::array<unsigned char, 32> ones{};
  std::array<unsigned char, 32> ascending{};
  for (std::size_t i = 0; i < 32; ++i) {
    ones[i] = 0xff;
    ascending[i] = static_cast<unsigned char>(i);
  }
  CHECK(crc32c(zeros.data(), zeros.size()) == 0x8a9136aau);
  CHECK(crc32c(ones.data(), ones.size()) == 0x62a8ab43u);
  CHECK(crc32c(ascending.data(), ascending.size()) == 0x46dd794eu);
  CHECK(crc_portable(zeros.data(), zeros.size()) == 0x8a9136aau);
  CHECK(crc_portable(ones.data(), ones.size()) == 0x62a8ab43u);
  CHECK(crc_portable(ascending.data(), ascending.size()) == 0x46dd794eu);
}

TEST_CASE("crc32c: the empty input has crc 0") { CHECK(crc32c("", 0) == 0u); }

TEST_CASE("crc32c: unmask inverts mask and the mask changes the value") {
  const std::uint32_t samples[] = {0u, 1u, 0xe3069283u, 0xffffffffu, 0x80000000u, 0x12345678u};
  for (std::uint32_t v : samples) {
    CHECK(crc32c_unmask(crc32c_mask(v)) == v);
    CHECK(crc32c_mask(crc32c_unmask(v)) == v);
    CHECK(crc32c_mask(v) != v);
  }
  std::mt19937 rng(12345);
  for (int i = 0; i < 1000; ++i) {
    const std::uint32_t v = static_cast<std::uint32_t>(rng());
    CHECK(crc32c_unmask(crc32c_mask(v)) == v);
  }
  static_assert(crc32c_unmask(crc32c_mask(0xdeadbeefu)) == 0xdeadbeefu);
}

TEST_CASE("crc32c: extending crc(a) with b equals crc(a + b) at every split point") {
  const std::string data = "The quick brown fox jumps over the lazy dog, 0123456789 times.";
  const std::uint32_t whole = crc_of(data);
  for (std::size_t split = 0; split <= data.size(); ++split) {
    const std::string_view a(data.data(), split);
    const std::string_view b(data.data() + split, data.size() - split);
    CHECK(crc32c_extend(crc_of(a), b.data(), b.size()) == whole);
    CHECK(crc32c_extend_portable(crc_of(a), reinterpret_cast<const unsigned char*>(b.data()),
                                 b.size()) == whole);
  }
}

TEST_CASE("crc32c: the portable path agrees with the dispatched (hardware) path on random data") {
  std::mt19937 rng(20240601);
  std::vector<unsigned char> buf(4096 + 16);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  // Every length up to 80 and a few large ones, at every alignment offset 0..7.
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 80; ++n) lengths.push_back(n);
  for (std::size_t n : {255u, 256u, 1000u, 4095u, 4096u}) lengths.push_back(n);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t n : lengths) {
      const unsigned char* p = buf.data() + offset;
      CAPTURE(offset);
      CAPTURE(n);
      CHECK(crc32c(p, n) == crc_portable(p, n));
    }
  }
#if TFCKPT_CRC32C_X86
  if (tfckpt::detail::crc32c_have_sse42()) {
    for (std::size_t offset = 0; offset < 8; ++offset) {
      const unsigned char* p = buf.data() + offset;
      CHECK(tfckpt::detail::crc32c_extend_sse42(0, p, 4096) == crc_portable(p, 4096));
    }
  } else {
    MESSAGE("SSE4.2 not available: only the portable crc32c path was exercised");
  }
#endif
}

TEST_CASE("crc32c: format-layer headers build together (error, dtype)") {
  CHECK(tfckpt::to_string(tfckpt::errc::ok) == "ok");
  CHECK(static_cast<int>(tfckpt::dtype::float32) == 1);
  CHECK(static_cast<int>(tfckpt::dtype::string) == 7);
}
