// write_keras_optimizers OUTDIR: saves, with tf.train.Checkpoint semantics, the state of a tf_keras
// Sequential Dense(8, relu) -> Dense(3) on 4 inputs with four optimizers, one checkpoint each:
//   OUTDIR/sgd/ckpt-1             tfckpt::keras::sgd<>        (tf_keras.optimizers.SGD, TF >= 2.11)
//   OUTDIR/rmsprop/ckpt-1         tfckpt::keras::rmsprop<>    (RMSprop(momentum>0, centered=True))
//   OUTDIR/sgd_legacy/ckpt-1      tfckpt::keras::legacy::sgd  (slot `momentum`)
//   OUTDIR/rmsprop_legacy/ckpt-1  tfckpt::keras::legacy::rmsprop (slots rms, momentum, mg), in two
//                                 shards written by two threads
// Values follow pattern() (mirrored in tests/interop/interop_check.py); per trainable variable
// i (salt i+1): value = pattern(salt), first slot = pattern(salt+100), velocity / rms =
// |pattern(salt+200)|, momentum of RMSprop = pattern(salt+300), average gradient / mg =
// pattern(salt+400). tests/interop/graph_tf_restores_ours_optimizers.py has TensorFlow restore
// each with assert_consumed() and compares bits. Exit status 0 on success.
#include <array>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "tfckpt/checkpoint.hpp"
#include "tfckpt/keras/optimizers.hpp"
#include "../keras_mlp_4_8_3.hpp"

namespace wko = keras_mlp_4_8_3;

namespace {

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
tfckpt::tensor slot(const tfckpt::shape_t& shape, int salt, bool absolute = false) {
  tfckpt::tensor t = tfckpt::tensor::zeros(tfckpt::dtype::float32, shape).value();
  fill(t.values<float>().value(), salt, absolute);  // float32 by construction
  return t;
}

const std::vector<tfckpt::shape_t> shapes{{4, 8}, {8}, {8, 3}, {3}};
const std::vector<std::string> paths{"model/layer_with_weights-0/kernel", "model/layer_with_weights-0/bias",
                                     "model/layer_with_weights-1/kernel", "model/layer_with_weights-1/bias"};

template <class S>
void fill_model(S& s) {
  fill(std::span<float>(s.model.l0.kernel), 1);
  fill(std::span<float>(s.model.l0.bias), 2);
  fill(std::span<float>(s.model.l1.kernel), 3);
  fill(std::span<float>(s.model.l1.bias), 4);
  s.step = 11;
}

template <class S>
bool save(S& s, const std::string& dir, const tfckpt::write_options& opts = {}) {
  tfckpt::checkpoint ck(s);
  auto path = ck.save(dir + "/ckpt", opts);
  if (!path) {
    std::fprintf(stderr, "%s\n", path.error().to_string().c_str());
    return false;
  }
  std::printf("%s\n", path->c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_keras_optimizers OUTDIR\n");
    return 2;
  }
  const std::string out = argv[1];

  wko::state<tfckpt::keras::sgd<>> sgd;
  fill_model(sgd);
  for (std::size_t i = 0; i < shapes.size(); ++i)
    sgd.optimizer.momentums.push_back(slot(shapes[i], static_cast<int>(i) + 101));
  sgd.optimizer.iterations = 5;
  sgd.optimizer.learning_rate = 0.01f;

  wko::state<tfckpt::keras::rmsprop<>> rms;
  fill_model(rms);
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const int salt = static_cast<int>(i) + 1;
    rms.optimizer.velocities.push_back(slot(shapes[i], salt + 200, true));
    rms.optimizer.momentums.push_back(slot(shapes[i], salt + 300));
    rms.optimizer.average_gradients.push_back(slot(shapes[i], salt + 400));
  }
  rms.optimizer.iterations = 5;
  rms.optimizer.learning_rate = 0.01f;

  wko::state<tfckpt::keras::legacy::sgd> lsgd;
  fill_model(lsgd);
  for (std::size_t i = 0; i < shapes.size(); ++i)
    lsgd.optimizer.slots.set(paths[i], "momentum", slot(shapes[i], static_cast<int>(i) + 101));
  lsgd.optimizer.iter = 5;
  lsgd.optimizer.learning_rate = 0.01f;
  lsgd.optimizer.momentum = 0.9f;

  wko::state<tfckpt::keras::legacy::rmsprop> lrms;
  fill_model(lrms);
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const int salt = static_cast<int>(i) + 1;
    lrms.optimizer.slots.set(paths[i], "rms", slot(shapes[i], salt + 200, true));
    lrms.optimizer.slots.set(paths[i], "momentum", slot(shapes[i], salt + 300));
    lrms.optimizer.slots.set(paths[i], "mg", slot(shapes[i], salt + 400));
  }
  lrms.optimizer.iter = 5;
  lrms.optimizer.learning_rate = 0.01f;
  lrms.optimizer.momentum = 0.9f;
  lrms.optimizer.rho = 0.9f;

  // The last in two shards filled by two threads (the object-graph save's deferred add_many).
  tfckpt::write_options two_shards;
  two_shards.num_shards = 2;
  two_shards.threads = 2;
  const bool ok = save(sgd, out + "/sgd") && save(rms, out + "/rmsprop") && save(lsgd, out + "/sgd_legacy") &&
                  save(lrms, out + "/rmsprop_legacy", two_shards);
  return ok ? 0 : 1;
}
