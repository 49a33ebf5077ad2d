// Helpers shared by the C++ tests: the scratch directory, whole-file reading and writing, directory
// listing, hex, JSON loading. No exceptions anywhere (the suite also builds with -fno-exceptions).
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tfckpt_test {

namespace fs = std::filesystem;

// The one scratch-directory helper of the C++ tests: a fresh directory under $TMPDIR (mkdtemp),
// removed with everything in it on destruction, even after a test made parts of it read-only.
class temp_dir {
 public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tfckpt_test_XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
    REQUIRE_MESSAGE(!path_.empty(), "mkdtemp failed under " << tmpl);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    for (fs::recursive_directory_iterator it(path_, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_directory(ec)) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }
  // Copies every regular file of `from` into this directory; false if `from` is missing or a copy fails.
  bool copy_from(const std::string& from) const {
    std::error_code ec;
    if (!fs::is_directory(from, ec)) return false;
    for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      fs::copy_file(it->path(), fs::path(path_) / it->path().filename(), fs::copy_options::overwrite_existing, ec);
      if (ec) return false;
    }
    return !ec;
  }

 private:
  std::string path_;
};

// The one file-reading helper: the whole file. A missing or unreadable file fails the current
// test (a missing fixture is a failure, never an empty input).
inline std::string read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  REQUIRE_MESSAGE(static_cast<bool>(f), "cannot open " << p);
  std::string out{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  REQUIRE_MESSAGE(!f.bad(), "cannot read " << p);
  return out;
}

// Writes `bytes` to `p` (created or truncated); false on any failure.
inline bool write_all(const std::string& p, std::string_view bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  if (!f) return false;
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.flush();
  return static_cast<bool>(f);
}

// Sorted names of the regular files in `dir` (empty on error).
inline std::vector<std::string> list_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    out.push_back(it->path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string to_hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

inline std::optional<std::string> from_hex(std::string_view h) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (h.size() % 2) return std::nullopt;
  std::string out(h.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int a = nib(h[2 * i]), b = nib(h[2 * i + 1]);
    if (a < 0 || b < 0) return std::nullopt;
    out[i] = static_cast<char>(a * 16 + b);
  }
  return out;
}

// Parses a JSON file without exceptions: a missing file fails the test, bad JSON gives a
// discarded value.
inline nlohmann::json load_json(const std::string& path) {
  return nlohmann::json::parse(read_file(path), nullptr, false);
}

inline std::string span_bytes(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace tfckpt_test
