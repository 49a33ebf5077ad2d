// Tests for state_file.hpp: the `checkpoint` text-format CheckpointState.
//
// Reference strings marked "[py]" were produced with the project venv (/work/main/.venv:
// TensorFlow 2.21.0, protobuf 7.36.2, upb backend, Python 3.11), e.g.
//   text_format.MessageToString(checkpoint_state_pb2.CheckpointState(...))          (as_utf8 default True)
//   text_format.MessageToString(..., as_utf8=False)                                 (older protobuf default)
//   text_format.Merge(text, CheckpointState())                                      (parser acceptance)
//   checkpoint_management.update_checkpoint_state_internal(dir, ..., save_relative_paths=...)
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "bundle_test_util.hpp"
#include "tfckpt/format/state_file.hpp"

namespace fio = tfckpt::detail;
using tfckpt::checkpoint_state;
using tfckpt::errc;

#ifndef TFCKPT_CORPUS_DIR
#define TFCKPT_CORPUS_DIR "../shared/corpus"
#endif

namespace {

using tfckpt_test::read_file;
using tfckpt_test::temp_dir;

void write_text(const std::string& path, const std::string& text) { REQUIRE(fio::atomic_write_file(path, text)); }

checkpoint_state parse_ok(const std::string& text) {
  auto r = tfckpt::parse_checkpoint_state(text);
  if (!r) FAIL_CHECK(r.error().to_string());
  REQUIRE(r);
  return *r;
}

std::string parse_error(const std::string& text) {
  auto r = tfckpt::parse_checkpoint_state(text);
  REQUIRE_FALSE(r);
  return r.error().to_string();
}

bool same_bits(double a, double b) {
  std::uint64_t x = 0, y = 0;
  std::memcpy(&x, &a, 8);
  std::memcpy(&y, &b, 8);
  return x == y;
}

}  // namespace

TEST_CASE("state file: every corpus checkpoint file parses and re-formats byte-identically") {
  const std::string corpus = TFCKPT_CORPUS_DIR;
  auto dirs = fio::list_directory(corpus);
  REQUIRE(dirs);
  int seen = 0;
  for (const auto& d : *dirs) {
    const std::string path = corpus + "/" + d + "/checkpoint";
    if (!fio::file_exists(path) || fio::is_directory(path)) continue;
    CAPTURE(path);
    const std::string text = read_file(path);
    checkpoint_state st = parse_ok(text);
    CHECK_FALSE(st.model_checkpoint_path.empty());
    CHECK(tfckpt::format_checkpoint_state(st) == text);
    ++seen;
  }
  CHECK(seen >= 7);
}

TEST_CASE("state file: the CheckpointManager corpus file has paths, timestamps and last_preserved") {
  auto st = parse_ok(read_file(std::string(TFCKPT_CORPUS_DIR) + "/tf2_checkpointmanager_iterator_variant/checkpoint"));
  CHECK(st.model_checkpoint_path == "ckpt-40");
  CHECK(st.all_model_checkpoint_paths == std::vector<std::string>{"ckpt-38", "ckpt-39", "ckpt-40"});
  REQUIRE(st.all_model_checkpoint_timestamps.size() == 3);
  CHECK(same_bits(st.all_model_checkpoint_timestamps[1], 1631786674.9779377));
  CHECK(same_bits(st.last_preserved_timestamp, 1631779547.777057));
}

