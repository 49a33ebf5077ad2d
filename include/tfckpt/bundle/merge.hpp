// tfckpt: merge bundles written separately (one per worker or device) into one checkpoint, as
// TensorFlow's MergeV2Checkpoints does (tensor_bundle.cc MergeBundles): data files are renamed,
// not copied; entries keep their offsets and get new shard ids; partitioned tensors' slices from
// several inputs are combined.
#pragma once

#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "reader.hpp"
#include "../format/file_io.hpp"
#include "../format/table_builder.hpp"
#include "../format/naming.hpp"

namespace tfckpt {

struct merge_options {
  bool delete_inputs = true;  // remove the inputs' .index files (their data files are moved)
  bool sync = true;
};

// REQUIRES: inputs are complete bundles on the same filesystem as `out_prefix`. The inputs are
// a span (any contiguous container of std::string: vector, array, C array) or a braced list.
TFCKPT_LAZY result<void> merge_bundles(std::span<const std::string> input_prefixes, const std::string& out_prefix,
                                  const merge_options& opts = {}) {
  if (input_prefixes.empty()) return make_error(errc::invalid_argument, "merge_bundles: no inputs");
  bundle_header merged;
  merged.num_shards = 0;
  std::map<std::string, bundle_entry, std::less<>> entries;
  std::vector<std::string> data_files;                  // distinct input data files, first-seen order
  std::map<std::string, std::int32_t> new_shard_of;     // input data file → new shard id
  std::string version_bytes;

  for (std::size_t i = 0; i < input_prefixes.size(); ++i) {
    const std::string& in = input_prefixes[i];
    read_options ro;
    ro.verify_checksums = false;  // merging moves bytes; it does not read them
    auto r = bundle_reader::open(in, ro);
    if (!r) return std::move(r).error();
    const bundle_header& h = r->header();
    std::string v = encode_bundle_header(bundle_header{1, endianness::little, h.version});
    if (i == 0) {
      merged.endian = h.endian;
      merged.version = h.version;
      version_bytes = v;
    } else if (h.endian != merged.endian || v != version_bytes) {
      return make_error(errc::invalid_argument, "cannot merge bundles of different endianness or version")
          .in_file(index_filename(in));
    }
    merged.num_shards += h.num_shards;
    for (std::span<const entry> list : {r->entries(), r->slice_parts()}) {
      for (const entry& e : list) {
        auto it = entries.find(e.key);
        if (it != entries.end()) {
          if (it->second.slices.empty())
            return make_error(errc::invalid_argument, "duplicate tensor key in merge inputs")
                .at_key(e.key).in_file(index_filename(in));
          if (e.info.slices.empty() || it->second.dtype != e.info.dtype || !same_shape(it->second.shape, e.info.shape))
            return make_error(errc::invalid_argument, "partitioned tensor disagrees between merge inputs")
                .at_key(e.key).in_file(index_filename(in));
          it->second.slices.insert(it->second.slices.end(), e.info.slices.begin(), e.info.slices.end());
          continue;
        }
        bundle_entry copy = e.info.to_bundle_entry();
        if (copy.slices.empty()) {
          const std::string file = data_filename(r->prefix(), e.info.shard_id, h.num_shards);
          auto [pos, added] = new_shard_of.emplace(file, static_cast<std::int32_t>(data_files.size()));
          if (added) data_files.push_back(file);
          copy.shard_id = pos->second;
        }
        entries.emplace(e.key, std::move(copy));
      }
    }
  }

  const auto num_files = static_cast<std::int32_t>(data_files.size());
  // TF writes the sum of the inputs' shard counts but names the files by the number of data files
  // actually referenced; the two differ when an input shard held no tensor, and then TF's merged
  // checkpoint cannot be read. We keep them equal; in the normal case both are the same number.
  if (num_files > 0) merged.num_shards = num_files;
  detail::table_builder table;
  table.add("", encode_bundle_header(merged));
  for (const auto& [key, e] : entries) table.add(key, encode_bundle_entry(e));
  const std::string index_name = index_filename(out_prefix);
  if (const std::string dir = detail::path_dirname(out_prefix); !dir.empty())
    TFCKPT_TRY(detail::make_directories(dir));
  // Data files first (each rename is atomic), the index last: the merged checkpoint exists only
  // once its index does.
  if (detail::file_exists(index_name)) TFCKPT_TRY(detail::remove_file(index_name));
  for (std::int32_t s = 0; s < num_files; ++s)
    TFCKPT_TRY(detail::rename_file(data_files[static_cast<std::size_t>(s)], data_filename(out_prefix, s, num_files)));
  if (opts.sync) {
    TFCKPT_TRY(detail::atomic_write_file(index_name, table.finish()));
  } else {
    auto f = detail::writable_file::create(index_name);
    if (!f) return std::move(f).error();
    TFCKPT_TRY(f->append(table.finish()));
    TFCKPT_TRY(f->close());
  }
  if (opts.delete_inputs)
    for (const std::string& in : input_prefixes)
      if (index_filename(in) != index_name) (void)detail::remove_file(index_filename(in));
  return {};
}

TFCKPT_LAZY result<void> merge_bundles(std::initializer_list<std::string> input_prefixes, const std::string& out_prefix,
                                  const merge_options& opts = {}) {
  return merge_bundles(std::span<const std::string>(input_prefixes.begin(), input_prefixes.size()), out_prefix, opts);
}

}  // namespace tfckpt
