// tfckpt: the compile-time schema of a type, and compile-time matching against a checkpoint's
// schema (docs/format.md §9.3 key naming).
//
//   constexpr auto s = tfckpt::schema_v<root_fixed>;        // schema_ref: size(), [i], begin/end
//   #include "policy_schema.hpp"                           // from `tfckpt schema ckpt --name policy_schema`
//   static_assert(tfckpt::matches<root_fixed>(policy_schema));
//
// Entries are sorted by checkpoint key (the bundle's order). Paths and keys are exactly what the
// runtime writer produces (graph/keys.hpp escaping, tf.train.Checkpoint's sorted root
// dependencies, an object reached by several names keeps the first one). A mismatch fails
// compilation in a call to a function whose name says what is wrong and whose template argument
// spells the path:
//   tfckpt_schema_mismatch_missing_key_in_checkpoint   the struct has it, the checkpoint does not
//   tfckpt_schema_mismatch_extra_key_in_checkpoint     the checkpoint has it, the struct does not
//   tfckpt_schema_mismatch_dtype                       "path: float32 in the struct, int32 in the checkpoint"
//   tfckpt_schema_mismatch_static_shape                "path: [64,32] in the struct, [32,64] in the checkpoint"
// g++ prints the argument as a string; clang 14 prints it as a list of characters.
//
// What a type schema cannot hold, and therefore rejects with a static_assert: containers whose
// number of objects is only known at run time (std::vector<struct>, std::map), types that list
// their own children (tfckpt_describe: the keras:: optimizers), plain aggregates with C-array
// fields (Boost.PFR cannot reflect them; Describe the type). Not in the schema:
// tfckpt::ref edges (the object is listed where it is owned) and slot_table contents (run-time
// optimizer slots; use matches_partial to accept a checkpoint that also holds them).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/mp11/algorithm.hpp>
#include <boost/pfr/core.hpp>

#include "format/config.hpp"
#include "graph/keys.hpp"
#include "reflect/leaf.hpp"
#include "reflect/names.hpp"
#include "reflect/visit.hpp"
#include "reflect/schema_entry.hpp"

namespace tfckpt::detail {

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

// constexpr std::string is unusable in clang 14 + libstdc++ 12 (SSO union); vector<char> works.
using cstr = std::vector<char>;

constexpr void append(cstr& s, std::string_view v) { s.insert(s.end(), v.begin(), v.end()); }

constexpr cstr child_path(const cstr& parent, std::string_view local_name) {
  cstr out = parent;
  if (!out.empty()) out.push_back('/');
  detail::escape_each(local_name, [&](char c) { out.push_back(c); });
  return out;
}

constexpr void append_number(cstr& s, std::uint64_t v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) s.push_back(buf[--n]);
}

constexpr std::string_view view(const cstr& s) { return {s.data(), s.size()}; }

struct raw_entry {
  cstr path;
  cstr key;
  dtype type = dtype::invalid;
  int rank = dynamic_rank;
  std::array<std::int64_t, schema_max_rank> dims{};
  bool optional = false;
  std::size_t leaf = 0;
};

template <class>
inline constexpr bool dependent_false = false;

template <class T, std::size_t I>
struct field_type {
  using type = std::remove_cvref_t<boost::pfr::tuple_element_t<I, T>>;
};

template <class T, std::size_t I>
  requires detail::is_described<T>
struct field_type<T, I> {
  using D = boost::mp11::mp_at_c<detail::described_members<T>, I>;
  using type = std::remove_cvref_t<decltype(std::declval<T&>().*D::pointer)>;
};

template <class T>
constexpr void walk(std::vector<raw_entry>& out, const cstr& path, bool optional, bool is_root);