TEST_CASE("state file: formatting reproduces Python text_format output") {
  checkpoint_state st;
  st.model_checkpoint_path = "ckpt-3";
  st.all_model_checkpoint_paths = {"ckpt-1", "ckpt-2", "ckpt-3"};
  st.all_model_checkpoint_timestamps = {1620981517.4625523, 1620981518.0, 1620981519.25};
  st.last_preserved_timestamp = 1620875220.7940528;
  // [py]
  CHECK(tfckpt::format_checkpoint_state(st) ==
        "model_checkpoint_path: \"ckpt-3\"\n"
        "all_model_checkpoint_paths: \"ckpt-1\"\n"
        "all_model_checkpoint_paths: \"ckpt-2\"\n"
        "all_model_checkpoint_paths: \"ckpt-3\"\n"
        "all_model_checkpoint_timestamps: 1620981517.4625523\n"
        "all_model_checkpoint_timestamps: 1620981518.0\n"
        "all_model_checkpoint_timestamps: 1620981519.25\n"
        "last_preserved_timestamp: 1620875220.7940528\n");

  // Non-ASCII path "/tmp/café/日本/ckpt-1". [py] as_utf8=True (protobuf >= 5.26) / as_utf8=False.
  checkpoint_state u;
  u.model_checkpoint_path = "/tmp/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/ckpt-1";
  u.all_model_checkpoint_paths = {u.model_checkpoint_path};
  CHECK(tfckpt::format_checkpoint_state(u) ==
        "model_checkpoint_path: \"/tmp/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/ckpt-1\"\n"
        "all_model_checkpoint_paths: \"/tmp/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/ckpt-1\"\n");
  CHECK(tfckpt::format_checkpoint_state(u, {/*escape_non_ascii=*/true}) ==
        "model_checkpoint_path: \"/tmp/caf\\303\\251/\\346\\227\\245\\346\\234\\254/ckpt-1\"\n"
        "all_model_checkpoint_paths: \"/tmp/caf\\303\\251/\\346\\227\\245\\346\\234\\254/ckpt-1\"\n");

  // Quotes, backslash, control bytes, DEL, U+0085 and an emoji. [py]
  checkpoint_state q;
  const char raw[] = "it's \"quoted\" \\ back\tslash\n\r\0\x1f\x7f\xc2\x85 \xf0\x9f\x98\x80";
  q.model_checkpoint_path = std::string(raw, sizeof raw - 1);
  CHECK(tfckpt::format_checkpoint_state(q) ==
        "model_checkpoint_path: \"it\\'s \\\"quoted\\\" \\\\ back\\tslash\\n\\r\\000\\037\\177\xc2\x85 \xf0\x9f\x98\x80\"\n");

  // Defaults are omitted; -0.0 and nan are not defaults for upb. [py]
  CHECK(tfckpt::format_checkpoint_state({}).empty());
  checkpoint_state z;
  z.last_preserved_timestamp = -0.0;
  CHECK(tfckpt::format_checkpoint_state(z) == "last_preserved_timestamp: -0.0\n");
  z.last_preserved_timestamp = std::numeric_limits<double>::quiet_NaN();
  CHECK(tfckpt::format_checkpoint_state(z) == "last_preserved_timestamp: nan\n");
}

TEST_CASE("state file: doubles print as Python repr") {
  struct c { double v; const char* repr; };
  // [py] repr(v) for each value
  for (const c& x : {c{0.1, "0.1"}, c{1.0 / 3, "0.3333333333333333"}, c{2.0 / 3, "0.6666666666666666"},
                     c{100.0, "100.0"}, c{123456.789, "123456.789"}, c{1e15, "1000000000000000.0"},
                     c{1e16, "1e+16"}, c{1.5e16, "1.5e+16"}, c{9999999999999998.0, "9999999999999998.0"},
                     c{0.0001, "0.0001"}, c{0.00001, "1e-05"}, c{5e-05, "5e-05"}, c{1.25e-5, "1.25e-05"},
                     c{1.1e-4, "0.00011"}, c{5e-324, "5e-324"}, c{2.2250738585072014e-308, "2.2250738585072014e-308"},
                     c{1.7976931348623157e308, "1.7976931348623157e+308"}, c{-1.5, "-1.5"},
                     c{12345678901234567890.0, "1.2345678901234567e+19"}, c{0.5, "0.5"}, c{1e100, "1e+100"},
                     c{9007199254740993.0, "9007199254740992.0"}, c{4.35, "4.35"}, c{0.0, "0.0"}, c{-0.0, "-0.0"},
                     c{1620981517.4625523, "1620981517.4625523"}, c{1e22, "1e+22"}, c{2.5e-300, "2.5e-300"},
                     c{std::numeric_limits<double>::infinity(), "inf"},
                     c{-std::numeric_limits<double>::infinity(), "-inf"},
                     c{std::numeric_limits<double>::quiet_NaN(), "nan"}}) {
    CAPTURE(x.repr);
    CHECK(fio::python_double_repr(x.v) == x.repr);
  }
}

