// tfckpt reflect layer: field names of plain aggregates at compile time. Boost 1.81's PFR has no
// pfr::get_name, so we use the technique newer PFR and glaze use: pass a pointer to field I of a
// never-defined static object as a template argument and read the field's name back from
// __PRETTY_FUNCTION__ (g++ 12: "...value.T::name)}", clang 14: "...value.name}]").
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>
#include <boost/preprocessor/repetition/enum.hpp>
#include <boost/preprocessor/repetition/repeat.hpp>

namespace tfckpt::detail {

template <class T>
struct fake_wrapper {
  T value;
};

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wundefined-var-template"
#endif
// Declared, never defined: only its address is used, inside constant evaluation.
template <class T>
extern const fake_wrapper<T> fake_object;

// Clang 14 only accepts a pointer to a subobject as a template argument inside a class.
template <class P>
struct pointer_holder {
  const P* p;
};

template <auto Holder>
consteval std::string_view function_name() {
  return __PRETTY_FUNCTION__;
}

template <class T, std::size_t I>
consteval std::string_view raw_field_signature() {
  using field_t = std::remove_cvref_t<decltype(boost::pfr::get<I>(fake_object<T>.value))>;
  return function_name<pointer_holder<field_t>{&boost::pfr::get<I>(fake_object<T>.value)}>();
}
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

// The identifier right before the closing ")}" (g++) or "}]" (clang).
consteval std::string_view field_name_from_signature(std::string_view sig) {
  std::size_t end = sig.rfind(")}");
  if (end == std::string_view::npos) end = sig.rfind("}]");
  if (end == std::string_view::npos) return {};
  std::size_t begin = end;
  while (begin > 0) {
    const char c = sig[begin - 1];
    const bool ident = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ident) break;
    --begin;
  }
  return sig.substr(begin, end - begin);
}

template <class T, std::size_t I>
inline constexpr std::string_view aggregate_field_name = field_name_from_signature(raw_field_signature<T, I>());

template <class T, std::size_t... I>
consteval std::array<std::string_view, sizeof...(I)> collect_field_names(std::index_sequence<I...>) {
  return {aggregate_field_name<T, I>...};
}

// Boost.PFR counts the fields of an aggregate by how many initializers it takes, and brace
// elision lets a C-array field `float w[4][3]` take 12 of them: PFR then sees 13 "fields" in
// `struct { float w[4][3]; float b; }` and its get<> fails deep inside Boost. `T{{}, {}, ...}`
// with one empty braced list per field cannot elide braces (a `{}` initializes one whole
// member), so it compiles with PFR's count only when no field is a C array.
template <class T, std::size_t N>
struct braces_init : std::false_type {};
#define TFCKPT_DETAIL_EMPTY_BRACES(z, n, data) {}
#define TFCKPT_DETAIL_BRACES_INIT(z, n, data)                                     \
  template <class T>                                                              \
    requires requires { T{BOOST_PP_ENUM_##z(n, TFCKPT_DETAIL_EMPTY_BRACES, ~)}; } \
  struct braces_init<T, n> : std::true_type {};
BOOST_PP_REPEAT(64, TFCKPT_DETAIL_BRACES_INIT, ~)
#undef TFCKPT_DETAIL_BRACES_INIT
#undef TFCKPT_DETAIL_EMPTY_BRACES

template <class T>
consteval bool pfr_can_reflect() {
  if constexpr (!std::is_aggregate_v<T>) {
    return true;  // not ours to judge here
  } else {
    constexpr std::size_t n = boost::pfr::tuple_size_v<T>;
    if constexpr (n >= 64) return true;  // beyond the probe; PFR's own errors apply
    else return braces_init<T, n>::value;
  }
}

}  // namespace tfckpt::detail

namespace tfckpt::detail {

// False for an aggregate with a C-array field, which Boost.PFR cannot reflect (see
// detail::braces_init); the visitor then stops with a static_assert saying so.
template <class T>
inline constexpr bool aggregate_reflectable = detail::pfr_can_reflect<T>();

template <class T>
consteval auto reflectable_field_names() {
  if constexpr (aggregate_reflectable<T>)
    return collect_field_names<T>(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
  else
    return std::array<std::string_view, 0>{};  // no names: nothing below asks PFR for fields
}

// Names of T's fields in declaration order. A compiler that hides the name makes a name empty,
// which the visitor rejects with a static_assert telling the user to annotate the type.
template <class T>
inline constexpr auto aggregate_field_names = detail::reflectable_field_names<T>();

}  // namespace tfckpt::detail
