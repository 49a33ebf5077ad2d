// tfckpt: one entry of a compile-time checkpoint schema (what `tfckpt schema PATH` emits and what
// tfckpt::schema_v<T> derives from a type). Standard library only, so a generated schema
// header is cheap to include.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../format/dtype.hpp"

namespace tfckpt {

inline constexpr std::int64_t dynamic_dim = -1;  // any size in this dimension
inline constexpr int dynamic_rank = -1;          // any rank (a dynamic tfckpt::tensor)
inline constexpr std::size_t schema_max_rank = 8;

struct schema_entry {
  std::string_view path;  // escaped object path ("model/dense/kernel")
  std::string_view key;   // checkpoint key ("model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE")
  tfckpt::dtype dtype = tfckpt::dtype::invalid;  // invalid: any dtype (an untyped tensor)
  int rank = dynamic_rank;
  std::array<std::int64_t, schema_max_rank> dims{};  // first `rank` used; dynamic_dim = any
  bool optional = false;  // inside a std::optional: may be absent from a checkpoint
  std::size_t leaf = 0;   // schema_v<T>: index of the leaf in declaration (walk) order
};

// A schema named by a constexpr object: `tfckpt schema` emits
//   inline constexpr tfckpt::schema_entry NAME_entries[] = {...};
//   inline constexpr tfckpt::schema_ref<NAME_entries> NAME{};
// The object is empty; its type carries the entries, which lets matches<T>(NAME) put the
// offending path into the compiler's error message (as a template argument).
template <const auto& Entries>
struct schema_ref {
  static constexpr const auto& entries = Entries;
  static constexpr std::size_t size() noexcept { return std::size(Entries); }
  constexpr const schema_entry& operator[](std::size_t i) const noexcept { return Entries[i]; }
  constexpr const schema_entry* begin() const noexcept { return std::data(Entries); }
  constexpr const schema_entry* end() const noexcept { return std::data(Entries) + std::size(Entries); }
};

}  // namespace tfckpt
