// Example (b): a C++ training loop hands its state to TensorFlow and takes it back.
// Fits y = 3x + 2 with a Keras-shaped model (Sequential([Input(1), Dense(1)])) and its own Adam
// laid out as tf_keras.optimizers.legacy.Adam stores it (iter, beta_1, beta_2, decay,
// learning_rate, slots m and v), saving with tfckpt::checkpoint_manager (max_to_keep 3).
// Python restores it into the real Keras model and optimizer with assert_consumed(), trains on,
// saves with tf.train.Checkpoint, and this program resumes from that.
//
//   linear_regression_train [DIR] [--steps N]   train (resuming from DIR's latest checkpoint if
//                                               any; default DIR ./linear_regression, N 200),
//                                               save every 50 steps, dump DIR/cpp_state.json
//   linear_regression_train --resume DIR [--steps N]   restore DIR's latest with
//                                               assert_consumed (required), train N (default 20)
//                                               more steps, check the loss went down, save
//   linear_regression_train --list DIR          what our checkpoint_manager recovers from DIR
//
// Printed lines "value NAME 0xBITS" give exact float32 bits of every variable and slot.
// Exit status: 0 ok, 2 restore failed, 3 assert_consumed failed, 4 training did not progress.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tfckpt/checkpoint_manager.hpp"

