// Hostile checkpoints: declared sizes, counts and shapes far beyond the bytes present must end
// in a clear error (limit_exceeded or corruption) before any allocation is sized from them.
// Under ASan a multi-terabyte allocation attempt would abort the test binary.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bundle_craft.hpp"
#include "tfckpt/bundle/reader.hpp"
#include "tfckpt/format/snappy.hpp"

using namespace tfckpt;
using craft::make_entry;
using craft::make_index;

namespace {
constexpr std::int64_t one_tib = std::int64_t{1} << 40;

// The read limits default to half the physical memory; tests of the file-size bound raise
// them to 1 TiB so that the data file, not the limit, is what refuses the record.
read_options tib_limits() {
  read_options o;
  o.max_tensor_bytes = o.max_total_bytes = std::uint64_t{1} << 40;
  return o;
}

result<tensor> read_one(const std::string& index, std::string_view key, std::string_view data = {},
                        const read_options& opts = {}) {
  auto r = bundle_reader::open_memory(index, {data}, opts);
  if (!r) return std::move(r).error();
  return r->read(key);
}
}  // namespace

TEST_CASE("hostile: a 1 TiB float tensor over a tiny data file is corruption, not an allocation") {
  const auto index = make_index({{"big", make_entry(dtype::float32, {one_tib / 4}, 0, one_tib)}});
  auto t = read_one(index, "big", "tiny", tib_limits());
  REQUIRE_FALSE(t);
  CHECK(t.error().code == errc::corruption);
  CHECK(t.error().message.find("shorter than its entries claim") != std::string::npos);
  CHECK(t.error().key == "big");
  CHECK(t.error().to_string().find("<memory shard 0>") != std::string::npos);
}

TEST_CASE("hostile: a 1 TB tensor above max_tensor_bytes is limit_exceeded") {
  const std::int64_t n = 250'000'000'000;  // 10^12 bytes of float32
  const auto index = make_index({{"big", make_entry(dtype::float32, {n}, 0, n * 4)}});
  read_options opts;
  opts.max_tensor_bytes = std::uint64_t{1} << 30;
  auto t = read_one(index, "big", "", opts);
  REQUIRE_FALSE(t);
  CHECK(t.error().code == errc::limit_exceeded);
  CHECK(t.error().message.find("max_tensor_bytes") != std::string::npos);
  // read_into checks the same limit before touching the destination.
  auto r = bundle_reader::open_memory(index, {""}, opts);
  REQUIRE(r);
  std::vector<float> small(4);
  auto ok = r->read_into<float>("big", small);
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == errc::shape_mismatch);
}

TEST_CASE("hostile: 2^40 strings are refused whatever the record size claims") {
  const std::int64_t n = std::int64_t{1} << 40;
  for (std::int64_t size : {std::int64_t{0}, std::int64_t{5}, n}) {
    const auto index = make_index({{"s", make_entry(dtype::string, {n}, 0, size)}});
    auto t = read_one(index, "s", "\x01\x00\x00\x00\x00x");
    REQUIRE_FALSE(t);
    CHECK((t.error().code == errc::limit_exceeded || t.error().code == errc::corruption));
    CHECK(t.error().key == "s");
  }
  // The documented case: 2^40 elements cost 2^40 std::strings: above max_total_bytes.
  const auto index = make_index({{"s", make_entry(dtype::string, {n}, 0, 6)}});
  auto t = read_one(index, "s", "\x01\x00\x00\x00\x00x");
  REQUIRE_FALSE(t);
  CHECK(t.error().code == errc::limit_exceeded);
  CHECK(t.error().message.find("max_total_bytes") != std::string::npos);
}

TEST_CASE("hostile: variant tensor of 2^40 elements is refused") {
  const std::int64_t n = std::int64_t{1} << 40;
  const auto index = make_index({{"v", make_entry(dtype::variant, {n}, 0, 10)}});
  auto t = read_one(index, "v", std::string(10, '\0'));
  REQUIRE_FALSE(t);
  CHECK(t.error().code == errc::limit_exceeded);
}