TEST_CASE("state file: doubles round trip bit-exactly through format and parse") {
  std::uint64_t s = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 20000; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    std::uint64_t bits = s ^ (s >> 29);
    double v = 0;
    std::memcpy(&v, &bits, 8);
    if (std::isnan(v)) continue;
    checkpoint_state st;
    st.last_preserved_timestamp = v;
    auto back = tfckpt::parse_checkpoint_state(tfckpt::format_checkpoint_state(st));
    REQUIRE(back);
    if (!same_bits(back->last_preserved_timestamp, v)) {
      CAPTURE(fio::python_double_repr(v));
      FAIL_CHECK("round trip changed the value");
    }
  }
}

TEST_CASE("state file: escapes round trip for every byte") {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  all += "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\xed\xa0\x80\xc0\xaf";  // valid and invalid UTF-8
  for (bool esc : {false, true}) {
    std::string escaped = fio::text_escape(all, esc), back, why;
    REQUIRE(fio::text_unescape(escaped, back, why));
    CHECK(back == all);
    if (esc) {
      for (char ch : escaped) CHECK((static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7f));
    }
  }
  // A valid UTF-8 path survives the full format/parse cycle in both spellings.
  checkpoint_state st;
  st.model_checkpoint_path = "/d/\"q\"/'s'/\\/\t\xc3\xa9\xf0\x9f\x98\x80/\x01";
  for (bool esc : {false, true}) {
    auto back = tfckpt::parse_checkpoint_state(tfckpt::format_checkpoint_state(st, {esc}));
    REQUIRE(back);
    CHECK(back->model_checkpoint_path == st.model_checkpoint_path);
  }
}

// Each of these was accepted by text_format.Merge with the value shown. [py]
TEST_CASE("state file: parser accepts the text_format syntax TF accepts") {
  CHECK(parse_ok("model_checkpoint_path: \"\\q\\?\"").model_checkpoint_path == "\\q\\?");
  CHECK(parse_ok("model_checkpoint_path: \"\\x4\"").model_checkpoint_path == "\x04");
  CHECK(parse_ok("model_checkpoint_path: \"\\x414\"").model_checkpoint_path == "A4");
  CHECK(parse_ok("model_checkpoint_path: \"\\101\\0\\12\"").model_checkpoint_path == std::string("A\0\n", 3));
  CHECK(parse_ok("model_checkpoint_path: \"\\u00e9\\U0001F600\"").model_checkpoint_path == "\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(parse_ok("model_checkpoint_path: \"\\303\" '\\251'").model_checkpoint_path == "\xc3\xa9");
  CHECK(parse_ok("model_checkpoint_path: 'it\"s'").model_checkpoint_path == "it\"s");
  CHECK(parse_ok("model_checkpoint_path: \"a\\\\\"").model_checkpoint_path == "a\\");
  CHECK(parse_ok("model_checkpoint_path: \"a\"; model_checkpoint_path: \"b\",").model_checkpoint_path == "b");
  CHECK(parse_ok("model_checkpoint_path: \"x\" model_checkpoint_path: \"\"").model_checkpoint_path.empty());
  CHECK(parse_ok("model_checkpoint_path:\n\"x\"\n\n\"y\"").model_checkpoint_path == "xy");
  CHECK(parse_ok("\vmodel_checkpoint_path: \"x\"\f").model_checkpoint_path == "x");
  CHECK(parse_ok("model_checkpoint_path: \"\xc3\xa9\xc2\xa0\"").model_checkpoint_path == "\xc3\xa9\xc2\xa0");
  auto two = parse_ok("model_checkpoint_path:\"a\"all_model_checkpoint_paths:\"b\"");
  CHECK(two.model_checkpoint_path == "a");
  CHECK(two.all_model_checkpoint_paths == std::vector<std::string>{"b"});
  auto lists = parse_ok("# comment\r\nall_model_checkpoint_timestamps: [1, 2.5, inf] # trailing\n"
                        "all_model_checkpoint_paths: []\nall_model_checkpoint_paths: [\"p\", 'q']\n");
  CHECK(lists.all_model_checkpoint_timestamps == std::vector<double>{1.0, 2.5, std::numeric_limits<double>::infinity()});
  CHECK(lists.all_model_checkpoint_paths == std::vector<std::string>{"p", "q"});

  struct fc { const char* tok; double v; };
  const double inf = std::numeric_limits<double>::infinity();
  for (const fc& c : {fc{"1_0.5", 10.5}, fc{"+01.5", 1.5}, fc{"-INFINITYF", -inf}, fc{"1.5ff", 1.5}, fc{"1e400", inf},
                      fc{"-1e-400", -0.0}, fc{".5", 0.5}, fc{"5.", 5.0}, fc{"1e5f", 100000.0}, fc{"inff", inf},
                      fc{"+inf", inf}, fc{"0", 0.0}, fc{"-0", -0.0}, fc{"0e5", 0.0}, fc{"1E5", 100000.0},
                      fc{"1.e5", 100000.0}, fc{"1e1_0", 1e10}, fc{"5e-324", 5e-324}}) {
    CAPTURE(c.tok);
    auto st = parse_ok(std::string("last_preserved_timestamp: ") + c.tok);
    CHECK(same_bits(st.last_preserved_timestamp, c.v));
  }
  for (const char* nan : {"nan", "nanf", "-nan", "NaN"})
    CHECK(std::isnan(parse_ok(std::string("last_preserved_timestamp: ") + nan).last_preserved_timestamp));
}

