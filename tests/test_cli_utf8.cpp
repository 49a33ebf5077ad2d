// The public UTF-8 check (the state file's, which the tfckpt CLI uses to show keys as text) on
// known vectors: no overlong forms, no surrogates, nothing above U+10FFFF.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "tfckpt/format/state_file.hpp"

TEST_CASE("utf8: known valid and invalid sequences") {
  using tfckpt::is_valid_utf8;
  using tfckpt::utf8_sequence_length;
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
