// Keras 3 in both directions: a linear regression y = 3x + 2 as a Keras 3 model,
//   keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]) + keras.optimizers.Adam,
// saved as tf.train.Checkpoint(model=model, optimizer=optimizer).save(...) writes it. The C++
// state is made of the ready-made tfckpt::keras3 types; the optimizer finds the model's
// variables through a compile-time member path (no run-time wiring), so the state can be
// copied, moved and returned from functions freely.
//
//   keras3_regression                      trains from scratch, saves keras3_regression/ckpt-1,
//                                          restores it into a fresh state with assert_consumed()
//   keras3_regression train DIR [STEPS]    C++ -> Keras 3: trains from scratch, saves DIR/ckpt-N
//   keras3_regression resume DIR [STEPS]   Keras 3 -> C++: restores the latest checkpoint in DIR
//                                          (e.g. written by Keras) with assert_consumed(),
//                                          trains on, saves DIR/ckpt-(N+1)
// Prints kernel, bias, iterations. Exit status: 0 ok, 2 restore failed, 3 assert_consumed
// failed, 1 usage / I/O. tests/interop/example_e_keras3.py drives it against Keras 3.
//
// In Python:
//   model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
//   opt = keras.optimizers.Adam(0.1); opt.build(model.trainable_variables)
//   tf.train.Checkpoint(model=model, optimizer=opt).restore(path).assert_consumed()
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>

#include "tfckpt/checkpoint.hpp"
#include "tfckpt/keras/keras3_models.hpp"
#include "tfckpt/keras/keras3_optimizers.hpp"

namespace example {
namespace k3 = tfckpt::keras3;

using kernel_t = tfckpt::fixed<float, 1, 1>;  // Keras kernels are [in, out]
using bias_t = std::array<float, 1>;
using model_t = k3::sequential<k3::dense<kernel_t, bias_t>>;

struct state {
  model_t model;
  // One m and one v per trainable variable (kernel, bias), statically shaped: no heap.
  k3::adam<tfckpt::member_path<&state::model>, std::tuple<kernel_t, bias_t>> optimizer;
};

state fresh() {
  state s;
  s.optimizer.learning_rate = 0.1f;
  return s;  // returned by value: the optimizer's edges follow it
}

// One Adam step (Keras 3's update rule, beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7) on the
// mean squared error over x = -1, -0.5, ..., 1.
void train(state& s, int steps) {
  auto& d = s.model.layer<0>();
  for (int step = 0; step < steps; ++step) {
    float gk = 0, gb = 0;
    int n = 0;
    for (float x = -1.0f; x <= 1.0f; x += 0.5f, ++n) {
      const float err = d.kernel[0] * x + d.bias[0] - (3.0f * x + 2.0f);
      gk += 2 * err * x;
      gb += 2 * err;
    }
    const float grads[2] = {gk / static_cast<float>(n), gb / static_cast<float>(n)};
    float* vars[2] = {&d.kernel[0], &d.bias[0]};
    float* ms[2] = {&std::get<0>(s.optimizer.momentums)[0], &std::get<1>(s.optimizer.momentums)[0]};
    float* vs[2] = {&std::get<0>(s.optimizer.velocities)[0], &std::get<1>(s.optimizer.velocities)[0]};
    const double t = static_cast<double>(s.optimizer.iterations + 1);
    const double lr = s.optimizer.learning_rate * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    for (int i = 0; i < 2; ++i) {
      *ms[i] += (grads[i] - *ms[i]) * 0.1f;
      *vs[i] += (grads[i] * grads[i] - *vs[i]) * 0.001f;
      *vars[i] -= static_cast<float>(lr * *ms[i] / (std::sqrt(*vs[i]) + 1e-7));
    }
    ++s.optimizer.iterations;
  }
}

void print(const state& s) {
  const auto& d = s.model.layer<0>();
  std::printf("kernel %.4f  bias %.4f  iterations %lld\n", static_cast<double>(d.kernel[0]),
              static_cast<double>(d.bias[0]), static_cast<long long>(s.optimizer.iterations));
}

int save(state& s, const std::string& dir, std::int64_t counter) {
  tfckpt::checkpoint ck(s);
  ck.set_save_counter(counter);
  auto path = ck.save(dir + "/ckpt");
  if (!path) {
    std::fprintf(stderr, "save: %s\n", path.error().to_string().c_str());
    return 1;
  }
  std::printf("saved %s\n", path->c_str());
  return 0;
}

// Restores the latest checkpoint in `dir` into `s`; `counter` gets its save_counter.
int restore(state& s, const std::string& dir, std::int64_t& counter) {
  tfckpt::checkpoint ck(s);
  auto st = ck.restore(dir);
  if (!st) {
    std::fprintf(stderr, "restore: %s\n", st.error().to_string().c_str());
    return 2;
  }
  if (auto c = st->assert_consumed(); !c) {
    std::fprintf(stderr, "assert_consumed: %s\n", c.error().to_string().c_str());
    return 3;
  }
  counter = ck.save_counter();
  return 0;
}

}  // namespace example

int main(int argc, char** argv) {
  using namespace example;
  const std::string mode = argc > 1 ? argv[1] : "";
  const int steps = argc > 3 ? std::atoi(argv[3]) : 300;
  if (argc == 1) {
    state s = fresh();
    train(s, steps);
    print(s);
    if (int rc = save(s, "keras3_regression", 0)) return rc;
    state back = fresh();
    std::int64_t counter = 0;
    if (int rc = restore(back, "keras3_regression", counter)) return rc;
    std::printf("restored with assert_consumed: ");
    print(back);
    return back.optimizer.iterations == s.optimizer.iterations ? 0 : 1;
  }
  if ((mode == "train" || mode == "resume") && (argc == 3 || argc == 4)) {
    state s = fresh();
    std::int64_t counter = 0;
    if (mode == "resume") {
      if (int rc = restore(s, argv[2], counter)) return rc;
      std::printf("restored: ");
      print(s);
    }
    train(s, steps);
    print(s);
    return save(s, argv[2], counter);
  }
  std::fprintf(stderr, "usage: keras3_regression [train|resume DIR [STEPS]]\n");
  return 1;
}
