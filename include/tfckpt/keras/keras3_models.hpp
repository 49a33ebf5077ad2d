// tfckpt: ready-made Keras 3 model roots. Observed with TF 2.21 / Keras 3
// (tests/interop/make_keras3_fixtures.py):
//
//   keras.Sequential    model: _functional -> (a Functional) _operations: 0 = its InputLayer,
//                       1.. = the layers in order (layers without variables included)
//   functional Model    model: _operations: every operation in the graph's order, InputLayers
//                       included (list them: keras3::input_layer)
//   subclassed Model    model: one child per layer attribute, named after it (a C++ struct of
//                       layers, field names = attribute names; TFCKPT_NAMES renames)
//   compiled (any)      the model also lists `optimizer` (model.compile(optimizer=...)) and an
//                       empty `_compiled_trainable_state`: keras3::compiled<Model, Optimizer>
//
// Empty bookkeeping children Keras also writes (_tracked, _inbound_nodes, _losses, ...) carry
// no values; a restore does not need them and Keras restores without them.
//
// keras3::for_each_trainable(model, f) visits the model's trainable variables in the order of
// model.trainable_variables: the optimizers (keras3_optimizers.hpp) index their lists by it.
#pragma once

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../graph/live_tree.hpp"
#include "../reflect/visit.hpp"
#include "../reflect/link.hpp"
#include "keras3_layers.hpp"

namespace tfckpt::keras3 {

template <class T>
concept has_trainables = requires(T& t) { t.for_each_trainable([](auto&) {}); };

// The trainable variables of a layer, a model, or a struct of layers (a subclassed model): the
// fields in declaration order; fields that are neither (an optimizer, a step counter) are skipped.
template <class T, class F>
void for_each_trainable(T& obj, F&& f) {
  if constexpr (has_trainables<T>) {
    obj.for_each_trainable(f);
  } else if constexpr (reflect::is_tuple<T>::value) {
    std::apply([&](auto&... e) { (keras3::for_each_trainable(e, f), ...); }, obj);
  } else if constexpr (reflect::is_list<T>) {
    for (auto& e : obj) keras3::for_each_trainable(e, f);
  } else if constexpr (reflect::is_optional<T>::value) {
    if (obj) keras3::for_each_trainable(*obj, f);  // a layer built later: nothing until it is
  } else if constexpr (reflect::is_struct<T> && !reflect::describes_itself<T>) {
    reflect::for_each_field(obj, [&](const auto&, auto& field) { keras3::for_each_trainable(field, f); });
  }
}

namespace detail {

struct functional_node {};   // identities of bookkeeping nodes (not saved)
struct operations_node {};

// `_operations` list under `parent`: "0", "1", ... for the operations in order.
template <class... Ops>
void add_operations(graph::live_tree& tree, std::size_t parent, operations_node& ops_id,
                    Ops&... ops) {
  const auto list = tree.intern(graph::id_of(ops_id));
  tree.add_edge(parent, "_operations", list.first);
  if (!list.second) return;
  std::size_t i = 0;
  (reflect::add_child(tree, list.first, std::to_string(i++), ops), ...);
}

}  // namespace detail

// keras.Sequential([keras.Input(...), Layers...]).
template <class... Layers>
struct sequential {
  std::tuple<Layers...> layers{};
  input_layer input{};

  detail::functional_node functional_node_{};
  detail::operations_node operations_node_{};

  template <std::size_t I>
  auto& layer() { return std::get<I>(layers); }
  template <std::size_t I>
  const auto& layer() const { return std::get<I>(layers); }

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    const auto functional = tree.intern(graph::id_of(functional_node_));
    tree.add_edge(self, "_functional", functional.first);
    if (!functional.second) return;
    std::apply([&](auto&... l) { detail::add_operations(tree, functional.first, operations_node_, input, l...); },
               layers);
  }
  template <class F>
  void for_each_trainable(F&& f) {
    keras3::for_each_trainable(layers, f);
  }
};

// keras.Model(inputs, outputs): Ops are every operation in the graph's order (as
// model.operations lists them), InputLayers included.
template <class... Ops>
struct functional {
  std::tuple<Ops...> operations{};

  detail::operations_node operations_node_{};

  template <std::size_t I>
  auto& operation() { return std::get<I>(operations); }
  template <std::size_t I>
  const auto& operation() const { return std::get<I>(operations); }

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    std::apply([&](auto&... o) { detail::add_operations(tree, self, operations_node_, o...); }, operations);
  }
  template <class F>
  void for_each_trainable(F&& f) {
    keras3::for_each_trainable(operations, f);
  }
};

namespace detail {
struct compiled_state_node {};
}  // namespace detail

// A compiled model: Model's children, then `optimizer` and `_compiled_trainable_state`.
// Optimizer is a template over its model locator, given tfckpt::enclosing<compiled>: the
// optimizer finds its model as the object that holds it, so copies stay correct.
//   keras3::compiled<keras3::sequential<keras3::dense<>>, keras3::adam> model;
template <class Model, template <class...> class Optimizer>
struct compiled : Model {
  Optimizer<enclosing<compiled>> optimizer{};
  detail::compiled_state_node compiled_state_node_{};

  Model& model() noexcept { return *this; }

  void tfckpt_describe(graph::live_tree& tree, std::size_t self) {
    Model& m = *this;
    if constexpr (reflect::describes_itself<Model>) {
      m.tfckpt_describe(tree, self);
    } else {
      reflect::for_each_field(m, [&](const auto& names, auto& field) {
        for (std::size_t k = 0; k < names.count; ++k) reflect::add_child(tree, self, names.names[k], field);
      });
    }
    reflect::add_child(tree, self, "optimizer", optimizer);
    tree.add_edge(self, "_compiled_trainable_state", tree.intern(graph::id_of(compiled_state_node_)).first);
  }
  template <class F>
  void for_each_trainable(F&& f) {
    keras3::for_each_trainable(static_cast<Model&>(*this), f);
  }
};

}  // namespace tfckpt::keras3
