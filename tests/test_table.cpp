// SSTable reader and builder: round trips, TF's exact layout (docs/format.md §3.6), the real corpus
// (open, iterate, verify, byte-identical rebuild, every byte flip detected) and hand-made
// corruptions.
#include <doctest/doctest.h>
#include <snappy.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tfckpt/format/table_builder.hpp>
#include <tfckpt/format/table_reader.hpp>
#include <utility>
#include <vector>

#include "bundle_test_util.hpp"

namespace td = tfckpt::detail;
using tfckpt::errc;
using entries_t = std::vector<std::pair<std::string, std::string>>;

namespace {

// Every table in the corpus: the V2 `.index` files and the legacy V1 file (same container). A
// missing or empty corpus fails the calling test.
std::vector<std::filesystem::path> corpus_tables() {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(TFCKPT_CORPUS_DIR, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (it->is_regular_file() && (it->path().extension() == ".index" || name == "export-00000-of-00001"))
      out.push_back(it->path());
  }
  REQUIRE_MESSAGE(!ec, "cannot list the corpus " << TFCKPT_CORPUS_DIR << ": " << ec.message());
  REQUIRE_MESSAGE(out.size() >= 10, "expected the corpus's tables under " << TFCKPT_CORPUS_DIR);
  std::sort(out.begin(), out.end());
  return out;
}

std::string rel(const std::filesystem::path& p) {
  return std::filesystem::relative(p, TFCKPT_CORPUS_DIR).generic_string();
}

// Reads all entries; on error returns the error text in `err`.
bool read_entries(const td::table_reader& t, entries_t& out, std::string& err) {
  auto it = t.make_iterator();
  for (auto r = it.seek_to_first();; r = it.next()) {
    if (!r) {
      err = r.error().to_string();
      return false;
    }
    if (!it.valid()) return true;
    out.emplace_back(it.key(), it.value());
  }
}

// True if the file opens and every block verifies.
bool opens_and_verifies(std::string_view file, bool verify_checksums = true) {
  auto t = td::table_reader::open(file, {verify_checksums, std::size_t{1} << 30});
  return t && t->verify_all_blocks();
}

// Block types of all data blocks, found through the footer and index block.
std::vector<int> data_block_types(std::string_view file) {
  std::string_view footer = file.substr(file.size() - 48, 40);
  td::block_handle meta, index;
  REQUIRE(td::get_block_handle(footer, meta));
  REQUIRE(td::get_block_handle(footer, index));
  auto ib = td::block::parse(file.substr(index.offset, index.size));
  REQUIRE(ib.has_value());
  std::vector<int> types;
  td::block_iter it(*ib, false);
  for (auto r = it.seek_to_first(); it.valid(); r = it.next()) {
    REQUIRE(r.has_value());
    std::string_view v = it.value();
    td::block_handle h;
    REQUIRE(td::get_block_handle(v, h));
    types.push_back(static_cast<unsigned char>(file[h.offset + h.size]));
  }
  return types;
}

// Assembles a table from raw blocks, for corruptions the builder cannot produce.
struct raw_table {
  std::string file;
  td::block_handle add(std::string_view contents, unsigned char type = 0) {
    td::block_handle h{file.size(), contents.size()};
    file.append(contents);
    file.push_back(static_cast<char>(type));
    const char t = static_cast<char>(type);
    td::put_fixed32(file, td::crc32c_mask(td::crc32c_extend(td::crc32c(contents.data(), contents.size()), &t, 1)));
    return h;
  }
  std::string finish(td::block_handle meta, td::block_handle index) {
    std::string f = file;
    const std::size_t at = f.size();
    td::put_block_handle(f, meta);
    td::put_block_handle(f, index);
    f.resize(at + 40, '\0');
    td::put_fixed64(f, td::table_magic);
    return f;
  }
};

std::string handle_bytes(td::block_handle h) {
  std::string s;
  td::put_block_handle(s, h);
  return s;
}

// Every entry a restart point with its full key; unlike block_builder, accepts any key order.
std::string unchecked_block(const entries_t& es) {
  std::string s;
  std::vector<std::uint32_t> restarts;
  for (const auto& [k, v] : es) {
    restarts.push_back(static_cast<std::uint32_t>(s.size()));
    td::put_varint32(s, 0);
    td::put_varint32(s, static_cast<std::uint32_t>(k.size()));
    td::put_varint32(s, static_cast<std::uint32_t>(v.size()));
    s += k + v;
  }
  if (restarts.empty()) restarts.push_back(0);
  for (auto r : restarts) td::put_fixed32(s, r);
  td::put_fixed32(s, static_cast<std::uint32_t>(restarts.size()));
  return s;
}

std::string block_of(const entries_t& es, int interval = 16) {
  td::block_builder b(interval);
  for (const auto& [k, v] : es) b.add(k, v);
  return std::string(b.finish());
}

// One- or two-data-block table from explicit index keys, for order checks.
std::string two_block_table(const entries_t& b1, const std::string& k1, const entries_t& b2,
                            const std::string& k2, unsigned char data_type = 0) {
  raw_table t;
  auto d1 = t.add(block_of(b1), data_type);
  auto d2 = t.add(block_of(b2), data_type);
  auto meta = t.add(block_of({}));
  auto index = t.add(unchecked_block({{k1, handle_bytes(d1)}, {k2, handle_bytes(d2)}}));
  return t.finish(meta, index);
}

tfckpt::error first_error(std::string_view file) {
  auto t = td::table_reader::open(file);
  if (!t) return t.error();
  auto v = t->verify_all_blocks();
  return v ? tfckpt::error() : v.error();
}

std::string random_key(std::mt19937_64& rng) {
  static const char alphabet[] = {'\0', '\x01', 'a', 'b', 'z', '/', '\x7f', '\x80', '\xfe', '\xff'};
  std::string k(rng() % 12, '\0');
  for (auto& c : k) c = rng() % 4 == 0 ? static_cast<char>(rng()) : alphabet[rng() % sizeof alphabet];
  return k;
}

}  // namespace

