// tfckpt reflect layer: second edges declared in the types (compile-time paths), not wired at
// run time. A Keras 3 optimizer lists the model's variables under `_trainable_variables`; those
// nodes are owned by the model. A run-time pointer (tfckpt::ref) to them dangles or points at
// the wrong object once the root is copied, moved or returned from a function. A *locator*
// instead names the owner by type and member path, and is resolved each time the live tree is
// built, from the object that declares it:
//
//   tfckpt::member_path<&state::model>      the `model` member of the nearest enclosing `state`
//   tfckpt::member_path<&S::a, &A::b>       (S s).a.b, S again the nearest enclosing S
//   tfckpt::enclosing<my_model>             the nearest enclosing my_model itself
//
// "Enclosing" means: the object of that type that was already added to the live tree (it is a
// parent being described) and whose storage contains the declaring object. Because the live
// tree is built from the root every time it is needed, a copied or moved root resolves to its
// own members. A locator that finds nothing (the declaring object is not inside such an owner)
// resolves to nullptr: no edges, which a restore reports as unmatched values, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../graph/live_tree.hpp"

namespace tfckpt {

template <auto First, auto... Rest>
struct member_path;

namespace detail {
template <class M>
struct member_pointer_traits;
template <class C, class T>
struct member_pointer_traits<T C::*> {
  using owner = C;
  using type = T;
};
}  // namespace detail

namespace detail {

// The object of type Owner in `tree` whose storage contains [self, self + size), or nullptr.
// The innermost (most recently added) one wins when owners nest.
template <class Owner>
Owner* find_enclosing(const graph::live_tree& tree, const void* self, std::size_t size) {
  const auto* tag = &detail::type_tag<Owner>;
  const auto s = reinterpret_cast<std::uintptr_t>(self);
  for (std::size_t i = tree.size(); i-- > 0;) {
    const graph::object_id& id = tree.node(i).id;
    if (id.type != tag || id.address == nullptr) continue;
    const auto o = reinterpret_cast<std::uintptr_t>(id.address);
    if (o <= s && s + size <= o + sizeof(Owner)) return static_cast<Owner*>(const_cast<void*>(id.address));
  }
  return nullptr;
}

}  // namespace detail

// A path of member pointers from the nearest enclosing object of the first pointer's class.
template <auto First, auto... Rest>
struct member_path {
  using owner = typename detail::member_pointer_traits<decltype(First)>::owner;

  template <class Self>
  static auto* resolve(const graph::live_tree& tree, const Self& self) {
    owner* o = detail::find_enclosing<owner>(tree, &self, sizeof(Self));
    return o ? follow(&(o->*First)) : nullptr;
  }

 private:
  template <class T>
  static auto* follow(T* p) {
    if constexpr (sizeof...(Rest) == 0) return p;
    else return member_path<Rest...>::follow_from(p);
  }
  template <class T>
  static auto* follow_from(T* p) {
    return follow(&(p->*First));
  }
  template <auto, auto...>
  friend struct member_path;
};

// The nearest enclosing object of type Owner (e.g. the model that holds its optimizer).
template <class Owner>
struct enclosing {
  template <class Self>
  static Owner* resolve(const graph::live_tree& tree, const Self& self) {
    return detail::find_enclosing<Owner>(tree, &self, sizeof(Self));
  }
};

}  // namespace tfckpt