TEST_CASE("hostile: a partitioned 512 GiB tensor is checked against its parts before allocating") {
  const std::int64_t n = std::int64_t{1} << 37;  // float32: 512 GiB
  bundle_entry full = make_entry(dtype::float32, {n}, 0, 0);
  full.slices.push_back(tensor_slice{{{0, n}}});  // one slice covering everything
  const std::string part_key = encode_tensor_name_slice("p", full.slices[0]);
  // (a) the part claims the full size but the data file is 8 bytes
  {
    const auto index = make_index({{"p", full}, {part_key, make_entry(dtype::float32, {n}, 0, n * 4)}});
    auto t = read_one(index, "p", "12345678", tib_limits());
    REQUIRE_FALSE(t);
    CHECK(t.error().code == errc::corruption);
    CHECK(t.error().message.find("shorter than its entries claim") != std::string::npos);
  }
  // (b) the part is missing
  {
    const auto index = make_index({{"p", full}});
    auto t = read_one(index, "p", "12345678", tib_limits());
    REQUIRE_FALSE(t);
    CHECK(t.error().code == errc::corruption);
    CHECK(t.error().message.find("missing slice") != std::string::npos);
  }
  // (c) slices that do not cover the tensor
  {
    bundle_entry partial = full;
    partial.slices = {tensor_slice{{{0, 2}}}};
    const std::string k = encode_tensor_name_slice("p", partial.slices[0]);
    const auto index = make_index({{"p", partial}, {k, make_entry(dtype::float32, {2}, 0, 8)}});
    auto t = read_one(index, "p", "12345678", tib_limits());
    REQUIRE_FALSE(t);
    CHECK(t.error().code == errc::corruption);
    CHECK(t.error().message.find("sufficient slices") != std::string::npos);
  }
  // (d) max_total_bytes refuses the assembled tensor outright
  {
    const auto index = make_index({{"p", full}, {part_key, make_entry(dtype::float32, {n}, 0, n * 4)}});
    read_options opts;
    opts.max_total_bytes = std::uint64_t{1} << 30;
    auto t = read_one(index, "p", "12345678", opts);
    REQUIRE_FALSE(t);
    CHECK(t.error().code == errc::limit_exceeded);
  }
}

TEST_CASE("hostile: shape products overflowing int64 are corruption at open") {
  const std::int64_t big = std::int64_t{1} << 32;
  const auto index = make_index({{"x", make_entry(dtype::float32, {big, big}, 0, 4)}});
  auto r = bundle_reader::open_memory(index, {""});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corruption);
  CHECK(r.error().message.find("invalid tensor shape") != std::string::npos);
  CHECK(r.error().key == "x");
  CHECK(r.error().to_string().find("<memory index>") != std::string::npos);
}

TEST_CASE("hostile: offset + size overflowing uint64 is caught") {
  const auto index = make_index({{"x", make_entry(dtype::int32, {}, INT64_MAX - 1, 4)}});
  auto t = read_one(index, "x", "abcd");
  REQUIRE_FALSE(t);
  CHECK(t.error().code == errc::corruption);
  CHECK(t.error().message.find("shorter than its entries claim") != std::string::npos);
}

TEST_CASE("hostile: negative sizes and offsets are rejected by the entry decoder") {
  const auto index = make_index({{"x", make_entry(dtype::int32, {}, 0, -4)}});
  auto r = bundle_reader::open_memory(index, {""});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corruption);
  CHECK(r.error().message.find("negative offset or size") != std::string::npos);
}

TEST_CASE("hostile: more entries than max_entries is limit_exceeded") {
  std::vector<std::pair<std::string, bundle_entry>> es;
  for (int i = 0; i < 50; ++i) es.push_back({"k" + std::to_string(100 + i), make_entry(dtype::int32, {}, 0, 4)});
  read_options opts;
  opts.max_entries = 10;
  auto r = bundle_reader::open_memory(make_index(es), {"abcd"}, opts);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::limit_exceeded);
  CHECK(r.error().message.find("more than 10 entries") != std::string::npos);
}

TEST_CASE("hostile: a header declaring 2^30 shards is corruption (max_shards)") {
  bundle_header h;
  h.num_shards = 1 << 30;
  auto r = bundle_reader::open_memory(make_index({}, h), {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corruption);
  CHECK(r.error().message.find("bad num_shards") != std::string::npos);
}

TEST_CASE("hostile: prefix-compressed key bomb is stopped by max_index_expansion") {
  // Every key extends the previous one by a byte, inside one restart interval: the file grows
  // linearly, the decoded keys quadratically (here ~240 MB of keys from ~200 kB of index).
  detail::table_options o;
  o.block_restart_interval = 1 << 30;
  o.block_size = std::size_t{1} << 30;
  std::vector<std::pair<std::string, bundle_entry>> es;
  std::string key(4096, 'k');
  const std::string value = encode_bundle_entry(make_entry(dtype::int32, {}, 0, 4));
  detail::table_builder tb(o);
  tb.add("", encode_bundle_header({}));
  for (int i = 0; i < 20000; ++i) {
    key.push_back('a');
    tb.add(key, value);
  }
  const std::string index = tb.finish();
  CHECK(index.size() < 300'000);
  auto r = bundle_reader::open_memory(index, {"abcd"});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::limit_exceeded);
  CHECK(r.error().message.find("max_index_expansion") != std::string::npos);
  // With max_total_bytes small the same limit names max_total_bytes.
  read_options opts;
  opts.max_total_bytes = 1 << 20;
  auto r2 = bundle_reader::open_memory(index, {"abcd"}, opts);
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == errc::limit_exceeded);
}