TEST_CASE("table: separators and successors follow docs/format.md §3.3") {
  auto sep = [](std::string a, std::string_view b) {
    td::find_shortest_separator(a, b);
    return a;
  };
  CHECK(sep("the quick brown fox", "the who") == "the r");
  CHECK(sep("abc", "abcd") == "abc");                  // prefix: unchanged
  CHECK(sep("abc", "abd") == "abc");                   // c+1 == d: unchanged
  CHECK(sep("ab\xff", "ac") == "ab\xff");              // no room in byte 1 ('b'+1 == 'c')
  CHECK(sep("a\xff" "1", "a\xff" "5") == "a\xff" "2");
  CHECK(sep(std::string("\0\x05", 2), std::string("\0\x09", 2)) == std::string("\0\x06", 2));
  auto succ = [](std::string a) {
    td::find_short_successor(a);
    return a;
  };
  CHECK(succ("layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE") == "m");
  CHECK(succ("save_counter/.ATTRIBUTES/VARIABLE_VALUE") == "t");
  CHECK(succ("\xff\xff" "a") == "\xff\xff" "b");
  CHECK(succ("\xff\xff") == "\xff\xff");
  CHECK(succ("") == "");
}

TEST_CASE("table: the docs/format.md §3.6 worked example is reproduced byte for byte") {
  // Values of the last four entries carry CRCs the spec does not list: use stand-ins of the
  // right lengths; every byte the spec does give is checked below.
  const std::string w = "layer_with_weights-";
  const std::string attr = "/.ATTRIBUTES/VARIABLE_VALUE";
  td::table_builder b;
  b.add("", std::string("\x08\x02\x1a\x02\x08\x01", 6));
  b.add("_CHECKPOINTABLE_OBJECT_GRAPH", std::string("\x08\x07\x12\x00\x28\xa1\x04\x35\xe4\x80\x75\x60", 12));
  b.add(w + "0/bias" + attr, std::string(23, 'x'));
  b.add(w + "0/kernel" + attr, std::string(25, 'x'));
  b.add(w + "1/bias" + attr, std::string(21, 'x'));
  b.add(w + "1/kernel" + attr, std::string(28, 'x'));
  CHECK(b.num_entries() == 6);
  const std::string f = b.finish();
  REQUIRE(f.size() == 406);
  auto at = [&](std::size_t off, std::size_t n) { return f.substr(off, n); };
  CHECK(at(0, 9) == std::string("\x00\x00\x06\x08\x02\x1a\x02\x08\x01", 9));
  CHECK(at(9, 3) == std::string("\x00\x1c\x0c", 3));
  CHECK(at(12, 28) == "_CHECKPOINTABLE_OBJECT_GRAPH");
  CHECK(at(52, 3) == std::string("\x00\x34\x17", 3));
  CHECK(at(55, 52) == w + "0/bias" + attr);
  CHECK(at(130, 3) == "\x15\x21\x19");
  CHECK(at(191, 3) == "\x13\x21\x15");
  CHECK(at(194, 33) == "1/bias" + attr);
  CHECK(at(248, 3) == "\x15\x21\x1c");
  CHECK(at(312, 9) == std::string("\x00\x00\x00\x00\x01\x00\x00\x00\x00", 9));  // restarts + type
  CHECK(at(325, 13) == std::string("\x00\x00\x00\x00\x01\x00\x00\x00\x00\xc0\xf2\xa1\xb0", 13));
  CHECK(at(338, 20) == std::string("\x00\x01\x03m\x00\xc0\x02\x00\x00\x00\x00\x01\x00\x00\x00"
                                   "\x00\x59\x24\x5a\x43", 20));
  CHECK(at(358, 48) == std::string("\xc5\x02\x08\xd2\x02\x0f", 6) + std::string(34, '\0') +
                           std::string("\x57\xfb\x80\x8b\x24\x75\x47\xdb", 8));
  auto t = td::table_reader::open(f);
  REQUIRE(t.has_value());
  CHECK(t->num_data_blocks() == 1);
  CHECK(t->verify_all_blocks().has_value());
}

