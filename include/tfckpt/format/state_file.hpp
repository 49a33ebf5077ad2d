// tfckpt: the `checkpoint` state file, a text-format tensorflow.CheckpointState (docs/format.md §2).
// TF writes it with Python protobuf's text_format.MessageToString and reads it with
// text_format.Merge; this file reproduces both (output byte-identical, input grammar as Python's
// tokenizer accepts it), plus TF's get_checkpoint_state / latest_checkpoint /
// update_checkpoint_state path rules from checkpoint_management.py.
#pragma once

#include <charconv>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "file_io.hpp"
#include "error.hpp"

namespace tfckpt {

struct checkpoint_state {
  std::string model_checkpoint_path;                     // field 1
  std::vector<std::string> all_model_checkpoint_paths;   // field 2, oldest -> newest
  std::vector<double> all_model_checkpoint_timestamps;   // field 3, one per path (or none)
  double last_preserved_timestamp = 0;                   // field 4
};

// Python protobuf >= 5.26 (text_format as_utf8=True by default; what current TF writes) leaves
// valid UTF-8 unescaped; older protobuf wrote every byte >= 0x80 as a 3-digit octal escape.
// Every TF version reads both spellings.
struct state_format_options {
  bool escape_non_ascii = false;
};

// Bounds for hostile input, far above anything TF writes (~100 bytes per listed checkpoint).
struct state_parse_limits {
  std::size_t max_bytes = std::size_t{64} << 20;
  std::size_t max_line_bytes = std::size_t{1} << 20;
  std::size_t max_values = 1'000'000;
};

namespace detail {

// Length (1-4) of the valid UTF-8 sequence at s[i], 0 if invalid. Strict like Python's decoder:
// no overlong forms, no surrogates, nothing above U+10FFFF.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (n == 0 || c > 0xf4 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  unsigned c1 = b(i + 1);
  if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) ||
      (c == 0xf4 && c1 >= 0x90))
    return 0;
  return n;
}
inline bool is_valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0, n = 0; i < s.size(); i += n)
    if ((n = utf8_sequence_length(s, i)) == 0) return false;
  return true;
}

// protobuf text_encoding.CEscape: \t \n \r \" \' \\ by name, other control bytes and DEL as
// 3-digit octal; bytes >= 0x80 raw when they form valid UTF-8, else octal.
TFCKPT_LAZY std::string text_escape(std::string_view s, bool escape_non_ascii = false) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = (c >= 0x80 && !escape_non_ascii) ? utf8_sequence_length(s, i) : 0;
    if (n > 0) { out.append(s.substr(i, n)); i += n - 1; continue; }
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '"': case '\'': case '\\': out += '\\'; out += static_cast<char>(c); break;
      default:
        if (c >= 0x20 && c < 0x7f) { out += static_cast<char>(c); break; }
        out += '\\';
        for (int sh = 6; sh >= 0; sh -= 3) out += static_cast<char>('0' + ((c >> sh) & 7));
    }
  }
  return out;
}

inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// protobuf text_encoding.CUnescape (Python's unicode_escape underneath): named escapes, octal
// \N..\NNN (<= 255), hex \xN/\xNN, \uXXXX / \UXXXXXXXX as UTF-8, unknown escapes such as \q or
// \? kept verbatim (Python does). Unsupported: \N{name}. Appends to `out`.
TFCKPT_LAZY bool text_unescape(std::string_view s, std::string& out, std::string& why) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\') { out += c; continue; }
    if (++i == s.size()) { why = "string ends with a lone backslash"; return false; }
    switch (c = s[i]) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': case '\'': case '"': out += c; break;
      case 'x': {
        int v = 0, n = 0;
        for (; n < 2 && i + 1 < s.size() && hex_value(s[i + 1]) >= 0; ++n) v = v * 16 + hex_value(s[++i]);
        if (n == 0) { why = "truncated \\xXX escape"; return false; }
        out += static_cast<char>(v);
        break;
      }
      case 'u': case 'U': {
        std::uint32_t cp = 0;
        for (int k = c == 'u' ? 4 : 8; k > 0; --k) {
          if (i + 1 >= s.size() || hex_value(s[i + 1]) < 0) { why = "truncated \\uXXXX escape"; return false; }
          cp = cp * 16 + static_cast<std::uint32_t>(hex_value(s[++i]));
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          why = "escape is not a Unicode scalar value";
          return false;
        }
        int len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        static constexpr unsigned lead[] = {0, 0, 0xc0, 0xe0, 0xf0};
        out += static_cast<char>(len == 1 ? cp : (lead[len] | (cp >> (6 * (len - 1)))));
        for (int k = len - 2; k >= 0; --k) out += static_cast<char>(0x80 | ((cp >> (6 * k)) & 0x3f));
        break;
      }
      case 'N': why = "\\N{...} escapes are not supported"; return false;
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0';
          for (int n = 1; n < 3 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++n)
            v = v * 8 + (s[++i] - '0');
          if (v > 255) { why = "octal escape above \\377"; return false; }
          out += static_cast<char>(v);
        } else {
          out += '\\';
          out += c;
        }
    }
  }
  return true;
}