// Each of these made text_format.Merge raise ParseError (TF then ignores the file). [py]
TEST_CASE("state file: parser rejects what TF rejects, naming line and column") {
  CHECK(parse_error("\n\n  bogus_field: \"x\"").find("line 3, column 3: message type \"tensorflow.CheckpointState\" "
                                                      "has no field named 'bogus_field'") != std::string::npos);
  CHECK(parse_error("foo: 1").find("line 1, column 1") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path \"a\"").find("line 1, column 23: expected ':'") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"abc").find("missing ending quote") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"a\n\"").find("line 1, column 24") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"\\777\"").find("octal") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"\\ud800\"").find("Unicode") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"\\377\"").find("not valid UTF-8") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"\\x\"").find("truncated") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"\\u12\"").find("truncated") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: []").find("expected string") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"a\" # c\n all_model_checkpoint_paths: [\"x\", \"y\",]")
            .find("line 2, column 40: expected string") != std::string::npos);
  CHECK(parse_error("[ext]: 1").find("does not have extensions") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"ok\"\n: \"x\"").find("line 2, column 1: expected field name") !=
        std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"ok\"\n123: 1").find("no field named '123'") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"\\N{LATIN SMALL LETTER A}\"").find("not supported") != std::string::npos);
  CHECK(parse_error("model_checkpoint_path: \"x\"\n\xff\n").find("line 2, column 1: invalid UTF-8") != std::string::npos);
  for (const char* tok : {"01.5", "00", "0x10", "\"1\"", "-", "- 1", "1.2.3", "1e", "+inff", "1__0", "1_", "1_e5",
                          ".e5", ""}) {
    CAPTURE(tok);
    auto err = parse_error(std::string("last_preserved_timestamp: ") + tok);
    CHECK(err.find("line 1, column 27") != std::string::npos);
    CHECK(err.find("[corruption]") != std::string::npos);
  }
}

