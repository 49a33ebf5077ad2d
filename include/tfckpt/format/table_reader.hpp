// tfckpt: reader for TF's LevelDB-style SSTable (the `.index` file; docs/format.md §3). Works on the
// whole file held in memory (a string or an mmap) and never reads outside it: every block handle
// is checked against the file size, every block's masked CRC32C (over contents + type byte) is
// verified, Snappy blocks are decompressed within a size limit, and key order is checked as
// entries are read. Every error carries the file offset of the block it concerns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "error.hpp"
#include "block.hpp"
#include "coding.hpp"
#include "crc32c.hpp"
#include "snappy.hpp"

namespace tfckpt::detail {

inline constexpr std::uint64_t table_magic = 0xdb4775248b80fb57ull;
inline constexpr std::size_t table_footer_size = 48;    // 2 handles padded to 40 + 8-byte magic
inline constexpr std::size_t table_footer_handles = 40;  // 2 * max encoded handle length
inline constexpr std::size_t block_trailer_size = 5;     // type byte + masked crc32c

enum class block_type : unsigned char { none = 0, snappy = 1 };

struct block_handle {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;  // excluding the trailer
};

TFCKPT_LAZY void put_block_handle(std::string& out, block_handle h) {
  put_varint64(out, h.offset);
  put_varint64(out, h.size);
}

TFCKPT_LAZY bool get_block_handle(std::string_view& in, block_handle& h) {
  std::string_view probe = in;
  if (!get_varint64(probe, h.offset) || !get_varint64(probe, h.size)) return false;
  in = probe;
  return true;
}

struct table_read_options {
  bool verify_checksums = true;
  std::size_t max_block_bytes = std::size_t{1} << 30;  // stored and decompressed, per block
};

// A block's bytes: a view into the file, or into `owned` when it had to be decompressed. The
// shared_ptr keeps the view valid across moves of whoever holds it.
struct block_contents {
  std::string_view data;
  std::shared_ptr<const std::string> owned;
};

// The footer's two handles, after its magic number. Allocation-free (restore_from_memory
// walks a table with this and locate_table_block); `at` gets the offset the fault concerns.
inline fault read_table_footer(std::string_view contents, block_handle& metaindex, block_handle& index,
                               std::uint64_t& at) noexcept {
  at = 0;
  if (contents.size() < table_footer_size) return {errc::corruption, "file is too short to be an sstable"};
  const std::size_t footer_at = contents.size() - table_footer_size;
  at = footer_at + table_footer_handles;
  if (decode_fixed64(contents.data() + at) != table_magic) return {errc::corruption, "not an sstable (bad magic number)"};
  at = footer_at;
  std::string_view handles(contents.data() + footer_at, table_footer_handles);  // the rest is padding, unchecked
  if (!get_block_handle(handles, metaindex) || !get_block_handle(handles, index))
    return {errc::corruption, "bad block handle in footer"};
  return {};
}

// Overflow-safe: compares against what is left rather than adding offset + size.
constexpr bool block_in_bounds(block_handle h, std::size_t file_size_limit) noexcept {
  return h.offset <= file_size_limit && h.size <= file_size_limit - h.offset &&
         block_trailer_size <= file_size_limit - h.offset - h.size;
}

// A block's stored bytes and type byte: inside the table data (before `file_size_limit`, the
// footer), its masked CRC32C over contents + type byte checked when `verify`.
inline fault locate_table_block(std::string_view file, std::size_t file_size_limit, block_handle h, bool verify,
                                std::string_view& stored, unsigned char& type) noexcept {
  if (!block_in_bounds(h, file_size_limit)) return {errc::corruption, "block handle extends past the end of the table data"};
  const auto off = static_cast<std::size_t>(h.offset);
  const auto n = static_cast<std::size_t>(h.size);
  stored = file.substr(off, n);
  const char* trailer = file.data() + off + n;
  if (verify) {
    const std::uint32_t expected = crc32c_unmask(decode_fixed32(trailer + 1));
    if (crc32c_extend(crc32c(stored.data(), n), trailer, 1) != expected)
      return {errc::checksum_mismatch, "block checksum mismatch"};
  }
  type = static_cast<unsigned char>(trailer[0]);
  return {};
}

// REQUIRES: `file_size_limit` <= file.size(): blocks must end before it (the footer).
TFCKPT_LAZY result<block_contents> read_table_block(std::string_view file, std::size_t file_size_limit,
                                               block_handle h, const table_read_options& opts) {
  if (!block_in_bounds(h, file_size_limit))
    return make_error(errc::corruption, "block handle (offset " + std::to_string(h.offset) + ", size " +
                                            std::to_string(h.size) + ") extends past the end of the table data")
        .at_offset(h.offset);
  if (h.size > opts.max_block_bytes)
    return make_error(errc::limit_exceeded, "block of " + std::to_string(h.size) +
                                                " bytes exceeds the limit of " +
                                                std::to_string(opts.max_block_bytes))
        .at_offset(h.offset);
  std::string_view stored;
  unsigned char type = 0;
  if (const fault ok = locate_table_block(file, file_size_limit, h, opts.verify_checksums, stored, type); !ok)
    return make_error(ok).at_offset(h.offset);
  block_contents out;
  switch (type) {
    case static_cast<unsigned char>(block_type::none):
      out.data = stored;
      return out;
    case static_cast<unsigned char>(block_type::snappy): {
      auto r = snappy_uncompress(stored, opts.max_block_bytes);
      if (!r) return std::move(r).error().at_offset(h.offset);
      auto owned = std::make_shared<const std::string>(std::move(*r));
      out.data = *owned;
      out.owned = std::move(owned);
      return out;
    }
    default:
      return make_error(errc::corruption, "bad block type " + std::to_string(type)).at_offset(h.offset);
  }
}

class table_reader {
  // Everything an iterator needs, shared so iterators survive moves (or the end) of the reader.
  struct state {
    std::string_view file;
    std::size_t data_end = 0;  // blocks must end before the footer
    table_read_options opts;
    block_handle metaindex;
    block_handle index_handle;
    block_contents index_bytes;
    block index;
    std::size_t num_data_blocks = 0;
  };