// Python repr(float): shortest round-trip digits; exponent form when the decimal exponent is
// < -4 or >= 16 ("1e+16", "5e-05"), else fixed with at least one fractional digit ("1.0").
TFCKPT_LAZY std::string python_double_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));  // "-d.ddde+XX"
  std::string out, digits;
  if (sci[0] == '-') { out = "-"; sci.remove_prefix(1); }
  std::size_t e = sci.find('e');
  for (char c : sci.substr(0, e)) if (c != '.') digits += c;
  int exp10 = 0;
  std::string_view es = sci.substr(e + 2);
  std::from_chars(es.data(), es.data() + es.size(), exp10);
  if (sci[e + 1] == '-') exp10 = -exp10;
  const int nd = static_cast<int>(digits.size()), decpt = exp10 + 1;
  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (nd > 1) (out += '.') += digits.substr(1);
    out += exp10 < 0 ? "e-" : "e+";
    if (std::abs(exp10) < 10) out += '0';
    out += std::to_string(std::abs(exp10));
  } else if (decpt <= 0) {
    (out += "0.").append(static_cast<std::size_t>(-decpt), '0') += digits;
  } else if (decpt >= nd) {
    (out += digits).append(static_cast<std::size_t>(decpt - nd), '0') += ".0";
  } else {
    const auto point = static_cast<std::size_t>(decpt);
    out += digits.substr(0, point) + "." + digits.substr(point);
  }
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != b[i]) return false;  // b is lower-case letters only
  return true;
}