TEST_CASE("state file: hostile input is bounded and never crashes") {
  tfckpt::state_parse_limits lim;
  lim.max_line_bytes = 100;
  lim.max_values = 3;
  lim.max_bytes = 1000;
  auto long_line = tfckpt::parse_checkpoint_state("model_checkpoint_path: \"" + std::string(200, 'a') + "\"", lim);
  REQUIRE_FALSE(long_line);
  CHECK(long_line.error().code == errc::limit_exceeded);
  auto many = tfckpt::parse_checkpoint_state("all_model_checkpoint_timestamps: [1, 2, 3, 4]", lim);
  REQUIRE_FALSE(many);
  CHECK(many.error().code == errc::limit_exceeded);
  auto huge = tfckpt::parse_checkpoint_state(std::string(2000, ' '), lim);
  REQUIRE_FALSE(huge);
  CHECK(huge.error().code == errc::limit_exceeded);
  CHECK(tfckpt::parse_checkpoint_state(std::string(100, '\n'), lim));  // empty message is fine

  // Mutations of a valid file: any outcome is acceptable except a crash (run under ASan/UBSan).
  const std::string base = read_file(std::string(TFCKPT_CORPUS_DIR) + "/tf2_checkpointmanager_iterator_variant/checkpoint");
  const char alphabet[] = "\"'\\#[],;:\n x0.e-+_fnu7\xc3\xa9\xff\x00";
  std::uint64_t s = 42;
  for (int i = 0; i < 20000; ++i) {
    std::string t = base;
    for (int k = 0; k < 1 + i % 4; ++k) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      std::size_t pos = static_cast<std::size_t>(s >> 33) % t.size();
      char ch = alphabet[(s >> 17) % (sizeof alphabet - 1)];
      switch ((s >> 9) % 3) {
        case 0: t[pos] = ch; break;
        case 1: t.insert(pos, 1, ch); break;
        default: t.erase(pos, 1 + (s >> 5) % 8);
      }
    }
    auto r = tfckpt::parse_checkpoint_state(t);
    if (r) (void)tfckpt::format_checkpoint_state(*r);
    else CHECK(!r.error().message.empty());
  }
}

TEST_CASE("state file: get_checkpoint_state joins relative paths and keeps absolute and '..' ones") {
  temp_dir d;
  write_text(d / "checkpoint",
             "model_checkpoint_path: \"ckpt-2\"\n"
             "all_model_checkpoint_paths: \"../elsewhere/ckpt-1\"\n"
             "all_model_checkpoint_paths: \"/abs/ckpt-0\"\n"
             "all_model_checkpoint_paths: \"ckpt-2\"\n");
  auto st = tfckpt::get_checkpoint_state(d.path());
  REQUIRE(st);
  CHECK(st->model_checkpoint_path == d / "ckpt-2");
  // TF accepts paths leaving the directory; so do we (documented in state_file.hpp).
  CHECK(st->all_model_checkpoint_paths == std::vector<std::string>{d / "../elsewhere/ckpt-1", "/abs/ckpt-0", d / "ckpt-2"});

  write_text(d / "other_state", "model_checkpoint_path: \"/abs/x\"\n");
  auto other = tfckpt::get_checkpoint_state(d.path(), "other_state");
  REQUIRE(other);
  CHECK(other->model_checkpoint_path == "/abs/x");
}

TEST_CASE("state file: get_checkpoint_state reports missing, garbage and empty state files") {
  temp_dir d;
  auto missing = tfckpt::get_checkpoint_state(d.path());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);

  write_text(d / "checkpoint", "model_checkpoint_path: \"ckpt-1\"\nall_model_checkpoint_paths \"ckpt-1\"\n");
  auto garbage = tfckpt::get_checkpoint_state(d.path());
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().code == errc::corruption);
  CHECK(garbage.error().file == d / "checkpoint");
  CHECK(garbage.error().message.find("line 2") != std::string::npos);

  write_text(d / "checkpoint", "all_model_checkpoint_paths: \"ckpt-1\"\n");
  auto empty = tfckpt::get_checkpoint_state(d.path());
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == errc::invalid_argument);

  write_text(d / "checkpoint", "");
  CHECK(tfckpt::get_checkpoint_state(d.path()).error().code == errc::invalid_argument);
}

