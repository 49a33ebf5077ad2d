// Mixed-modes link test: the header-only unit (no TFCKPT_SEPARATE_COMPILATION). See
// mix_separate.cpp.
#include "mix_model.hpp"

static_assert(TFCKPT_DEFINE_CORE == 1, "this unit must be header-only");

bool separate_mix::header_only_unit(const std::string& dir) { return save_and_restore(dir); }
