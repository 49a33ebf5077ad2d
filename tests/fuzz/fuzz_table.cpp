// Fuzz target: the SSTable reader (.index files) over arbitrary bytes: open, iterate, seek and
// verify_all_blocks. Iteration runs with checksums off so the fuzzer reaches block parsing.
#include <string>

#include "fuzz_common.hpp"
#include "tfckpt/format/table_reader.hpp"

namespace td = tfckpt::detail;  // no using-directive: test_regressions.cpp includes this file

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view file = tfckpt_fuzz::as_view(data, size);
  td::table_read_options opts;
  opts.verify_checksums = false;
  opts.max_block_bytes = std::size_t{1} << 22;
  auto t = td::table_reader::open(file, opts);
  if (!t) return 0;
  std::string prev;
  bool have_prev = false;
  auto it = t->make_iterator();
  std::size_t n = 0;
  for (auto r = it.seek_to_first(); r && it.valid() && n < 1'000'000; r = it.next(), ++n) {
    // The reader promises strictly increasing keys.
    TFCKPT_FUZZ_CHECK(!have_prev || it.key() > std::string_view(prev));
    prev.assign(it.key());
    have_prev = true;
    (void)it.value().size();
  }
  // Seeks: the first key, a key taken from the input, past the end.
  auto s = t->make_iterator();
  (void)s.seek("");
  (void)s.seek(file.substr(0, std::min<std::size_t>(size, 8)));
  if (s.valid()) TFCKPT_FUZZ_CHECK(s.key() >= file.substr(0, std::min<std::size_t>(size, 8)));
  (void)s.seek(std::string(4, '\xff'));
  (void)t->verify_all_blocks();
  return 0;
}
