// Mixed-modes link test (format/config.hpp, TFCKPT_MODE_NAMESPACE): this unit is compiled with
// TFCKPT_SEPARATE_COMPILATION, mix_header_only.cpp without it, and the two are linked together
// WITHOUT the core unit (core.cpp). That link must fail, naming the core unit's mark, instead of
// silently binding this unit's calls to the header-only unit's inline copies
// (tests/separate/check_mixed_modes.sh runs the link and checks the symbols of each unit).
#include <cstdio>
#include <string>

#include "mix_model.hpp"

static_assert(TFCKPT_DEFINE_CORE == 0, "this unit must see declarations only");

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "separate_mix_run";
  const bool ok = separate_mix::save_and_restore(dir + "/separate") && separate_mix::header_only_unit(dir + "/header_only");
  std::puts(ok ? "separate_mix: ok" : "separate_mix: FAILED");
  return ok ? 0 : 1;
}
