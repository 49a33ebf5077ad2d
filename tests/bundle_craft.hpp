// Test helpers for hostile-input tests: craft .index files (valid tables holding crafted
// entries, or hand-made blocks), patch block checksums. Header-only, included by test_hostile.cpp,
// test_bad_input.cpp, test_regressions.cpp and test_schema.cpp; scratch directories and file I/O
// are bundle_test_util.hpp's.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "tfckpt/format/bundle_proto.hpp"
#include "tfckpt/format/block.hpp"
#include "tfckpt/format/table_builder.hpp"
#include "tfckpt/format/table_reader.hpp"

namespace craft {

using tfckpt::bundle_entry;

inline bundle_entry make_entry(tfckpt::dtype t, tfckpt::shape_t shape, std::int64_t offset, std::int64_t size,
                               std::int32_t shard = 0, std::uint32_t crc = 0) {
  bundle_entry e;
  e.dtype = t;
  e.shape = std::move(shape);
  e.offset = offset;
  e.size = size;
  e.shard_id = shard;
  e.crc32c = crc;
  return e;
}

// A valid table: the header under "" then the entries in key order.
inline std::string make_index(std::vector<std::pair<std::string, bundle_entry>> entries,
                              tfckpt::bundle_header header = {}, tfckpt::detail::table_options o = {}) {
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  tfckpt::detail::table_builder tb(o);
  tb.add("", tfckpt::encode_bundle_header(header));
  for (const auto& [k, e] : entries) tb.add(k, tfckpt::encode_bundle_entry(e));
  return tb.finish();
}

inline void append_block(std::string& file, std::string_view contents, char type = 0) {
  file.append(contents);
  file.push_back(type);
  tfckpt::detail::put_fixed32(
      file, tfckpt::detail::crc32c_mask(tfckpt::detail::crc32c_extend(
                tfckpt::detail::crc32c(contents.data(), contents.size()), &type, 1)));
}

// Raw block bytes from (shared, key delta, value) triples, one restart point at 0: lets tests
// write what block_builder refuses to (duplicate or unsorted keys).
inline std::string raw_block(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string b;
  for (const auto& [k, v] : kv) {
    tfckpt::detail::put_varint32(b, 0);
    tfckpt::detail::put_varint32(b, static_cast<std::uint32_t>(k.size()));
    tfckpt::detail::put_varint32(b, static_cast<std::uint32_t>(v.size()));
    b += k;
    b += v;
  }
  tfckpt::detail::put_fixed32(b, 0);
  tfckpt::detail::put_fixed32(b, 1);
  return b;
}

// A table whose single data block holds exactly `data_block` (contents, without trailer);
// `index_key` must be >= its last key.
inline std::string table_with_block(std::string_view data_block, std::string index_key) {
  using namespace tfckpt::detail;
  std::string file;
  append_block(file, data_block);
  const block_handle data{0, data_block.size()};
  block_builder meta;
  const std::string_view mb = meta.finish();
  const block_handle meta_h{file.size(), mb.size()};
  append_block(file, mb);
  block_builder index(1);
  std::string handle;
  put_block_handle(handle, data);
  index.add(index_key, handle);
  const std::string_view ib = index.finish();
  const block_handle index_h{file.size(), ib.size()};
  append_block(file, ib);
  const std::size_t footer = file.size();
  put_block_handle(file, meta_h);
  put_block_handle(file, index_h);
  file.resize(footer + table_footer_handles, '\0');
  put_fixed64(file, table_magic);
  return file;
}

inline tfckpt::detail::block_handle footer_index_handle(std::string_view file) {
  using namespace tfckpt::detail;
  std::string_view f = file.substr(file.size() - table_footer_size);
  block_handle meta, index;
  get_block_handle(f, meta);
  get_block_handle(f, index);
  return index;
}

// The first data block's handle (from the index block).
inline tfckpt::detail::block_handle first_data_handle(std::string_view file) {
  using namespace tfckpt::detail;
  const block_handle ih = footer_index_handle(file);
  auto b = block::parse(file.substr(ih.offset, ih.size));
  block_iter it(*b, false);
  (void)it.seek_to_first();
  std::string_view v = it.value();
  block_handle h;
  get_block_handle(v, h);
  return h;
}

// Recomputes the trailer checksum of the block at `h` (after a test edited its bytes or type).
inline void refresh_crc(std::string& file, tfckpt::detail::block_handle h) {
  using namespace tfckpt::detail;
  const char* p = file.data() + h.offset;
  const std::uint32_t crc = crc32c_mask(crc32c_extend(crc32c(p, h.size), p + h.size, 1));
  encode_fixed32(file.data() + h.offset + h.size + 1, crc);
}

}  // namespace craft