TEST_CASE("hostile: a Snappy block declaring 4 GiB from 10 bytes is refused before allocating") {
  std::string bomb;
  detail::put_varint32(bomb, 0xffffffffu);
  bomb += std::string(5, '\0');
  auto r = detail::snappy_uncompress(bomb, std::size_t{1} << 33);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corruption);
  CHECK(r.error().message.find("impossible") != std::string::npos);
  auto r2 = detail::snappy_uncompress(bomb);
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == errc::limit_exceeded);
}

TEST_CASE("hostile: a block handle far past the end of the index is corruption") {
  std::string file = craft::make_index({{"a", make_entry(dtype::int32, {}, 0, 4)}});
  // Rewrite the footer's index handle to (2^62, 2^62).
  const std::size_t footer = file.size() - detail::table_footer_size;
  std::string handles;
  detail::put_block_handle(handles, {0, 0});
  detail::put_block_handle(handles, {std::uint64_t{1} << 62, std::uint64_t{1} << 62});
  handles.resize(detail::table_footer_handles, '\0');
  file.replace(footer, detail::table_footer_handles, handles);
  auto r = bundle_reader::open_memory(file, {"abcd"});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corruption);
  CHECK(r.error().message.find("extends past the end") != std::string::npos);
}

TEST_CASE("hostile: object graph deeper than max_depth is limit_exceeded; cycles terminate") {
  trackable_object_graph g;
  g.nodes.resize(5000);
  for (std::size_t i = 0; i + 1 < g.nodes.size(); ++i)
    g.nodes[i].children.push_back({static_cast<std::int32_t>(i + 1), "c"});
  const std::string bytes = encode_object_graph(g);
  auto d = decode_object_graph(bytes);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == errc::limit_exceeded);
  CHECK(d.error().message.find("deeper than 4096") != std::string::npos);
  object_graph_limits lim;
  lim.max_depth = 10000;
  CHECK(decode_object_graph(bytes, lim));
  lim.max_path_bytes = 100000;  // 5000 levels: ~37.5 M path bytes
  auto p = decode_object_graph(bytes, lim);
  REQUIRE_FALSE(p);
  CHECK(p.error().code == errc::limit_exceeded);
  CHECK(p.error().message.find("paths exceed") != std::string::npos);
  // A cycle back to the root (TF's own Checkpoint has a self edge) is accepted.
  trackable_object_graph c;
  c.nodes.resize(3);
  c.nodes[0].children = {{1, "a"}, {0, "self"}};
  c.nodes[1].children = {{2, "b"}};
  c.nodes[2].children = {{1, "back"}, {0, "root"}};
  CHECK(decode_object_graph(encode_object_graph(c)));
}

TEST_CASE("hostile: object graph node and edge limits") {
  trackable_object_graph g;
  g.nodes.resize(100);
  object_graph_limits lim;
  lim.max_nodes = 10;
  auto d = decode_object_graph(encode_object_graph(g), lim);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == errc::limit_exceeded);
  CHECK(d.error().message == "object graph exceeds the node/edge limits (10 nodes)");
  // max_nodes itself is allowed (the limit used to reject a graph of exactly max_nodes nodes).
  g.nodes.resize(10);
  CHECK(decode_object_graph(encode_object_graph(g), lim));
  g.nodes.resize(11);
  CHECK_FALSE(decode_object_graph(encode_object_graph(g), lim));
  // Edges: 3 children of the root against max_edges = 2.
  trackable_object_graph e;
  e.nodes.resize(4);
  e.nodes[0].children = {{1, "a"}, {2, "b"}, {3, "c"}};
  object_graph_limits elim;
  elim.max_edges = 2;
  auto de = decode_object_graph(encode_object_graph(e), elim);
  REQUIRE_FALSE(de);
  CHECK(de.error().code == errc::limit_exceeded);
  CHECK(de.error().message == "object graph exceeds the node/edge limits (" + std::to_string(elim.max_nodes) + " nodes)");
  elim.max_edges = 3;
  CHECK(decode_object_graph(encode_object_graph(e), elim));
}