template <class T>
constexpr void walk_struct(std::vector<raw_entry>& out, const cstr& path, bool optional, bool is_root) {
  static_assert(::tfckpt::detail::offending<T, detail::fields_reflectable<T>()>::value,
                "tfckpt: this plain aggregate has a C-array field, which Boost.PFR cannot reflect; use "
                "std::array or tfckpt::fixed for it, or annotate the type with BOOST_DESCRIBE_STRUCT");
  static_assert(::tfckpt::detail::offending<T, detail::all_renamed_fields_exist<T>()>::value, "tfckpt: TFCKPT_NAMES names a field the type does not have");
  static_assert(::tfckpt::detail::offending<T, detail::all_names_nonempty<T>()>::value,
                "tfckpt: this compiler cannot recover the field names of this aggregate; annotate the type "
                "with BOOST_DESCRIBE_STRUCT");
  static_assert(::tfckpt::detail::offending<T, detail::all_names_unique<T>()>::value,
                "tfckpt: two children of this type share a local name (check TFCKPT_NAMES)");
  constexpr auto names = detail::child_names<T>().first;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          const auto& set = names[I];
          if (set.count == 0) return;  // tfckpt::skip
          // The first edge reaching the object names it. tf.train.Checkpoint sorts the root's
          // dependencies, so at the root that is the smallest alias; elsewhere the first declared.
          std::string_view name = set.names[0];
          if (is_root)
            for (std::size_t k = 1; k < set.count; ++k) name = std::min(name, set.names[k]);
          walk<typename field_type<T, I>::type>(out, child_path(path, name), optional, false);
        }(),
        ...);
  }(std::make_index_sequence<names.size()>{});
}

template <class T>
constexpr void walk(std::vector<raw_entry>& out, const cstr& path, bool optional, bool is_root) {
  if constexpr (detail::is_leaf<T>) {
    using L = detail::leaf_traits<T>;
    raw_entry e;
    e.path = path;
    e.key = path;
    append(e.key, detail::variable_key_suffix);  // detail::variable_key
    e.type = L::type;
    if constexpr (L::static_shape) {
      e.rank = static_cast<int>(L::dims.size());
      static_assert(::tfckpt::detail::offending<L, (L::dims.size() <= schema_max_rank)>::value, "tfckpt: a schema holds ranks up to 8");
      for (std::size_t i = 0; i < L::dims.size(); ++i) e.dims[i] = L::dims[i];
    } else if constexpr (L::rule == detail::shape_rule::any) {
      e.rank = dynamic_rank;  // tfckpt::tensor (any dtype too), tfckpt::tensor_of<T>: any shape
    } else {
      e.rank = 1;  // std::vector / std::span / vector<string>: rank 1 of run-time length
      e.dims[0] = dynamic_dim;
    }
    e.optional = optional;
    e.leaf = out.size();
    out.push_back(std::move(e));
  } else if constexpr (detail::is_attribute<T>::value) {
    static_assert(::tfckpt::detail::offending<T, false>::value,
                  "tfckpt: a compile-time schema holds variables (VARIABLE_VALUE) only; a struct with a "
                  "tfckpt::attribute field is restored with tfckpt::restore / tfckpt::read");
  } else if constexpr (std::is_same_v<T, detail::slot_table>) {
    // Run-time slot variables: not part of a type's schema.
  } else if constexpr (detail::is_optional<T>::value) {
    walk<typename T::value_type>(out, path, true, is_root);
  } else if constexpr (detail::is_ref<T>::value) {
    // An edge to an object owned elsewhere in the tree: listed where it is owned.
  } else if constexpr (detail::is_list<T> && detail::is_std_array<T>::value) {
    for (std::size_t i = 0; i < std::tuple_size_v<T>; ++i) {
      cstr name;
      append_number(name, i);
      walk<typename T::value_type>(out, child_path(path, view(name)), optional, false);
    }
  } else if constexpr (detail::is_list<T> || detail::is_string_map<T>::value) {
    static_assert(::tfckpt::detail::offending<T, false>::value,
                  "tfckpt: a compile-time schema needs a fixed number of objects: std::vector<struct> and "
                  "std::map have a run-time number of children (use std::array<struct, N>)");
  } else if constexpr (detail::describes_itself<T>) {
    static_assert(::tfckpt::detail::offending<T, false>::value,
                  "tfckpt: a compile-time schema cannot list a type that describes its own children "
                  "(tfckpt_describe, e.g. keras::adam / sgd / rmsprop): its field names are not its keys");
  } else if constexpr (detail::is_struct<T>) {
    walk_struct<T>(out, path, optional, is_root);
  } else {
    static_assert(::tfckpt::detail::offending<T, false>::value,
                  "tfckpt: unsupported field type: not a variable (arithmetic, array, std::vector<arith>, "
                  "tfckpt::tensor, tfckpt::fixed, std::string, std::span), not a container of objects and "
                  "not a struct (annotate classes with BOOST_DESCRIBE_STRUCT / BOOST_DESCRIBE_CLASS)");
  }
}