TEST_CASE("state file: latest_checkpoint for relative and absolute paths and a missing index") {
  temp_dir d;
  write_text(d / "ckpt-2.index", "");
  write_text(d / "checkpoint", "model_checkpoint_path: \"ckpt-2\"\n");
  auto rel = tfckpt::latest_checkpoint(d.path());
  REQUIRE(rel);
  CHECK(*rel == d / "ckpt-2");

  write_text(d / "checkpoint", "model_checkpoint_path: \"" + d / "ckpt-2" + "\"\n");
  auto abs = tfckpt::latest_checkpoint(d.path());
  REQUIRE(abs);
  CHECK(*abs == d / "ckpt-2");

  write_text(d / "checkpoint", "model_checkpoint_path: \"ckpt-3\"\n");
  auto gone = tfckpt::latest_checkpoint(d.path());
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == errc::not_found);
  CHECK(gone.error().message.find("ckpt-3.index' does not exist") != std::string::npos);

  write_text(d / "ckpt-3", "v1 data");  // a bare prefix file: legacy V1, named in the message
  CHECK(tfckpt::latest_checkpoint(d.path()).error().message.find("legacy V1") != std::string::npos);

  write_text(d / "checkpoint", "model_checkpoint_path: \"../outside/ckpt-9\"\n");
  auto outside = tfckpt::latest_checkpoint(d.path());
  REQUIRE_FALSE(outside);
  CHECK(outside.error().message.find("ckpt-9.index") != std::string::npos);

  CHECK(tfckpt::latest_checkpoint(d / "nope").error().code == errc::not_found);

  const std::string corpus = TFCKPT_CORPUS_DIR;
  auto mgr = tfckpt::latest_checkpoint(corpus + "/tf2_checkpointmanager_iterator_variant");
  REQUIRE(mgr);
  CHECK(*mgr == corpus + "/tf2_checkpointmanager_iterator_variant/ckpt-40");
  // Keras-Tuner saved weights under the prefix "checkpoint", next to the state file itself.
  auto named = tfckpt::latest_checkpoint(corpus + "/tf2_keras_weights_prefix_named_checkpoint");
  REQUIRE(named);
  CHECK(*named == corpus + "/tf2_keras_weights_prefix_named_checkpoint/checkpoint");
}

// Expected file contents are what checkpoint_management.update_checkpoint_state_internal wrote
// for the same arguments. [py]
TEST_CASE("state file: update_checkpoint_state writes what TF writes") {
  temp_dir d;
  auto update = [&](checkpoint_state st, bool relative) {
    return tfckpt::update_checkpoint_state(d.path(), std::move(st), relative);
  };
  checkpoint_state a;
  a.model_checkpoint_path = d / "ckpt-2";
  a.all_model_checkpoint_paths = {d / "ckpt-1", d / "ckpt-2"};
  a.all_model_checkpoint_timestamps = {1.5, 2.5};
  a.last_preserved_timestamp = 0.25;
  REQUIRE(update(a, true));
  CHECK(read_file(d / "checkpoint") ==
        "model_checkpoint_path: \"ckpt-2\"\nall_model_checkpoint_paths: \"ckpt-1\"\n"
        "all_model_checkpoint_paths: \"ckpt-2\"\nall_model_checkpoint_timestamps: 1.5\n"
        "all_model_checkpoint_timestamps: 2.5\nlast_preserved_timestamp: 0.25\n");

  checkpoint_state b;  // the model path is appended when it is not last
  b.model_checkpoint_path = d / "ckpt-2";
  b.all_model_checkpoint_paths = {d / "ckpt-1"};
  REQUIRE(update(b, true));
  CHECK(read_file(d / "checkpoint") ==
        "model_checkpoint_path: \"ckpt-2\"\nall_model_checkpoint_paths: \"ckpt-1\"\nall_model_checkpoint_paths: \"ckpt-2\"\n");

  checkpoint_state e;  // save_relative_paths=False keeps absolute paths
  e.model_checkpoint_path = d / "ckpt-2";
  REQUIRE(update(e, false));
  CHECK(read_file(d / "checkpoint") == "model_checkpoint_path: \"" + d / "ckpt-2" + "\"\nall_model_checkpoint_paths: \"" +
                                           d / "ckpt-2" + "\"\n");

  checkpoint_state h;  // outside the directory: "../"
  h.model_checkpoint_path = "/tmp/other/ckpt-1";
  REQUIRE(update(h, true));
  std::string up = *fio::relative_path("/tmp/other/ckpt-1", d.path());
  CHECK(up == "../other/ckpt-1");
  CHECK(read_file(d / "checkpoint") ==
        "model_checkpoint_path: \"" + up + "\"\nall_model_checkpoint_paths: \"" + up + "\"\n");

  // TF compares the final string with the state file path: absolute "…/checkpoint" is refused,
  // the relative "checkpoint" it becomes with save_relative_paths is allowed.
  checkpoint_state f;
  f.model_checkpoint_path = d / "checkpoint";
  auto conflict = update(f, false);
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().code == errc::invalid_argument);
  CHECK(conflict.error().message.find("conflicts") != std::string::npos);
  REQUIRE(update(f, true));
  CHECK(read_file(d / "checkpoint") == "model_checkpoint_path: \"checkpoint\"\nall_model_checkpoint_paths: \"checkpoint\"\n");

  checkpoint_state i;  // timestamps must match the (extended) path list
  i.model_checkpoint_path = "ckpt-1";
  i.all_model_checkpoint_paths = {"ckpt-1"};
  i.all_model_checkpoint_timestamps = {1.0, 2.0};
  CHECK(update(i, true).error().code == errc::invalid_argument);

  CHECK(update({}, true).error().code == errc::invalid_argument);
  checkpoint_state bad;
  bad.model_checkpoint_path = "ckpt-\xff";
  CHECK(update(bad, true).error().code == errc::invalid_argument);

  auto names = fio::list_directory(d.path());
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"checkpoint"});  // no temp files left behind
}

