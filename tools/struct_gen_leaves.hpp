// tfckpt struct: C++ identifiers for checkpoint names, and the C++ type of a checkpoint variable
// (a leaf of the object graph) from its dtype and shape. Shared by the generic structs
// (struct_gen.hpp) and the ready-made Keras types (struct_gen_keras.hpp), so both spell a field
// and a leaf the same way.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include <tfckpt/bundle/reader.hpp>

namespace tfckpt_tool::struct_gen_impl {

inline bool is_cpp_keyword(std::string_view s) {
  static const std::set<std::string_view> kw = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
      "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval", "constexpr",
      "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
      "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
      "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
      "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
      "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
      "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
      "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
      // names the generated code itself uses
      "std", "tfckpt", "self", "tfckpt_slots", "tfckpt_wire", "tfckpt_describe", "tfckpt_names", "tfckpt_keep_root_order"};
  return kw.count(s) != 0;
}

// A readable identifier for a local name: other characters become '_', a leading digit gets a
// '_' before it, keywords and reserved spellings (`__`, `_X`) are adjusted.
inline std::string identifier_for(std::string_view name) {
  std::string s;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    s += ok ? c : '_';
  }
  std::string t;  // no "__" (reserved everywhere)
  for (char c : s)
    if (!(c == '_' && !t.empty() && t.back() == '_')) t += c;
  if (t.empty() || t == "_") t = "unnamed";
  if (t[0] >= '0' && t[0] <= '9') t = "_" + t;
  if (t.size() > 1 && t[0] == '_' && t[1] >= 'A' && t[1] <= 'Z') t = "m" + t;
  if (is_cpp_keyword(t)) t += '_';
  return t;
}

inline std::string element_type(tfckpt::dtype t) {
  using tfckpt::dtype;
  switch (t) {
    case dtype::float32: return "float";
    case dtype::float64: return "double";
    case dtype::int8: return "std::int8_t";
    case dtype::int16: return "std::int16_t";
    case dtype::int32: return "std::int32_t";
    case dtype::int64: return "std::int64_t";
    case dtype::uint8: return "std::uint8_t";
    case dtype::uint16: return "std::uint16_t";
    case dtype::uint32: return "std::uint32_t";
    case dtype::uint64: return "std::uint64_t";
    case dtype::bool_: return "bool";
    case dtype::complex64: return "std::complex<float>";
    case dtype::complex128: return "std::complex<double>";
    case dtype::float16: return "tfckpt::float16";
    case dtype::bfloat16: return "tfckpt::bfloat16";
    default: return "";
  }
}

inline std::string shape_list(std::span<const std::int64_t> s) {
  std::string o;
  for (std::size_t i = 0; i < s.size(); ++i) o += (i ? ", " : "") + std::to_string(s[i]);
  return o;
}

// A C++ type and the initializer of a member of that type ("" = default).
struct typed {
  std::string type;
  std::string init;
  std::string sig;  // structural signature: equal signatures, interchangeable types
};

inline typed leaf_type(const tfckpt::entry_info& e, bool fixed) {
  const std::string sig = "L" + std::to_string(static_cast<int>(e.dtype)) + "[" + shape_list(e.shape) + "]";
  if (e.dtype == tfckpt::dtype::string) {
    if (e.shape.empty()) return {"std::string", "", sig};
    if (e.shape.size() == 1) return {"std::vector<std::string>", "", sig};
    return {"tfckpt::tensor", "", sig};
  }
  const std::string el = element_type(e.dtype);
  if (el.empty()) return {"tfckpt::tensor", "", sig};  // variant, resource, quantized, ...: any shape
  if (e.shape.empty()) return {el, "{}", sig};
  if (fixed) {
    std::string t = "tfckpt::fixed<" + el;
    for (auto d : e.shape) t += ", " + std::to_string(d);
    return {t + ">", "{}", sig};
  }
  if (e.dtype == tfckpt::dtype::bool_) return {"tfckpt::tensor", "", sig};  // no tensor_of<bool>
  // zeros() of a shape read from a valid entry cannot fail: deref is safe in the generated code.
  return {"tfckpt::tensor_of<" + el + ">", "{*tfckpt::tensor_of<" + el + ">::zeros({" + shape_list(e.shape) + "})}", sig};
}

}  // namespace tfckpt_tool::struct_gen_impl