constexpr bool key_less(const raw_entry& a, const raw_entry& b) { return view(a.key) < view(b.key); }

template <class T>
constexpr std::vector<raw_entry> raw_schema() {
  static_assert(::tfckpt::detail::offending<T, detail::is_struct<T>>::value, "tfckpt: schema_v<T> needs a struct (the checkpoint's root object)");
  std::vector<raw_entry> out;
  walk<T>(out, cstr{}, false, true);
  // Insertion sort (std::sort needs swaps of vectors, fine too, but this keeps it simple).
  for (std::size_t i = 1; i < out.size(); ++i)
    for (std::size_t j = i; j > 0 && key_less(out[j], out[j - 1]); --j) std::swap(out[j], out[j - 1]);
  return out;
}

template <class T>
constexpr std::size_t raw_chars() {
  std::size_t n = 0;
  for (const auto& e : raw_schema<T>()) n += e.path.size() + e.key.size();
  return n;
}

template <std::size_t N, std::size_t C>
struct packed {
  std::array<char, C + 1> chars{};
  std::array<std::size_t, N> path_at{}, path_len{}, key_at{}, key_len{};
  std::array<schema_entry, N> meta{};  // everything but the two views
};

template <class T>
struct storage {
  static constexpr std::size_t count = raw_schema<T>().size();
  static constexpr std::size_t chars = raw_chars<T>();
  static constexpr packed<count, chars> data = [] {
    packed<count, chars> p;
    const auto raw = raw_schema<T>();
    std::size_t at = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const auto& r = raw[i];
      p.path_at[i] = at;
      p.path_len[i] = r.path.size();
      for (char c : r.path) p.chars[at++] = c;
      p.key_at[i] = at;
      p.key_len[i] = r.key.size();
      for (char c : r.key) p.chars[at++] = c;
      p.meta[i] = schema_entry{{}, {}, r.type, r.rank, r.dims, r.optional, r.leaf};
    }
    return p;
  }();
  static constexpr std::array<schema_entry, count> entries = [] {
    std::array<schema_entry, count> out{};
    for (std::size_t i = 0; i < count; ++i) {
      out[i] = data.meta[i];
      out[i].path = std::string_view(data.chars.data() + data.path_at[i], data.path_len[i]);
      out[i].key = std::string_view(data.chars.data() + data.key_at[i], data.key_len[i]);
    }
    return out;
  }();
};

// ---- matching -----------------------------------------------------------------------------------

template <class Entries>
constexpr std::size_t find_key(const Entries& s, std::string_view key) {
  std::size_t i = 0;
  for (const schema_entry& e : s) {
    if (e.key == key) return i;
    ++i;
  }
  return npos;
}

constexpr bool dtype_agrees(const schema_entry& a, const schema_entry& b) {
  return a.dtype == dtype::invalid || b.dtype == dtype::invalid || a.dtype == b.dtype;
}

constexpr bool shape_agrees(const schema_entry& a, const schema_entry& b) {
  if (a.rank == dynamic_rank || b.rank == dynamic_rank) return true;
  if (a.rank != b.rank) return false;
  for (int i = 0; i < a.rank && i < static_cast<int>(schema_max_rank); ++i) {
    const auto x = a.dims[static_cast<std::size_t>(i)], y = b.dims[static_cast<std::size_t>(i)];
    if (x != dynamic_dim && y != dynamic_dim && x != y) return false;
  }
  return true;
}

constexpr void append_shape(cstr& s, const schema_entry& e) {
  if (e.rank == dynamic_rank) return append(s, "<any shape>");
  s.push_back('[');
  for (int i = 0; i < e.rank && i < static_cast<int>(schema_max_rank); ++i) {
    if (i) s.push_back(',');
    const auto d = e.dims[static_cast<std::size_t>(i)];
    if (d == dynamic_dim) s.push_back('?');
    else append_number(s, static_cast<std::uint64_t>(d));
  }
  s.push_back(']');
}