TEST_CASE("table: randomized round trip against std::map with many blocks") {
  std::mt19937_64 rng(2024);
  struct combo { std::size_t block_size; int interval; std::size_t n; };
  for (combo c : {combo{64, 1, 3000}, combo{256, 2, 3000}, combo{1024, 16, 4000},
                  combo{4096, 3, 2000}, combo{262144, 16, 3000}}) {
    CAPTURE(c.block_size);
    CAPTURE(c.interval);
    std::map<std::string, std::string> m;
    m[""] = "header";
    while (m.size() < c.n) {
      std::string v(rng() % 40, '\0');
      for (auto& ch : v) ch = static_cast<char>(rng());
      if (rng() % 200 == 0) v.assign(2 * c.block_size + rng() % 50, 'L');  // TF's 2x rule
      m[random_key(rng)] = v;
    }
    td::table_builder b({c.block_size, c.interval});
    for (const auto& [k, v] : m) b.add(k, v);
    CHECK(b.num_entries() == m.size());
    const std::string f = b.finish();

    for (bool verify : {true, false}) {
      auto t = td::table_reader::open(f, {verify, std::size_t{1} << 30});
      REQUIRE(t.has_value());
      if (c.block_size <= 1024) CHECK(t->num_data_blocks() > 20);
      REQUIRE(t->verify_all_blocks().has_value());
      entries_t got;
      std::string err;
      REQUIRE_MESSAGE(read_entries(*t, got, err), err);
      REQUIRE(got.size() == m.size());
      CHECK(std::equal(got.begin(), got.end(), m.begin(),
                       [](const auto& a, const auto& b) { return a.first == b.first && a.second == b.second; }));

      auto it = t->make_iterator();
      for (int q = 0; q < 2000; ++q) {
        // Present keys, absent random keys, and keys just past a present one.
        std::string target = random_key(rng);
        if (q % 3 == 0) target = std::next(m.begin(), static_cast<long>(rng() % m.size()))->first;
        if (q % 3 == 1) target = std::next(m.begin(), static_cast<long>(rng() % m.size()))->first + '\0';
        REQUIRE(it.seek(target).has_value());
        auto lb = m.lower_bound(target);
        REQUIRE(it.valid() == (lb != m.end()));
        if (lb == m.end()) continue;
        CHECK(it.key() == lb->first);
        CHECK(it.value() == lb->second);
        // A few steps forward must follow the map (this crosses block boundaries).
        for (int s = 0; s < 3 && it.valid(); ++s) {
          REQUIRE(it.next().has_value());
          ++lb;
          REQUIRE(it.valid() == (lb != m.end()));
          if (lb != m.end()) CHECK(it.key() == lb->first);
        }
      }
      REQUIRE(it.seek(std::string(20, '\xff')).has_value());
      CHECK_FALSE(it.valid());
    }
  }
}

