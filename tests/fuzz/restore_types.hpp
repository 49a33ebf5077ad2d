// The structs fuzz_restore.cpp restores, and a representative value of the richest one (which
// seed_tool.cpp writes with our writer to seed the fuzzer).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tfckpt/checkpoint.hpp"
#include "tfckpt/keras/optimizers.hpp"
#include "../keras_mlp_4_8_3.hpp"

namespace tfckpt_fuzz_restore {

using keras_mlp_4_8_3::mlp;  // the Keras-shaped model of the optimizer fixtures

struct legacy_adam {  // tf_keras.optimizers.legacy.Adam
  std::int64_t iter = 0;
  float beta_1 = 0.9f, beta_2 = 0.999f, decay = 0.0f, learning_rate = 0.001f;
  tfckpt::slot_table slots{"m", "v"};
};
struct legacy_state {
  mlp model;
  legacy_adam optimizer;
  std::int64_t step = 0;
};

struct adam_state {
  mlp model;
  tfckpt::keras::adam<> optimizer;
  std::int64_t step = 0;
};

struct head {
  float scale = 0;
  std::vector<float> bias;
};
struct rich_state {
  mlp model;
  tfckpt::keras::adam<> optimizer;
  std::int64_t step = 0;
  std::vector<float> history;
  std::string name;
  std::vector<std::string> tags;
  std::vector<head> layers;
  std::map<std::string, head> heads;
  std::optional<head> extra;
  tfckpt::tensor any;
};

// A representative value of rich_state (seed_tool.cpp writes it with tfckpt::write and save).
inline rich_state sample_rich_state() {
  rich_state s;
  for (std::size_t i = 0; i < s.model.l0.kernel.size(); ++i) s.model.l0.kernel[i] = 0.25f * static_cast<float>(i);
  s.model.l1.bias = {1, 2, 3};
  s.optimizer.iterations = 7;
  // Counts match the shapes: value() cannot stop here.
  s.optimizer.momentums = {tfckpt::tensor::from_values<float>({4, 8}, std::vector<float>(32, 0.5f)).value(),
                           tfckpt::tensor::from_values<float>({8}, std::vector<float>(8, 1.5f)).value()};
  s.optimizer.velocities = s.optimizer.momentums;
  s.step = 7;
  s.history = {0.9f, 0.5f, 0.25f};
  s.name = "mlp";
  s.tags = {"a", "", "tag/with/slashes"};
  s.layers = {head{1, {1, 2}}, head{2, {}}};
  s.heads["out"] = head{3, {4}};
  s.heads["aux/x"] = head{4, {5, 6}};
  s.extra = head{5, {7}};
  s.any = tfckpt::tensor::from_values<std::int32_t>({2}, std::vector<std::int32_t>{1, 2}).value();
  return s;
}

}  // namespace tfckpt_fuzz_restore
