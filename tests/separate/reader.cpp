// A unit of a separately compiled program that uses the format layer directly: its headers are
// header-only in either mode, so this links with core.cpp without duplicate definitions.
#include <tfckpt/bundle/reader.hpp>

#include "model.hpp"

namespace separate_test {

std::vector<std::string> list_keys(const std::string& prefix, std::string& error) {
  std::vector<std::string> keys;
  auto r = tfckpt::bundle_reader::open(prefix);
  if (!r) {
    error = r.error().to_string();
    return keys;
  }
  for (const auto& e : r->entries()) keys.emplace_back(e.key);
  return keys;
}

}  // namespace separate_test
