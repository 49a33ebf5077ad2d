// Corruption detection: every single-byte change (XOR 0x01 and 0xff) of a bundle's .index and
// .data files must make open()+verify() fail with an error naming the file (and, for data files,
// the key) -- except the bytes TF's format leaves unprotected: the footer's zero padding after
// the two block handles, and data-file padding that no record covers. Those must be exactly the
// bytes that pass. Truncations must fail too. Bundles are copied to a temp dir first (the corpus
// is read-only).
#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/bundle/writer.hpp>
#include <tfckpt/format/coding.hpp>
#include <vector>

#include "bundle_test_util.hpp"

using tfckpt::errc;
using namespace tfckpt_test;

namespace {

struct bundle_copy {
  std::string prefix;                      // in the temp dir
  std::string index_path;
  std::vector<std::string> data_paths;
  std::map<std::string, std::string> orig; // path -> bytes
};

bundle_copy copy_bundle(const std::string& src_prefix, const temp_dir& d) {
  auto r = tfckpt::bundle_reader::open(src_prefix);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().to_string()));
  bundle_copy c;
  c.prefix = d / tfckpt::detail::path_basename(src_prefix);
  c.index_path = c.prefix + ".index";
  c.orig[c.index_path] = read_file(src_prefix + ".index");
  for (std::int32_t s = 0; s < r->header().num_shards; ++s) {
    const std::string p = tfckpt::data_filename(c.prefix, s, r->header().num_shards);
    c.data_paths.push_back(p);
    c.orig[p] = read_file(r->data_path(s));
  }
  for (const auto& [p, b] : c.orig) REQUIRE(write_all(p, b));
  return c;
}

// Overwrites bytes in place (no O_TRUNC: ext4 flushes files truncated to zero and rewritten on
// close, which made thousands of rewrites take minutes).
bool patch(const std::string& path, std::size_t offset, std::string_view bytes) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  if (!f) return false;
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(f);
}

// Shrinks `path` to n bytes of `orig`, or (n == orig.size()) restores it.
bool set_length(const std::string& path, const std::string& orig, std::size_t n) {
  std::error_code ec;
  fs::resize_file(path, n, ec);
  if (ec) return false;
  return n < orig.size() || patch(path, 0, orig);
}

// open + verify; the error if either fails.
std::optional<tfckpt::error> check(const std::string& prefix) {
  auto r = tfckpt::bundle_reader::open(prefix);
  if (!r) return r.error();
  auto v = r->verify();
  if (!v) return v.error();
  return std::nullopt;
}

// Offsets of the footer padding: after the two varint-encoded handles, up to byte 40.
std::set<std::size_t> footer_padding(const std::string& index) {
  REQUIRE(index.size() >= 48);
  const std::size_t footer = index.size() - 48;
  std::string_view in(index.data() + footer, 40);
  for (int i = 0; i < 4; ++i) {
    std::uint64_t v;
    REQUIRE(tfckpt::detail::get_varint64(in, v));
  }
  std::set<std::size_t> out;
  for (std::size_t o = footer + (40 - in.size()); o < footer + 40; ++o) out.insert(o);
  return out;
}

