// tfckpt reflect layer: turn a C++ object into the graph layer's live tree. One generic
// visitor; no runtime registration. Structs (Boost.Describe or plain aggregates) become nodes
// whose children are their fields; std::vector<S>/std::array<S,N> become TF lists (children
// "0", "1", ...), std::map<std::string,S> TF dicts, std::optional an edge only when present,
// tfckpt::ref an edge to an object owned elsewhere, a detail::slot_table field makes its struct
// an optimizer with slot variables, a tfckpt::attribute field is a named attribute of its struct's
// own object (attribute.hpp), not a child. Leaves are listed in leaf.hpp. std::tuple<...> is a TF list of
// objects of different types. A type with a member `void tfckpt_describe(detail::live_tree&,
// std::size_t self)` lists its own children (heterogeneous or shared lists, e.g. keras::adam).
//
// On restore, containers take the checkpoint's shape before values are matched (bind.hpp):
// std::vector<S> is resized to the saved list's length (children "0".."n-1"), a
// std::map<std::string,S> gets every saved key it lacks (keys it has stay, and are reported when
// the checkpoint lacks them, as TF does), a std::optional<S> field is engaged when the saved
// object has a child of that name. std::array and std::tuple keep their size.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <boost/pfr/core.hpp>

#include "../format/config.hpp"
#include "../graph/live_tree.hpp"
#include "attribute.hpp"
#include "leaf.hpp"
#include "names.hpp"

namespace tfckpt::detail {

template <class T> struct is_std_vector : std::false_type {};
template <class E, class A> struct is_std_vector<std::vector<E, A>> : std::true_type {};
template <class T> struct is_std_array : std::false_type {};
template <class E, std::size_t N> struct is_std_array<std::array<E, N>> : std::true_type {};
template <class T> struct is_string_map : std::false_type {};
template <class V, class C, class A> struct is_string_map<std::map<std::string, V, C, A>> : std::true_type {};
template <class T> struct is_optional : std::false_type {};
template <class V> struct is_optional<std::optional<V>> : std::true_type {};
template <class T> struct is_ref : std::false_type {};
template <class V> struct is_ref<ref<V>> : std::true_type {};

template <class T> struct is_tuple : std::false_type {};
template <class... E> struct is_tuple<std::tuple<E...>> : std::true_type {};

template <class T>
inline constexpr bool is_list = !is_leaf<T> && (is_std_vector<T>::value || is_std_array<T>::value);

template <class T>
concept describes_itself = requires(T& t, detail::live_tree& tree, std::size_t self) {
  t.tfckpt_describe(tree, self);
};

template <class T>
inline constexpr bool is_struct = !is_leaf<T> && !is_list<T> && !is_string_map<T>::value && !is_attribute<T>::value &&
                                  std::is_class_v<T> && (detail::is_described<T> || std::is_aggregate_v<T>);

// Calls f(names, field) for every field of a struct, in declaration order.
template <class T, class F>
void for_each_field(T& obj, F&& f) {
  static_assert(::tfckpt::detail::offending<T, fields_reflectable<T>()>::value,
                "tfckpt: this plain aggregate has a C-array field, which Boost.PFR cannot reflect; use "
                "std::array or tfckpt::fixed for it, or annotate the type with BOOST_DESCRIBE_STRUCT");
  static_assert(::tfckpt::detail::offending<T, all_renamed_fields_exist<T>()>::value, "tfckpt: TFCKPT_NAMES names a field the type does not have");
  static_assert(::tfckpt::detail::offending<T, all_names_nonempty<T>()>::value,
                "tfckpt: this compiler cannot recover the field names of this aggregate; annotate the type "
                "with BOOST_DESCRIBE_STRUCT");
  static_assert(::tfckpt::detail::offending<T, all_names_unique<T>()>::value, "tfckpt: two children of this type share a local name (check TFCKPT_NAMES)");
  static constexpr auto names = child_names<T>().first;
  if constexpr (detail::is_described<T>) {
    std::size_t i = 0;
    boost::mp11::mp_for_each<detail::described_members<T>>([&](auto d) { f(names[i++], obj.*d.pointer); });
  } else {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (f(names[I], boost::pfr::get<I>(obj)), ...);
    }(std::make_index_sequence<names.size()>{});
  }
}

template <class T>
std::size_t add_object(detail::live_tree& tree, T& obj);


// Length of a saved TF list: its children named "0", "1", ... up to the first gap (bounded by the
// number of children, so never sized from an untrusted number).
inline std::size_t saved_list_length(const trackable_object& saved) {
  const std::size_t n = saved.children.size();
  std::vector<bool> seen(n, false);
  for (const auto& c : saved.children) {
    const std::string& s = c.local_name;
    if (s.empty() || s.size() > 9 || (s.size() > 1 && s[0] == '0')) continue;  // str(i) only
    std::size_t i = 0;
    bool digits = true;
    for (char ch : s) {
      if (ch < '0' || ch > '9') digits = false;
      i = i * 10 + static_cast<std::size_t>(ch - '0');
    }
    if (digits && i < n) seen[i] = true;
  }
  std::size_t len = 0;
  while (len < n && seen[len]) ++len;
  return len;
}

inline bool saved_has_child(const trackable_object& saved, std::string_view name) {
  for (const auto& c : saved.children)
    if (c.local_name == name) return true;
  return false;
}

template <class V>
bool fill_vector(void* o, const trackable_object& saved) {
  auto& v = *static_cast<V*>(o);
  const std::size_t n = saved_list_length(saved);
  if (v.size() == n) return false;
  v.resize(n);
  return true;
}

