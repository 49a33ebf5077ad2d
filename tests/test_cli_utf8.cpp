// tfckpt CLI: its own UTF-8 checks (tools/utf8.hpp; the library's copy is internal) agree with
// the strict decoder of the state-file parser on every 1-3 byte sequence and on 4-byte ones, and
// on known vectors: no overlong forms, no surrogates, nothing above U+10FFFF.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "../tools/utf8.hpp"
#include "tfckpt/format/state_file.hpp"

TEST_CASE("cli utf8: known valid and invalid sequences") {
  using tfckpt_cli::is_valid_utf8;
  using tfckpt_cli::utf8_sequence_length;
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x90\x8d\x88"));  // é € U+10348
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));                          // U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xc0\x80"));                            // overlong NUL
  CHECK_FALSE(is_valid_utf8("\xe0\x9f\xbf"));                        // overlong U+07FF
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));                        // surrogate U+D800
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                    // U+110000
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));                            // truncated
  CHECK_FALSE(is_valid_utf8("\x80"));                                // lone continuation
  CHECK_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));                // 5-byte form
  CHECK(utf8_sequence_length("a\xe2\x82\xac", 1) == 3);
  CHECK(utf8_sequence_length("\xe2\x82\xac", 1) == 0);  // inside a sequence
}

TEST_CASE("cli utf8: agrees with the library's strict decoder on every short sequence") {
  std::size_t compared = 0, disagreements = 0;
  auto same = [&](const std::string& s) {
    ++compared;
    if (tfckpt_cli::utf8_sequence_length(s, 0) != tfckpt::detail::utf8_sequence_length(s, 0)) ++disagreements;
  };
  std::string s;
  for (int a = 0; a < 256; ++a) {
    s.assign(1, static_cast<char>(a));
    same(s);
    for (int b = 0; b < 256; ++b) {
      s.assign({static_cast<char>(a), static_cast<char>(b)});
      same(s);
      if (a < 0xe0) continue;
      for (int c = 0; c < 256; ++c) {
        s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        same(s);
        if (a < 0xf0) continue;
        for (int d : {0x00, 0x7f, 0x80, 0x9f, 0xbf, 0xc0, 0xff}) {
          s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)});
          same(s);
        }
      }
    }
  }
  CHECK(compared > 8'000'000);
  CHECK(disagreements == 0);
}