// Python float(): [+-] then digits with optional '.', exponent, '_' between digits; or
// inf/infinity/nan in any case. Out-of-range values become inf or 0 as in Python.
TFCKPT_LAZY bool python_float(std::string_view t, double& out) {
  bool neg = !t.empty() && t[0] == '-';
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (iequals(t, "inf") || iequals(t, "infinity")) { out = neg ? -inf : inf; return true; }
  if (iequals(t, "nan")) { out = std::numeric_limits<double>::quiet_NaN(); return true; }
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  std::string clean;
  int mant = 0, expd = 0, lead = 0;  // lead: decimal position of the first nonzero digit
  bool dot = false, ex = false, nonzero = false;
  long long e = 0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    char c = t[k];
    if (digit(c)) {
      clean += c;
      if (ex) { ++expd; e = std::min(e * 10 + (c - '0'), 1'000'000'000LL); continue; }
      ++mant;
      if (!nonzero && c != '0') nonzero = true;
      if (nonzero ? !dot : dot) lead += dot ? -1 : 1;
    } else if (c == '_') {
      if (k == 0 || k + 1 == t.size() || !digit(t[k - 1]) || !digit(t[k + 1])) return false;
    } else if (c == '.' && !dot && !ex) {
      dot = true, clean += c;
    } else if ((c == 'e' || c == 'E') && !ex && mant > 0) {
      ex = true, clean += 'e';
      if (k + 1 < t.size() && (t[k + 1] == '+' || t[k + 1] == '-')) clean += t[++k];
    } else {
      return false;
    }
  }
  if (mant == 0 || (ex && expd == 0)) return false;
  auto r = std::from_chars(clean.data(), clean.data() + clean.size(), out);
  if (r.ec == std::errc::result_out_of_range) {
    if (clean.find("e-") != std::string::npos) e = -e;
    out = lead + e > 0 ? inf : 0.0;  // overflow vs underflow, decided by magnitude
  } else if (r.ec != std::errc{} || r.ptr != clean.data() + clean.size()) {
    return false;
  }
  if (neg) out = -out;
  return true;
}

// protobuf text_format.ParseFloat: rejects C-octal-looking "0NN", then Python float(), then
// "-?inf(inity)?f?" and a trailing-'f' spelling ("1.5f", "nanf").
TFCKPT_LAZY bool parse_text_float(std::string_view tok, double& out) {
  std::size_t s = (!tok.empty() && tok[0] == '-') ? 1 : 0;
  if (tok.size() >= s + 2 && tok[s] == '0' && tok[s + 1] >= '0' && tok[s + 1] <= '9') return false;
  if (python_float(tok, out)) return true;
  std::string_view b = tok.substr(s);
  if (iequals(b, "inf") || iequals(b, "inff") || iequals(b, "infinity") || iequals(b, "infinityf")) {
    out = s ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  while (!tok.empty() && (tok.back() == 'f' || tok.back() == 'F')) tok.remove_suffix(1);
  return python_float(tok, out);
}

// Python text_format tokenizer: identifiers, numbers, quoted strings (never spanning lines),
// else one character; whitespace and '#' comments between tokens. Non-ASCII Unicode
// whitespace (which Python's \s also skips) is not treated as whitespace.
class text_tokenizer {
 public:
  explicit text_tokenizer(std::string_view t) : t_(t) { advance(); }
  std::string_view token() const noexcept { return tok_; }
  bool at_end() const noexcept { return tok_.empty(); }
  bool string_closed() const noexcept { return closed_; }
  void next() { pos_ += tok_.size(); advance(); }
  std::pair<std::size_t, std::size_t> where() const noexcept { return {tok_line_, tok_col_}; }
  error fail(std::string_view msg) const { return fail_at(where(), msg); }
  static error fail_at(std::pair<std::size_t, std::size_t> at, std::string_view msg) {
    return error(errc::corruption, "line " + std::to_string(at.first) + ", column " +
                                       std::to_string(at.second) + ": " + std::string(msg));
  }
  // Token for messages: escaped, bounded.
  std::string shown() const {
    if (at_end()) return "end of input";
    return "'" + text_escape(tok_.substr(0, 60)) + (tok_.size() > 60 ? "...'" : "'");
  }

 static bool alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
  static bool digit(char c) noexcept { return c >= '0' && c <= '9'; }
  static bool word(char c) noexcept { return alpha(c) || digit(c) || c == '+' || c == '-'; }

 private:
  void advance() {
    const std::size_t n = t_.size();
    while (pos_ < n) {
      auto c = static_cast<unsigned char>(t_[pos_]);
      if (c == '\n') { ++line_; line_start_ = ++pos_; }
      else if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) ++pos_;
      else if (c == '#') { while (pos_ < n && t_[pos_] != '\n') ++pos_; }
      else break;
    }
    tok_line_ = line_, tok_col_ = pos_ - line_start_ + 1, closed_ = false;
    std::size_t e = pos_;
    if (pos_ == n) { tok_ = {}; return; }
    const char c = t_[pos_];
    if (alpha(c)) {
      while (++e < n && word(t_[e])) {}
    } else if (digit(c) || c == '+' || c == '-' || (c == '.' && pos_ + 1 < n && digit(t_[pos_ + 1]))) {
      while (++e < n && (word(t_[e]) || t_[e] == '.')) {}
    } else if (c == '"' || c == '\'') {
      for (++e; e < n && t_[e] != '\n'; ++e) {
        if (t_[e] == '\\') { if (e + 1 < n && t_[e + 1] != '\n') { ++e; continue; } ++e; break; }
        if (t_[e] == c) { ++e; closed_ = true; break; }
      }
    } else {
      e += std::max<std::size_t>(1, utf8_sequence_length(t_, pos_));
    }
    tok_ = t_.substr(pos_, e - pos_);
  }
  std::string_view t_, tok_;
  std::size_t pos_ = 0, line_ = 1, line_start_ = 0, tok_line_ = 1, tok_col_ = 1;
  bool closed_ = false;
};

// One string value: adjacent literals concatenate ("a" 'b'); the result must be UTF-8 because
// the field is a proto `string` (Python rejects anything else).
TFCKPT_LAZY result<std::string> read_text_string(text_tokenizer& tz) {
  auto at = tz.where();
  std::string out, why;
  do {
    std::string_view t = tz.token();
    if (t.empty() || (t[0] != '"' && t[0] != '\'')) return tz.fail("expected string but found " + tz.shown());
    if (!tz.string_closed()) return tz.fail("string missing ending quote");
    if (!text_unescape(t.substr(1, t.size() - 2), out, why)) return tz.fail(why);
    tz.next();
  } while (!tz.at_end() && (tz.token()[0] == '"' || tz.token()[0] == '\''));
  if (!is_valid_utf8(out)) return text_tokenizer::fail_at(at, "string is not valid UTF-8 after unescaping");
  return out;
}

}  // namespace detail

