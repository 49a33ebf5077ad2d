// tfckpt CLI: pieces shared by `export`, `import` and `diff` (convert_export.hpp,
// convert_import.hpp, diff.hpp): zlib's CRC-32, little-endian byte helpers, the key <-> readable
// name mapping, tensor selection (--filter, --no-optimizer), progress lines and atomically
// written output files. Errors are values (tfckpt::result), never exceptions.
#pragma once

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/file.hpp>
#include <tfckpt/graph/keys.hpp>

#include "object_roles.hpp"

namespace tfckpt_convert {

using tfckpt::dtype;
using tfckpt::errc;
using tfckpt::make_error;
using tfckpt::result;
using tfckpt::shape_t;

// ---- CRC-32 (zlib / zip / PNG: reflected polynomial 0xEDB88320; not crc32c) --------------------

inline constexpr std::array<std::uint32_t, 256> crc32_table = [] {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}();

// `crc` is a previous result (0 to start), as zlib's crc32(crc, buf, len).
inline std::uint32_t crc32_extend(std::uint32_t crc, std::string_view bytes) noexcept {
  crc = ~crc;
  for (unsigned char b : bytes) crc = crc32_table[(crc ^ b) & 0xffu] ^ (crc >> 8);
  return ~crc;
}
inline std::uint32_t crc32(std::string_view bytes) noexcept { return crc32_extend(0, bytes); }

// ---- little-endian bytes ------------------------------------------------------------------------

inline void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xffu);
}
inline std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) noexcept {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  return v;
}

// ---- sizes --------------------------------------------------------------------------------------

// Element count of a shape read from a file, with overflow checks; nullopt when a dimension is
// negative or the product exceeds 2^62.
inline std::optional<std::uint64_t> checked_elements(const std::vector<std::int64_t>& shape) {
  std::uint64_t n = 1;
  for (auto d : shape) {
    if (d < 0) return std::nullopt;
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && n > (std::uint64_t{1} << 62) / u) return std::nullopt;
    n *= u;
  }
  return n;
}
inline std::optional<std::uint64_t> checked_bytes(const std::vector<std::int64_t>& shape, std::uint64_t item) {
  auto n = checked_elements(shape);
  if (!n || (item != 0 && *n > (std::uint64_t{1} << 62) / item)) return std::nullopt;
  return *n * item;
}

// ---- names --------------------------------------------------------------------------------------

inline constexpr std::string_view variable_suffix = "/.ATTRIBUTES/VARIABLE_VALUE";

inline bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The name a checkpoint key gets in a safetensors/npz file: TF2 object-based keys lose their
// `/.ATTRIBUTES/VARIABLE_VALUE` suffix (`model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE` ->
// `model/dense/kernel`); the path stays escaped ('.' as "..", '/' inside a name as ".S"), so
// it still splits on '/'. Every other key is its own name.
inline std::string readable_name(std::string_view key) {
  if (ends_with(key, variable_suffix) && key.size() > variable_suffix.size())
    return std::string(key.substr(0, key.size() - variable_suffix.size()));
  return std::string(key);
}

