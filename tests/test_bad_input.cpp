// The bad-input suite: one test per class of damage. Each asserts the exact error code, a
// message substring, and that error::to_string() names the file (and the key where there is
// one). Run under ASan+UBSan in CI: nothing here may crash.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bundle_craft.hpp"
#include "bundle_test_util.hpp"
#include "tfckpt/bundle/reader.hpp"
#include "tfckpt/graph/restore.hpp"
#include "tfckpt/format/state_file.hpp"

#ifndef TFCKPT_FIXTURES_DIR
#define TFCKPT_FIXTURES_DIR "tests/fixtures"
#endif

using namespace tfckpt;
using craft::make_entry;
using tfckpt_test::temp_dir;

namespace {
const std::string fixtures = TFCKPT_FIXTURES_DIR;

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// The error of opening `prefix` and verifying it (or reading `key`), whichever fails first.
error failure(const std::string& path, std::string_view key = {}) {
  auto r = bundle_reader::open(path);
  if (!r) return r.error();
  if (!key.empty()) {
    auto t = r->read(key);
    return t ? error{} : t.error();
  }
  auto v = r->verify();
  return v ? error{} : v.error();
}

// Writes a one-shard bundle from crafted entries and data bytes into `dir`/ckpt.
std::string write_crafted(const temp_dir& dir, std::vector<std::pair<std::string, bundle_entry>> entries,
                          std::string_view data) {
  REQUIRE(tfckpt_test::write_all(dir / "ckpt.index", craft::make_index(std::move(entries))));
  REQUIRE(tfckpt_test::write_all(dir / "ckpt.data-00000-of-00001", data));
  return dir / "ckpt";
}
}  // namespace

TEST_CASE("bad input: truncated index") {
  temp_dir d;
  REQUIRE(d.copy_from(fixtures + "/strings"));
  const std::string index = tfckpt_test::read_file(d / "ckpt.index");
  SUBCASE("shorter than a footer") {
    REQUIRE(tfckpt_test::write_all(d / "ckpt.index", index.substr(0, 30)));
    const error e = failure(d / "ckpt");
    CHECK(e.code == errc::corruption);
    CHECK(has(e.message, "too short to be an sstable"));
    CHECK(has(e.to_string(), "ckpt.index"));
  }
  SUBCASE("cut in the middle: the footer is gone") {
    REQUIRE(tfckpt_test::write_all(d / "ckpt.index", index.substr(0, index.size() / 2)));
    const error e = failure(d / "ckpt");
    CHECK(e.code == errc::corruption);
    CHECK(has(e.message, "bad magic number"));
    CHECK(has(e.to_string(), "ckpt.index"));
  }
  SUBCASE("empty file") {
    REQUIRE(tfckpt_test::write_all(d / "ckpt.index", ""));
    const error e = failure(d / "ckpt");
    CHECK(e.code == errc::corruption);
    CHECK(has(e.to_string(), "ckpt.index: "));
  }
}

TEST_CASE("bad input: wrong magic number") {
  temp_dir d;
  REQUIRE(d.copy_from(fixtures + "/strings"));
  std::string index = tfckpt_test::read_file(d / "ckpt.index");
  index.back() = static_cast<char>(index.back() ^ 0x01);
  REQUIRE(tfckpt_test::write_all(d / "ckpt.index", index));
  const error e = failure(d / "ckpt");
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "not an sstable (bad magic number)"));
  CHECK(e.offset == index.size() - 8);
  CHECK(has(e.to_string(), "ckpt.index: at offset " + std::to_string(index.size() - 8)));
}

TEST_CASE("bad input: bad block type (with a matching checksum)") {
  temp_dir d;
  REQUIRE(d.copy_from(fixtures + "/strings"));
  std::string index = tfckpt_test::read_file(d / "ckpt.index");
  const auto h = craft::footer_index_handle(index);
  index[h.offset + h.size] = 7;  // the type byte
  craft::refresh_crc(index, h);
  REQUIRE(tfckpt_test::write_all(d / "ckpt.index", index));
  const error e = failure(d / "ckpt");
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "bad block type 7"));
  CHECK(e.offset == h.offset);
  CHECK(has(e.to_string(), "ckpt.index"));
}

