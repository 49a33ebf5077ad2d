// Fuzz target: the `checkpoint` state file parser. Whatever parses must format to text that
// parses back to the same state and formats identically (format -> parse is a fixed point).
#include <cstring>
#include <string>

#include "fuzz_common.hpp"
#include "tfckpt/format/state_file.hpp"

using namespace tfckpt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = tfckpt_fuzz::as_view(data, size);
  state_parse_limits lim;
  lim.max_bytes = 1 << 20;
  lim.max_values = 10000;
  auto st = parse_checkpoint_state(in, lim);
  if (!st) {
    (void)st.error().to_string();
    return 0;
  }
  for (bool esc : {false, true}) {
    state_format_options fo;
    fo.escape_non_ascii = esc;
    const std::string text = format_checkpoint_state(*st, fo);
    auto st2 = parse_checkpoint_state(text);
    TFCKPT_FUZZ_CHECK(st2);
    TFCKPT_FUZZ_CHECK(st2->model_checkpoint_path == st->model_checkpoint_path);
    TFCKPT_FUZZ_CHECK(st2->all_model_checkpoint_paths == st->all_model_checkpoint_paths);
    TFCKPT_FUZZ_CHECK(st2->all_model_checkpoint_timestamps.size() == st->all_model_checkpoint_timestamps.size());
    TFCKPT_FUZZ_CHECK(format_checkpoint_state(*st2, fo) == text);
  }
  return 0;
}
