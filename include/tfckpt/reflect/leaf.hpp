// tfckpt reflect layer: which C++ types are variables (leaves) and how they are saved/restored.
// leaf_traits<T> gives the dtype, the static shape when the type fixes it, the shape rule the
// restore enforces, and the type-erased I/O the graph layer calls.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../graph/core_io.hpp"
#include "../graph/live_tree.hpp"
#include "../bundle/entry.hpp"
#include "../bundle/tensor.hpp"
#include "fixed.hpp"

namespace tfckpt::detail {

template <class T>
inline constexpr bool is_numeric = dtype_of<T> != dtype::invalid && dtype_of<T> != dtype::string;

// Nested std::array / C arrays of a numeric type: a dense row-major tensor with a static shape.
template <class T>
struct array_info {
  static constexpr bool dense = is_numeric<T>;
  using element = T;
  static constexpr std::size_t rank = 0;
  static constexpr std::array<std::int64_t, 0> dims{};
};
template <class A, std::size_t N, class E = typename array_info<A>::element>
constexpr std::array<std::int64_t, array_info<A>::rank + 1> prepend_dim(const std::array<std::int64_t, array_info<A>::rank>& d) {
  std::array<std::int64_t, array_info<A>::rank + 1> out{static_cast<std::int64_t>(N)};
  for (std::size_t i = 0; i < d.size(); ++i) out[i + 1] = d[i];
  return out;
}
template <class A, std::size_t N>
struct array_info<std::array<A, N>> {
  static constexpr bool dense = array_info<A>::dense && sizeof(std::array<A, N>) == N * sizeof(A);
  using element = typename array_info<A>::element;
  static constexpr std::size_t rank = array_info<A>::rank + 1;
  static constexpr auto dims = prepend_dim<A, N>(array_info<A>::dims);
};
template <class A, std::size_t N>
struct array_info<A[N]> : array_info<std::array<A, N>> {};

template <class T, class = void>
struct leaf_traits {
  static constexpr bool is_leaf = false;
};


inline shape_t to_shape(std::span<const std::int64_t> d) { return shape_t(d.begin(), d.end()); }

inline std::string_view as_bytes(const void* p, std::size_t n) { return {static_cast<const char*>(p), n}; }

// Dense storage of a statically shaped leaf (scalars, arrays, fixed).
template <class T, class E, std::size_t Count, auto Dims>
struct dense_leaf {
  static constexpr bool is_leaf = true;
  static constexpr dtype type = dtype_of<E>;
  static constexpr bool static_shape = true;
  static constexpr auto dims = Dims;
  static constexpr detail::shape_rule rule = detail::shape_rule::exact;
  static shape_t shape(const T&) { return to_shape(Dims); }
  static result<void> save(const void* o, bundle_writer& w, const std::string& key) {
    return core::write_bytes(w, key, type, to_shape(Dims), as_bytes(o, Count * sizeof(E)));
  }
  static result<void> restore(void* o, const bundle_reader& r, const std::string& key, const entry_info&) {
    return core::read_bytes_into(r, key, type, std::span<std::byte>(static_cast<std::byte*>(o), Count * sizeof(E)));
  }
};


template <class T>
struct leaf_traits<T, std::enable_if_t<is_numeric<T>>>
    : detail::dense_leaf<T, T, 1, std::array<std::int64_t, 0>{}> {};

template <class T>
struct leaf_traits<T, std::enable_if_t<(std::is_array_v<T> || requires { std::tuple_size<T>::value; }) &&
                                       array_info<T>::dense && array_info<T>::rank >= 1>>
    : detail::dense_leaf<T, typename array_info<T>::element, sizeof(T) / sizeof(typename array_info<T>::element),
                         array_info<T>::dims> {};

template <class E, std::size_t... D>
struct leaf_traits<fixed<E, D...>, std::enable_if_t<is_numeric<E>>>
    : detail::dense_leaf<fixed<E, D...>, E, fixed<E, D...>::count, fixed<E, D...>::dims> {};

// std::vector<numeric>: rank 1, resized to the stored length on restore.
template <class E>
struct leaf_traits<std::vector<E>, std::enable_if_t<is_numeric<E> && !std::is_same_v<E, bool>>> {
  static constexpr bool is_leaf = true;
  static constexpr dtype type = dtype_of<E>;
  static constexpr bool static_shape = false;
  static constexpr detail::shape_rule rule = detail::shape_rule::any_length;
  static shape_t shape(const std::vector<E>& v) { return {static_cast<std::int64_t>(v.size())}; }
  static result<void> save(const void* o, bundle_writer& w, const std::string& key) {
    const auto& v = *static_cast<const std::vector<E>*>(o);
    return core::write_bytes(w, key, type, shape(v), detail::as_bytes(v.data(), v.size() * sizeof(E)));
  }
  static result<void> restore(void* o, const bundle_reader& r, const std::string& key, const entry_info& e) {
    auto& v = *static_cast<std::vector<E>*>(o);
    // The length comes from the index, which may be hostile: resizing to a declared 2^40
    // elements before the reader checked anything allocated terabytes (fuzz_restore,
    // tests/regressions/fuzz_restore/vector_leaf_2p40_floats). check_readable() applies the
    // limits and checks the record lies in its data file before anything is allocated.
    TFCKPT_TRY(core::check_readable(r, key));
    const std::int64_t n = e.shape[0];  // rank 1: checked by the graph layer (shape_rule::any_length)
    if (n < 0) return make_error(errc::corruption, "negative length " + std::to_string(n)).at_key(key);
    // Already the stored length: read in place, as fixed-size leaves are (a new vector would
    // cost fresh pages and a zero fill of every element before the read overwrites them).
    if (v.size() == static_cast<std::size_t>(n))
      return core::read_bytes_into(r, key, type, std::as_writable_bytes(std::span<E>(v)));
    std::vector<E> fresh;
    fresh.reserve(static_cast<std::size_t>(n));  // allocated, not touched: fault it in at once
    core::populate_destination(r, fresh.data(), static_cast<std::size_t>(n) * sizeof(E));
    fresh.resize(static_cast<std::size_t>(n));
    TFCKPT_TRY(core::read_bytes_into(r, key, type, std::as_writable_bytes(std::span<E>(fresh))));
    v = std::move(fresh);
    return {};
  }
};

// std::span<numeric>: caller memory, restored in place; its length is the required shape.
template <class E>
struct leaf_traits<std::span<E>, std::enable_if_t<is_numeric<std::remove_const_t<E>>>> {
  using V = std::remove_const_t<E>;
  static constexpr bool is_leaf = true;
  static constexpr dtype type = dtype_of<V>;
  static constexpr bool static_shape = false;
  static constexpr detail::shape_rule rule = detail::shape_rule::exact;
  static shape_t shape(const std::span<E>& s) { return {static_cast<std::int64_t>(s.size())}; }
  static result<void> save(const void* o, bundle_writer& w, const std::string& key) {
    const auto& s = *static_cast<const std::span<E>*>(o);
    return core::write_bytes(w, key, type, shape(s), detail::as_bytes(s.data(), s.size_bytes()));
  }
  static result<void> restore(void* o, const bundle_reader& r, const std::string& key, const entry_info&) {
    if constexpr (std::is_const_v<E>) {
      return make_error(errc::invalid_argument, "cannot restore into a std::span of const").at_key(key);
    } else {
      return core::read_bytes_into(r, key, type, std::as_writable_bytes(*static_cast<std::span<E>*>(o)));
    }
  }
};

// tfckpt::tensor: any shape; an untyped (default) tensor adopts the stored dtype.
template <>
struct leaf_traits<tensor> {
  static constexpr bool is_leaf = true;
  static constexpr dtype type = dtype::invalid;  // per object: see dynamic_type()
  static constexpr bool static_shape = false;
  static constexpr detail::shape_rule rule = detail::shape_rule::any;
  static dtype dynamic_type(const tensor& t) { return t.dtype(); }
  static shape_t shape(const tensor& t) { return t.shape(); }
  static result<void> save(const void* o, bundle_writer& w, const std::string& key) {
    const auto& t = *static_cast<const tensor*>(o);
    if (t.dtype() == dtype::invalid)
      return make_error(errc::invalid_argument, "cannot save a tensor with no dtype").at_key(key);
    return core::write_tensor(w, key, t);
  }
  static result<void> restore(void* o, const bundle_reader& r, const std::string& key, const entry_info&) {
    auto t = core::read_tensor(r, key);
    if (!t) return std::move(t).error();
    *static_cast<tensor*>(o) = std::move(*t);
    return {};
  }
};

// tfckpt::tensor_of<E>: dtype E, runtime shape. Without a shape yet it takes the stored one;
// with a shape, the stored shape must equal it (shape_rule per object: see dynamic_rule()).
template <class E>
struct leaf_traits<tensor_of<E>> {
  static constexpr bool is_leaf = true;
  static constexpr dtype type = dtype_of<E>;
  static constexpr bool static_shape = false;
  static constexpr detail::shape_rule rule = detail::shape_rule::any;
  static detail::shape_rule dynamic_rule(const tensor_of<E>& t) {
    return t.has_shape() ? detail::shape_rule::exact : detail::shape_rule::any;
  }
  static shape_t shape(const tensor_of<E>& t) { return t.shape(); }
  static result<void> save(const void* o, bundle_writer& w, const std::string& key) {
    const auto& t = *static_cast<const tensor_of<E>*>(o);
    if (!t.has_shape())
      return make_error(errc::invalid_argument, "cannot save a tensor_of with no shape (never shaped or restored)")
          .at_key(key);
    return core::write_bytes(w, key, type, t.shape(), detail::as_bytes(t.data(), t.size() * sizeof(E)));
  }
  static result<void> restore(void* o, const bundle_reader& r, const std::string& key, const entry_info& e) {
    auto& t = *static_cast<tensor_of<E>*>(o);
    const std::int64_t n = num_elements(e.shape);
    // Allocate only what the stored record can hold (a plain entry's byte size is known before
    // reading); partitioned entries go through read(), which applies the reader's own limits.
    if (n < 0) return make_error(errc::corruption, "invalid tensor shape " + shape_to_string(e.shape)).at_key(key);
    if (!e.slices.empty()) {
      auto full = core::read_tensor(r, key);
      if (!full) return std::move(full).error();
      auto v = full->template values<E>();
      if (!v) return std::move(v).error().at_key(key);
      if (full->shape() != e.shape || v->size() != static_cast<std::size_t>(n))
        return make_error(errc::corruption, "partitioned tensor does not assemble to its shape").at_key(key);
      auto assembled = tensor_of<E>::from_values(e.shape.to_shape(), *v);
      if (!assembled) return std::move(assembled).error().at_key(key);
      t = std::move(*assembled);
      return {};
    }
    if (e.size < 0 || static_cast<std::uint64_t>(n) != static_cast<std::uint64_t>(e.size) / sizeof(E) ||
        static_cast<std::uint64_t>(e.size) % sizeof(E) != 0)
      return make_error(errc::corruption, "stored size " + std::to_string(e.size) + " bytes does not match shape " +
                                              shape_to_string(e.shape))
          .at_key(key);
    TFCKPT_TRY(core::check_readable(r, key));  // limits and data-file size before allocating (hostile index)
    auto fresh = tensor_of<E>::zeros(e.shape.to_shape());
    if (!fresh) return std::move(fresh).error().at_key(key);
    if (auto ok = core::read_bytes_into(r, key, type, std::as_writable_bytes(fresh->values())); !ok) return ok;
    t = std::move(*fresh);
    return {};
  }
};

// std::string (scalar) and std::vector<std::string> (rank 1): DT_STRING.
template <>
struct leaf_traits<std::string> {
  static constexpr bool is_leaf = true;
  static constexpr dtype type = dtype::string;
  static constexpr bool static_shape = true;
  static constexpr std::array<std::int64_t, 0> dims{};
  static constexpr detail::shape_rule rule = detail::shape_rule::exact;
  static shape_t shape(const std::string&) { return {}; }
  static result<void> save(const void* o, bundle_writer& w, const std::string& key) {
    return core::write_strings(w, key, {}, std::span<const std::string>(static_cast<const std::string*>(o), 1));
  }
  static result<void> restore(void* o, const bundle_reader& r, const std::string& key, const entry_info&) {
    auto t = core::read_tensor(r, key);
    if (!t) return std::move(t).error();
    *static_cast<std::string*>(o) = std::move(t->strings()[0]);  // shape [] checked: one element
    return {};
  }
};

template <>
struct leaf_traits<std::vector<std::string>> {
  static constexpr bool is_leaf = true;
  static constexpr dtype type = dtype::string;
  static constexpr bool static_shape = false;
  static constexpr detail::shape_rule rule = detail::shape_rule::any_length;
  static shape_t shape(const std::vector<std::string>& v) { return {static_cast<std::int64_t>(v.size())}; }
  static result<void> save(const void* o, bundle_writer& w, const std::string& key) {
    const auto& v = *static_cast<const std::vector<std::string>*>(o);
    return core::write_strings(w, key, shape(v), v);
  }
  static result<void> restore(void* o, const bundle_reader& r, const std::string& key, const entry_info&) {
    auto t = core::read_tensor(r, key);
    if (!t) return std::move(t).error();
    *static_cast<std::vector<std::string>*>(o) = std::move(t->strings());
    return {};
  }
};

template <class T>
inline constexpr bool is_leaf = leaf_traits<T>::is_leaf;

// The graph-layer variable describing a live leaf.
template <class T>
detail::variable make_variable(T& obj) {
  using L = leaf_traits<T>;
  static constexpr detail::variable_io io{&L::save, &L::restore};
  detail::variable v;
  if constexpr (requires { L::dynamic_type(obj); }) v.type = L::dynamic_type(obj);
  else v.type = L::type;
  v.shape = L::shape(obj);
  if constexpr (requires { L::dynamic_rule(obj); }) v.rule = L::dynamic_rule(obj);
  else v.rule = L::rule;
  v.object = const_cast<void*>(static_cast<const void*>(&obj));
  v.io = &io;
  return v;
}

}  // namespace tfckpt::detail