TEST_CASE("table: an entry of at least twice the block size starts its own block") {
  td::table_builder b({100, 16});
  b.add("a", "1");
  b.add("b", std::string(199, 'x'));  // key + value = 200 >= 2 * 100: "a" is flushed first
  b.add("c", "3");
  const std::string f = b.finish();
  auto t = td::table_reader::open(f);
  REQUIRE(t.has_value());
  CHECK(t->num_data_blocks() == 3);  // [a] [b] (flushed by size) [c]
  auto it = t->make_iterator();
  REQUIRE(it.seek_to_first().has_value());
  std::set<std::uint64_t> offsets;
  while (it.valid()) {
    offsets.insert(it.block_offset());
    REQUIRE(it.next().has_value());
  }
  CHECK(offsets.size() == 3);
}

TEST_CASE("table: an empty table has no data blocks and iterates to nothing") {
  const std::string f = td::table_builder().finish();
  CHECK(f.size() == 13 + 13 + 48);
  auto t = td::table_reader::open(f);
  REQUIRE(t.has_value());
  CHECK(t->num_data_blocks() == 0);
  CHECK(t->verify_all_blocks().has_value());
  auto it = t->make_iterator();
  REQUIRE(it.seek_to_first().has_value());
  CHECK_FALSE(it.valid());
  REQUIRE(it.seek("").has_value());
  CHECK_FALSE(it.valid());
}

TEST_CASE("table: iterators outlive moves of the reader") {
  td::table_builder b({64, 2});
  for (int i = 0; i < 200; ++i) b.add("key" + std::to_string(1000 + i), std::to_string(i));
  const std::string f = b.finish();
  auto t = td::table_reader::open(f);
  REQUIRE(t.has_value());
  auto it = t->make_iterator();
  td::table_reader moved = std::move(*t);
  REQUIRE(it.seek("key1100").has_value());
  auto it2 = std::move(it);
  REQUIRE(it2.valid());
  CHECK(it2.key() == "key1100");
  CHECK(it2.value() == "100");
  CHECK(moved.num_data_blocks() > 1);
}