constexpr void append_dtype(cstr& s, dtype t) { append(s, t == dtype::invalid ? std::string_view("<any dtype>") : dtype_name(t)); }

enum class mismatch { missing_key, extra_key, dtype, shape };

constexpr cstr message(mismatch kind, const schema_entry& mine, const schema_entry& theirs) {
  cstr s;
  const schema_entry& named = kind == mismatch::extra_key ? theirs : mine;
  append(s, named.path.empty() ? named.key : named.path);
  if (kind == mismatch::dtype) {
    append(s, ": ");
    append_dtype(s, mine.dtype);
    append(s, " in the struct, ");
    append_dtype(s, theirs.dtype);
    append(s, " in the checkpoint");
  } else if (kind == mismatch::shape) {
    append(s, ": ");
    append_shape(s, mine);
    append(s, " in the struct, ");
    append_shape(s, theirs);
    append(s, " in the checkpoint");
  }
  return s;
}

// A structural string: usable as a template argument, so the compiler prints it.
template <std::size_t N>
struct text {
  char value[N];
};

template <std::size_t N>
constexpr text<N + 1> to_text(const cstr& s) {
  text<N + 1> t{};
  for (std::size_t i = 0; i < N && i < s.size(); ++i) t.value[i] = s[i];
  return t;
}

}  // namespace tfckpt::detail

// The functions a failing match calls, at global scope so the message reads short. They are not
// constexpr: calling one during constant evaluation is the compile error, and its template
// argument is the offending path (with both dtypes or shapes for the last two).
#if defined(__clang__)
template <char... Path> void tfckpt_schema_mismatch_missing_key_in_checkpoint() {}
template <char... Path> void tfckpt_schema_mismatch_extra_key_in_checkpoint() {}
template <char... What> void tfckpt_schema_mismatch_dtype() {}
template <char... What> void tfckpt_schema_mismatch_static_shape() {}
#else
template <tfckpt::detail::text Path> void tfckpt_schema_mismatch_missing_key_in_checkpoint() {}
template <tfckpt::detail::text Path> void tfckpt_schema_mismatch_extra_key_in_checkpoint() {}
template <tfckpt::detail::text What> void tfckpt_schema_mismatch_dtype() {}
template <tfckpt::detail::text What> void tfckpt_schema_mismatch_static_shape() {}
#endif

