// tfckpt: file names of a bundle (tensor_bundle/naming.cc).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace tfckpt {

inline std::string index_filename(const std::string& prefix) { return prefix + ".index"; }

// `P.data-SSSSS-of-NNNNN`: both numbers zero-padded to at least 5 digits (printf %05d).
inline std::string data_filename(const std::string& prefix, std::int32_t shard, std::int32_t num_shards) {
  char buf[48];
  std::snprintf(buf, sizeof buf, ".data-%05d-of-%05d", static_cast<int>(shard), static_cast<int>(num_shards));
  return prefix + buf;
}

}  // namespace tfckpt
