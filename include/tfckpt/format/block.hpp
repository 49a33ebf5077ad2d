// tfckpt: one SSTable block (docs/format.md §3.1): prefix-compressed entries followed by a restart
// array of uint32 LE offsets and the uint32 LE restart count. `block` is a validated, non-owning
// view; `block_iter` walks it; `block_builder` writes blocks exactly like TF's BlockBuilder.
// Errors carry no offset: the table layer adds the block's file offset.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "coding.hpp"

namespace tfckpt::detail {

TFCKPT_LAZY error block_corruption(std::string what) {
  return make_error(errc::corruption, "bad block: " + std::move(what));
}

// Header of one entry. `key_delta` and `value` point into the block.
struct block_entry {
  std::uint32_t shared = 0;
  std::string_view key_delta;
  std::string_view value;
};

// Decodes the entry at `pos` of `data` (the entries region only, so nothing can spill into the
// restart array). Returns the offset just past the entry, or 0 on malformed input (an entry is
// never empty, so 0 cannot be a valid end).
TFCKPT_ALWAYS_INLINE std::size_t decode_block_entry(std::string_view data, std::size_t pos, block_entry& e) {
  std::string_view in(data.data() + pos, data.size() - pos);  // REQUIRES: pos <= data.size()
  std::uint32_t shared, non_shared, value_len;
  if (in.size() >= 3 && static_cast<unsigned char>(in[0] | in[1] | in[2]) < 0x80) {
    // Fast path, as in TF: all three lengths fit in one byte each (the common case).
    shared = static_cast<unsigned char>(in[0]);
    non_shared = static_cast<unsigned char>(in[1]);
    value_len = static_cast<unsigned char>(in[2]);
    in.remove_prefix(3);
  } else if (!get_varint32(in, shared) || !get_varint32(in, non_shared) ||
             !get_varint32(in, value_len)) {
    return 0;
  }
  if (std::uint64_t{non_shared} + value_len > in.size()) return 0;
  e.shared = shared;
  e.key_delta = std::string_view(in.data(), non_shared);
  e.value = std::string_view(in.data() + non_shared, value_len);
  return data.size() - (in.size() - non_shared - value_len);
}

class block_iter;

class block {
 public:
  block() = default;

  // Validates the trailer: size >= 4, R <= (size-4)/4, restart offsets strictly increasing,
  // restart[0] == 0 and all inside the entries region (TF's writer always produces this; a
  // restart array violating it would make seeks read garbage or skip entries). Allocation-free
  // (restore_from_memory uses it as it is); `bad_restart` gets the restart point at fault.
  static fault check(std::string_view contents, block& b, std::uint32_t& bad_restart) noexcept {
    if (contents.size() < 4) return {errc::corruption, "bad block: no restart count"};
    const std::uint32_t r = decode_fixed32(contents.data() + contents.size() - 4);
    if (r > (contents.size() - 4) / 4) return {errc::corruption, "bad block: restart count too large for the block"};
    b.contents_ = contents;
    b.num_restarts_ = r;
    b.data_end_ = contents.size() - 4 - std::size_t{r} * 4;
    if (r == 0 && b.data_end_ != 0) return {errc::corruption, "bad block: entries but no restart points"};
    for (std::uint32_t i = 0; i < r; ++i) {
      const std::uint32_t off = b.restart(i);
      const bool ok = b.data_end_ == 0 ? off == 0
                                       : (i == 0 ? off == 0 : off > b.restart(i - 1)) && off < b.data_end_;
      bad_restart = i;
      if (!ok) return {errc::corruption, "bad block: restart point has a bad offset"};
    }
    return {};
  }

  static result<block> parse(std::string_view contents) {
    block b;
    std::uint32_t bad = 0;
    if (const fault ok = check(contents, b, bad); !ok)
      return make_error(ok.code, std::string(ok.what) + " (block of " + std::to_string(contents.size()) +
                                     " bytes, " + std::to_string(b.num_restarts_) + " restart points, point " +
                                     std::to_string(bad) + ")");
    return b;
  }

  std::string_view contents() const { return contents_; }
  std::string_view entries() const { return contents_.substr(0, data_end_); }
  std::uint32_t num_restarts() const { return num_restarts_; }
  // REQUIRES: i < num_restarts()
  std::uint32_t restart(std::uint32_t i) const {
    return decode_fixed32(contents_.data() + data_end_ + std::size_t{i} * 4);
  }
  bool empty() const { return data_end_ == 0; }