TEST_CASE("state file: update_checkpoint_state with a relative directory rewrites relative paths") {
  temp_dir d;
  auto cwd = fio::current_directory();
  REQUIRE(cwd);
  auto rel_dir_r = fio::relative_path(d.path(), *cwd);
  REQUIRE(rel_dir_r);
  const std::string rel_dir = *rel_dir_r;  // e.g. "../../tmp/tfckpt_state_XXXXXX"

  checkpoint_state c;  // [py] dir "d", path "d/ckpt-7" -> "ckpt-7"
  c.model_checkpoint_path = rel_dir + "/ckpt-7";
  c.all_model_checkpoint_paths = {c.model_checkpoint_path};
  REQUIRE(tfckpt::update_checkpoint_state(rel_dir, c));
  CHECK(read_file(d / "checkpoint") == "model_checkpoint_path: \"ckpt-7\"\nall_model_checkpoint_paths: \"ckpt-7\"\n");

  // [py] dir "d", absolute "<cwd>/d/sub/ckpt-7" -> "../sub/ckpt-7": TF rewrites twice (relpath
  // for the absolute path, then again because the directory is relative).
  checkpoint_state twice;
  twice.model_checkpoint_path = d / "sub/ckpt-7";
  REQUIRE(tfckpt::update_checkpoint_state(rel_dir, twice));
  auto expect = fio::relative_path(*cwd + "/sub/ckpt-7", d.path());
  REQUIRE(expect);
  CHECK(read_file(d / "checkpoint") ==
        "model_checkpoint_path: \"" + *expect + "\"\nall_model_checkpoint_paths: \"" + *expect + "\"\n");

  // And the result reads back through get_checkpoint_state (joined to the relative dir).
  auto st = tfckpt::get_checkpoint_state(rel_dir);
  REQUIRE(st);
  CHECK(st->model_checkpoint_path == rel_dir + "/" + *expect);
}

TEST_CASE("state file: update then read back round trips and leaves no temp files") {
  temp_dir d;
  checkpoint_state st;
  st.model_checkpoint_path = d / "ckpt-3";
  st.all_model_checkpoint_paths = {d / "ckpt-1", d / "ckpt-2", d / "ckpt-3"};
  st.all_model_checkpoint_timestamps = {1631786674.830938, 1631786674.9779377, 1631786675.111937};
  st.last_preserved_timestamp = 1631779547.777057;
  for (int k = 0; k < 5; ++k) REQUIRE(tfckpt::update_checkpoint_state(d.path(), st));
  auto back = tfckpt::get_checkpoint_state(d.path());
  REQUIRE(back);
  CHECK(back->model_checkpoint_path == st.model_checkpoint_path);
  CHECK(back->all_model_checkpoint_paths == st.all_model_checkpoint_paths);
  CHECK(back->all_model_checkpoint_timestamps == st.all_model_checkpoint_timestamps);
  CHECK(same_bits(back->last_preserved_timestamp, st.last_preserved_timestamp));
  CHECK(fio::list_directory(d.path())->size() == 1);

  // A state file that is a directory: the write fails and the directory is untouched.
  temp_dir e;
  REQUIRE(fio::make_directories(e / "checkpoint/keep"));
  auto r = tfckpt::update_checkpoint_state(e.path(), st);
  REQUIRE_FALSE(r);
  CHECK(fio::is_directory(e / "checkpoint/keep"));
  CHECK(fio::list_directory(e.path())->size() == 1);
}