TEST_CASE("table: footer and block errors name the problem and the offset") {
  td::table_builder b;
  b.add("a", "1");
  const std::string good = b.finish();

  auto e = first_error(good.substr(0, 47));
  CHECK(e.code == errc::corruption);
  CHECK(e.message == "file is too short to be an sstable");
  std::string bad = good;
  bad.back() ^= 1;
  e = first_error(bad);
  CHECK(e.code == errc::corruption);
  CHECK(e.message == "not an sstable (bad magic number)");
  CHECK(e.offset == good.size() - 8);

  bad = good;
  bad[3] ^= 0x20;  // inside the data block
  e = first_error(bad);
  CHECK(e.code == errc::checksum_mismatch);
  CHECK(e.message == "block checksum mismatch");
  CHECK(e.offset == 0);

  // A type byte of 2 with a matching CRC.
  raw_table rt;
  auto d = rt.add(block_of({{"a", "1"}}), 2);
  auto meta = rt.add(block_of({}));
  auto idx = rt.add(block_of({{"b", handle_bytes(d)}}, 1));
  e = first_error(rt.finish(meta, idx));
  CHECK(e.code == errc::corruption);
  CHECK(e.message == "bad block type 2");
  CHECK(e.offset == 0);

  // Index handle pointing past the end; size overflowing 64 bits.
  e = first_error(rt.finish(meta, {idx.offset, 1000}));
  CHECK(e.code == errc::corruption);
  CHECK(e.offset == idx.offset);
  e = first_error(rt.finish(meta, {idx.offset, ~std::uint64_t{0} - 2}));
  CHECK(e.code == errc::corruption);
  e = first_error(rt.finish({~std::uint64_t{0}, 8}, idx));
  CHECK(e.code == errc::corruption);

  // Block larger than the configured limit.
  auto t = td::table_reader::open(good, {true, 4});
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().code == errc::limit_exceeded);
}

TEST_CASE("table: key order violations are corruption") {
  // Data key after its index key.
  auto e = first_error(two_block_table({{"a", ""}, {"c", ""}}, "b", {{"d", ""}}, "e"));
  CHECK(e.code == errc::corruption);
  CHECK(e.offset == 0);
  // Second block starts before the first one ends.
  e = first_error(two_block_table({{"a", ""}, {"c", ""}}, "c", {{"b", ""}}, "d"));
  CHECK(e.code == errc::corruption);
  // Decreasing index keys.
  e = first_error(two_block_table({{"a", ""}}, "c", {{"b", ""}}, "b"));
  CHECK(e.code == errc::corruption);
  // A bad handle in the index: found at open.
  raw_table rt;
  auto d = rt.add(block_of({{"a", ""}}));
  auto meta = rt.add(block_of({}));
  auto idx = rt.add(block_of({{"a", handle_bytes(d) + "x"}}, 1));
  auto t = td::table_reader::open(rt.finish(meta, idx));
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().offset == idx.offset);
  // Well-formed two-block table is fine (control).
  CHECK(first_error(two_block_table({{"a", ""}, {"c", ""}}, "c", {{"d", ""}}, "d")).code == errc::ok);
}

TEST_CASE("table: Snappy-compressed data and index blocks are read") {
  entries_t es;
  for (int i = 0; i < 300; ++i) es.emplace_back("variable/" + std::to_string(1000 + i), std::string(20, 'v'));
  const std::string raw_data = block_of(es);
  std::string z;
  snappy::Compress(raw_data.data(), raw_data.size(), &z);
  REQUIRE(z.size() < raw_data.size());
  raw_table rt;
  auto d = rt.add(z, 1);
  auto meta = rt.add(block_of({}));
  const std::string raw_index = block_of({{"w", handle_bytes(d)}}, 1);
  std::string zi;
  snappy::Compress(raw_index.data(), raw_index.size(), &zi);
  auto idx = rt.add(zi, 1);
  const std::string f = rt.finish(meta, idx);
  auto t = td::table_reader::open(f);
  REQUIRE(t.has_value());
  CHECK(t->verify_all_blocks().has_value());
  entries_t got;
  std::string err;
  REQUIRE(read_entries(*t, got, err));
  CHECK(got == es);
  // A corrupt Snappy stream with a valid CRC is corruption at the block's offset.
  raw_table rt2;
  auto d2 = rt2.add(z.substr(0, z.size() - 3), 1);
  auto m2 = rt2.add(block_of({}));
  auto i2 = rt2.add(block_of({{"w", handle_bytes(d2)}}, 1));
  auto e = first_error(rt2.finish(m2, i2));
  CHECK(e.code == errc::corruption);
  CHECK(e.offset == 0);
}

