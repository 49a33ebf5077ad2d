// tfckpt: ready-made Keras 3 optimizers (keras.optimizers.Adam, AdamW, SGD, RMSprop, Adagrad of
// TF >= 2.16), as tf.train.Checkpoint writes them. Observed with TF 2.21 / Keras 3
// (tests/interop/make_keras3_fixtures.py):
//
//   optimizer                      children, in this order:
//     _variables                   a list: 0 = iterations, 1 = learning_rate, then the slots:
//                                  each build() call's group, per model variable in
//                                  model.trainable_variables order (Adam, AdamW: m0 v0 m1 v1 ...;
//                                  RMSprop: all velocities, then all momentums, then all
//                                  average gradients)
//     _trainable_variables         a list: the model's trainable variables (second edges: the
//                                  nodes belong to the model)
//     _trainable_variables_indices an empty dict
//     _iterations, _learning_rate  int64 / float32 scalars (the same nodes as _variables/0, /1)
//     Adam, AdamW:  _momentums, _velocities   (AdamW also an empty _exclude_from_weight_decay_cache;
//                   amsgrad=True also _velocity_hats, its group last in _variables)
//     SGD:          momentums (sic), empty with momentum=0
//     RMSprop:      _velocities, _momentums (empty with momentum=0), _average_gradients
//                   (empty without centered)
//     Adagrad:      _accumulators
//
// Keys are TF's shortest paths: with the optimizer a child of the checkpoint root, the model's
// weights are keyed optimizer/_trainable_variables/K/... . Hyper-parameters other than the
// learning rate (beta_1, epsilon, momentum, weight_decay, ...) are Python floats, not saved.
// Adam(amsgrad=True) adds `_velocity_hats` (keras3::adam_amsgrad); AdamW(amsgrad=True) is not covered.
//
// `Locator` names the model whose variables the optimizer lists, as a compile-time path
// (reflect/link.hpp), never a run-time pointer:
//
//   struct state {                                   // tf.train.Checkpoint(model=m, optimizer=o)
//     keras3::sequential<keras3::dense<>, keras3::dense<>> model;
//     keras3::adam<tfckpt::member_path<&state::model>> optimizer;
//   };
//   struct root {                                    // tf.train.Checkpoint(model=m), m compiled
//     keras3::compiled<keras3::sequential<keras3::dense<>>, keras3::adam> model;
//   };
//
// `Slots` holds one slot tensor per trainable variable: std::vector<tfckpt::tensor> (default;
// a restore sizes and shapes it) or a std::tuple of statically shaped leaves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "../bundle/tensor.hpp"
#include "../graph/live_tree.hpp"
#include "../reflect/link.hpp"
#include "../reflect/visit.hpp"
#include "keras3_models.hpp"

namespace tfckpt::keras3 {

namespace detail {

struct variables_node {};  // identities of list/dict nodes the state does not hold
struct trainable_node {};
struct indices_node {};
struct empty_node {};

template <class Slots>
std::size_t slot_count(const Slots& s) {
  if constexpr (reflect::is_tuple<Slots>::value) return std::tuple_size_v<Slots>;
  else return s.size();
}
template <class Slots, class F>
void slot_at(Slots& s, std::size_t i, F&& f) {
  if constexpr (reflect::is_tuple<Slots>::value) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((I == i ? (void)f(std::get<I>(s)) : (void)0), ...);
    }(std::make_index_sequence<std::tuple_size_v<Slots>>{});
  } else {
    f(s[i]);
  }
}

// One build() group: per model variable i, one slot of each list (interleaved when several).
template <class... Lists>
void add_group(graph::live_tree& tree, std::size_t list, std::size_t& next, Lists&... lists) {
  std::size_t n = 0;
  ((n = slot_count(lists) > n ? slot_count(lists) : n), ...);
  for (std::size_t i = 0; i < n; ++i) {
    auto one = [&](auto& l) {
      if (i < slot_count(l)) slot_at(l, i, [&](auto& e) { reflect::add_child(tree, list, std::to_string(next++), e); });
    };
    (one(lists), ...);
  }
}

// What every Keras 3 optimizer lists first; `groups` adds the slot groups to `_variables`.
template <class Locator, class Self, class Groups>
void describe_common(graph::live_tree& tree, std::size_t self, Self& opt, Groups&& groups) {
  const auto vars = tree.intern(graph::id_of(opt.variables_node_));
  tree.add_edge(self, "_variables", vars.first);
  if (vars.second) {
    reflect::add_child(tree, vars.first, "0", opt.iterations);
    reflect::add_child(tree, vars.first, "1", opt.learning_rate);
    std::size_t next = 2;
    groups(vars.first, next);
  }
  const auto trainable = tree.intern(graph::id_of(opt.trainable_node_));
  tree.add_edge(self, "_trainable_variables", trainable.first);
  if (trainable.second) {
    if (auto* model = Locator::resolve(tree, opt)) {
      std::size_t k = 0;
      keras3::for_each_trainable(*model, [&](auto& v) {
        reflect::add_child(tree, trainable.first, std::to_string(k++), v);
      });
    }
  }
  tree.add_edge(self, "_trainable_variables_indices", tree.intern(graph::id_of(opt.indices_node_)).first);
  reflect::add_child(tree, self, "_iterations", opt.iterations);
  reflect::add_child(tree, self, "_learning_rate", opt.learning_rate);
}

}  // namespace detail

