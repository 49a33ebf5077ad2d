// tfckpt graph layer: TensorFlow's checkpoint key naming (trackable/base.py and
// saveable_object_util.py), docs/format.md §9.3. Keys are derived from object paths, never parsed
// back by the library except to name nodes in diagnostics. Public (tfckpt::): callers name the
// keys they read with these; the allocation-free escaping core is internal.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "../format/error.hpp"  // the graph = detail alias

namespace tfckpt::detail {

// The one escaping rule (trackable/base.py escape_local_name): "." -> ".." first, then "/" ->
// ".S", so a path can be split on "/" again. Calls put(char) per output character: allocation-
// free and constexpr, for the run-time key builders below, the compile-time schema and the
// in-memory restore's object graph check alike.
template <class Put>
constexpr void escape_each(std::string_view name, Put&& put) {
  for (char c : name) {
    if (c == '.') {
      put('.');
      put('.');
    } else if (c == '/') {
      put('.');
      put('S');
    } else {
      put(c);
    }
  }
}

// escape_local_name(raw) == escaped, without building the escaped string.
constexpr bool escaped_equals(std::string_view raw, std::string_view escaped) {
  std::size_t j = 0;
  bool same = true;
  escape_each(raw, [&](char c) { same = same && j < escaped.size() && escaped[j++] == c; });
  return same && j == escaped.size();
}

}  // namespace tfckpt::detail

namespace tfckpt {

// The attribute every variable saves under (trackable/constants.py VARIABLE_VALUE_KEY).
inline constexpr std::string_view variable_value_name = "VARIABLE_VALUE";
inline constexpr std::string_view attributes_marker = "/.ATTRIBUTES/";
inline constexpr std::string_view optimizer_slot_marker = "/.OPTIMIZER_SLOT/";
// variable_key's suffix (attribute_key of VARIABLE_VALUE: no character to escape).
inline constexpr std::string_view variable_key_suffix = "/.ATTRIBUTES/VARIABLE_VALUE";

inline std::string escape_local_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  detail::escape_each(name, [&](char c) { out += c; });
  return out;
}

// The inverse of escape_local_name, for names read back from keys ("..S" -> "./"). A '.' that
// starts no escape (TF never writes one) is kept as it is.
inline std::string unescape_local_name(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '.' && i + 1 < escaped.size() && (escaped[i + 1] == '.' || escaped[i + 1] == 'S')) {
      out += escaped[++i] == '.' ? '.' : '/';
    } else {
      out += escaped[i];
    }
  }
  return out;
}

// object_path_to_string: escaped local names joined by "/"; the root is "".
inline std::string object_path(std::span<const std::string> local_names) {
  std::string out;
  for (const auto& n : local_names) {
    if (!out.empty()) out += '/';
    out += escape_local_name(n);
  }
  return out;
}

// Appends one local name to an already escaped path.
inline std::string child_path(std::string_view parent_path, std::string_view local_name) {
  std::string out(parent_path);
  if (!out.empty()) out += '/';
  out += escape_local_name(local_name);
  return out;
}

// `<path>/.ATTRIBUTES/<escaped attribute>`. TF escapes the attribute name once when it builds
// SerializedTensor.name and again here, so pass the *already escaped* name (docs/format.md §9.3).
inline std::string attribute_key(std::string_view object_path, std::string_view escaped_attribute) {
  std::string out(object_path);
  out += attributes_marker;
  out += escape_local_name(escaped_attribute);
  return out;
}

inline std::string variable_key(std::string_view object_path) {
  return attribute_key(object_path, variable_value_name);
}

// Object path of a slot: `<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<escaped slot>`.
inline std::string slot_variable_path(std::string_view variable_path, std::string_view optimizer_path,
                                      std::string_view slot_name) {
  std::string out(variable_path);
  out += optimizer_slot_marker;
  out += optimizer_path;
  out += '/';
  out += escape_local_name(slot_name);
  return out;
}

// The object path a checkpoint key belongs to (text before "/.ATTRIBUTES/"), for diagnostics.
inline std::string_view path_of_key(std::string_view key) {
  const auto at = key.rfind(attributes_marker);
  return at == std::string_view::npos ? key : key.substr(0, at);
}

}  // namespace tfckpt

namespace tfckpt::detail {
// Internal code names them unqualified or as graph::; schema.hpp's constexpr child_path overloads.
using tfckpt::attribute_key;
using tfckpt::attributes_marker;
using tfckpt::child_path;
using tfckpt::escape_local_name;
using tfckpt::unescape_local_name;
using tfckpt::object_path;
using tfckpt::optimizer_slot_marker;
using tfckpt::path_of_key;
using tfckpt::slot_variable_path;
using tfckpt::variable_key;
using tfckpt::variable_key_suffix;
using tfckpt::variable_value_name;
}  // namespace tfckpt::detail