TEST_CASE("table: corpus index files open, iterate and verify") {
  const std::map<std::string, std::size_t> expected_entries = {
      {"legacy_v1_tensorslice_not_v2/export-00000-of-00001", 3},
      {"tf1_estimator_model_dir_3ckpts/model.ckpt-0.index", 61},
      {"tf1_estimator_model_dir_3ckpts/model.ckpt-1000.index", 61},
      {"tf1_estimator_model_dir_3ckpts/model.ckpt-999.index", 61},
      {"tf1_estimator_two_shards/model.ckpt-10000.index", 52},
      {"tf1_estimator_wide_deep_savedmodel/variables.index", 22},
      {"tf1_savedmodel_conv2d_mkl/variables.index", 10},
      {"tf1_savedmodel_half_plus_two_snappy/variables.index", 6},
      {"tf1_saver_three_vars/model-three-variables.ckpt.index", 6},
      {"tf2_checkpoint_keras_config_json/ckpt_20.index", 29},
      {"tf2_checkpoint_two_shards/model.ckpt.index", 19},
      {"tf2_checkpointmanager_iterator_variant/ckpt-38.index", 16},
      {"tf2_checkpointmanager_iterator_variant/ckpt-39.index", 16},
      {"tf2_checkpointmanager_iterator_variant/ckpt-40.index", 16},
      {"tf2_keras_save_weights_easy_checkpoint/easy_checkpoint.index", 31},
      {"tf2_keras_savedmodel_adam_slots/variables.index", 29},
      {"tf2_keras_weights_prefix_named_checkpoint/checkpoint.index", 19},
      {"tf2_savedmodel_bool_snappy_tfdf/variables.index", 7},
      {"tf2_savedmodel_half_plus_two/variables.index", 5},
      {"tf2_savedmodel_int64/variables.index", 4},
      {"tf2_savedmodel_no_variables/variables.index", 2},
      {"tf2_savedmodel_two_shards/variables.index", 73},
  };
  const std::set<std::string> snappy_files = {"tf1_savedmodel_half_plus_two_snappy/variables.index",
                                              "tf2_savedmodel_bool_snappy_tfdf/variables.index",
                                              "tf2_savedmodel_half_plus_two/variables.index"};
  const auto paths = corpus_tables();
  REQUIRE(paths.size() == expected_entries.size());
  for (const auto& p : paths) {
    const std::string name = rel(p);
    CAPTURE(name);
    const std::string f = tfckpt_test::read_file(p.string());
    auto t = td::table_reader::open(f);
    REQUIRE_MESSAGE(t.has_value(), t.error().to_string());
    CHECK(t->num_data_blocks() == 1);
    auto v = t->verify_all_blocks();
    CHECK_MESSAGE(v.has_value(), v.error().to_string());
    entries_t es;
    std::string err;
    REQUIRE_MESSAGE(read_entries(*t, es, err), err);
    REQUIRE(expected_entries.count(name) == 1);
    CHECK(es.size() == expected_entries.at(name));
    CHECK(es.front().first.empty());  // the header key "" sorts first
    const auto types = data_block_types(f);
    const bool snappy = std::count(types.begin(), types.end(), 1) > 0;
    CHECK(snappy == (snappy_files.count(name) == 1));
    // Every key is found again by seek.
    auto it = t->make_iterator();
    for (const auto& [k, val] : es) {
      REQUIRE(it.seek(k).has_value());
      REQUIRE(it.valid());
      CHECK(it.key() == k);
      CHECK(it.value() == val);
    }
  }
}