 public:
  // Walks the data blocks through the index block. Keys are checked to be strictly increasing
  // across the whole table and each <= its block's index key (else seeks would miss them).
  class iterator {
   public:
    result<void> seek_to_first() {
      TFCKPT_TRY(index_step(index_.seek_to_first()));
      return enter_block(mode::first, {});
    }

    // Positions at the first entry with key >= target (bytewise), or invalid.
    result<void> seek(std::string_view target) {
      TFCKPT_TRY(index_step(index_.seek(target)));
      return enter_block(mode::seek, target);
    }

    // REQUIRES: valid()
    result<void> next() {
      if (auto r = data_.next(); !r) return fail(std::move(r).error());
      // Inside a block block_iter already checks that keys increase, so only the block's last
      // key (still held by the exhausted data_) is checked against the index key and kept for
      // the cross-block order check: per-entry copies and compares dominate listing big indexes.
      if (data_.valid()) return {};
      return next_block();
    }

    // fn(key, value) -> result<void> for the current entry and every one after it, as a loop of
    // next() visits them (the same checks and errors); stops at fn's first error, returned as
    // it is (positioned at that entry). The walk of a whole index, a block at a time.
    template <class Fn>
    result<void> for_each(Fn&& fn) {
      while (data_.valid()) {
        bool fn_failed = false;
        auto r = data_.visit([&](std::string_view k, std::string_view v) -> result<void> {
          auto ok = fn(k, v);
          fn_failed = !ok;
          return ok;
        });
        if (fn_failed) return r;
        if (!r) return fail(std::move(r).error());
        TFCKPT_TRY(next_block());
      }
      return {};
    }

    bool valid() const { return data_.valid(); }
    std::string_view key() const { return data_.key(); }
    std::string_view value() const { return data_.value(); }
    std::uint64_t block_offset() const { return block_offset_; }

   private:
    friend class table_reader;
    enum class mode { first, seek, after_last };

    iterator(std::shared_ptr<const state> s, const table_read_options& opts)
        : s_(std::move(s)), opts_(opts), index_(s_->index, /*strict=*/false) {}

    result<void> next_block() {
      TFCKPT_TRY(check_key());
      TFCKPT_TRY(index_step(index_.next()));
      return enter_block(mode::after_last, {});
    }

    result<void> index_step(result<void> r) {
      if (!r) {
        data_ = block_iter();
        return std::move(r).error().at_offset(s_->index_handle.offset);
      }
      return {};
    }

    // Loads the block under the index iterator and positions in it; empty blocks (or a seek
    // target past a block's last key) move on to the following block.
    result<void> enter_block(mode m, std::string_view target) {
      data_ = block_iter();
      for (; index_.valid(); m = (m == mode::seek ? mode::first : m)) {
        block_handle h;
        std::string_view v = index_.value();
        block_offset_ = s_->index_handle.offset;
        if (!get_block_handle(v, h) || !v.empty())
          return fail(make_error(errc::corruption, "bad block handle in index entry"));
        block_offset_ = h.offset;
        auto c = read_table_block(s_->file, s_->data_end, h, opts_);
        if (!c) return fail(std::move(c).error());
        auto b = block::parse(c->data);
        if (!b) return fail(std::move(b).error());
        current_ = std::move(*c);
        data_ = block_iter(*b, /*strict=*/true);
        if (auto r = m == mode::seek ? data_.seek(target) : data_.seek_to_first(); !r)
          return fail(std::move(r).error());
        if (data_.valid()) {
          if (m == mode::after_last && !(data_.key() > std::string_view(data_prev_key_)))
            return fail(block_corruption("first key is not after the previous block's last key"));
          return check_key();
        }
        TFCKPT_TRY(index_step(index_.next()));
      }
      return {};
    }

