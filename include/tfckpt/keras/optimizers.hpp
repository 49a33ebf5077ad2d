// tfckpt: ready-made optimizer state in the layout of the tf_keras optimizers of TF >= 2.11
// (`tf_keras.optimizers.Adam`, `.SGD`, `.RMSprop`, the default `tf.keras.optimizers.*` in TF
// 2.11-2.15), as tf.train.Checkpoint writes it, and of the legacy (optimizer_v2) SGD and RMSprop
// (keras::legacy, slot variables), and the legacy Adam. Adam, observed in tests/fixtures/keras_adam
// (TF 2.21 + tf_keras):
//
//   optimizer                 children, in this order:
//     _variables              a list: 0 = the iteration counter (the same node as _iterations),
//                             then per trainable variable in model order: m, v (1 = m of var 0,
//                             2 = v of var 0, 3 = m of var 1, ...)
//     _iterations             int64 scalar   optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE
//     _learning_rate          float32 scalar optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE
//     _index_dict             an empty dict (has_checkpoint_values = false)
//     _momentums, _velocities lists of the same m / v nodes (0, 1, ...)
//
// Every value is saved once, under its first path: optimizer/_variables/<n>/.ATTRIBUTES/VARIABLE_VALUE.
// There are no slot_variables; beta_1, beta_2, epsilon are Python floats TF does not save.
//
//   struct state { mlp model; tfckpt::keras::adam<> optimizer; std::int64_t step = 0; };
//
// `Slots` is the container of m (and of v) tensors, one per trainable variable in the order of
// model.trainable_variables: std::vector<tfckpt::tensor> (default; sized and shaped by a
// restore), std::array<S, N>, or std::tuple<...> of statically shaped leaves
// (tfckpt::fixed<float, 4, 8>, std::array<float, 8>, ...) for a heap-free state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "../graph/live_tree.hpp"
#include "../reflect/visit.hpp"
#include "../bundle/tensor.hpp"

namespace tfckpt::keras {

namespace detail {

struct variables_list {};  // identities of the nodes TF creates but the state does not hold
struct index_dict {};

// The `_variables` list: 0 = iterations, then per model variable i its slots in slot-list order:
// 1 + i*K + k is slot list k of variable i (Adam: 1 = m0, 2 = v0, 3 = m1, ...).
template <class Slots, std::size_t K>
void describe_variables(graph::live_tree& tree, std::size_t list, std::int64_t& iterations,
                        const std::array<Slots*, K>& lists) {
  reflect::add_child(tree, list, "0", iterations);
  auto name = [](std::size_t i, std::size_t k) { return std::to_string(1 + i * K + k); };
  if constexpr (reflect::is_tuple<Slots>::value) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      auto one = [&](std::size_t i, auto getter) {
        for (std::size_t k = 0; k < K; ++k) reflect::add_child(tree, list, name(i, k), getter(*lists[k]));
      };
      (one(I, [](Slots& s) -> auto& { return std::get<I>(s); }), ...);
    }(std::make_index_sequence<std::tuple_size_v<Slots>>{});
  } else {
    std::size_t n = 0;
    for (const Slots* s : lists) n = s->size() > n ? s->size() : n;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < K; ++k)
        if (i < lists[k]->size()) reflect::add_child(tree, list, name(i, k), (*lists[k])[i]);
  }
}

}  // namespace detail

// tf_keras.optimizers.Adam (amsgrad=False).
template <class Slots = std::vector<tensor>>
struct adam {
  std::int64_t iterations = 0;  // `_iterations` == `_variables/0`
  float learning_rate = 0.001f;  // `_learning_rate` (a float32 variable when given as a number)
  Slots momentums{};             // m per trainable variable (`_momentums`)
  Slots velocities{};            // v per trainable variable (`_velocities`)

  // Node identities only (not saved).
  detail::variables_list variables_node_{};
  detail::index_dict index_dict_node_{};

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    // Node ids are assigned breadth-first when the graph is built, so the list's children may
    // be added here, before the `_iterations` edge: ids follow TF's order either way.
    const auto list = tree.intern(graph::id_of(variables_node_));
    tree.add_edge(self, "_variables", list.first);
    if (list.second)
      detail::describe_variables<Slots, 2>(tree, list.first, iterations, {&momentums, &velocities});
    reflect::add_child(tree, self, "_iterations", iterations);
    reflect::add_child(tree, self, "_learning_rate", learning_rate);
    tree.add_edge(self, "_index_dict", tree.intern(graph::id_of(index_dict_node_)).first);
    reflect::add_child(tree, self, "_momentums", momentums);
    reflect::add_child(tree, self, "_velocities", velocities);
  }
};