TEST_CASE("table: uncompressed corpus index files rebuild byte for byte") {
  int rebuilt = 0;
  for (const auto& p : corpus_tables()) {
    const std::string f = tfckpt_test::read_file(p.string());
    const auto types = data_block_types(f);
    if (std::count(types.begin(), types.end(), 0) != static_cast<long>(types.size())) continue;
    CAPTURE(rel(p));
    auto t = td::table_reader::open(f);
    REQUIRE(t.has_value());
    entries_t es;
    std::string err;
    REQUIRE(read_entries(*t, es, err));
    td::table_builder b;
    for (const auto& [k, v] : es) b.add(k, v);
    CHECK(b.finish() == f);
    ++rebuilt;
  }
  CHECK(rebuilt == 19);
}

TEST_CASE("table: every byte flip of a corpus index file is detected, except footer padding") {
  for (const auto& p : corpus_tables()) {
    const std::string name = rel(p);
    CAPTURE(name);
    const std::string f = tfckpt_test::read_file(p.string());
    // Padding = the footer's first 40 bytes after the two handles.
    std::string_view handles = std::string_view(f).substr(f.size() - 48, 40);
    td::block_handle h;
    REQUIRE(td::get_block_handle(handles, h));
    REQUIRE(td::get_block_handle(handles, h));
    const std::size_t pad_begin = f.size() - 48 + (40 - handles.size()), pad_end = f.size() - 8;
    const std::size_t last_handle_byte = pad_begin - 1;
    int undetected = 0;
    for (std::size_t pos = 0; pos < f.size(); ++pos) {
      const bool padding = pos >= pad_begin && pos < pad_end;
      std::string g = f;
      g[pos] = static_cast<char>(g[pos] ^ 0xff);
      if (opens_and_verifies(g) != padding) {
        ++undetected;
        MESSAGE("byte flip at ", pos, padding ? " (padding) rejected" : " not detected");
      }
      // Single-bit flips: likewise, except that setting the continuation bit of the last handle
      // byte before a zero padding byte yields a non-canonical varint of the same value.
      for (int bit = 0; bit < 8; ++bit) {
        g = f;
        g[pos] = static_cast<char>(g[pos] ^ (1 << bit));
        const bool same_value = pos == last_handle_byte && bit == 7 && f[pos + 1] == '\0' &&
                                (static_cast<unsigned char>(f[pos]) & 0x80) == 0;
        if (opens_and_verifies(g) != (padding || same_value)) {
          ++undetected;
          MESSAGE("bit ", bit, " flip at ", pos, " misjudged");
        }
      }
    }
    CHECK(undetected == 0);
  }
}

TEST_CASE("table: garbage, truncations and corruption never crash, even with checksums off") {
  std::mt19937_64 rng(11);
  const auto paths = corpus_tables();
  for (const auto& p : paths) {
    const std::string f = tfckpt_test::read_file(p.string());
    REQUIRE(opens_and_verifies(f));  // the control: corruption below is what makes inputs fail
    for (int round = 0; round < 300; ++round) {
      std::string g = f;
      const int n = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < n; ++k) g[rng() % g.size()] = static_cast<char>(rng());
      if (round % 10 == 0) {
        const std::size_t at = rng() % g.size();
        g.erase(at, 1 + rng() % 8);
      }
      (void)opens_and_verifies(g, false);
      if (auto t = td::table_reader::open(g, {false, std::size_t{1} << 20})) {
        entries_t es;
        std::string err;
        (void)read_entries(*t, es, err);
        auto it = t->make_iterator();
        (void)it.seek(random_key(rng));
      }
    }
  }
  for (int i = 0; i < 2000; ++i) {
    std::string g(rng() % 200, '\0');
    for (auto& c : g) c = static_cast<char>(rng());
    if (g.size() >= 8 && rng() % 2) {  // give it a valid magic so the handles get parsed
      g.resize(g.size() - 8);
      td::put_fixed64(g, td::table_magic);
    }
    (void)opens_and_verifies(g, false);
  }
}
