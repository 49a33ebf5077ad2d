// tfckpt CLI: UTF-8 checks for terminal and JSON output (keys and byte strings are shown as text
// when they are valid UTF-8, escaped otherwise). Strict like Python's decoder, which is what
// TensorFlow's tooling and `tfckpt`'s Python-compatible output follow: no overlong forms, no
// surrogates, nothing above U+10FFFF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tfckpt_cli {

// Length (1-4) of the valid UTF-8 sequence starting at s[i], 0 when it is not one.
// REQUIRES: i < s.size().
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return 1;
  std::size_t len = 0;
  std::uint32_t cp = 0, min_cp = 0;
  if ((lead & 0xe0) == 0xc0) len = 2, cp = lead & 0x1fu, min_cp = 0x80;
  else if ((lead & 0xf0) == 0xe0) len = 3, cp = lead & 0x0fu, min_cp = 0x800;
  else if ((lead & 0xf8) == 0xf0) len = 4, cp = lead & 0x07u, min_cp = 0x10000;
  else return 0;  // a continuation byte or 0xf8..0xff cannot start a sequence
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3fu);
  }
  const bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
  return cp < min_cp || cp > 0x10ffff || surrogate ? 0 : len;
}

inline bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace tfckpt_cli
