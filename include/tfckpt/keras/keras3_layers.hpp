// tfckpt: ready-made Keras 3 layers (TF >= 2.16 `import keras`, Keras 3.x), as
// tf.train.Checkpoint writes them. Observed with TF 2.21 / Keras 3 (tests/interop/
// make_keras3_fixtures.py dumps the layouts):
//
//   Dense, Conv1D, Conv2D, Conv3D   _kernel, bias          (bias absent with use_bias=False)
//   Embedding                       _embeddings
//   LayerNormalization              gamma, beta            (each absent with scale/center=False)
//   BatchNormalization              gamma, beta, moving_mean, moving_variance
//   InputLayer, Flatten, Dropout,   an object without children (it still has an index in
//   Activation, pooling, ...        `_operations`, so it must be listed)
//
// Each layer also lists its *trainable* variables, in Keras' order (model.trainable_variables):
// what a Keras 3 optimizer's `_trainable_variables` and slot lists are indexed by. Moving
// statistics are not trainable.
//
// Variables default to tfckpt::tensor (any shape, sized by a restore); give statically shaped
// storage instead for a heap-free model: keras3::dense<tfckpt::fixed<float, 4, 8>, std::array<float, 8>>.
// keras3::none as a variable type drops it (Dense(use_bias=False): keras3::dense<tensor, keras3::none>).
#pragma once

#include <cstddef>
#include <type_traits>

#include "../bundle/tensor.hpp"
#include "../graph/live_tree.hpp"
#include "../reflect/visit.hpp"

namespace tfckpt::keras3 {

struct none {};  // a variable the layer does not have

namespace detail {

template <class T>
void add_var(graph::live_tree& tree, std::size_t self, const char* name, T& v) {
  if constexpr (!std::is_same_v<T, none>) reflect::add_child(tree, self, name, v);
}
template <class F, class T>
void trainable(F& f, T& v) {
  if constexpr (!std::is_same_v<T, none>) f(v);
}

}  // namespace detail

// Dense, and the Conv layers, which store the same two variables.
template <class Kernel = tensor, class Bias = tensor>
struct dense {
  Kernel kernel{};
  Bias bias{};

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::add_var(tree, self, "_kernel", kernel);
    detail::add_var(tree, self, "bias", bias);
  }
  template <class F>
  void for_each_trainable(F&& f) {
    detail::trainable(f, kernel);
    detail::trainable(f, bias);
  }
};
template <class Kernel = tensor, class Bias = tensor>
struct conv1d : dense<Kernel, Bias> {};
template <class Kernel = tensor, class Bias = tensor>
struct conv2d : dense<Kernel, Bias> {};
template <class Kernel = tensor, class Bias = tensor>
struct conv3d : dense<Kernel, Bias> {};

template <class Embeddings = tensor>
struct embedding {
  Embeddings embeddings{};

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::add_var(tree, self, "_embeddings", embeddings);
  }
  template <class F>
  void for_each_trainable(F&& f) {
    detail::trainable(f, embeddings);
  }
};

template <class Gamma = tensor, class Beta = Gamma>
struct layer_normalization {
  Gamma gamma{};
  Beta beta{};

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::add_var(tree, self, "gamma", gamma);
    detail::add_var(tree, self, "beta", beta);
  }
  template <class F>
  void for_each_trainable(F&& f) {
    detail::trainable(f, gamma);
    detail::trainable(f, beta);
  }
};

template <class Vec = tensor>
struct batch_normalization {
  Vec gamma{};
  Vec beta{};
  Vec moving_mean{};      // not trainable
  Vec moving_variance{};  // not trainable

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::add_var(tree, self, "gamma", gamma);
    detail::add_var(tree, self, "beta", beta);
    detail::add_var(tree, self, "moving_mean", moving_mean);
    detail::add_var(tree, self, "moving_variance", moving_variance);
  }
  template <class F>
  void for_each_trainable(F&& f) {
    detail::trainable(f, gamma);
    detail::trainable(f, beta);
  }
};

// A layer without variables (InputLayer, Flatten, Dropout, pooling, ...): a node with no children.
struct no_weights {
  void tfckpt_describe(graph::live_tree&, std::size_t) {}
  template <class F>
  void for_each_trainable(F&&) {}
};
struct input_layer : no_weights {};
struct flatten : no_weights {};
struct dropout : no_weights {};

}  // namespace tfckpt::keras3
