// bundle_writer::create_shard / finish_shard: one data file of a bundle written by several
// processes (tfckpt/mpi.hpp's collective save). Here two writers in one process stand for two
// ranks; the index is built from their entries as rank 0 builds it.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <string>
#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/bundle/writer.hpp>
#include <tfckpt/format/table_builder.hpp>
#include <vector>

#include "bundle_test_util.hpp"

using tfckpt::bundle_entry;
using tfckpt::bundle_reader;
using tfckpt::bundle_writer;
using tfckpt::dtype;
using tfckpt::errc;
using namespace tfckpt_test;

namespace {

std::string index_of(const std::map<std::string, bundle_entry>& entries, std::int32_t shards) {
  tfckpt::detail::table_builder table;
  tfckpt::bundle_header h;
  h.num_shards = shards;
  table.add("", tfckpt::encode_bundle_header(h));
  for (const auto& [k, e] : entries) table.add(k, tfckpt::encode_bundle_entry(e));
  return table.finish();
}

}  // namespace

TEST_CASE("bundle writer shard: two writers' files and a gathered index read back as one bundle") {
  temp_dir dir;
  const std::string prefix = dir.path() + "/ckpt";
  std::vector<float> rows(12);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(i);
  std::map<std::string, bundle_entry> all;
  for (std::int32_t r = 0; r < 2; ++r) {
    auto w = bundle_writer::create_shard(prefix, r, 2);
    REQUIRE(w);
    // Rows [2r, 2r+2) of a [4, 3] tensor, and one replicated value per shard.
    tfckpt::tensor_slice s{{{2 * r, 2}, {0, 3}}};
    const std::string_view part(reinterpret_cast<const char*>(rows.data() + 6 * r), 6 * sizeof(float));
    REQUIRE(w->add_slice("emb", dtype::float32, {4, 3}, s, part));
    const std::int64_t v = 10 + r;
    REQUIRE(w->add("v" + std::to_string(r), dtype::int64, {}, std::string_view(reinterpret_cast<const char*>(&v), 8)));
    auto entries = w->finish_shard();
    REQUIRE(entries);
    CHECK(tfckpt::detail::file_exists(tfckpt::data_filename(prefix, r, 2)));
    CHECK(entries->at("v" + std::to_string(r)).shard_id == r);  // this file's id in the whole bundle
    for (auto& [k, e] : *entries) {
      auto [it, fresh] = all.emplace(k, e);
      if (!fresh) it->second.slices.insert(it->second.slices.end(), e.slices.begin(), e.slices.end());
    }
    CHECK_FALSE(w->finish_shard());  // spent
  }
  CHECK(list_files(dir.path()).size() == 2);  // data files only: no temporaries, no index yet
  REQUIRE(write_all(tfckpt::index_filename(prefix), index_of(all, 2)));
  auto rd = bundle_reader::open(prefix);
  REQUIRE(rd);
  auto emb = rd->read("emb");
  REQUIRE(emb);
  CHECK(emb->shape() == tfckpt::shape_t{4, 3});
  const auto got = *emb->values<float>();
  CHECK(std::vector<float>(got.begin(), got.end()) == rows);
  auto v1 = rd->read("v1");
  REQUIRE(v1);
  CHECK((*v1->values<std::int64_t>())[0] == 11);
  auto summary = rd->verify();
  REQUIRE(summary);
  CHECK(summary->tensors == 4);
}

TEST_CASE("bundle writer shard: bad shard numbers are refused, a failed shard leaves no file") {
  temp_dir dir;
  const std::string prefix = dir.path() + "/ckpt";
  CHECK(bundle_writer::create_shard(prefix, 2, 2).error().code == errc::invalid_argument);
  CHECK(bundle_writer::create_shard(prefix, -1, 2).error().code == errc::invalid_argument);
  CHECK(bundle_writer::create_shard(prefix, 0, 0).error().code == errc::invalid_argument);
  {
    auto w = bundle_writer::create_shard(prefix, 1, 3);
    REQUIRE(w);
    const float x = 1;
    // 4 bytes for a [2] float32: refused, the writer stays usable; then abandoned unfinished.
    CHECK_FALSE(w->add("x", dtype::float32, {2}, std::string_view(reinterpret_cast<const char*>(&x), 4)));
  }
  CHECK(list_files(dir.path()).empty());
}
