// tfckpt: where a bundle's records come from: its data files (opened lazily, read with pread,
// shareable between threads) or memory views. Every read is checked against the source size
// before anything is allocated or copied.
#pragma once

#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../naming.hpp"
#include "file_io.hpp"

namespace tfckpt::detail {

class shard_set {
 public:
  shard_set(std::string prefix, std::int32_t num_shards)
      : prefix_(std::move(prefix)), num_shards_(num_shards),
        files_(static_cast<std::size_t>(num_shards)) {}
  explicit shard_set(std::vector<std::string_view> memory)
      : num_shards_(static_cast<std::int32_t>(memory.size())), memory_(std::move(memory)) {}

  std::int32_t num_shards() const noexcept { return num_shards_; }
  bool in_memory() const noexcept { return prefix_.empty(); }

  std::string path(std::int32_t shard) const {
    if (in_memory()) return "<memory shard " + std::to_string(shard) + ">";
    return data_filename(prefix_, shard, num_shards_);
  }

  result<std::uint64_t> size(std::int32_t shard) const {
    if (shard < 0 || shard >= num_shards_)
      return make_error(errc::corruption, "shard " + std::to_string(shard) + " out of range (" +
                                              std::to_string(num_shards_) + " shards)");
    if (in_memory()) return static_cast<std::uint64_t>(memory_[static_cast<std::size_t>(shard)].size());
    auto f = file(shard);
    if (!f) return std::move(f).error();
    return (*f)->size();
  }

  // Reads [offset, offset+n) of `shard` into dst. A range past the end of the shard is a
  // corruption error ("data file is shorter than its entries claim").
  result<void> read(std::int32_t shard, std::uint64_t offset, std::uint64_t n, char* dst) const {
    auto sz = size(shard);
    if (!sz) return std::move(sz).error();
    if (offset > *sz || n > *sz - offset)
      return make_error(errc::corruption,
                        "data file is shorter than its entries claim: record [" + std::to_string(offset) +
                            ", +" + std::to_string(n) + ") but the file has " + std::to_string(*sz) +
                            " bytes")
          .in_file(path(shard))
          .at_offset(offset);
    if (n == 0) return {};
    if (in_memory()) {
      std::memcpy(dst, memory_[static_cast<std::size_t>(shard)].data() + offset, static_cast<std::size_t>(n));
      return {};
    }
    auto f = file(shard);
    if (!f) return std::move(f).error();
    auto r = (*f)->read_at(offset, static_cast<std::size_t>(n), dst);
    if (!r) return std::move(r).error().in_file(path(shard)).at_offset(offset);
    return {};
  }

 private:
  result<const readable_file*> file(std::int32_t shard) const {
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
};

}  // namespace tfckpt::detail