namespace example {

struct dense1 {
  tfckpt::fixed<float, 1, 1> kernel;
  std::array<float, 1> bias{};
};
struct linear_model {
  dense1 l0;
};
TFCKPT_NAMES(linear_model, (l0, "layer_with_weights-0", "layer-0"))

struct adam {  // tf_keras.optimizers.legacy.Adam, hyper-parameters in TF's creation order
  std::int64_t iter = 0;
  float beta_1 = 0.9f, beta_2 = 0.999f, decay = 0.0f, learning_rate = 0.1f;
  tfckpt::slot_table slots{"m", "v"};
};
struct state {  // tf.train.Checkpoint(model=..., optimizer=...)
  linear_model model;
  adam optimizer;
};

constexpr const char* kernel_path = "model/layer_with_weights-0/kernel";
constexpr const char* bias_path = "model/layer_with_weights-0/bias";
constexpr float epsilon = 1e-7f;  // Keras's default

// 16 points on [-1, 1] (exact in float32), y = 3x + 2.
std::array<float, 16> xs() {
  std::array<float, 16> x{};
  for (int i = 0; i < 16; ++i) x[static_cast<std::size_t>(i)] = -1.0f + static_cast<float>(i) * 0.125f;
  return x;
}

float loss(const state& s) {
  double l = 0;
  for (float x : xs()) {
    const double e = double(s.model.l0.kernel[0]) * x + s.model.l0.bias[0] - (3.0 * x + 2.0);
    l += e * e;
  }
  return static_cast<float>(l / 16);
}

float* slot(state& s, const char* var, const char* name) {
  tfckpt::tensor* t = s.optimizer.slots.find(var, name);
  if (!t) {
    const float zero = 0.0f;
    const tfckpt::shape_t shape = std::strcmp(var, kernel_path) == 0 ? tfckpt::shape_t{1, 1} : tfckpt::shape_t{1};
    // One value for a one-element shape: cannot fail (value() would stop the program if it did).
    t = &s.optimizer.slots.set(var, name, tfckpt::tensor::from_values<float>(shape, std::span<const float>(&zero, 1)).value());
  }
  auto v = t->values<float>();  // a restored slot of another dtype is an error, not an empty view
  return v ? v->data() : nullptr;
}

// One Adam step as Keras's legacy Adam (ResourceApplyAdam) defines it.
void adam_update(state& s, const char* var, float& w, float g) {
  adam& o = s.optimizer;
  const double t = static_cast<double>(o.iter + 1);
  const double lr = o.learning_rate / (1.0 + o.decay * static_cast<double>(o.iter));
  const double alpha = lr * std::sqrt(1.0 - std::pow(o.beta_2, t)) / (1.0 - std::pow(o.beta_1, t));
  float& m = *slot(s, var, "m");
  float& v = *slot(s, var, "v");
  m += (g - m) * (1.0f - o.beta_1);
  v += (g * g - v) * (1.0f - o.beta_2);
  w -= static_cast<float>(alpha * m / (std::sqrt(double(v)) + epsilon));
}

void train_step(state& s) {
  double gk = 0, gb = 0;
  for (float x : xs()) {
    const double e = double(s.model.l0.kernel[0]) * x + s.model.l0.bias[0] - (3.0 * x + 2.0);
    gk += 2 * e * x / 16;
    gb += 2 * e / 16;
  }
  adam_update(s, kernel_path, s.model.l0.kernel[0], static_cast<float>(gk));
  adam_update(s, bias_path, s.model.l0.bias[0], static_cast<float>(gb));
  ++s.optimizer.iter;
}

std::uint32_t bits(float f) {
  std::uint32_t b = 0;
  std::memcpy(&b, &f, 4);
  return b;
}

void report(state& s, const std::string& json_path) {
  const std::pair<const char*, float> values[] = {
      {"kernel", s.model.l0.kernel[0]},         {"bias", s.model.l0.bias[0]},
      {"kernel/m", *slot(s, kernel_path, "m")}, {"kernel/v", *slot(s, kernel_path, "v")},
      {"bias/m", *slot(s, bias_path, "m")},     {"bias/v", *slot(s, bias_path, "v")},
      {"learning_rate", s.optimizer.learning_rate}, {"beta_1", s.optimizer.beta_1},
      {"beta_2", s.optimizer.beta_2},           {"decay", s.optimizer.decay}};
  std::string json = "{\"iter\": " + std::to_string(s.optimizer.iter);
  for (const auto& [name, v] : values) {
    std::printf("value %s 0x%08x (%.9g)\n", name, static_cast<unsigned>(bits(v)), static_cast<double>(v));
    json += ", \"" + std::string(name) + "\": " + std::to_string(bits(v));
  }
  json += "}\n";
  std::printf("iter %lld loss %.9g\n", static_cast<long long>(s.optimizer.iter), static_cast<double>(loss(s)));
  if (!json_path.empty()) {
    std::ofstream(json_path) << json;
  }
}

void list(const tfckpt::checkpoint_manager& mgr) {
  for (const auto& p : mgr.checkpoints()) std::printf("managed %s\n", p.c_str());
  if (mgr.latest_checkpoint()) std::printf("latest %s\n", mgr.latest_checkpoint()->c_str());
}

int fail(const tfckpt::error& e, int code) {
  std::fprintf(stderr, "%s\n", e.to_string().c_str());
  return code;
}

int run(const std::string& dir, bool resume, long steps) {
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 3});
  if (auto ok = mgr.status(); !ok) return fail(ok.error(), 2);
  state s;
  s.model.l0.kernel[0] = 0.5f;  // initial weights when nothing is restored
  auto st = mgr.restore_or_initialize(s);
  if (!st) return fail(st.error(), 2);
  if (!st->nothing_restored) {
    if (auto ok = st->assert_consumed(); !ok) return fail(ok.error(), 3);
    std::printf("restored %s: assert_consumed ok\n", st->checkpoint.c_str());
    report(s, "");
  } else if (resume) {
    std::fprintf(stderr, "--resume: no checkpoint in %s\n", dir.c_str());
    return 2;
  }
  const float before = loss(s);
  const std::int64_t iter_before = s.optimizer.iter;
  for (long i = 1; i <= steps; ++i) {
    train_step(s);
    if (i % 50 == 0 || i == steps) {
      auto p = mgr.save(s);
      if (!p) return fail(p.error(), 1);
      std::printf("saved %s\n", p->c_str());
    }
  }
  report(s, dir + "/cpp_state.json");
  list(mgr);
  const float after = loss(s);
  std::printf("loss %.9g -> %.9g over %ld steps\n", static_cast<double>(before), static_cast<double>(after), steps);
  // From scratch the loss must go down; a resumed state (any learning rate, maybe converged to
  // float noise) must at least keep counting and stay finite.
  const bool fresh = st->nothing_restored;
  if (s.optimizer.iter != iter_before + steps || !std::isfinite(after) || (fresh && !(after < before))) {
    std::fprintf(stderr, "training did not progress\n");
    return 4;
  }
  return 0;
}

}  // namespace example

int main(int argc, char** argv) {
  std::string dir = "linear_regression", mode = "train";
  long steps = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--resume" || a == "--list") && i + 1 < argc) {
      mode = a.substr(2);
      dir = argv[++i];
    } else if (a == "--steps" && i + 1 < argc) {
      steps = std::strtol(argv[++i], nullptr, 10);
    } else if (!a.empty() && a[0] != '-') {
      dir = a;
    } else {
      std::fprintf(stderr, "usage: %s [DIR | --resume DIR | --list DIR] [--steps N]\n", argv[0]);
      return 1;
    }
  }
  if (mode == "list") {
    tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 3});
    if (auto ok = mgr.status(); !ok) return example::fail(ok.error(), 2);
    example::list(mgr);
    return 0;
  }
  const bool resume = mode == "resume";
  return example::run(dir, resume, steps >= 1 ? steps : resume ? 20 : 200);
}
