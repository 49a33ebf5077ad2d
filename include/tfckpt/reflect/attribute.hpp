// tfckpt reflect layer: tfckpt::attribute<"NAME", T>, a struct field that stands for one named
// attribute of the struct's own object, not for a child object. TensorFlow saves most values as
// the VARIABLE_VALUE attribute of a variable object (a plain leaf field here), but other objects
// save theirs under other names on themselves: a tf.data iterator its DT_VARIANT state as
// `<path>/.ATTRIBUTES/ITERATOR_STATE`, a tf_keras layer its config as
// `<path>/.ATTRIBUTES/OBJECT_CONFIG_JSON`. So
//
//   struct iterator_t { tfckpt::attribute<"ITERATOR_STATE", tfckpt::tensor> state; };
//   struct state { iterator_t iterator; std::int64_t step = 0; };
//
// restores `iterator/.ATTRIBUTES/ITERATOR_STATE` into `s.iterator.state.value` (the field's own
// name is not part of any key) and saves it back with the object graph entry that names it.
// T is any leaf (tfckpt::tensor for variants, std::string for a scalar string, typed tensors...):
// its dtype and shape are checked as a variable's are. NAME is the attribute as the object graph
// records it (SerializedTensor.name); the bundle key is attribute_key(path, NAME).
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../graph/live_tree.hpp"
#include "leaf.hpp"

namespace tfckpt {

// The name of an attribute as a template argument: attribute<"ITERATOR_STATE", T>.
template <std::size_t N>
struct attribute_name {
  char chars[N]{};
  constexpr attribute_name(const char (&s)[N]) noexcept {  // NOLINT: implicit, for the literal
    for (std::size_t i = 0; i < N; ++i) chars[i] = s[i];
  }
  constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
};

template <attribute_name Name, class T>
struct attribute {
  static_assert(Name.view().size() > 0, "tfckpt::attribute: the attribute name is empty");
  static_assert(detail::is_leaf<T>,
                "tfckpt::attribute<NAME, T>: T must be a leaf type (tfckpt::tensor, tfckpt::tensor_of<E>, "
                "tfckpt::fixed<E, ...>, std::string, an arithmetic type, ...)");
  static constexpr std::string_view name = Name.view();
  using value_type = T;

  T value{};

  friend bool operator==(const attribute&, const attribute&) = default;
};

}  // namespace tfckpt

namespace tfckpt::detail {

template <class T>
struct is_attribute : std::false_type {};
template <attribute_name Name, class T>
struct is_attribute<attribute<Name, T>> : std::true_type {};

// Adds `a` to the attributes of the live node `owner` (the object whose field it is).
template <class A>
void add_attribute(live_tree& tree, std::size_t owner, A& a) {
  tree.node(owner).attributes.push_back(live_attribute{std::string(A::name), make_variable(a.value)});
}

}  // namespace tfckpt::detail
