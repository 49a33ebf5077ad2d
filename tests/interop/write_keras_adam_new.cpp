// write_keras_adam_new OUTDIR: saves, with tf.train.Checkpoint semantics (OUTDIR/ckpt-1 and the
// state file), the state of a tf_keras Sequential Dense(8, relu) -> Dense(3) on 4 inputs with the
// current (TF >= 2.11) tf_keras Adam, through tfckpt::keras::adam. Values follow pattern() below,
// mirrored in tests/interop/graph_tf_restores_ours_new_adam.py, which has TensorFlow restore the
// checkpoint with assert_consumed() and compares bits. Exit status 0 on success.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tfckpt/checkpoint.hpp"
#include "tfckpt/keras/optimizers.hpp"
#include "../keras_mlp_4_8_3.hpp"

namespace wkan {
using state = keras_mlp_4_8_3::state<tfckpt::keras::adam<>>;
}  // namespace wkan

namespace {
using wkan::state;

// ((salt*31 + i*7) % 97) / 64 - 0.75: exact in float32.
float pattern(int salt, std::size_t i) {
  return static_cast<float>((salt * 31 + static_cast<int>(i) * 7) % 97) / 64.0f - 0.75f;
}
template <class Span>
void fill(Span s, int salt, bool absolute = false) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const float v = pattern(salt, i);
    s[i] = absolute && v < 0 ? -v : v;
  }
}
tfckpt::tensor slot(tfckpt::shape_t shape, int salt, bool absolute) {
  tfckpt::tensor t = tfckpt::tensor::zeros(tfckpt::dtype::float32, std::move(shape)).value();
  fill(t.values<float>().value(), salt, absolute);  // float32 by construction
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_keras_adam_new OUTDIR\n");
    return 2;
  }
  state s;
  fill(std::span<float>(s.model.l0.kernel), 1);
  fill(std::span<float>(s.model.l0.bias), 2);
  fill(std::span<float>(s.model.l1.kernel), 3);
  fill(std::span<float>(s.model.l1.bias), 4);
  // m and v per trainable variable, in model.trainable_variables order.
  const std::vector<tfckpt::shape_t> shapes{{4, 8}, {8}, {8, 3}, {3}};
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const int salt = static_cast<int>(i) + 1;
    s.optimizer.momentums.push_back(slot(shapes[i], salt + 100, false));
    s.optimizer.velocities.push_back(slot(shapes[i], salt + 200, true));
  }
  s.optimizer.iterations = 5;
  s.optimizer.learning_rate = 0.01f;
  s.step = 11;
  tfckpt::checkpoint ck(s);
  auto path = ck.save(std::string(argv[1]) + "/ckpt");
  if (!path) {
    std::fprintf(stderr, "%s\n", path.error().to_string().c_str());
    return 1;
  }
  std::printf("%s\n", path->c_str());
  return 0;
}