// Parses the text (text_format.Merge semantics: fields in any order, a repeated singular field
// keeps its last value, repeated fields also accept `[a, b]`, optional ',' or ';' after a field).
// Errors are errc::corruption naming line and column; limit_exceeded past `lim`.
TFCKPT_LAZY result<checkpoint_state> parse_checkpoint_state(std::string_view text,
                                                       const state_parse_limits& lim = {}) {
  if (text.size() > lim.max_bytes)
    return error(errc::limit_exceeded, "state file has " + std::to_string(text.size()) + " bytes, limit is " +
                                           std::to_string(lim.max_bytes));
  // TF decodes the whole file as UTF-8 before parsing; bound line lengths in the same pass.
  for (std::size_t i = 0, line = 1, start = 0, n = 0; i < text.size(); i += n) {
    if (text[i] == '\n') { ++line, start = i + 1, n = 1; continue; }
    if (i - start >= lim.max_line_bytes)
      return error(errc::limit_exceeded, "line " + std::to_string(line) + " is longer than " +
                                             std::to_string(lim.max_line_bytes) + " bytes");
    if ((n = detail::utf8_sequence_length(text, i)) == 0)
      return detail::text_tokenizer::fail_at({line, i - start + 1},
                                             "invalid UTF-8 (TensorFlow reads this file as UTF-8 text)");
  }
  checkpoint_state st;
  std::size_t values = 0;
  detail::text_tokenizer tz(text);
  while (!tz.at_end()) {
    const std::string_view name = tz.token();
    const int field = name == "model_checkpoint_path"             ? 1
                      : name == "all_model_checkpoint_paths"      ? 2
                      : name == "all_model_checkpoint_timestamps" ? 3
                      : name == "last_preserved_timestamp"        ? 4
                                                                  : 0;
    if (field == 0) {
      if (name == "[") return tz.fail("message type \"tensorflow.CheckpointState\" does not have extensions");
      const char c = name[0];  // Python wants \w+ here, then looks the name up
      if (c == '+' || c == '-' || !(detail::text_tokenizer::word(c) || static_cast<unsigned char>(c) >= 0x80))
        return tz.fail("expected field name, got " + tz.shown());
      return tz.fail("message type \"tensorflow.CheckpointState\" has no field named " + tz.shown());
    }
    tz.next();
    if (tz.token() != ":") return tz.fail("expected ':' after " + std::string(name) + ", got " + tz.shown());
    tz.next();
    const bool list = field == 2 || field == 3 ? tz.token() == "[" : false;
    if (list) tz.next();
    for (bool first = true; !(list && first && tz.token() == "]"); first = false) {  // "[]" is empty
      if (++values > lim.max_values)
        return error(errc::limit_exceeded, "more than " + std::to_string(lim.max_values) + " values");
      if (field <= 2) {
        auto s = detail::read_text_string(tz);
        if (!s) return std::move(s).error();
        if (field == 1) st.model_checkpoint_path = std::move(*s);
        else st.all_model_checkpoint_paths.push_back(std::move(*s));
      } else {
        double d = 0;
        if (!detail::parse_text_float(tz.token(), d)) return tz.fail("couldn't parse float: " + tz.shown());
        tz.next();
        if (field == 3) st.all_model_checkpoint_timestamps.push_back(d);
        else st.last_preserved_timestamp = d;
      }
      if (!list || tz.token() == "]") break;
      if (tz.token() != ",") return tz.fail("expected ',' or ']' in list, got " + tz.shown());
      tz.next();
    }
    if (list) tz.next();
    if (tz.token() == "," || tz.token() == ";") tz.next();
  }
  return st;
}