namespace tfckpt {

// The schema of T, its one spelling: a schema_ref over static constexpr entries sorted by
// checkpoint key. An empty constexpr object, so it works wherever a constant does: static_assert
// (schema_v<T>.size(), schema_v<T>[i].key), range-for, and matches<A>(schema_v<B>), whose
// diagnostics name the offending path because the entries are part of its type.
template <class T>
inline constexpr schema_ref<detail::storage<T>::entries> schema_v{};

namespace detail {

template <mismatch Kind, const auto& Mine, std::size_t I, const auto& Theirs, std::size_t J>
constexpr void report() {
  constexpr std::size_t n =
      message(Kind, Mine[I == npos ? 0 : I], Theirs[J == npos ? 0 : J]).size();
  constexpr auto t = to_text<n>(message(Kind, Mine[I == npos ? 0 : I], Theirs[J == npos ? 0 : J]));
#if defined(__clang__)
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    if constexpr (Kind == mismatch::missing_key) tfckpt_schema_mismatch_missing_key_in_checkpoint<t.value[K]...>();
    else if constexpr (Kind == mismatch::extra_key) tfckpt_schema_mismatch_extra_key_in_checkpoint<t.value[K]...>();
    else if constexpr (Kind == mismatch::dtype) tfckpt_schema_mismatch_dtype<t.value[K]...>();
    else tfckpt_schema_mismatch_static_shape<t.value[K]...>();
  }(std::make_index_sequence<n>{});
#else
  if constexpr (Kind == mismatch::missing_key) tfckpt_schema_mismatch_missing_key_in_checkpoint<t>();
  else if constexpr (Kind == mismatch::extra_key) tfckpt_schema_mismatch_extra_key_in_checkpoint<t>();
  else if constexpr (Kind == mismatch::dtype) tfckpt_schema_mismatch_dtype<t>();
  else tfckpt_schema_mismatch_static_shape<t>();
#endif
}

// Never called: a stand-in for "no entry" so report() always has two arrays to index.
inline constexpr std::array<schema_entry, 1> no_entries{};

template <const auto& Mine, const auto& Theirs, std::size_t I>
constexpr bool check_mine() {
  constexpr const schema_entry& e = Mine[I];
  constexpr std::size_t j = find_key(Theirs, e.key);
  if constexpr (j == npos) {
    if constexpr (!e.optional) {
      report<mismatch::missing_key, Mine, I, no_entries, 0>();
      return false;
    }
    return true;
  } else if constexpr (!dtype_agrees(e, Theirs[j])) {
    report<mismatch::dtype, Mine, I, Theirs, j>();
    return false;
  } else if constexpr (!shape_agrees(e, Theirs[j])) {
    report<mismatch::shape, Mine, I, Theirs, j>();
    return false;
  } else {
    return true;
  }
}

template <const auto& Mine, const auto& Theirs, std::size_t J>
constexpr bool check_theirs() {
  if constexpr (find_key(Mine, Theirs[J].key) == npos) {
    report<mismatch::extra_key, no_entries, 0, Theirs, J>();
    return false;
  }
  return true;
}

template <const auto& Mine, const auto& Theirs, bool Partial>
consteval bool match_all() {
  const bool mine_ok = []<std::size_t... I>(std::index_sequence<I...>) {
    return (true && ... && check_mine<Mine, Theirs, I>());
  }(std::make_index_sequence<std::size(Mine)>{});
  if constexpr (Partial) {
    return mine_ok;
  } else {
    const bool theirs_ok = []<std::size_t... J>(std::index_sequence<J...>) {
      return (true && ... && check_theirs<Mine, Theirs, J>());
    }(std::make_index_sequence<std::size(Theirs)>{});
    return mine_ok && theirs_ok;
  }
}

// Run-time-style matching over any range of entries (no diagnostics, just the answer).
template <class Mine, class Theirs>
constexpr bool match_ranges(const Mine& mine, const Theirs& theirs, bool partial) {
  for (const schema_entry& e : mine) {
    const std::size_t j = find_key(theirs, e.key);
    if (j == npos) {
      if (!e.optional) return false;
      continue;
    }
    const schema_entry& t = *(std::begin(theirs) + static_cast<std::ptrdiff_t>(j));
    if (!dtype_agrees(e, t) || !shape_agrees(e, t)) return false;
  }
  if (!partial)
    for (const schema_entry& t : theirs)
      if (find_key(mine, t.key) == npos) return false;
  return true;
}

}  // namespace detail

// True when T and the checkpoint schema have the same keys, with agreeing dtypes and static
// shapes (dynamic leaves accept any length). In a static_assert a mismatch is a compile error
// naming the path (see the top of this file).
template <class T, const auto& Entries>
consteval bool matches(schema_ref<Entries>) {
  return detail::match_all<detail::storage<T>::entries, Entries, false>();
}
// As matches, but the checkpoint may hold more (optimizer slots, save_counter, parts of the
// model this build does not restore): TensorFlow's expect_partial().
template <class T, const auto& Entries>
consteval bool matches_partial(schema_ref<Entries>) {
  return detail::match_all<detail::storage<T>::entries, Entries, true>();
}
// Any array of entries; no path in the diagnostic (the entries are not template arguments).
template <class T>
constexpr bool matches(std::span<const schema_entry> theirs) {
  return detail::match_ranges(schema_v<T>, theirs, false);
}
template <class T>
constexpr bool matches_partial(std::span<const schema_entry> theirs) {
  return detail::match_ranges(schema_v<T>, theirs, true);
}

// True when every leaf of T has a fixed dtype and a fully static shape (what restore_from_memory
// needs: the bytes to copy are known at compile time).
template <class T>
consteval bool all_leaves_fixed() {
  for (const schema_entry& e : schema_v<T>) {
    if (e.dtype == dtype::invalid || !is_fixed_size(e.dtype) || e.rank == dynamic_rank) return false;
    for (int i = 0; i < e.rank; ++i)
      if (e.dims[static_cast<std::size_t>(i)] == dynamic_dim) return false;
  }
  return true;
}

}  // namespace tfckpt
