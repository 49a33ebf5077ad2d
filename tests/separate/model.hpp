// The state the separate-compilation test saves and restores: a Keras-shaped MLP, the TF >= 2.11
// Adam layout, a step counter, and containers sized by the restore.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <tfckpt/tfckpt.hpp>

namespace separate_test {

struct dense {
  tfckpt::fixed<float, 2, 3> kernel;
  std::array<float, 3> bias;
};
struct mlp {
  dense l0;
  std::vector<double> extra;
};
TFCKPT_NAMES(mlp, (l0, "layer_with_weights-0", "layer-0"), (extra, "extra"))

struct state {
  mlp model;
  tfckpt::keras::adam<> optimizer;
  std::map<std::string, std::int32_t> counters;
  std::int64_t step = 0;
};

// Defined in reader.cpp, which includes the format layer's headers directly: the entries a
// bundle holds, for a unit that also uses the checkpoint API (declarations only).
std::vector<std::string> list_keys(const std::string& prefix, std::string& error);

}  // namespace separate_test
