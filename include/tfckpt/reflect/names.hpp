// tfckpt reflect layer: the local names of a struct's children, decided at compile time.
// Field names come from Boost.Describe (annotated types, bases first) or from the aggregate
// itself (field_names.hpp). TFCKPT_NAMES renames fields (to names that are not identifiers, like
// Keras's `layer_with_weights-0`), gives one field several names (Keras lists a layer as
// `layer_with_weights-0` *and* `layer-0`; both edges reach the same node) or skips a field:
//
//   TFCKPT_NAMES(policy, (l0, "layer_with_weights-0", "layer-0"), (scratch, tfckpt::skip))
//
// Use it at namespace scope next to the type (like BOOST_DESCRIBE_STRUCT); it is found by ADL.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/preprocessor/punctuation/remove_parens.hpp>
#include <boost/preprocessor/seq/for_each.hpp>
#include <boost/preprocessor/variadic/to_seq.hpp>
#include <boost/pfr/tuple_size.hpp>

#include "../format/config.hpp"
#include "field_names.hpp"

namespace tfckpt {

struct skip_t {};
inline constexpr skip_t skip{};  // TFCKPT_NAMES(T, (field, tfckpt::skip)): not a child

}  // namespace tfckpt

namespace tfckpt::detail {

inline constexpr std::size_t max_names_per_field = 4;

// Local names of one field: 0 (skipped), 1, or several edges to the same child.
struct name_set {
  std::array<std::string_view, max_names_per_field> names{};
  std::size_t count = 0;
};

// Whether one TFCKPT_NAMES entry gives its field 1 to 4 names or tfckpt::skip. Checked by the
// macro, which knows the type, so the diagnostic names it (offending<T, false>).
template <class... S>
consteval bool rename_arity_ok(S...) {
  return sizeof...(S) >= 1 && sizeof...(S) <= max_names_per_field;
}
consteval bool rename_arity_ok(skip_t) { return true; }

// The check itself, in a template so that both compilers spell T in the diagnostic.
template <class T, bool Ok>
consteval bool check_rename_arity() {
  static_assert(::tfckpt::detail::offending<T, Ok>::value,
                "tfckpt: TFCKPT_NAMES gives a field 1 to 4 names, or tfckpt::skip");
  return true;
}

struct field_rename {
  std::string_view field;
  name_set names;
  // Names past the fourth are dropped here; the macro's static_assert has already failed then.
  template <class... S>
  constexpr field_rename(std::string_view f, S... n) : field(f), names{} {
    const std::string_view given[] = {std::string_view(n)...};
    for (std::size_t i = 0; i < sizeof...(S) && i < max_names_per_field; ++i) names.names[i] = given[i];
    names.count = sizeof...(S) < max_names_per_field ? sizeof...(S) : max_names_per_field;
  }
  constexpr field_rename(std::string_view f, skip_t) : field(f), names{} {}
};


// Found by ADL when the type has no TFCKPT_NAMES: nothing renamed.
constexpr std::array<field_rename, 0> tfckpt_names(const void*) { return {}; }

template <class T>
constexpr auto renames_of() {
  return tfckpt_names(static_cast<const T*>(nullptr));
}

template <class T>
inline constexpr bool is_described = boost::describe::has_describe_members<T>::value;

inline constexpr unsigned describe_mods =
    boost::describe::mod_public | boost::describe::mod_protected | boost::describe::mod_private |
    boost::describe::mod_inherited;

template <class T>
using described_members = boost::describe::describe_members<T, describe_mods>;

template <class T>
consteval auto declared_field_names() {
  if constexpr (is_described<T>) {
    std::array<std::string_view, boost::mp11::mp_size<described_members<T>>::value> out{};
    std::size_t i = 0;
    boost::mp11::mp_for_each<described_members<T>>([&](auto d) { out[i++] = d.name; });
    return out;
  } else {
    return ::tfckpt::detail::aggregate_field_names<T>;
  }
}


// The final local names of each field of T, in declaration order.
template <class T>
consteval auto child_names() {
  constexpr auto declared = detail::declared_field_names<T>();
  constexpr auto renames = detail::renames_of<T>();
  std::array<name_set, declared.size()> out{};
  for (std::size_t i = 0; i < declared.size(); ++i) out[i] = name_set{{declared[i]}, 1};
  for (const auto& r : renames) {
    bool found = false;
    for (std::size_t i = 0; i < declared.size(); ++i)
      if (declared[i] == r.field) {
        out[i] = r.names;
        found = true;
      }
    if (!found) return std::pair{out, false};
  }
  return std::pair{out, true};
}

// False for a plain (not Describe'd) aggregate with a C-array field: Boost.PFR cannot reflect it.
// A Describe'd type never asks PFR (it may even have bases, which PFR rejects).
template <class T>
consteval bool fields_reflectable() {
  if constexpr (detail::is_described<T>) return true;
  else return aggregate_reflectable<T>;
}

template <class T>
consteval bool all_renamed_fields_exist() { return child_names<T>().second; }

// Whether the compiler recovered every declared field name (Boost.PFR cannot on some). Only the
// declared names: a TFCKPT_NAMES rename to "" is a real local name (a Python dict key "").
template <class T>
consteval bool all_names_nonempty() {
  for (const auto& n : declared_field_names<T>())
    if (n.empty()) return false;
  return true;
}

template <class T>
consteval bool all_names_unique() {
  const auto sets = child_names<T>().first;
  for (std::size_t i = 0; i < sets.size(); ++i)
    for (std::size_t a = 0; a < sets[i].count; ++a)
      for (std::size_t j = i; j < sets.size(); ++j)
        for (std::size_t b = (j == i ? a + 1 : 0); b < sets[j].count; ++b)
          if (sets[i].names[a] == sets[j].names[b]) return false;
  return true;
}

}  // namespace tfckpt::detail

#define TFCKPT_DETAIL_RENAME_I(field, ...) ::tfckpt::detail::field_rename(#field, __VA_ARGS__),
#define TFCKPT_DETAIL_RENAME(r, data, entry) TFCKPT_DETAIL_RENAME_I entry
#define TFCKPT_DETAIL_ARITY_I(field, ...) &&::tfckpt::detail::rename_arity_ok(__VA_ARGS__)
#define TFCKPT_DETAIL_ARITY(r, data, entry) TFCKPT_DETAIL_ARITY_I entry

// TFCKPT_NAMES(Type, (field, "name"[, "alias"...]) | (field, tfckpt::skip), ...)
// A type whose spelling has a comma (a class template with several arguments) goes in
// parentheses: `template <class A, class B> TFCKPT_NAMES((pair<A, B>), (first, "a"))`.
#define TFCKPT_NAMES(Type, ...)                                                                  \
  [[maybe_unused]] constexpr auto tfckpt_names(const BOOST_PP_REMOVE_PARENS(Type)*) {            \
    static_assert(::tfckpt::detail::check_rename_arity<BOOST_PP_REMOVE_PARENS(Type),            \
                                                       (true BOOST_PP_SEQ_FOR_EACH(              \
                                                           TFCKPT_DETAIL_ARITY, ~,               \
                                                           BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__)))>()); \
    return std::array{BOOST_PP_SEQ_FOR_EACH(TFCKPT_DETAIL_RENAME, ~, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__))}; \
  }