void flip_all(const std::string& src_prefix) {
  INFO("bundle " << src_prefix);
  temp_dir d;
  bundle_copy c = copy_bundle(src_prefix, d);
  REQUIRE(!check(c.prefix));  // the pristine copy is fine

  // Which record covers each data byte: shard -> (offset -> key).
  auto r = tfckpt::bundle_reader::open(c.prefix);
  REQUIRE(r);
  std::vector<std::vector<const tfckpt::entry*>> owner(c.data_paths.size());
  for (std::size_t s = 0; s < c.data_paths.size(); ++s) owner[s].assign(c.orig[c.data_paths[s]].size(), nullptr);
  for (std::span<const tfckpt::entry> list : {r->entries(), r->slice_parts()})
    for (const auto& e : list)
      if (e.info.slices.empty())
        for (std::int64_t o = e.info.offset; o < e.info.offset + e.info.size; ++o)
          owner[static_cast<std::size_t>(e.info.shard_id)][static_cast<std::size_t>(o)] = &e;

  std::set<std::size_t> index_expected_pass = footer_padding(c.orig[c.index_path]);
  for (const auto& file : c.orig) {
    // (No structured binding: clang 14 cannot capture one in INFO's lambda.)
    const std::string& path = file.first;
    const std::string& orig = file.second;
    const bool is_index = path == c.index_path;
    const std::size_t shard = is_index ? 0 : static_cast<std::size_t>(
        std::find(c.data_paths.begin(), c.data_paths.end(), path) - c.data_paths.begin());
    std::set<std::size_t> passed, expected_pass;
    if (is_index) expected_pass = index_expected_pass;
    else
      for (std::size_t o = 0; o < orig.size(); ++o)
        if (!owner[shard][o]) expected_pass.insert(o);
    for (unsigned char mask : {0x01, 0xff}) {
      for (std::size_t o = 0; o < orig.size(); ++o) {
        const char flipped = static_cast<char>(orig[o] ^ mask);
        REQUIRE(patch(path, o, std::string_view(&flipped, 1)));
        auto err = check(c.prefix);
        REQUIRE(patch(path, o, std::string_view(&orig[o], 1)));
        if (!err) {
          passed.insert(o);
          continue;
        }
        const std::string text = err->to_string();
        INFO("flip ^" << int(mask) << " at " << path << ":" << o << " -> " << text);
        CHECK(text.find(path) != std::string::npos);
        if (!is_index && owner[shard][o]) {
          CHECK(err->key == owner[shard][o]->key);
          CHECK(text.find(tfckpt::error::printable(owner[shard][o]->key)) != std::string::npos);
        }
      }
    }
    REQUIRE(write_all(path, orig));
    INFO("file " << path);
    CHECK(passed == expected_pass);
  }
  REQUIRE(!check(c.prefix));

  // Truncation: every length of the index, a few of each data file (all below its last record's end).
  const std::string& idx = c.orig[c.index_path];
  for (std::size_t n = 0; n < idx.size(); ++n) {
    REQUIRE(set_length(c.index_path, idx, n));
    auto err = check(c.prefix);
    INFO("index truncated to " << n);
    REQUIRE(err);
    CHECK(err->to_string().find(c.index_path) != std::string::npos);
  }
  REQUIRE(set_length(c.index_path, idx, idx.size()));
  for (std::size_t s = 0; s < c.data_paths.size(); ++s) {
    const std::string& path = c.data_paths[s];
    const std::string& data = c.orig[path];
    std::size_t end = 0;  // end of the last covered byte
    for (std::size_t o = 0; o < data.size(); ++o)
      if (owner[s][o]) end = o + 1;
    if (end == 0) continue;
    for (std::size_t n : {std::size_t{0}, end / 2, end - 1}) {
      REQUIRE(set_length(path, data, n));
      auto err = check(c.prefix);
      INFO("data file " << path << " truncated to " << n);
      REQUIRE(err);
      CHECK(err->to_string().find(path) != std::string::npos);
      CHECK(err->key.size() > 0);
    }
    REQUIRE(set_length(path, data, data.size()));
    // A missing data file is named too.
    REQUIRE(tfckpt::detail::remove_file(path));
    auto err = check(c.prefix);
    REQUIRE(err);
    CHECK(err->to_string().find(path) != std::string::npos);
    REQUIRE(write_all(path, data));
  }
  REQUIRE(!check(c.prefix));
}

const std::string corpus = TFCKPT_CORPUS_DIR;
const std::string fixtures = TFCKPT_FIXTURES_DIR;

}  // namespace

TEST_CASE("byte flips: corpus checkpoints detect every covered byte change") {
  for (const char* p : {"/tf1_saver_three_vars/model-three-variables.ckpt", "/tf1_savedmodel_half_plus_two_snappy/variables",
                        "/tf2_savedmodel_int64/variables", "/tf2_checkpointmanager_iterator_variant/ckpt-40"}) {
    SUBCASE(p) { flip_all(corpus + p); }
  }
}

TEST_CASE("byte flips: TF-written fixtures detect every covered byte change") {
  for (const char* p : {"/tf1_saver/model.ckpt-7", "/partitioned/model.ckpt", "/policy_slices/ckpt", "/variant/ckpt",
                        "/zero_elements/ckpt", "/three_shards/ckpt"}) {
    const std::string prefix = fixtures + p;
    REQUIRE_MESSAGE(fs::exists(prefix + ".index"), "missing fixture " << prefix << " (tests/interop/make_fixtures.py)");
    SUBCASE(p) { flip_all(prefix); }
  }
}

TEST_CASE("byte flips: padding of an aligned bundle is the only data that may change") {
  temp_dir d;
  tfckpt::write_options o;
  o.data_alignment = 64;
  o.num_shards = 2;
  o.sync = false;
  {
    auto w = tfckpt::bundle_writer::create(d / "al", o);
    REQUIRE(w);
    const std::vector<float> f = {1, 2, 3};
    REQUIRE(w->add<float>("f", {3}, f));
    REQUIRE(w->add_strings("s", {2}, std::vector<std::string>{"ab", std::string(150, 'c')}));
    const std::vector<std::int8_t> i = {1, 2, 3, 4, 5};
    REQUIRE(w->add<std::int8_t>("i", {5}, i));
    REQUIRE(w->finish());
  }
  flip_all(d / "al");
}
