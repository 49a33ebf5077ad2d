// The Keras 3 models the interop tests and unit tests use, as tfckpt::keras3 types. Mirrored in
// tests/interop/keras3_both_ways.py (same case names, same Keras models).
#pragma once

#include <cstdint>

#include "tfckpt/checkpoint.hpp"
#include "tfckpt/keras/keras3_layers.hpp"
#include "tfckpt/keras/keras3_models.hpp"
#include "tfckpt/keras/keras3_optimizers.hpp"

namespace keras3_cases {
namespace k3 = tfckpt::keras3;

using mlp_seq = k3::sequential<k3::dense<>, k3::dense<>>;                     // Dense(8) -> Dense(3)
using mlp_func = k3::functional<k3::input_layer, k3::dense<>, k3::dense<>>;
struct mlp_sub {  // a subclassed model: self.a = Dense(8); self.b = Dense(3)
  k3::dense<> a;
  k3::dense<> b;
};
using conv1d_seq = k3::sequential<k3::conv1d<>, k3::layer_normalization<>, k3::batch_normalization<>, k3::flatten,
                                  k3::dense<>>;
using conv2d_seq = k3::sequential<k3::conv2d<>, k3::flatten, k3::dense<>>;
using embed_seq = k3::sequential<k3::embedding<>, k3::flatten, k3::dense<>>;
// Sequential([Dense(3, use_bias=False), Dropout, Dense(3)]) built by a call (no Input: Keras
// still lists an InputLayer first).
using nobias_seq = k3::sequential<k3::dense<tfckpt::tensor, k3::none>, k3::dropout, k3::dense<>>;
// A functional model around a nested Sequential: Input -> Sequential([Dense(8)]) -> Dense(3).
using nested_func = k3::functional<k3::input_layer, k3::sequential<k3::dense<>>, k3::dense<>>;

// tf.train.Checkpoint(model=m, optimizer=o): the optimizer finds the model by member path.
template <class Model, template <class...> class Optimizer>
struct with_optimizer {
  Model model;
  Optimizer<tfckpt::member_path<&with_optimizer::model>> optimizer;
};
// tf.train.Checkpoint(model=m), m not compiled.
template <class Model>
struct plain_model {
  Model model;
};
// tf.train.Checkpoint(model=m) with m compiled: the model holds its optimizer.
template <class Model, template <class...> class Optimizer>
struct model_only {
  k3::compiled<Model, Optimizer> model;
};

}  // namespace keras3_cases