    result<void> check_key() {
      if (data_.key() > index_.key())
        return fail(block_corruption("data key sorts after its block's index key"));
      data_prev_key_.assign(data_.key());
      return {};
    }

    error fail(error e) {
      data_ = block_iter();
      return std::move(e).at_offset(block_offset_);
    }

    std::shared_ptr<const state> s_;
    table_read_options opts_;
    block_iter index_;
    block_iter data_;
    block_contents current_;     // keeps a decompressed block alive while data_ points into it
    std::string data_prev_key_;  // copy of the current key, for the cross-block order check
    std::uint64_t block_offset_ = no_offset;
  };

  // `contents` = the whole .index file; the caller keeps it alive while the reader and its
  // iterators live. Reads the footer and the index block (like TF's Table::Open).
  TFCKPT_LAZY static result<table_reader> open(std::string_view contents, table_read_options opts = {}) {
    std::uint64_t at = 0;
    block_handle metaindex, index_handle;
    if (const fault ok = read_table_footer(contents, metaindex, index_handle, at); !ok)
      return make_error(ok).at_offset(at);
    const std::size_t footer_at = contents.size() - table_footer_size;
    auto s = std::make_shared<state>();
    s->file = contents;
    s->data_end = footer_at;
    s->opts = opts;
    s->metaindex = metaindex;
    s->index_handle = index_handle;
    auto idx = read_table_block(contents, footer_at, s->index_handle, opts);
    if (!idx) return std::move(idx).error();
    auto b = block::parse(idx->data);
    if (!b) return std::move(b).error().at_offset(s->index_handle.offset);
    s->index_bytes = std::move(*idx);
    s->index = *b;
    // Walk the index once: counts data blocks and rejects a malformed index up front. Data
    // blocks must follow each other in file order without overlapping, as TableBuilder writes
    // them (stricter than TF, whose reader would follow any handle): then walking the table
    // reads and checksums each byte of the file at most once, instead of once per index entry
    // naming the same (possibly huge, possibly empty) block.
    block_iter it(s->index, /*strict=*/false);
    std::uint64_t prev_end = 0;
    for (auto r = it.seek_to_first();; r = it.next()) {
      if (!r) return std::move(r).error().at_offset(s->index_handle.offset);
      if (!it.valid()) break;
      block_handle h;
      std::string_view v = it.value();
      if (!get_block_handle(v, h) || !v.empty())
        return make_error(errc::corruption, "bad block handle in index entry")
            .at_offset(s->index_handle.offset);
      if (h.offset < prev_end)
        return make_error(errc::corruption, "index entry " + std::to_string(s->num_data_blocks) +
                                                " names a data block at offset " + std::to_string(h.offset) +
                                                ", before the end of the previous one (" +
                                                std::to_string(prev_end) + "): blocks overlap or repeat")
            .at_offset(s->index_handle.offset);
      if (h.offset > footer_at || h.size > footer_at - h.offset || block_trailer_size > footer_at - h.offset - h.size)
        return make_error(errc::corruption, "block handle (offset " + std::to_string(h.offset) + ", size " +
                                                std::to_string(h.size) + ") extends past the end of the table data")
            .at_offset(h.offset);
      prev_end = h.offset + h.size + block_trailer_size;
      ++s->num_data_blocks;
    }
    return table_reader(std::move(s));
  }

  TFCKPT_LAZY iterator make_iterator() const { return iterator(s_, s_->opts); }

  // Reads and checks every block (metaindex, index, data) with checksums on, whatever the open
  // options said: this is what `tfckpt verify` runs.
  TFCKPT_LAZY result<void> verify_all_blocks() const {
    table_read_options opts = s_->opts;
    opts.verify_checksums = true;
    TFCKPT_TRY(read_table_block(s_->file, s_->data_end, s_->index_handle, opts));
    auto meta = read_table_block(s_->file, s_->data_end, s_->metaindex, opts);
    if (!meta) return std::move(meta).error();
    auto mb = block::parse(meta->data);
    if (!mb) return std::move(mb).error().at_offset(s_->metaindex.offset);
    block_iter mi(*mb, /*strict=*/true);
    for (auto r = mi.seek_to_first();; r = mi.next()) {
      if (!r) return std::move(r).error().at_offset(s_->metaindex.offset);
      if (!mi.valid()) break;
    }
    iterator it(s_, opts);
    for (auto r = it.seek_to_first();; r = it.next()) {
      if (!r) return std::move(r).error();
      if (!it.valid()) break;
    }
    return {};
  }

  TFCKPT_LAZY std::size_t num_data_blocks() const { return s_->num_data_blocks; }

 private:
  explicit table_reader(std::shared_ptr<const state> s) : s_(std::move(s)) {}
  std::shared_ptr<const state> s_;
};

}  // namespace tfckpt::detail
