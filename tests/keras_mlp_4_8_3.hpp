// The model every Keras optimizer fixture and interop writer uses: tf_keras Sequential
// Dense(8, relu) -> Dense(3) on 4 inputs, as a struct, with tf.train.Checkpoint(model=...,
// optimizer=..., step=...) around it. Shared by the reflection tests and the interop writers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <tuple>

#include "tfckpt/checkpoint.hpp"

// A named namespace: aggregate field names need external linkage (clang 14).
namespace keras_mlp_4_8_3 {

template <int In, int Out>
struct dense {
  tfckpt::fixed<float, In, Out> kernel;
  std::array<float, Out> bias;
};
struct mlp {
  dense<4, 8> l0;
  dense<8, 3> l1;
};
TFCKPT_NAMES(mlp, (l0, "layer_with_weights-0", "layer-0"), (l1, "layer_with_weights-1", "layer-1"))

template <class Optimizer, class Model = mlp>
struct state {
  Model model;
  Optimizer optimizer;
  std::int64_t step = 0;
};

// The same model with its second layer built later (deferred restoration: tfckpt::read_deferred,
// then emplace l1 and attach).
struct mlp_late {
  dense<4, 8> l0;
  std::optional<dense<8, 3>> l1;
};
TFCKPT_NAMES(mlp_late, (l0, "layer_with_weights-0", "layer-0"), (l1, "layer_with_weights-1", "layer-1"))

template <class Optimizer>
using state_late = state<Optimizer, mlp_late>;

// Optimizer slots with the variables' static shapes, in model.trainable_variables order: no heap.
using fixed_slots = std::tuple<tfckpt::fixed<float, 4, 8>, std::array<float, 8>, tfckpt::fixed<float, 8, 3>,
                               std::array<float, 3>>;

}  // namespace keras_mlp_4_8_3
