// tfckpt: where a bundle's records come from: its data files (opened lazily, read with pread or
// mapped, shareable between threads) or memory views. Every read is checked against the source
// size before anything is allocated or copied.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../format/error.hpp"
#include "../format/naming.hpp"
#include "../format/crc32c.hpp"
#include "../format/file_io.hpp"

namespace tfckpt::detail {

class shard_set {
 public:
  shard_set(std::string prefix, std::int32_t num_shards)
      : prefix_(std::move(prefix)), num_shards_(num_shards),
        files_(static_cast<std::size_t>(num_shards)) {}
  explicit shard_set(std::vector<std::string_view> memory)
      : num_shards_(static_cast<std::int32_t>(memory.size())), memory_(std::move(memory)) {}

  // Opens the data files now (the first `limit` shards; the rest when first read), so that the
  // reader keeps reading the files that went with its index even if the prefix is written over
  // later. A file that cannot be opened now is left for its first read to report.
  TFCKPT_LAZY void open_files(std::int32_t limit) const {
    if (in_memory()) return;
    for (std::int32_t i = 0; i < num_shards_ && i < limit; ++i) (void)file(i);
  }

  std::int32_t num_shards() const noexcept { return num_shards_; }
  bool in_memory() const noexcept { return prefix_.empty(); }

  TFCKPT_LAZY std::string path(std::int32_t shard) const {
    if (in_memory()) return "<memory shard " + std::to_string(shard) + ">";
    return data_filename(prefix_, shard, num_shards_);
  }

  TFCKPT_LAZY result<std::uint64_t> size(std::int32_t shard) const {
    if (shard < 0 || shard >= num_shards_)
      return make_error(errc::corruption, "shard " + std::to_string(shard) + " out of range (" +
                                              std::to_string(num_shards_) + " shards)");
    if (in_memory()) return static_cast<std::uint64_t>(memory_[static_cast<std::size_t>(shard)].size());
    auto f = file(shard);
    if (!f) return std::move(f).error();
    return (*f)->size();
  }

  // Reads [offset, offset+n) of `shard` into dst. A range past the end of the shard is a
  // corruption error ("data file is shorter than its entries claim"). With `crc` set, also
  // returns the CRC32C of the bytes in *crc: computed piece by piece right after each piece
  // lands in dst, while it is still in cache, so checking costs no second pass over memory.
  TFCKPT_LAZY result<void> read(std::int32_t shard, std::uint64_t offset, std::uint64_t n, char* dst,
                    std::uint32_t* crc = nullptr) const {
    TFCKPT_TRY(check_range(shard, offset, n));
    if (crc) *crc = 0;
    if (n == 0) return {};
    const readable_file* f = nullptr;
    if (!in_memory()) {
      auto opened = file(shard);
      if (!opened) return std::move(opened).error();
      f = *opened;
    }
    // Half of a typical L2: big enough that the syscall is noise, small enough to stay cached.
    const std::uint64_t piece = crc ? std::uint64_t{512} << 10 : n;
    for (std::uint64_t done = 0; done < n;) {
      const auto len = static_cast<std::size_t>(std::min(piece, n - done));
      if (f) {
        auto r = f->read_at(offset + done, len, dst + done);
        if (!r) return std::move(r).error().in_file(path(shard)).at_offset(offset + done);
      } else {
        std::memcpy(dst + done, memory_[static_cast<std::size_t>(shard)].data() + offset + done, len);
      }
      if (crc) *crc = crc32c_extend(*crc, dst + done, len);
      done += len;
    }
    return {};
  }

  // [offset, offset+n) of `shard` without copying: a view into the memory shard or into a
  // read-only mapping of the data file (mapped once, kept while the shard_set lives).
  TFCKPT_LAZY result<std::string_view> view(std::int32_t shard, std::uint64_t offset, std::uint64_t n) const {
    TFCKPT_TRY(check_range(shard, offset, n));
    if (in_memory())
      return memory_[static_cast<std::size_t>(shard)].substr(static_cast<std::size_t>(offset),
                                                              static_cast<std::size_t>(n));
    auto m = mapping(shard);
    if (!m) return std::move(m).error();
    const std::string_view all = (*m)->bytes();
    if (offset > all.size() || n > all.size() - offset)  // the file shrank after it was opened
      return make_error(errc::corruption, "data file is shorter than its entries claim")
          .in_file(path(shard))
          .at_offset(offset);
    return all.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(n));
  }

  // The record [offset, offset+n) lies inside the data file (checked before any allocation).
  TFCKPT_LAZY result<void> check_range(std::int32_t shard, std::uint64_t offset, std::uint64_t n) const {
    auto sz = size(shard);
    if (!sz) return std::move(sz).error();
    if (offset > *sz || n > *sz - offset)
      return make_error(errc::corruption,
                        "data file is shorter than its entries claim: record [" + std::to_string(offset) +
                            ", +" + std::to_string(n) + ") but the file has " + std::to_string(*sz) +
                            " bytes")
          .in_file(path(shard))
          .at_offset(offset);
    return {};
  }

 private:
  TFCKPT_LAZY result<const mapped_file*> mapping(std::int32_t shard) const {
    auto sz = size(shard);  // opens the file first: the mapping must cover what size() reports
    if (!sz) return std::move(sz).error();
    std::lock_guard<std::mutex> lock(mu_);
    if (maps_.empty()) maps_.resize(files_.size());
    auto& slot = maps_[static_cast<std::size_t>(shard)];
    if (!slot) {
      // No size limit of its own: mapping reserves address space, not memory.
      auto m = mapped_file::open(path(shard), ~std::uint64_t{0});
      if (!m) return std::move(m).error();
      slot.emplace(std::move(*m));
    }
    return &*slot;
  }

  TFCKPT_LAZY result<const readable_file*> file(std::int32_t shard) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = files_[static_cast<std::size_t>(shard)];
    if (!slot) {
      auto f = readable_file::open(path(shard));
      if (!f) {
        auto e = std::move(f).error();
        if (e.code == errc::not_found) e.message = "missing data file (shard " + std::to_string(shard) + " of " + std::to_string(num_shards_) + ")";
        return std::move(e).in_file(path(shard));
      }
      slot.emplace(std::move(*f));
    }
    return &*slot;
  }

  std::string prefix_;
  std::int32_t num_shards_ = 0;
  std::vector<std::string_view> memory_;
  mutable std::mutex mu_;
  mutable std::vector<std::optional<readable_file>> files_;
  mutable std::vector<std::optional<mapped_file>> maps_;  // views(): created on first use
};

}  // namespace tfckpt::detail
