// tfckpt: list a bundle's entries without building bundle_reader's entry table. The .index file
// is mapped rather than copied, block checksums are checked as usual, and every entry is decoded
// into one reused bundle_entry handed to a callback: no allocation per entry. For `ls`-style
// uses of indexes with 10^5+ entries, where the reader's per-entry strings and vectors (and the
// copy of the index) cost several times the reading of the file.
//
//   auto n = tfckpt::list_entries("runs/exp1", [](const tfckpt::listed_entry& e) {
//     std::printf("%.*s\n", int(e.key.size()), e.key.data());
//     return true;  // false stops the listing
//   });
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "reader.hpp"

namespace tfckpt {

// Valid during the callback only (both the key and `info` are overwritten by the next entry).
struct listed_entry {
  std::string_view key;
  const bundle_entry& info;
  // The hidden part of a partitioned tensor (bundle_reader::slice_parts()): TF's slice keys are
  // OrderedCode strings, which start with a 0 byte; tensor names never do.
  bool is_slice_part() const noexcept { return !key.empty() && key.front() == '\0'; }
};

// Visits every entry after the header, in key order, slice parts included. fn(const
// listed_entry&) returns bool: false stops early. Returns the number of entries visited.
// Checks what bundle_reader::open checks per entry (the same functions), except that partitioned tensors' parts are
// not matched up with their full entries (that needs the whole table).
template <class F>
result<std::uint64_t> list_entries(const std::string& path, F&& fn, const read_options& opts = {}) {
  auto prefix = detail::resolve_prefix(path);
  if (!prefix) return std::move(prefix).error();
  const std::string index_name = index_filename(*prefix);
  auto file = detail::mapped_file::open(index_name, opts.max_index_bytes);
  if (!file) return std::move(file).error().in_file(index_name);
  auto fail = [&](error e) { return std::move(e).in_file(index_name); };

  detail::table_read_options topts;
  topts.verify_checksums = opts.verify_checksums;
  auto table = detail::table_reader::open(file->bytes(), topts);
  if (!table) return fail(std::move(table).error());
  auto it = table->make_iterator();
  bundle_header header;
  if (auto r = detail::open_bundle_table(it, opts, header); !r) return fail(std::move(r).error());

  bundle_entry info;
  std::uint64_t count = 0;
  for (;;) {
    if (auto r = it.next(); !r) return fail(std::move(r).error());
    if (!it.valid()) break;
    if (auto r = detail::decode_checked_entry(it, header, opts, count, info); !r) return fail(std::move(r).error());
    ++count;
    if (!fn(listed_entry{it.key(), info})) break;
  }
  return count;
}

}  // namespace tfckpt