 private:
  std::string_view contents_;
  std::size_t data_end_ = 0;  // start of the restart array
  std::uint32_t num_restarts_ = 0;
};

// Forward iterator over one block. `strict` demands strictly increasing keys (data and metaindex
// blocks); otherwise keys need only be non-decreasing (index blocks). The block's bytes must
// outlive the iterator; key() lives in the iterator and is valid until the next move.
class block_iter {
 public:
  block_iter() = default;
  explicit block_iter(const block& b, bool strict = true) : block_(b), strict_(strict) {}

  bool valid() const { return valid_; }
  std::string_view key() const { return {key_buf_.data(), key_len_}; }
  std::string_view value() const { return value_; }

  result<void> seek_to_first() { return seek_to_restart(0); }

  // Positions at the first entry with key >= target (bytewise), or invalid.
  result<void> seek(std::string_view target) {
    if (block_.num_restarts() == 0) return seek_to_restart(0);
    // Binary search for the last restart point whose key is < target.
    std::uint32_t left = 0, right = block_.num_restarts() - 1;
    while (left < right) {
      const std::uint32_t mid = left + (right - left + 1) / 2;
      block_entry e;
      if (decode_block_entry(block_.entries(), block_.restart(mid), e) == 0 || e.shared != 0)
        return fail("bad entry at restart point " + std::to_string(mid));
      if (e.key_delta < target) left = mid;
      else right = mid - 1;
    }
    TFCKPT_TRY(seek_to_restart(left));
    while (valid_ && key() < target) TFCKPT_TRY(next());
    return {};
  }

  // REQUIRES: valid()
  result<void> next() {
    assert(valid_);
    return parse_at(next_);
  }

  // fn(key, value) -> result<void> for the current entry and each one after it in the block
  // (the checks of next()), until the block ends (then !valid()) or fn fails (its error is
  // returned, the iterator left at that entry). Walks a large block without a call per entry.
  template <class Fn>
  result<void> visit(Fn&& fn) {
    while (valid_) {
      TFCKPT_TRY(fn(key(), value_));
      TFCKPT_TRY(parse_at(next_));
    }
    return {};
  }

 private:
  result<void> seek_to_restart(std::uint32_t i) {
    key_len_ = 0;
    valid_ = false;  // no previous key to order against
    next_restart_ = i;
    if (block_.empty()) return {};
    return parse_at(block_.restart(i));
  }

  // Every restart point must fall on an entry boundary and hold a full key (shared == 0), or
  // seeks and sequential reads would disagree; walking the block checks each one as it passes.
  // The errors are built out of line: the walk of a large index runs this once per entry, and
  // inlined string building made its every call set up a large frame.
  TFCKPT_ALWAYS_INLINE result<void> parse_at(std::size_t pos) {
    const bool has_prev = valid_;
    valid_ = false;
    const std::string_view data = block_.entries();
    bool at_restart = false;
    for (; next_restart_ < block_.num_restarts() && block_.restart(next_restart_) <= pos; ++next_restart_) {
      if (block_.restart(next_restart_) < pos) return fail_at(fault_kind::restart, pos, 0, false);
      at_restart = true;
    }
    if (pos >= data.size()) return {};  // past the last entry
    block_entry e;
    const std::size_t end = decode_block_entry(data, pos, e);
    if (end == 0) return fail_at(fault_kind::overrun, pos, 0, false);
    if (e.shared > key_len_ || (at_restart && e.shared != 0)) return fail_at(fault_kind::shared, pos, e.shared, at_restart);
    // Order check against the previous key: its first `shared` bytes equal ours, so comparing
    // the remainder of the old key with our delta decides the order without a copy.
    if (has_prev) {
      // Prefix compression makes the first differing byte usually the first byte of the delta,
      // which settles the order without a memcmp call.
      const std::string_view old_rest(key_buf_.data() + e.shared, key_len_ - e.shared);
      const bool decided = !old_rest.empty() && !e.key_delta.empty() && e.key_delta[0] != old_rest[0];
      const int c = decided ? (static_cast<unsigned char>(e.key_delta[0]) < static_cast<unsigned char>(old_rest[0]) ? -1 : 1)
                            : e.key_delta.compare(old_rest);
      if (c < 0 || (c == 0 && strict_)) return fail_at(fault_kind::order, pos, 0, false);
    }
    // The key in place: a buffer that only grows, so usually one memcpy of the delta.
    const std::size_t key_len = e.shared + e.key_delta.size();
    if (key_len > key_buf_.size()) key_buf_.resize(key_len);
    if (!e.key_delta.empty()) std::memcpy(key_buf_.data() + e.shared, e.key_delta.data(), e.key_delta.size());
    key_len_ = key_len;
    value_ = e.value;
    next_ = end;
    valid_ = true;
    return {};
  }