// text_format.MessageToString: field-number order, one line per value, proto3 defaults omitted
// (a double is present unless it is +0.0 bit-for-bit: -0.0 and nan are written, as upb does).
TFCKPT_LAZY std::string format_checkpoint_state(const checkpoint_state& st, const state_format_options& opt = {}) {
  std::string out;
  auto str = [&](std::string_view name, std::string_view v) {
    ((((out += name) += ": \"") += detail::text_escape(v, opt.escape_non_ascii)) += "\"\n");
  };
  auto num = [&](std::string_view name, double v) {
    (((out += name) += ": ") += detail::python_double_repr(v)) += '\n';
  };
  if (!st.model_checkpoint_path.empty()) str("model_checkpoint_path", st.model_checkpoint_path);
  for (const auto& p : st.all_model_checkpoint_paths) str("all_model_checkpoint_paths", p);
  for (double t : st.all_model_checkpoint_timestamps) num("all_model_checkpoint_timestamps", t);
  if (st.last_preserved_timestamp != 0 || std::signbit(st.last_preserved_timestamp))
    num("last_preserved_timestamp", st.last_preserved_timestamp);
  return out;
}

// Reads dir/latest_filename. not_found if absent; corruption (file + line) if unparsable (TF
// logs and ignores such a file; we say why); invalid_argument if model_checkpoint_path is empty.
// Relative paths are joined to dir. As in TF, paths are not confined to dir: "../x" and
// absolute paths elsewhere are returned as written, so callers needing containment must check.
TFCKPT_LAZY result<checkpoint_state> get_checkpoint_state(const std::string& dir,
                                                     const std::string& latest_filename = "checkpoint") {
  const std::string path = detail::path_join(dir, latest_filename);
  auto text = detail::read_file(path, state_parse_limits{}.max_bytes);
  if (!text) return std::move(text).error();
  auto st = parse_checkpoint_state(*text);
  if (!st) return std::move(st).error().in_file(path);
  if (st->model_checkpoint_path.empty())
    return error(errc::invalid_argument, "invalid checkpoint state: model_checkpoint_path is empty")
        .in_file(path);
  // Stricter than TF: a NUL byte would end the name at open() (dropping ".index" and anything
  // after it, so any file could be named); such a path is refused.
  auto nul = [&](const std::string& p) {
    return error(errc::corruption, "invalid checkpoint state: path '" + error::printable_path(p) +
                                       "' contains a NUL byte")
        .in_file(path);
  };
  if (st->model_checkpoint_path.find('\0') != std::string::npos) return nul(st->model_checkpoint_path);
  for (const auto& p : st->all_model_checkpoint_paths)
    if (p.find('\0') != std::string::npos) return nul(p);
  if (!detail::is_absolute_path(st->model_checkpoint_path))
    st->model_checkpoint_path = detail::path_join(dir, st->model_checkpoint_path);
  for (auto& p : st->all_model_checkpoint_paths)
    if (!detail::is_absolute_path(p)) p = detail::path_join(dir, p);
  return st;
}

