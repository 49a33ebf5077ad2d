// tfckpt: an index entry as bundle_reader holds it (entry_info, and entry: its key with it). Its
// own header because the per-struct code of a separately compiled unit restores leaves from an
// entry_info without parsing the reader (graph/core_io.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "../format/bundle_proto.hpp"
#include "../format/dtype.hpp"
#include "../format/shape.hpp"
#include "../format/slice.hpp"

namespace tfckpt {

// An index entry as bundle_reader holds it: bundle_entry's fields, with the shape and slices
// viewed in the reader's entry table (valid while the reader, or a copy of it, lives). The table
// keeps every key and shape in a few shared chunks instead of a string and a vector per entry.
struct entry_info {
  ::tfckpt::dtype dtype = ::tfckpt::dtype::invalid;
  std::int32_t shard_id = 0;  // (fields ordered so that an entry takes 80 bytes, not 88)
  shape_view shape;
  std::int64_t offset = 0;
  std::int64_t size = 0;
  std::uint32_t crc32c = 0;  // masked, as stored
  std::span<const tensor_slice> slices;  // a partitioned tensor's parts; empty otherwise

  // An owning copy (to keep past the reader, or to hand to a bundle_writer-side API).
  bundle_entry to_bundle_entry() const {
    return bundle_entry{dtype, shape.to_shape(), shard_id, offset, size, crc32c,
                        std::vector<tensor_slice>(slices.begin(), slices.end())};
  }
};

struct entry {
  std::string_view key;  // in the reader's entry table, like `info`'s views
  entry_info info;
};

}  // namespace tfckpt