// Inverse of tfckpt::escape_local_name: ".." -> ".", ".S" -> "/"; other dots are kept.
inline std::string unescape_local_name(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.' && i + 1 < s.size() && (s[i + 1] == '.' || s[i + 1] == 'S')) {
      out += s[i + 1] == '.' ? '.' : '/';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

inline std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto at = p.find('/', start);
    parts.emplace_back(p.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

// ---- selection ----------------------------------------------------------------------------------

// Optimizer state and checkpoint bookkeeping, dropped by --no-optimizer: slot variables
// (`/.OPTIMIZER_SLOT/`), everything under `optimizer/` (iterations, learning rate, the
// TF >= 2.11 `optimizer/_variables/N`), `save_counter` and the object graph itself.
inline bool is_optimizer_key(std::string_view key) {
  return key.find(tfckpt::optimizer_slot_marker) != std::string_view::npos ||
         key.substr(0, 10) == "optimizer/" || key == "save_counter" || key.substr(0, 13) == "save_counter/" ||
         key == tfckpt::object_graph_key;
}

struct selection {
  std::optional<std::regex> filter;  // ECMAScript, searched anywhere in the key
  std::string filter_text;
  bool no_optimizer = false;
  // From the object graphs of the checkpoints read (prepare()): optimizer state by the graph
  // (object_roles.hpp) and model keys named by their model path. Without a graph (TF1
  // name-based checkpoints) --no-optimizer falls back to is_optimizer_key.
  bool by_graph = false;
  std::unordered_set<std::string> optimizer_keys;
  std::unordered_map<std::string, std::string> model_key;

  bool filtered() const noexcept { return filter.has_value(); }
  bool is_optimizer(const std::string& key) const {
    if (!by_graph) return is_optimizer_key(key);
    return optimizer_keys.count(key) > 0 || key == "save_counter" || key.substr(0, 13) == "save_counter/" ||
           key == tfckpt::object_graph_key;
  }
  bool selects(std::string_view key_view) const {
    const std::string key(key_view);
    if (no_optimizer && is_optimizer(key)) return false;
    return !filter || std::regex_search(key, *filter);
  }
  // The key a model tensor is named by in exports (its model path), else `key`.
  const std::string& model_name(const std::string& key) const {
    auto it = model_key.find(key);
    return it == model_key.end() ? key : it->second;
  }
  // Reads the object graph of `r` (several readers: the union of their optimizer keys). A graph
  // that cannot be read is an error only when --no-optimizer depends on it; otherwise names
  // stay the keys.
  result<void> prepare(const tfckpt::bundle_reader& r) {
    if (!r.has_object_graph()) return {};
    auto g = r.object_graph();
    if (!g && !no_optimizer) return {};
    if (!g) return std::move(g).error();
    object_roles roles = classify_objects(*g);
    by_graph = true;
    optimizer_keys.insert(roles.optimizer_keys.begin(), roles.optimizer_keys.end());
    model_key.insert(roles.model_key.begin(), roles.model_key.end());
    return {};
  }
};

// Compiles --filter. std::regex reports a bad pattern only by throwing; in a -fno-exceptions build
// a bad pattern aborts inside the standard library.
inline result<std::regex> compile_filter(const std::string& pattern) {
#if defined(__cpp_exceptions)
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return make_error(errc::invalid_argument, "bad --filter regex '" + pattern + "': " + e.what());
  }
#else
  return std::regex(pattern, std::regex::ECMAScript);
#endif
}

// ---- diagnostics --------------------------------------------------------------------------------

inline void warn(const std::string& msg) { std::fprintf(stderr, "tfckpt: warning: %s\n", msg.c_str()); }

// "N tensors, B bytes" progress on one rewritten stderr line, only when stderr is a terminal,
// at most ~10 updates per second.
class progress {
 public:
  progress(std::string what, std::uint64_t total_items, std::uint64_t total_bytes)
      : what_(std::move(what)), items_(total_items), bytes_(total_bytes), on_(::isatty(2) == 1) {}
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;
  ~progress() { done(); }

  void update(std::uint64_t items, std::uint64_t bytes) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    shown_ = true;
    std::fprintf(stderr, "\r\x1b[K%s: %llu/%llu tensors, %s/%s", what_.c_str(), static_cast<unsigned long long>(items),
                 static_cast<unsigned long long>(items_), human(bytes).c_str(), human(bytes_).c_str());
    std::fflush(stderr);
  }
  // Erases the line (the final summary, if any, is the caller's).
  void done() {
    if (on_ && shown_) std::fputs("\r\x1b[K", stderr);
    shown_ = false;
    on_ = false;
  }

  static std::string human(std::uint64_t b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1024 && u < 4) v /= 1024, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
  }

 private:
  std::string what_;
  std::uint64_t items_, bytes_;
  bool on_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// ---- output files -------------------------------------------------------------------------------

// A file written under a temporary name next to `path` and renamed into place by commit(); an
// uncommitted file is removed, so a failed export never leaves a truncated OUT behind.
using output_file = tfckpt::atomic_file;

// ---- tensors read from a safetensors / npz file ---------------------------------------------------

// One tensor of an input file. Fixed-size dtypes: bytes() is the row-major little-endian data,
// a view of the input or, after a byte swap / Fortran-order transpose, `owned`; strings:
// `strings`.
struct in_tensor {
  std::string name;
  dtype type = dtype::invalid;
  shape_t shape;
  std::string_view data;
  std::string owned;
  bool is_owned = false;
  std::vector<std::string> strings;

  std::string_view bytes() const noexcept { return is_owned ? std::string_view(owned) : data; }
};

struct in_file {
  std::vector<in_tensor> tensors;
  // name -> original checkpoint key, from a tfckpt export (safetensors __metadata__
  // "tfckpt.checkpoint_keys", npz member __tfckpt_keys__).
  std::vector<std::pair<std::string, std::string>> original_keys;
};

inline constexpr std::string_view metadata_keys_field = "tfckpt.checkpoint_keys";
inline constexpr std::string_view npz_keys_member = "__tfckpt_keys__";

}  // namespace tfckpt_convert