TEST_CASE("bad input: a flipped block byte is a checksum mismatch naming the block") {
  temp_dir d;
  REQUIRE(d.copy_from(fixtures + "/strings"));
  std::string index = tfckpt_test::read_file(d / "ckpt.index");
  const auto h = craft::first_data_handle(index);
  index[h.offset + 1] = static_cast<char>(index[h.offset + 1] ^ 0x40);
  REQUIRE(tfckpt_test::write_all(d / "ckpt.index", index));
  const error e = failure(d / "ckpt");
  CHECK(e.code == errc::checksum_mismatch);
  CHECK(has(e.message, "block checksum mismatch"));
  CHECK(e.offset == h.offset);
  CHECK(has(e.to_string(), "ckpt.index"));
}

TEST_CASE("bad input: bad varint in a block entry") {
  temp_dir d;
  REQUIRE(d.copy_from(fixtures + "/strings"));
  std::string index = tfckpt_test::read_file(d / "ckpt.index");
  const auto h = craft::first_data_handle(index);
  for (int i = 0; i < 5; ++i) index[h.offset + static_cast<std::size_t>(i)] = '\xff';  // 5 continuation bytes
  craft::refresh_crc(index, h);
  REQUIRE(tfckpt_test::write_all(d / "ckpt.index", index));
  const error e = failure(d / "ckpt");
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "bad block: entry at block offset 0"));
  CHECK(e.offset == h.offset);
  CHECK(has(e.to_string(), "ckpt.index"));
}

TEST_CASE("bad input: bad varint inside a BundleEntryProto") {
  temp_dir d;
  bundle_entry ok = make_entry(dtype::int32, {}, 0, 4);
  std::string value = encode_bundle_entry(ok);
  value += "\x28\xff\xff";  // field 5 (size): truncated varint
  const std::string block = craft::raw_block({{"", encode_bundle_header({})}, {"x", value}});
  REQUIRE(tfckpt_test::write_all(d / "ckpt.index", craft::table_with_block(block, "x")));
  REQUIRE(tfckpt_test::write_all(d / "ckpt.data-00000-of-00001", "abcd"));
  const error e = failure(d / "ckpt");
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "malformed BundleEntryProto: truncated field"));
  CHECK(e.key == "x");
  CHECK(has(e.to_string(), "ckpt.index: key 'x'"));
}

TEST_CASE("bad input: shape and size disagree") {
  temp_dir d;
  const auto prefix = write_crafted(d, {{"w", make_entry(dtype::float32, {2, 3}, 0, 20)}}, std::string(24, '\0'));
  const error e = failure(prefix, "w");
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "invalid size in bundle entry: 20 bytes for "));
  CHECK(has(e.message, "[2,3]"));
  CHECK(e.key == "w");
  CHECK(has(e.to_string(), "ckpt.data-00000-of-00001: key 'w'"));
  CHECK(failure(prefix).code == errc::corruption);  // verify() agrees
}

TEST_CASE("bad input: missing data shard") {
  temp_dir d;
  REQUIRE(d.copy_from(fixtures + "/three_shards"));
  REQUIRE(std::remove((d / "ckpt.data-00001-of-00003").c_str()) == 0);
  auto r = bundle_reader::open(d / "ckpt");
  REQUIRE(r);  // the index alone opens; data files are opened on first use
  auto v = r->verify();
  REQUIRE_FALSE(v);
  CHECK(v.error().code == errc::not_found);
  CHECK(has(v.error().message, "missing data file (shard 1 of 3)"));
  CHECK(has(v.error().to_string(), "ckpt.data-00001-of-00003"));
  CHECK_FALSE(v.error().key.empty());
}

TEST_CASE("bad input: duplicate keys in a block") {
  temp_dir d;
  const std::string v = encode_bundle_entry(make_entry(dtype::int32, {}, 0, 4));
  const std::string block = craft::raw_block({{"", encode_bundle_header({})}, {"a", v}, {"a", v}});
  REQUIRE(tfckpt_test::write_all(d / "ckpt.index", craft::table_with_block(block, "a")));
  REQUIRE(tfckpt_test::write_all(d / "ckpt.data-00000-of-00001", "abcd"));
  const error e = failure(d / "ckpt");
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "keys out of order"));
  CHECK(e.offset == 0);
  CHECK(has(e.to_string(), "ckpt.index"));
}

