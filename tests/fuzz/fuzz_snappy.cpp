// Fuzz target: raw Snappy decompression, cross-checked against libsnappy: whenever either
// decoder accepts the input, both must, with identical output.
#include <snappy.h>

#include <string>

#include "fuzz_common.hpp"
#include "tfckpt/format/snappy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = tfckpt_fuzz::as_view(data, size);
  constexpr std::size_t limit = std::size_t{1} << 24;
  auto ours = tfckpt::detail::snappy_uncompress(in, limit);
  std::size_t declared = 0;
  const bool has_len = snappy::GetUncompressedLength(in.data(), in.size(), &declared);
  if (ours) {
    std::string theirs;
    TFCKPT_FUZZ_CHECK(snappy::Uncompress(in.data(), in.size(), &theirs));
    TFCKPT_FUZZ_CHECK(theirs == *ours);
  } else if (ours.error().code == tfckpt::errc::corruption && has_len && declared <= limit) {
    std::string theirs;
    TFCKPT_FUZZ_CHECK(!snappy::Uncompress(in.data(), in.size(), &theirs));
  }
  return 0;
}
