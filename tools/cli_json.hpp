// tfckpt CLI: the JSON contract (docs/cli.md). Every `--json` run writes exactly one JSON object
// to stdout, on success and on failure:
//   {"json_version": 1, "tool_version": "0.1.0", "command": "ls", ...command fields...,
//    "errors": [{"code", "message", "file", "key", "offset"}, ...], "ok": true|false}
// "ok" is false exactly when "errors" is non-empty; a record that could not be read is an error,
// never silently left out. Byte strings that are not valid UTF-8 are written with each invalid
// byte as the text \xNN, and keys additionally as "<field>_hex" with the exact bytes.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <tfckpt/format/error.hpp>
#include <tfckpt/format/bundle_proto.hpp>
#include <tfckpt/format/state_file.hpp>

namespace tfckpt_cli {

using tfckpt::is_valid_utf8;
using tfckpt::utf8_sequence_length;

using json = nlohmann::ordered_json;

// Bumped when a field changes meaning or disappears (adding fields does not bump it).
inline constexpr int json_version = 1;
#ifndef TFCKPT_VERSION_STRING
#define TFCKPT_VERSION_STRING "0.1.0"
#endif
inline constexpr const char* tool_version = TFCKPT_VERSION_STRING;

inline void out(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }

inline constexpr char hex_digits[] = "0123456789abcdef";

inline std::string to_hex(std::string_view b) {
  std::string s;
  s.reserve(b.size() * 2);
  for (unsigned char c : b) {
    s += hex_digits[c >> 4];
    s += hex_digits[c & 15];
  }
  return s;
}

// A byte string as a JSON string: itself when valid UTF-8; otherwise each invalid byte as the
// text \xNN (Python's backslashreplace), so output is always valid JSON.
inline std::string json_text(std::string_view k) {
  if (is_valid_utf8(k)) return std::string(k);
  std::string o;
  for (std::size_t i = 0; i < k.size();) {
    const std::size_t n = utf8_sequence_length(k, i);
    if (n > 0) {
      o.append(k.substr(i, n));
      i += n;
    } else {
      const auto c = static_cast<unsigned char>(k[i++]);
      o += "\\x";
      o += hex_digits[c >> 4];
      o += hex_digits[c & 15];
    }
  }
  return o;
}

// Adds "key" (and "key_hex", the exact bytes, when the key is not valid UTF-8).
inline void put_key(json& j, std::string_view name, std::string_view key) {
  j[std::string(name)] = json_text(key);
  if (!is_valid_utf8(key)) j[std::string(name) + "_hex"] = to_hex(key);
}

inline std::string dump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// An array with one compact element per line: readable, diffable, still one JSON document.
inline std::string dump_lines(const json& a) {
  if (a.empty()) return "[]";
  std::string s = "[\n";
  for (std::size_t i = 0; i < a.size(); ++i) s += "  " + dump(a[i], -1) + (i + 1 < a.size() ? ",\n" : "\n");
  return s + "]";
}

inline json shape_json(std::span<const std::int64_t> s) {
  json a = json::array();
  for (auto d : s) a.push_back(d);
  return a;
}

// {"code", "message", "file", "key", "offset"}: absent context is null.
inline json error_json(const tfckpt::error& e) {
  json j = json::object();
  j["code"] = std::string(tfckpt::to_string(e.code));
  j["message"] = json_text(e.message);
  j["file"] = e.file.empty() ? json(nullptr) : json(json_text(e.file));
  if (e.key.empty()) j["key"] = nullptr;
  else put_key(j, "key", e.key);
  j["offset"] = e.offset == tfckpt::no_offset ? json(nullptr) : json(e.offset);
  return j;
}

// A usage error (bad option, missing argument) in the same shape; code "usage".
inline json usage_error_json(const std::string& message) {
  return json{{"code", "usage"}, {"message", json_text(message)}, {"file", nullptr}, {"key", nullptr}, {"offset", nullptr}};
}

// One --json document, written as it goes (print streams its values): begin() writes the header,
// field() one member, finish() the errors and "ok". In text mode nothing goes to stdout and
// errors go to stderr as "tfckpt: <file>: key '<k>': <message> [<code>]".
class report {
 public:
  report(std::string command, bool as_json) : command_(std::move(command)), json_(as_json) {}
  report(const report&) = delete;
  report& operator=(const report&) = delete;
  ~report() { finish(); }

  bool as_json() const noexcept { return json_; }
  bool failed() const noexcept { return !errors_.empty(); }

  void begin() {
    if (!json_ || begun_) return;
    begun_ = true;
    out("{\"json_version\": " + std::to_string(json_version) + ", \"tool_version\": \"" + tool_version +
        "\", \"command\": " + dump(json(command_), -1));
  }
  // One member whose value is already JSON text.
  void field_text(std::string_view name, std::string_view value_json) {
    begin();
    if (!json_) return;
    out(",\n\"" + std::string(name) + "\": ");
    out(value_json);
  }
  void field(std::string_view name, const json& v) { field_text(name, dump(v, -1)); }
  // A field whose value is an array written element by element (open_array, element..., close).
  void open_array(std::string_view name) {
    field_text(name, "[");
    first_ = true;
  }
  void element(std::string_view value_json) {
    if (!json_) return;
    out(first_ ? "\n  " : ",\n  ");
    out(value_json);
    first_ = false;
  }
  void close_array() {
    if (json_) out(first_ ? "]" : "\n]");
  }

  // Records an error (stderr in text mode, also stderr in JSON mode so shells see it).
  void error(const tfckpt::error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "tfckpt: %s\n", e.to_string().c_str());
    errors_.push_back(error_json(e));
  }
  void usage(const std::string& message) {
    std::fprintf(stderr, "tfckpt: %s\n", message.c_str());
    errors_.push_back(usage_error_json(message));
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    if (!json_) return;
    begin();
    json e = json::array();
    for (auto& x : errors_) e.push_back(x);
    out(",\n\"errors\": " + dump_lines(e) + ",\n\"ok\": " + (errors_.empty() ? "true" : "false") + "}\n");
  }

 private:
  std::string command_;
  bool json_;
  bool begun_ = false, finished_ = false, first_ = true;
  std::vector<json> errors_;
};

}  // namespace tfckpt_cli
