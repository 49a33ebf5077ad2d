// Example (b)-style export: a C++ struct mirroring a tf_keras Sequential MLP
// (Input(4) -> Dense(8, relu) -> Dense(3)) with legacy Adam state is filled with a
// deterministic pattern and saved with tfckpt::checkpoint::save. TensorFlow then restores it:
// tests/interop/graph_tf_restores_ours.py checks assert_consumed() and bit-identical values.
//
//   keras_mlp_adam_export [DIR]      writes DIR/ckpt-1 (default DIR: ./keras_mlp_adam)
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

#include "tfckpt/checkpoint.hpp"

namespace example {

template <int In, int Out>
struct dense {
  tfckpt::fixed<float, In, Out> kernel;
  std::array<float, Out> bias;
};
struct mlp {
  dense<4, 8> l0;
  dense<8, 3> l1;
};
// tf_keras lists each weighted layer twice: `layer_with_weights-k` first, then `layer-i`.
TFCKPT_NAMES(mlp, (l0, "layer_with_weights-0", "layer-0"), (l1, "layer_with_weights-1", "layer-1"))

struct adam {  // tf_keras.optimizers.legacy.Adam
  std::int64_t iter = 0;
  float beta_1 = 0.9f, beta_2 = 0.999f, decay = 0.0f, learning_rate = 0.01f;
  tfckpt::slot_table slots{"m", "v"};
};
struct state {  // tf.train.Checkpoint(model=..., optimizer=..., step=...)
  mlp model;
  adam optimizer;
  std::int64_t step = 0;
};

// Exactly representable in float32, so Python can recompute the expected bits.
inline float pattern(int salt, int i) { return static_cast<float>((salt * 31 + i * 7) % 97) / 64.0f - 0.75f; }

template <class Span>
void fill(Span values, int salt) {
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = pattern(salt, static_cast<int>(i));
}

template <std::size_t N>
void add_slots(adam& opt, const std::string& path, const tfckpt::shape_t& shape, int salt) {
  std::array<float, N> m{}, v{};
  fill(std::span<float>(m), salt + 100);
  fill(std::span<float>(v), salt + 200);
  for (float& x : v) x = x < 0 ? -x : x;  // second moments are non-negative
  // N values for a shape of N elements (callers pass both from one table): value() cannot stop here.
  opt.slots.set(path, "m", tfckpt::tensor::from_values<float>(shape, std::span<const float>(m)).value());
  opt.slots.set(path, "v", tfckpt::tensor::from_values<float>(shape, std::span<const float>(v)).value());
}

}  // namespace example

int main(int argc, char** argv) {
  using namespace example;
  const std::string dir = argc > 1 ? argv[1] : "keras_mlp_adam";
  state s;
  fill(s.model.l0.kernel.values(), 1);
  fill(std::span<float>(s.model.l0.bias), 2);
  fill(s.model.l1.kernel.values(), 3);
  fill(std::span<float>(s.model.l1.bias), 4);
  s.optimizer.iter = 5;
  s.step = 11;
  add_slots<32>(s.optimizer, "model/layer_with_weights-0/kernel", {4, 8}, 1);
  add_slots<8>(s.optimizer, "model/layer_with_weights-0/bias", {8}, 2);
  add_slots<24>(s.optimizer, "model/layer_with_weights-1/kernel", {8, 3}, 3);
  add_slots<3>(s.optimizer, "model/layer_with_weights-1/bias", {3}, 4);

  tfckpt::checkpoint ck(s);
  auto path = ck.save(dir + "/ckpt");
  if (!path) {
    std::fprintf(stderr, "%s\n", path.error().to_string().c_str());
    return 1;
  }
  std::printf("%s\n", path->c_str());
  return 0;
}