TEST_CASE("bad input: unsorted keys in a block") {
  temp_dir d;
  const std::string v = encode_bundle_entry(make_entry(dtype::int32, {}, 0, 4));
  const std::string block = craft::raw_block({{"", encode_bundle_header({})}, {"b", v}, {"a", v}});
  REQUIRE(tfckpt_test::write_all(d / "ckpt.index", craft::table_with_block(block, "b")));
  REQUIRE(tfckpt_test::write_all(d / "ckpt.data-00000-of-00001", "abcd"));
  const error e = failure(d / "ckpt");
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "keys out of order at block offset"));
  CHECK(has(e.to_string(), "ckpt.index"));
}

TEST_CASE("bad input: a key after its block's index key") {
  temp_dir d;
  const std::string v = encode_bundle_entry(make_entry(dtype::int32, {}, 0, 4));
  const std::string block = craft::raw_block({{"", encode_bundle_header({})}, {"z", v}});
  REQUIRE(tfckpt_test::write_all(d / "ckpt.index", craft::table_with_block(block, "m")));
  REQUIRE(tfckpt_test::write_all(d / "ckpt.data-00000-of-00001", "abcd"));
  const error e = failure(d / "ckpt");
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "sorts after its block's index key"));
}

namespace {
// A bundle whose object graph is `g` (no values needed: object_graph() only reads the graph).
error graph_failure(const temp_dir& d, const trackable_object_graph& g) {
  std::string rec;
  const std::vector<std::string> elems = {encode_object_graph(g)};
  const std::uint32_t crc = detail::encode_string_record(elems, rec);
  const auto prefix = write_crafted(
      d, {{std::string(object_graph_key), make_entry(dtype::string, {}, 0, static_cast<std::int64_t>(rec.size()), 0, detail::crc32c_mask(crc))}},
      rec);
  auto r = bundle_reader::open(prefix);
  if (!r) return r.error();
  auto og = r->object_graph();
  return og ? error{} : og.error();
}
}  // namespace

TEST_CASE("bad input: dangling node id in the object graph") {
  temp_dir d;
  trackable_object_graph g;
  g.nodes.resize(2);
  g.nodes[0].children = {{1, "layer"}, {5, "ghost"}};
  const error e = graph_failure(d, g);
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "object graph node 0: child 'ghost' refers to node 5 of 2"));
  CHECK(e.key == object_graph_key);
  CHECK(has(e.to_string(), "ckpt.index: key '_CHECKPOINTABLE_OBJECT_GRAPH'"));
}

TEST_CASE("bad input: a slot variable naming a missing node") {
  temp_dir d;
  trackable_object_graph g;
  g.nodes.resize(3);
  g.nodes[0].children = {{1, "w"}, {2, "optimizer"}};
  g.nodes[2].slot_variables = {{1, "m", 9}};
  const error e = graph_failure(d, g);
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "slot 'm' variable refers to node 9 of 3"));
  CHECK(has(e.to_string(), "ckpt.index: key '_CHECKPOINTABLE_OBJECT_GRAPH'"));
  g.nodes[2].slot_variables = {{-1, "v", 1}};
  const error e2 = graph_failure(d, g);
  CHECK(e2.code == errc::corruption);
  CHECK(has(e2.message, "slot 'v' original variable refers to node -1"));
}

TEST_CASE("bad input: a cyclic object graph is legal (TF writes self edges) and traversals end") {
  temp_dir d;
  trackable_object_graph g;
  g.nodes.resize(3);
  g.nodes[0].children = {{1, "a"}, {0, "root_again"}};
  g.nodes[1].children = {{2, "b"}};
  g.nodes[2].children = {{1, "cycle"}};
  CHECK(graph_failure(d, g).code == errc::ok);
  CHECK(detail::saved_paths(g).size() == 3);
}

