// The state both units of the mixed-modes link test save: the same struct and the same calls, so
// both units instantiate the same templates (the case where a linker keeps either copy).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <tfckpt/tfckpt.hpp>

namespace separate_mix {

struct state {
  std::array<float, 3> bias{};
  std::int64_t step = 0;
};

inline bool save_and_restore(const std::string& dir) {
  state s;
  s.step = 5;
  tfckpt::checkpoint<state> ck(s);
  auto saved = ck.save(dir + "/ckpt");
  state back;
  auto st = tfckpt::restore(dir, back);
  return saved && st && back.step == 5;
}

// Defined in mix_header_only.cpp.
bool header_only_unit(const std::string& dir);

}  // namespace separate_mix