// The state every Keras 3 optimizer saves besides its slots.
struct optimizer_state {
  std::int64_t iterations = 0;   // `_iterations` == `_variables/0`
  float learning_rate = 0.001f;  // `_learning_rate` == `_variables/1`

  detail::variables_node variables_node_{};
  detail::trainable_node trainable_node_{};
  detail::indices_node indices_node_{};
};

// keras.optimizers.Adam (amsgrad=False).
template <class Locator, class Slots = std::vector<tensor>>
struct adam : optimizer_state {
  Slots momentums{};   // `_momentums`, m per trainable variable
  Slots velocities{};  // `_velocities`, v per trainable variable

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::describe_common<Locator>(tree, self, *this, [&](std::size_t list, std::size_t& next) {
      detail::add_group(tree, list, next, momentums, velocities);
    });
    reflect::add_child(tree, self, "_momentums", momentums);
    reflect::add_child(tree, self, "_velocities", velocities);
  }
};

// keras.optimizers.Adam(amsgrad=True): Adam's layout plus `_velocity_hats` (v-hat per trainable
// variable), listed after `_velocities` and in `_variables` as a group of its own after the
// interleaved m/v group (TF 2.21 / Keras 3: iterations, lr, m0 v0 m1 v1 ..., vhat0 vhat1 ...).
template <class Locator, class Slots = std::vector<tensor>>
struct adam_amsgrad : adam<Locator, Slots> {
  Slots velocity_hats{};  // `_velocity_hats`

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::describe_common<Locator>(tree, self, *this, [&](std::size_t list, std::size_t& next) {
      detail::add_group(tree, list, next, this->momentums, this->velocities);
      detail::add_group(tree, list, next, velocity_hats);
    });
    reflect::add_child(tree, self, "_momentums", this->momentums);
    reflect::add_child(tree, self, "_velocities", this->velocities);
    reflect::add_child(tree, self, "_velocity_hats", velocity_hats);
  }
};

// keras.optimizers.AdamW (amsgrad=False): Adam's layout plus an empty
// `_exclude_from_weight_decay_cache`; weight_decay is not saved.
template <class Locator, class Slots = std::vector<tensor>>
struct adamw : adam<Locator, Slots> {
  detail::empty_node exclude_cache_node_{};

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    adam<Locator, Slots>::tfckpt_describe(tree, self);
    tree.add_edge(self, "_exclude_from_weight_decay_cache", tree.intern(graph::id_of(exclude_cache_node_)).first);
  }
};

// keras.optimizers.SGD: `momentums` (no underscore), one per trainable variable when
// momentum > 0, empty (no slots at all) with momentum=0.
template <class Locator, class Slots = std::vector<tensor>>
struct sgd : optimizer_state {
  Slots momentums{};

  sgd() { learning_rate = 0.01f; }

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::describe_common<Locator>(tree, self, *this, [&](std::size_t list, std::size_t& next) {
      detail::add_group(tree, list, next, momentums);
    });
    reflect::add_child(tree, self, "momentums", momentums);
  }
};

// keras.optimizers.RMSprop: velocities, then momentums (momentum > 0), then average gradients
// (centered), each group in model order.
template <class Locator, class Velocities = std::vector<tensor>, class Momentums = Velocities,
          class AverageGradients = Velocities>
struct rmsprop : optimizer_state {
  Velocities velocities{};
  Momentums momentums{};
  AverageGradients average_gradients{};

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::describe_common<Locator>(tree, self, *this, [&](std::size_t list, std::size_t& next) {
      detail::add_group(tree, list, next, velocities);
      detail::add_group(tree, list, next, momentums);
      detail::add_group(tree, list, next, average_gradients);
    });
    reflect::add_child(tree, self, "_velocities", velocities);
    reflect::add_child(tree, self, "_momentums", momentums);
    reflect::add_child(tree, self, "_average_gradients", average_gradients);
  }
};

// keras.optimizers.Adagrad: `_accumulators`, one per trainable variable.
template <class Locator, class Slots = std::vector<tensor>>
struct adagrad : optimizer_state {
  Slots accumulators{};

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    detail::describe_common<Locator>(tree, self, *this, [&](std::size_t list, std::size_t& next) {
      detail::add_group(tree, list, next, accumulators);
    });
    reflect::add_child(tree, self, "_accumulators", accumulators);
  }
};

}  // namespace tfckpt::keras3