TEST_CASE("bad input: a state file with garbage") {
  temp_dir d;
  REQUIRE(d.copy_from(fixtures + "/strings"));
  REQUIRE(tfckpt_test::write_all(d / "checkpoint", "model_checkpoint_path: \"ckpt\"\n\x01garbage {{\n"));
  const error e = failure(d.path());
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "line 2, column 1"));
  CHECK(has(e.to_string(), d / "checkpoint"));
  REQUIRE(tfckpt_test::write_all(d / "checkpoint", std::string("\xff\xfe garbage", 10)));
  const error e2 = failure(d.path());
  CHECK(e2.code == errc::corruption);
  CHECK(has(e2.message, "invalid UTF-8"));
  CHECK(has(e2.to_string(), d / "checkpoint"));
}

TEST_CASE("bad input: a state file path leaving its directory") {
  // TensorFlow accepts "../x" and absolute paths in the state file and follows them; so do we
  // (get_checkpoint_state documents it). What we guarantee: no crash, and an error names the
  // state file when the target is missing.
  temp_dir d;
  REQUIRE(tfckpt_test::read_file(fixtures + "/strings/ckpt.index").size() > 0);
  const std::string dir = d / "run";
  const std::string other = d / "elsewhere";
  REQUIRE(detail::make_directories(dir));
  REQUIRE(tfckpt_test::write_all(dir + "/checkpoint", "model_checkpoint_path: \"../elsewhere/ckpt\"\n"));
  const error e = failure(dir);
  CHECK(e.code == errc::not_found);
  CHECK(has(e.message, "../elsewhere/ckpt.index' does not exist"));
  CHECK(has(e.to_string(), dir + "/checkpoint"));
  REQUIRE(detail::make_directories(other));
  for (const char* f : {"ckpt.index", "ckpt.data-00000-of-00001"})
    REQUIRE(tfckpt_test::write_all(other + "/" + f, tfckpt_test::read_file(fixtures + "/strings/" + f)));
  auto r = bundle_reader::open(dir);
  REQUIRE(r);  // followed, as TensorFlow does
  CHECK(r->prefix() == dir + "/../elsewhere/ckpt");
  CHECK(r->verify());
}

TEST_CASE("bad input: a .data file shorter than its entries claim") {
  temp_dir d;
  REQUIRE(d.copy_from(fixtures + "/strings"));
  const std::string data = tfckpt_test::read_file(d / "ckpt.data-00000-of-00001");
  REQUIRE(tfckpt_test::write_all(d / "ckpt.data-00000-of-00001", data.substr(0, data.size() / 2)));
  const error e = failure(d / "ckpt");
  CHECK(e.code == errc::corruption);
  CHECK(has(e.message, "shorter than its entries claim"));
  CHECK_FALSE(e.key.empty());
  CHECK(has(e.to_string(), "ckpt.data-00000-of-00001: key '"));
}

TEST_CASE("bad input: a flipped byte anywhere in the index or data never crashes or passes verify") {
  const std::string index = tfckpt_test::read_file(fixtures + "/strings/ckpt.index");
  const std::string data = tfckpt_test::read_file(fixtures + "/strings/ckpt.data-00000-of-00001");
  REQUIRE(bundle_reader::open_memory(index, {data}));
  // The footer pads its two handles to 40 bytes; those padding bytes are covered by nothing.
  const std::size_t footer = index.size() - detail::table_footer_size;
  std::size_t passed_in_padding = 0, passed_elsewhere = 0;
  for (std::size_t i = 0; i < index.size(); ++i) {
    std::string bad = index;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    auto r = bundle_reader::open_memory(bad, {data});
    const bool ok = r && r->verify();
    if (ok) (i >= footer && i < footer + detail::table_footer_handles ? passed_in_padding : passed_elsewhere)++;
    if (!r) {
      const auto c = r.error().code;
      CHECK((c == errc::corruption || c == errc::checksum_mismatch || c == errc::unsupported ||
             c == errc::invalid_argument || c == errc::version_mismatch));
    }
  }
  CHECK(passed_elsewhere == 0);
  for (std::size_t i = 0; i < data.size(); ++i) {
    std::string bad = data;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    auto r = bundle_reader::open_memory(index, {bad});
    REQUIRE(r);
    auto v = r->verify();
    REQUIRE_FALSE(v);
    CHECK((v.error().code == errc::checksum_mismatch || v.error().code == errc::corruption));
    CHECK_FALSE(v.error().key.empty());
  }
}