// The latest checkpoint prefix named by dir's state file, if <prefix>.index exists. TF also
// accepts a bare <prefix> file (legacy V1, unsupported here) and globs; we test existence only.
TFCKPT_LAZY result<std::string> latest_checkpoint(const std::string& dir,
                                             const std::string& latest_filename = "checkpoint") {
  auto st = get_checkpoint_state(dir, latest_filename);
  if (!st) return std::move(st).error();
  const std::string& prefix = st->model_checkpoint_path;
  if (detail::file_exists(prefix + ".index")) return prefix;
  const std::string state_path = detail::path_join(dir, latest_filename);
  const std::string shown = error::printable_path(prefix);
  std::string why = "the state file names checkpoint '" + shown + "' but '" + shown + ".index' does not exist";
  if (prefix != state_path && detail::file_exists(prefix) && !detail::is_directory(prefix))
    why += " ('" + shown + "' itself exists: a legacy V1 checkpoint, which is not supported)";
  return error(errc::not_found, why).in_file(state_path);
}

// Writes dir/latest_filename atomically, following TF's update_checkpoint_state_internal and
// generate_checkpoint_state_proto: with save_relative_paths absolute paths become relpath(p,
// dir); model_checkpoint_path is appended to all_model_checkpoint_paths unless already last;
// timestamps, if any, must match the paths; if dir is relative, relative paths are rewritten
// relative to it. Like TF, it refuses a model_checkpoint_path equal (as a string, after those
// rewrites) to the state file's path; a V2 prefix named "checkpoint" stored relatively is allowed
// (TF wrote exactly that in the corpus: its files are checkpoint.index / checkpoint.data-*).
TFCKPT_LAZY result<void> update_checkpoint_state(const std::string& dir, checkpoint_state st,
                                            bool save_relative_paths = true,
                                            const std::string& latest_filename = "checkpoint",
                                            const state_format_options& opt = {}) {
  const std::string state_path = detail::path_join(dir, latest_filename);
  if (st.model_checkpoint_path.empty())
    return error(errc::invalid_argument, "model_checkpoint_path is empty").in_file(state_path);
  auto paths = [&] {  // rebuilt on use: push_back below invalidates pointers
    std::vector<std::string*> v{&st.model_checkpoint_path};
    for (auto& p : st.all_model_checkpoint_paths) v.push_back(&p);
    return v;
  };
  auto rewrite = [&](bool when_absolute) -> result<void> {
    for (std::string* p : paths()) {
      if (detail::is_absolute_path(*p) != when_absolute) continue;
      auto r = detail::relative_path(*p, dir);
      if (!r) return std::move(r).error().in_file(state_path);
      *p = std::move(*r);
    }
    return {};
  };
  if (save_relative_paths) TFCKPT_TRY(rewrite(true));
  auto& all = st.all_model_checkpoint_paths;
  if (all.empty() || all.back() != st.model_checkpoint_path) all.push_back(st.model_checkpoint_path);
  if (!st.all_model_checkpoint_timestamps.empty() && st.all_model_checkpoint_timestamps.size() != all.size())
    return error(errc::invalid_argument, std::to_string(st.all_model_checkpoint_timestamps.size()) +
                                             " timestamps for " + std::to_string(all.size()) + " checkpoint paths")
        .in_file(state_path);
  if (!detail::is_absolute_path(dir)) TFCKPT_TRY(rewrite(false));
  if (st.model_checkpoint_path == state_path)
    return error(errc::invalid_argument, "save path '" + st.model_checkpoint_path +
                                             "' conflicts with the checkpoint state file").in_file(state_path);
  for (const std::string* p : paths())
    if (!detail::is_valid_utf8(*p) || p->find('\0') != std::string::npos)
      return error(errc::invalid_argument, "checkpoint path '" + error::printable(*p) +
                                               "' is not valid UTF-8 or contains NUL: TensorFlow could not read it")
          .in_file(state_path);
  return detail::atomic_write_file(state_path, format_checkpoint_state(st, opt));
}

// Public: the strict UTF-8 check the state file uses, for programs (the tfckpt CLI) that decide
// whether a key or byte string can be shown as text.
using detail::is_valid_utf8;
using detail::utf8_sequence_length;

}  // namespace tfckpt