  enum class fault_kind { restart, overrun, shared, order };
  result<void> fail_at(fault_kind k, std::size_t pos, std::uint32_t shared, bool at_restart);

  result<void> fail(std::string what) {
    valid_ = false;
    key_len_ = 0;
    value_ = {};
    return block_corruption(std::move(what));
  }

  block block_;
  bool strict_ = true;
  bool valid_ = false;
  std::vector<char> key_buf_;  // the current key is its first key_len_ bytes
  std::size_t key_len_ = 0;
  std::string_view value_;
  std::size_t next_ = 0;  // offset of the entry after the current one
  std::uint32_t next_restart_ = 0;  // first restart point not yet reached
};

inline result<void> block_iter::fail_at(fault_kind k, std::size_t pos, std::uint32_t shared, bool at_restart) {
  switch (k) {
    case fault_kind::restart:
      return fail("restart point " + std::to_string(next_restart_) + " is not on an entry boundary");
    case fault_kind::overrun:
      return fail("entry at block offset " + std::to_string(pos) + " runs past the entries");
    case fault_kind::shared:
      return fail("entry at block offset " + std::to_string(pos) + " shares " + std::to_string(shared) +
                  " bytes with a " + std::to_string(at_restart ? 0 : key_len_) + "-byte previous key");
    case fault_kind::order:
      break;
  }
  return fail("keys out of order at block offset " + std::to_string(pos));
}

// Builds a block byte-identically to TF's BlockBuilder (tensorflow/core/lib/io/block_builder.cc).
class block_builder {
 public:
  // REQUIRES: restart_interval >= 1
  explicit block_builder(int restart_interval = 16) : interval_(restart_interval) {
    assert(restart_interval >= 1);
    restarts_.push_back(0);
  }

  // REQUIRES: finish() not called since the last reset(); key > every key added before.
  void add(std::string_view key, std::string_view value) {
    assert(!finished_);
    assert(buffer_.empty() || key > std::string_view(last_key_));
    std::size_t shared = 0;
    if (counter_ < interval_) {
      const std::size_t n = std::min(last_key_.size(), key.size());
      while (shared < n && last_key_[shared] == key[shared]) ++shared;
    } else {
      restarts_.push_back(static_cast<std::uint32_t>(buffer_.size()));
      counter_ = 0;
    }
    const std::size_t non_shared = key.size() - shared;
    char head[3 * max_varint32_bytes];  // the three lengths, appended at once
    char* p = encode_varint64(head, static_cast<std::uint32_t>(shared));
    p = encode_varint64(p, static_cast<std::uint32_t>(non_shared));
    p = encode_varint64(p, static_cast<std::uint32_t>(value.size()));
    buffer_.append(head, static_cast<std::size_t>(p - head));
    buffer_.append(key.substr(shared));
    buffer_.append(value);
    last_key_.assign(key);
    ++counter_;
  }

  // Appends the restart array; the returned bytes stay valid until reset() or destruction.
  std::string_view finish() {
    assert(!finished_);
    for (std::uint32_t r : restarts_) put_fixed32(buffer_, r);
    put_fixed32(buffer_, static_cast<std::uint32_t>(restarts_.size()));
    finished_ = true;
    return buffer_;
  }

  void reset() {
    buffer_.clear();
    restarts_.assign(1, 0);
    counter_ = 0;
    finished_ = false;
    last_key_.clear();
  }

  // TF's CurrentSizeEstimate: entries + restart array + count. Drives TF's block flush rule.
  std::size_t size_estimate() const { return buffer_.size() + restarts_.size() * 4 + 4; }
  bool empty() const { return buffer_.empty(); }

 private:
  int interval_;
  int counter_ = 0;  // entries since the last restart point
  bool finished_ = false;
  std::string buffer_;
  std::vector<std::uint32_t> restarts_;
  std::string last_key_;
};

}  // namespace tfckpt::detail