namespace detail {

// Children "<next>", "<next+1>", ... of `list`, one per element of `slots` (blocked order).
template <class Slots>
void add_items(graph::live_tree& tree, std::size_t list, std::size_t& next, Slots& slots) {
  if constexpr (reflect::is_tuple<Slots>::value) {
    std::apply([&](auto&... e) { (reflect::add_child(tree, list, std::to_string(next++), e), ...); }, slots);
  } else {
    for (auto& e : slots) reflect::add_child(tree, list, std::to_string(next++), e);
  }
}

// What every TF >= 2.11 tf_keras optimizer lists first: `_variables` (0 = iterations, then the
// given slot lists one after the other), `_iterations`, `_learning_rate`, `_index_dict`.
template <class... Lists>
void describe_blocked(graph::live_tree& tree, std::size_t self, variables_list& variables_node,
                      index_dict& index_dict_node, std::int64_t& iterations, float& learning_rate,
                      Lists&... lists) {
  const auto list = tree.intern(graph::id_of(variables_node));
  tree.add_edge(self, "_variables", list.first);
  if (list.second) {
    reflect::add_child(tree, list.first, "0", iterations);
    std::size_t next = 1;
    (add_items(tree, list.first, next, lists), ...);
  }
  reflect::add_child(tree, self, "_iterations", iterations);
  reflect::add_child(tree, self, "_learning_rate", learning_rate);
  tree.add_edge(self, "_index_dict", tree.intern(graph::id_of(index_dict_node)).first);
}

}  // namespace detail

// tf_keras.optimizers.SGD (TF >= 2.11). It builds one momentum buffer per trainable variable
// even with momentum=0. Observed in tests/fixtures/keras_sgd:
//
//   optimizer: _variables (0 = iterations, 1.. = momentum of each variable in model order),
//              _iterations, _learning_rate, _index_dict (empty), momentums (sic: no underscore)
//
// The momentum coefficient and nesterov are Python values TF does not save.
template <class Slots = std::vector<tensor>>
struct sgd {
  std::int64_t iterations = 0;   // `_iterations` == `_variables/0`
  float learning_rate = 0.01f;   // `_learning_rate`
  Slots momentums{};             // one per trainable variable (`momentums`)

  detail::variables_list variables_node_{};
  detail::index_dict index_dict_node_{};

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::describe_blocked(tree, self, variables_node_, index_dict_node_, iterations, learning_rate, momentums);
    reflect::add_child(tree, self, "momentums", momentums);
  }
};

// tf_keras.optimizers.RMSprop (TF >= 2.11). Observed in tests/fixtures/keras_rmsprop
// (momentum=0.9, centered=True):
//
//   optimizer: _variables (0 = iterations, then all velocities, then all momentums, then all
//              average gradients, each in model order: blocked, not interleaved like Adam),
//              _iterations, _learning_rate, _index_dict (empty), _velocities, _momentums,
//              _average_gradients
//
// With momentum=0 the `_momentums` list is empty, without centered `_average_gradients` is (TF
// still lists both nodes, without values); leave those containers empty (std::vector: a restore
// sizes them; for static slots use std::tuple<>). rho, epsilon, momentum, centered are not saved.
template <class Velocities = std::vector<tensor>, class Momentums = Velocities, class AverageGradients = Velocities>
struct rmsprop {
  std::int64_t iterations = 0;         // `_iterations` == `_variables/0`
  float learning_rate = 0.001f;        // `_learning_rate`
  Velocities velocities{};             // `_velocities`, one per trainable variable
  Momentums momentums{};               // `_momentums`: empty unless momentum > 0
  AverageGradients average_gradients{};  // `_average_gradients`: empty unless centered

  detail::variables_list variables_node_{};
  detail::index_dict index_dict_node_{};

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::describe_blocked(tree, self, variables_node_, index_dict_node_, iterations, learning_rate, velocities,
                             momentums, average_gradients);
    reflect::add_child(tree, self, "_velocities", velocities);
    reflect::add_child(tree, self, "_momentums", momentums);
    reflect::add_child(tree, self, "_average_gradients", average_gradients);
  }
};

// The legacy optimizers (optimizer_v2: TF <= 2.10 default, tf_keras.optimizers.legacy.*): one
// float32 variable per hyper-parameter, the step counter `iter`, and slot variables keyed by the
// model variable (`<var path>/.OPTIMIZER_SLOT/optimizer/<slot>/...`). Observed with TF 2.21 +
// tf_keras (tests/interop/graph_tf_restores_ours_optimizers.py); child order is TF's.
namespace legacy {

// tf_keras.optimizers.legacy.SGD: slot `momentum` per variable when momentum > 0 (with
// momentum=0 TF creates no slots: leave the table empty).
struct sgd {
  std::int64_t iter = 0;
  float decay = 0.0f;
  float learning_rate = 0.01f;
  float momentum = 0.0f;
  tfckpt::slot_table slots{"momentum"};
};

// tf_keras.optimizers.legacy.Adam (the default tf.keras Adam of TF <= 2.10), amsgrad=False:
// slots `m`, then `v` (TF orders all m nodes before all v nodes). With amsgrad=True TF adds a
// third slot `vhat`: construct the table as {"m", "v", "vhat"}.
struct adam {
  std::int64_t iter = 0;
  float beta_1 = 0.9f;
  float beta_2 = 0.999f;
  float decay = 0.0f;
  float learning_rate = 0.001f;
  tfckpt::slot_table slots{"m", "v"};
};

// tf_keras.optimizers.legacy.RMSprop: slots `rms`, then `momentum` (momentum > 0), then `mg`
// (centered), as TF orders the slot nodes.
struct rmsprop {
  std::int64_t iter = 0;
  float decay = 0.0f;
  float learning_rate = 0.001f;
  float momentum = 0.0f;
  float rho = 0.9f;
  tfckpt::slot_table slots{"rms", "momentum", "mg"};
};

}  // namespace legacy

}  // namespace tfckpt::keras
