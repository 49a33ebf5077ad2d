// Example (a): load what Python trained. A tf_keras Sequential MLP (Input(4) -> Dense(H, relu)
// -> Dense(3)) trained with the legacy Adam and saved with
// tf.train.Checkpoint(model=..., optimizer=...).save() is restored into a mirroring struct with
// assert_consumed() (model *and* optimizer state, so nothing in the file goes unread), and the
// forward pass is computed in plain C++.
//
//   keras_mlp_inference CKPT_DIR_OR_PREFIX INPUTS_TXT     H = 16; prints one output row per
//                                                          input row (inputs: 4 floats a line)
//   keras_mlp_inference                                    no arguments: restores the TF-written
//       fixture $TFCKPT_FIXTURES_DIR/keras_adam_legacy (H = 8) if present, else round-trips a
//       deterministic model through a checkpoint of its own; runs a few inputs through it.
//
// Exit status: 0 ok, 2 restore failed, 3 assert_consumed failed, 1 bad usage / I/O.
// tests/interop/example_a_keras_to_cpp.py drives it against Keras's own outputs.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "tfckpt/checkpoint.hpp"

namespace example {

template <int In, int Out>
struct dense {
  tfckpt::fixed<float, In, Out> kernel;  // Keras kernels are [in, out]
  std::array<float, Out> bias;
};

template <int H>
struct mlp {
  dense<4, H> l0;
  dense<H, 3> l1;
};
// tf_keras lists each weighted layer twice: `layer_with_weights-k` and `layer-i` (the Input
// layer of a Sequential model is not a layer).
template <int H>
TFCKPT_NAMES(mlp<H>, (l0, "layer_with_weights-0", "layer-0"), (l1, "layer_with_weights-1", "layer-1"))

struct adam {  // tf_keras.optimizers.legacy.Adam: hyper-parameters and the m, v slots
  std::int64_t iter = 0;
  float beta_1 = 0.9f, beta_2 = 0.999f, decay = 0.0f, learning_rate = 0.001f;
  tfckpt::slot_table slots{"m", "v"};
};

template <int H>
struct state {  // tf.train.Checkpoint(model=..., optimizer=...)
  mlp<H> model;
  adam optimizer;
};
template <int H>
struct state_with_step {  // the fixture also saved step=...
  mlp<H> model;
  adam optimizer;
  std::int64_t step = 0;
};

// y = x W + b, accumulated in double and rounded once (Keras computes in float32; the two agree
// to a few float ulps).
template <int In, int Out>
std::array<float, Out> apply(const dense<In, Out>& d, const std::type_identity_t<std::array<float, In>>& x, bool relu) {
  std::array<float, Out> y{};
  for (int o = 0; o < Out; ++o) {
    double acc = d.bias[static_cast<std::size_t>(o)];
    for (int i = 0; i < In; ++i)
      acc += static_cast<double>(x[static_cast<std::size_t>(i)]) * d.kernel[static_cast<std::size_t>(i * Out + o)];
    const auto v = static_cast<float>(acc);
    y[static_cast<std::size_t>(o)] = relu && v < 0 ? 0.0f : v;
  }
  return y;
}

template <int H>
std::array<float, 3> forward(const mlp<H>& m, const std::array<float, 4>& x) {
  return apply(m.l1, apply(m.l0, x, true), false);
}

template <class State>
int restore_checked(const std::string& path, State& s) {
  auto st = tfckpt::restore(path, s);
  if (!st) {
    std::fprintf(stderr, "restore failed: %s\n", st.error().to_string().c_str());
    return 2;
  }
  if (auto ok = st->assert_consumed(); !ok) {
    std::fprintf(stderr, "%s\n", ok.error().to_string().c_str());
    return 3;
  }
  std::printf("restored %s: assert_consumed ok (optimizer iter %lld, %zu slot variables)\n", st->checkpoint.c_str(),
              static_cast<long long>(s.optimizer.iter), s.optimizer.slots.size());
  return 0;
}

template <int H>
void print_outputs(const mlp<H>& m, const std::vector<std::array<float, 4>>& xs) {
  for (const auto& x : xs) {
    const auto y = forward(m, x);
    std::printf("output %.9g %.9g %.9g\n", static_cast<double>(y[0]), static_cast<double>(y[1]),
                static_cast<double>(y[2]));
  }
}

std::vector<std::array<float, 4>> demo_inputs() {
  return {{{0.5f, -1.0f, 0.25f, 2.0f}}, {{-0.75f, 0.0f, 1.5f, -0.5f}}, {{1.0f, 1.0f, 1.0f, 1.0f}}};
}

// No fixture: write a deterministic model (and Adam state) with tfckpt, read it back.
int self_roundtrip() {
  state<16> src;
  for (std::size_t i = 0; i < src.model.l0.kernel.size(); ++i) src.model.l0.kernel[i] = static_cast<float>(i % 7) / 8 - 0.375f;
  for (std::size_t i = 0; i < src.model.l1.kernel.size(); ++i) src.model.l1.kernel[i] = static_cast<float>(i % 5) / 4 - 0.5f;
  src.model.l0.bias.fill(0.125f);
  src.model.l1.bias = {0.5f, -0.5f, 0.0f};
  src.optimizer.iter = 3;
  for (const char* var : {"kernel", "bias"})
    for (int l = 0; l < 2; ++l) {
      const std::string path = "model/layer_with_weights-" + std::to_string(l) + "/" + var;
      tfckpt::shape_t shape = std::string(var) == "kernel" ? tfckpt::shape_t{l == 0 ? 4 : 16, l == 0 ? 16 : 3}
                                                           : tfckpt::shape_t{l == 0 ? 16 : 3};
      std::int64_t n = 1;
      for (auto d : shape) n *= d;
      std::vector<float> zeros(static_cast<std::size_t>(n), 0.0f);
      for (const char* slot : {"m", "v"})
        src.optimizer.slots.set(path, slot, tfckpt::tensor::from_values<float>(shape, std::span<const float>(zeros)).value());
    }
  tfckpt::checkpoint ck(src);
  auto path = ck.save("keras_mlp_inference/ckpt");
  if (!path) {
    std::fprintf(stderr, "save failed: %s\n", path.error().to_string().c_str());
    return 1;
  }
  state<16> s;
  if (int rc = restore_checked(*path, s)) return rc;
  print_outputs(s.model, demo_inputs());
  return 0;
}

int no_arguments() {
  const char* fx = std::getenv("TFCKPT_FIXTURES_DIR");
  const std::string fixture = fx ? std::string(fx) + "/keras_adam_legacy" : std::string();
  if (fixture.empty() || !std::ifstream(fixture + "/checkpoint").good()) return self_roundtrip();
  state_with_step<8> s;
  if (int rc = restore_checked(fixture, s)) return rc;
  print_outputs(s.model, demo_inputs());
  return 0;
}

bool read_inputs(const std::string& file, std::vector<std::array<float, 4>>& out) {
  std::ifstream in(file);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream ls(line);
    std::array<float, 4> x{};
    for (float& v : x) {
      std::string tok;
      if (!(ls >> tok)) return false;
      v = std::strtof(tok.c_str(), nullptr);  // accepts hex floats (Python float.hex) too
    }
    out.push_back(x);
  }
  return true;
}

}  // namespace example

int main(int argc, char** argv) {
  using namespace example;
  if (argc == 1) return no_arguments();
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s [CKPT_DIR_OR_PREFIX INPUTS_TXT]\n", argv[0]);
    return 1;
  }
  std::vector<std::array<float, 4>> xs;
  if (!read_inputs(argv[2], xs)) {
    std::fprintf(stderr, "cannot read inputs from %s\n", argv[2]);
    return 1;
  }
  state<16> s;
  if (int rc = restore_checked(argv[1], s)) return rc;
  print_outputs(s.model, xs);
  return 0;
}
