// tfckpt: writes TF's LevelDB-style SSTable (the `.index` file) byte-identically to TF's
// TableBuilder with kNoCompression (tensorflow/core/lib/io/table_builder.cc; docs/format.md §3.3-§3.5):
// same flush rules (including TF's "overly large entry" rule), same index separators, an empty
// metaindex block and the padded footer. The whole file is built in memory.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "block.hpp"
#include "coding.hpp"
#include "crc32c.hpp"
#include "table_reader.hpp"

namespace tfckpt::detail {

// Shortest key k with start <= k < limit, as TF computes it (bytewise comparator): bump the first
// differing byte of `start` if that still stays below `limit`, else keep `start` unchanged.
TFCKPT_LAZY void find_shortest_separator(std::string& start, std::string_view limit) {
  const std::size_t n = std::min(start.size(), limit.size());
  std::size_t i = 0;
  while (i < n && start[i] == limit[i]) ++i;
  if (i >= n) return;  // one is a prefix of the other: do not shorten
  const auto b = static_cast<unsigned char>(start[i]);
  if (b < 0xff && b + 1 < static_cast<unsigned char>(limit[i])) {
    start[i] = static_cast<char>(b + 1);
    start.resize(i + 1);
  }
}

// Shortest key >= `key`: increment the first non-0xff byte and cut after it (TF's
// FindShortSuccessor); a run of 0xff bytes stays as it is.
TFCKPT_LAZY void find_short_successor(std::string& key) {
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto b = static_cast<unsigned char>(key[i]);
    if (b != 0xff) {
      key[i] = static_cast<char>(b + 1);
      key.resize(i + 1);
      return;
    }
  }
}

struct table_options {
  std::size_t block_size = 262144;  // TF's default, used by BundleWriter
  int block_restart_interval = 16;  // data blocks; the index block always uses 1
};

class table_builder {
 public:
  // REQUIRES: o.block_restart_interval >= 1
  explicit table_builder(table_options o = {})
      : opts_(o), data_block_(o.block_restart_interval), index_block_(1) {}

  // REQUIRES: finish() not yet called; key > the previous key (bytewise).
  TFCKPT_LAZY void add(std::string_view key, std::string_view value) {
    assert(!finished_);
    if (num_entries_ > 0) {
      assert(key > std::string_view(last_key_));
      // TF-specific: an entry of at least twice the block size first closes the current block,
      // so it starts a block of its own (no-op when the previous add already flushed).
      if (key.size() + value.size() >= 2 * opts_.block_size) flush();
    }
    if (pending_index_entry_) add_index_entry(key);
    last_key_.assign(key);
    ++num_entries_;
    data_block_.add(key, value);
    if (data_block_.size_estimate() >= opts_.block_size) flush();
  }

  // Returns the complete file. REQUIRES: not called before.
  TFCKPT_LAZY std::string finish() {
    assert(!finished_);
    flush();
    finished_ = true;
    block_builder meta(opts_.block_restart_interval);  // TF writes an empty metaindex block
    const block_handle meta_handle = write_block(meta);
    if (pending_index_entry_) {
      find_short_successor(last_key_);
      std::string handle;
      put_block_handle(handle, pending_handle_);
      index_block_.add(last_key_, handle);
      pending_index_entry_ = false;
    }
    const block_handle index_handle = write_block(index_block_);
    const std::size_t footer_start = out_.size();
    put_block_handle(out_, meta_handle);
    put_block_handle(out_, index_handle);
    out_.resize(footer_start + table_footer_handles, '\0');  // zero padding
    put_fixed32(out_, static_cast<std::uint32_t>(table_magic & 0xffffffffu));
    put_fixed32(out_, static_cast<std::uint32_t>(table_magic >> 32));
    return std::move(out_);
  }

  TFCKPT_LAZY std::size_t num_entries() const { return num_entries_; }
  // Room for a file of about `bytes` (a writer that knows its entries saves the string's
  // regrowth: copies into fresh memory, each a page fault per 4 KiB).
  TFCKPT_LAZY void reserve(std::size_t bytes) { out_.reserve(bytes); }

 private:
  // The index entry for a block is written only once the next block's first key is known, so
  // the separator can be short (TF: "the r" between "the quick brown fox" and "the who").
  TFCKPT_LAZY void add_index_entry(std::string_view next_key) {
    assert(data_block_.empty());
    find_shortest_separator(last_key_, next_key);
    std::string handle;
    put_block_handle(handle, pending_handle_);
    index_block_.add(last_key_, handle);
    pending_index_entry_ = false;
  }

  TFCKPT_LAZY void flush() {
    if (data_block_.empty()) return;
    assert(!pending_index_entry_);
    pending_handle_ = write_block(data_block_);
    pending_index_entry_ = true;
  }

  // Appends the block and its trailer (type 0 = uncompressed, masked crc32c over contents and
  // the type byte), then resets the builder.
  TFCKPT_LAZY block_handle write_block(block_builder& b) {
    const std::string_view contents = b.finish();
    const block_handle h{out_.size(), contents.size()};
    out_.append(contents);
    const char type = static_cast<char>(block_type::none);
    out_.push_back(type);
    put_fixed32(out_, crc32c_mask(crc32c_extend(crc32c(contents.data(), contents.size()), &type, 1)));
    b.reset();
    return h;
  }

  table_options opts_;
  block_builder data_block_;
  block_builder index_block_;
  std::string out_;
  std::string last_key_;
  std::size_t num_entries_ = 0;
  bool pending_index_entry_ = false;
  block_handle pending_handle_;
  bool finished_ = false;
};

}  // namespace tfckpt::detail