template <class M>
bool fill_map(void* o, const trackable_object& saved) {
  auto& m = *static_cast<M*>(o);
  bool changed = false;
  for (const auto& c : saved.children)
    if (m.find(c.local_name) == m.end()) {
      m.emplace(c.local_name, typename M::mapped_type{});
      changed = true;
    }
  return changed;
}

template <class T>
bool fill_optionals(void* o, const trackable_object& saved);

// Vectors of objects that a resize can fill: not of refs (nothing to point at) or optionals.
template <class T>
consteval bool resizable_list() {
  if constexpr (is_list<T> && is_std_vector<T>::value) {
    using E = typename T::value_type;
    return !is_ref<E>::value && !is_optional<E>::value && std::is_default_constructible_v<E>;
  } else {
    return false;
  }
}
template <class T>
consteval bool fillable_map() {
  if constexpr (is_string_map<T>::value) return std::is_default_constructible_v<typename T::mapped_type>;
  else return false;
}

template <class T>
detail::container_fill fill_of(T& obj) {
  if constexpr (resizable_list<T>()) {
    return {&fill_vector<T>, &obj};
  } else if constexpr (fillable_map<T>()) {
    return {&fill_map<T>, &obj};
  } else if constexpr (is_struct<T> && !describes_itself<T>) {
    return {&fill_optionals<T>, &obj};
  } else {
    return {};
  }
}


// One edge `name` from `parent` to the object `member` stands for (if any).
template <class T>
void add_child(detail::live_tree& tree, std::size_t parent, std::string_view name, T& member) {
  if constexpr (std::is_same_v<T, detail::slot_table>) {
    tree.node(parent).slots = &member;
  } else if constexpr (is_attribute<T>::value) {
    detail::add_attribute(tree, parent, member);  // the parent's own attribute; `name` plays no part
  } else if constexpr (is_optional<T>::value) {
    if (member) add_child(tree, parent, name, *member);
  } else if constexpr (is_ref<T>::value) {
    if (member.target) add_child(tree, parent, name, *member.target);
  } else {
    const std::size_t child = add_object(tree, member);
    tree.add_edge(parent, std::string(name), child);
  }
}

// The node for `obj`; its children are described the first time the object is seen.
template <class T>
std::size_t add_object(detail::live_tree& tree, T& obj) {
  const auto interned = tree.intern(detail::id_of(obj));
  const std::size_t index = interned.first;  // not a structured binding: lambdas capture it (clang 14)
  if (!interned.second) return index;
  tree.node(index).fill = detail::fill_of(obj);
  if constexpr (describes_itself<T>) {
    obj.tfckpt_describe(tree, index);
  } else if constexpr (is_leaf<T>) {
    tree.node(index).value = make_variable(obj);
  } else if constexpr (is_list<T>) {
    for (std::size_t i = 0; i < obj.size(); ++i) add_child(tree, index, std::to_string(i), obj[i]);
  } else if constexpr (is_tuple<T>::value) {
    std::size_t i = 0;
    std::apply([&](auto&... e) { (add_child(tree, index, std::to_string(i++), e), ...); }, obj);
  } else if constexpr (is_string_map<T>::value) {
    for (auto& [key, value] : obj) add_child(tree, index, key, value);
  } else if constexpr (is_struct<T>) {
    for_each_field(obj, [&](const name_set& names, auto& field) {
      if constexpr (is_attribute<std::remove_cvref_t<decltype(field)>>::value) {
        if (names.count != 0) detail::add_attribute(tree, index, field);  // once, whatever its aliases
      } else {
        for (std::size_t k = 0; k < names.count; ++k) add_child(tree, index, names.names[k], field);
      }
    });
  } else if constexpr (is_attribute<T>::value) {
    static_assert(::tfckpt::detail::offending<T, false>::value,
                  "tfckpt::attribute is an attribute of the object whose field it is: declare it as a field "
                  "of a struct, not as the root, a list element or a map value");
  } else {
    static_assert(::tfckpt::detail::offending<T, false>::value,
                  "tfckpt: unsupported field type: not a variable (arithmetic, array, std::vector<arith>, "
                  "tfckpt::tensor, tfckpt::fixed, std::string, std::span), not a container of objects and "
                  "not a struct (annotate classes with BOOST_DESCRIBE_STRUCT / BOOST_DESCRIBE_CLASS)");
  }
  return index;
}


template <class F>
consteval bool engageable() {
  if constexpr (is_optional<F>::value) return std::is_default_constructible_v<typename F::value_type>;
  else return false;
}

// Engages each disengaged std::optional field whose (first matching) local name the saved object has.
template <class T>
bool fill_optionals(void* o, const trackable_object& saved) {
  bool changed = false;
  for_each_field(*static_cast<T*>(o), [&](const name_set& names, auto& field) {
    using F = std::remove_cvref_t<decltype(field)>;
    if constexpr (engageable<F>()) {
      if (field) return;
      for (std::size_t k = 0; k < names.count; ++k)
        if (saved_has_child(saved, names.names[k])) {
          field.emplace();
          changed = true;
          return;
        }
    }
  });
  return changed;
}


// The live tree of `root`; node 0 is `root` itself.
template <class T>
detail::live_tree make_tree(T& root) {
  detail::live_tree tree;
  (void)add_object(tree, root);
  return tree;
}

}  // namespace tfckpt::detail
