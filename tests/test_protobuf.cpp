// Protobuf messages of a bundle: the exact bytes TensorFlow writes (docs/format.md §5, observed in
// real files), unknown-field skipping, and rejection of malformed input.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tfckpt/format/bundle_proto.hpp"
#include "tfckpt/format/object_graph_proto.hpp"

using namespace tfckpt;
using namespace std::string_literals;

TEST_CASE("bundle header: TF's serialized bytes for one and two shards") {
  bundle_header h;
  CHECK(encode_bundle_header(h) == "\x08\x01\x1a\x02\x08\x01"s);
  h.num_shards = 2;
  CHECK(encode_bundle_header(h) == "\x08\x02\x1a\x02\x08\x01"s);
  auto d = decode_bundle_header("\x08\x02\x1a\x02\x08\x01"s);
  REQUIRE(d);
  CHECK(d->num_shards == 2);
  CHECK(d->endian == endianness::little);
  CHECK(d->version.producer == 1);
}

TEST_CASE("bundle entry: the observed encodings of docs/format.md §5.3 round trip") {
  struct example { std::string bytes; dtype t; shape_t shape; std::int32_t shard; std::int64_t offset, size; std::uint32_t crc; };
  const example examples[] = {
      {"\x08\x07\x12\x00\x28\xa1\x04\x35\xe4\x80\x75\x60"s, dtype::string, {}, 0, 0, 545, 0x607580e4u},
      {"\x08\x09\x12\x00\x28\x08\x35\x01\x75\xde\x41"s, dtype::int64, {}, 0, 0, 8, 0x41de7501u},
      {"\x08\x03\x12\x00\x28\x04\x35\xe2\xc1\xf3\xbc"s, dtype::int32, {}, 0, 0, 4, 0xbcf3c1e2u},
  };
  for (const auto& ex : examples) {
    auto e = decode_bundle_entry(ex.bytes);
    REQUIRE(e);
    CHECK(e->dtype == ex.t);
    CHECK(e->shape == ex.shape);
    CHECK(e->shard_id == ex.shard);
    CHECK(e->offset == ex.offset);
    CHECK(e->size == ex.size);
    CHECK(e->crc32c == ex.crc);
    CHECK(encode_bundle_entry(*e) == ex.bytes);
  }
  // float32 [784,512] in shard 1: dims as sub-messages of field 2.
  bundle_entry big;
  big.dtype = dtype::float32;
  big.shape = {784, 512};
  big.shard_id = 1;
  big.size = 1605632;
  big.crc32c = 0x01020304u;
  CHECK(encode_bundle_entry(big) ==
        "\x08\x01\x12\x0a\x12\x03\x08\x90\x06\x12\x03\x08\x80\x04\x18\x01\x28\x80\x80\x62\x35\x04\x03\x02\x01"s);
}

TEST_CASE("bundle entry: a zero dimension is an empty Dim message") {
  bundle_entry e;
  e.dtype = dtype::float32;
  e.shape = {3, 0};
  e.crc32c = 0xa282ead8u;
  const std::string bytes = encode_bundle_entry(e);
  CHECK(bytes.substr(0, 10) == "\x08\x01\x12\x06\x12\x02\x08\x03\x12\x00"s);
  auto d = decode_bundle_entry(bytes);
  REQUIRE(d);
  CHECK(d->shape == shape_t{3, 0});
}

TEST_CASE("bundle entry: unknown fields are skipped") {
  // field 15 varint, field 16 length-delimited, field 17 fixed64, field 18 fixed32 appended.
  const std::string bytes = "\x08\x01\x12\x00"s + "\x78\x05"s + "\x82\x01\x02xy"s +
                            "\x89\x01\x01\x02\x03\x04\x05\x06\x07\x08"s + "\x95\x01\x01\x02\x03\x04"s;
  auto e = decode_bundle_entry(bytes);
  REQUIRE(e);
  CHECK(e->dtype == dtype::float32);
}

TEST_CASE("bundle entry: malformed input is rejected with corruption") {
  const std::string bad[] = {
      "\x08"s,                          // truncated varint
      "\x12\x05\x12"s,                  // shape longer than the message
      "\x08\x01\x12\x03\x12\x01\xff"s,  // truncated dim
      "\x08\x63\x12\x00"s,              // unknown dtype 99
      "\x08\x01\x12\x0d\x12\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s,  // dim -1
      "\x08\x01\x12\x00\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s,      // shard -1
      "\x0b\x00"s,                      // group wire type
      "\x00\x01"s,                      // field 0
  };
  for (const auto& b : bad) {
    auto e = decode_bundle_entry(b);
    INFO("input size " << b.size() << " first byte " << int(static_cast<unsigned char>(b[0])));
    CHECK_FALSE(e);
    if (!e) CHECK(e.error().code == errc::corruption);
  }
}

TEST_CASE("bundle entry: shapes whose element count overflows int64 are rejected") {
  bundle_entry e;
  e.dtype = dtype::float32;
  e.shape = {1ll << 40, 1ll << 40};
  auto d = decode_bundle_entry(encode_bundle_entry(e));
  REQUIRE_FALSE(d);
  CHECK(d.error().message.find("invalid tensor shape") != std::string::npos);
}

TEST_CASE("bundle entry: slices encode full extents as empty messages and lengths always") {
  bundle_entry e;
  e.dtype = dtype::float32;
  e.shape = {10, 20};
  tensor_slice s;
  s.extents = {slice_extent{0, 5}, slice_extent{}};
  e.slices.push_back(s);
  const std::string bytes = encode_bundle_entry(e);
  // slice: field 7 { extent {length: 5}, extent {} }
  CHECK(bytes.find("\x3a\x06\x0a\x02\x10\x05\x0a\x00"s) != std::string::npos);
  auto d = decode_bundle_entry(bytes);
  REQUIRE(d);
  REQUIRE(d->slices.size() == 1);
  CHECK(d->slices[0].extents[0].start == 0);
  CHECK(d->slices[0].extents[0].length == 5);
  CHECK(d->slices[0].extents[1].full());
}

TEST_CASE("object graph: round trip keeps every field and encodes TF's field order") {
  trackable_object_graph g;
  g.nodes.resize(3);
  g.nodes[0].children = {{1, "model"}, {2, "save_counter"}};
  g.nodes[0].has_checkpoint_values = true;
  g.nodes[1].attributes = {{"VARIABLE_VALUE", "dense/kernel", "model/.ATTRIBUTES/VARIABLE_VALUE", false}};
  g.nodes[1].slot_variables = {{1, "m", 2}};
  g.nodes[2].attributes = {{"VARIABLE_VALUE", "save_counter", "save_counter/.ATTRIBUTES/VARIABLE_VALUE", false}};
  g.nodes[2].has_checkpoint_values = false;
  g.nodes[2].saver = registered_saver{"saver", "obj"};
  const std::string bytes = encode_object_graph(g);
  auto d = decode_object_graph(bytes);
  REQUIRE(d);
  CHECK(encode_object_graph(*d) == bytes);
  CHECK(d->nodes[0].children[1].local_name == "save_counter");
  CHECK(d->nodes[1].slot_variables[0].slot_name == "m");
  CHECK(*d->nodes[0].has_checkpoint_values);
  CHECK_FALSE(*d->nodes[2].has_checkpoint_values);
  CHECK(d->nodes[2].saver->object_name == "obj");
  // has_checkpoint_values = true is the BoolValue `2a 02 08 01`.
  CHECK(bytes.find("\x2a\x02\x08\x01"s) != std::string::npos);
}

TEST_CASE("object graph: dangling node ids are rejected naming the node") {
  trackable_object_graph g;
  g.nodes.resize(1);
  g.nodes[0].children = {{5, "ghost"}};
  auto d = decode_object_graph(encode_object_graph(g));
  REQUIRE_FALSE(d);
  CHECK(d.error().message.find("ghost") != std::string::npos);
  g.nodes[0].children.clear();
  g.nodes[0].slot_variables = {{0, "m", 9}};
  CHECK_FALSE(decode_object_graph(encode_object_graph(g)));
}

TEST_CASE("object graph: the node limit is enforced before decoding everything") {
  trackable_object_graph g;
  g.nodes.resize(100);
  object_graph_limits lim;
  lim.max_nodes = 10;
  auto d = decode_object_graph(encode_object_graph(g), lim);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == errc::limit_exceeded);
}

// decode_bundle_entry_into tries a straight-line decoder for the layout TF writes before the
// general one. Whatever the fast decoder accepts, the general decoder must accept and read the
// same way; and it must accept TF's own layouts (else listing silently loses its speed).
TEST_CASE("bundle entry: the fast decoder agrees with the general decoder") {
  auto same = [](const bundle_entry& a, const bundle_entry& b) {
    return a.dtype == b.dtype && a.shape == b.shape && a.shard_id == b.shard_id && a.offset == b.offset &&
           a.size == b.size && a.crc32c == b.crc32c && a.slices == b.slices;
  };
  std::vector<std::string> seeds;
  for (const shape_t& shape : {shape_t{}, shape_t{784, 512}, shape_t{3, 0}, shape_t{1, 1, 1, 1}, shape_t{1LL << 40}}) {
    bundle_entry e;
    e.dtype = dtype::float32;
    e.shape = shape;
    e.shard_id = shape.size() == 2 ? 1 : 0;
    e.offset = 123456789;
    e.size = 4 * std::max<std::int64_t>(0, num_elements(shape));
    e.crc32c = 0xa282ead8u;
    seeds.push_back(encode_bundle_entry(e));
    e.offset = e.size = 0;
    e.crc32c = 0;
    seeds.push_back(encode_bundle_entry(e));
  }
  int fast_accepted = 0;
  for (const std::string& seed : seeds) {
    bundle_entry fast, general;
    REQUIRE(detail::decode_canonical_entry(seed, fast));
    REQUIRE(detail::decode_general_entry(seed, general));
    CHECK(same(fast, general));
    // Every single-byte change and every truncation.
    for (std::size_t i = 0; i <= seed.size(); ++i) {
      for (int v : {0x00, 0x01, 0x08, 0x10, 0x12, 0x18, 0x35, 0x7f, 0x80, 0xff, -1}) {
        std::string m = seed;
        if (v < 0) m.resize(i);
        else if (i < m.size()) m[i] = static_cast<char>(v);
        else m.push_back(static_cast<char>(v));
        bundle_entry f, g;
        if (!detail::decode_canonical_entry(m, f)) continue;
        ++fast_accepted;
        INFO("seed " << seed.size() << " bytes, change at " << i << " to " << v);
        REQUIRE(detail::decode_general_entry(m, g));
        CHECK(same(f, g));
      }
    }
  }
  CHECK(fast_accepted > 0);
  // Slices are left to the general decoder; so are fields out of TF's order.
  bundle_entry e;
  CHECK_FALSE(detail::decode_canonical_entry("\x12\x00\x08\x01"s, e));
  CHECK(decode_bundle_entry_into("\x12\x00\x08\x01"s, e));
  CHECK(e.dtype == dtype::float32);
  CHECK_FALSE(detail::decode_canonical_entry("\x08\x01\x12\x00\x3a\x00"s, e));
  REQUIRE(decode_bundle_entry_into("\x08\x01\x12\x00\x3a\x00"s, e));
  CHECK(e.slices.size() == 1);
}

TEST_CASE("bundle entry: the direct encoder writes what proto_writer writes field by field") {
  // The reference: the BundleEntryProto written through proto_writer (proto3 scalars omitted
  // when zero, the shape always present, each dim a sub-message), as the encoder did before.
  auto reference = [](const bundle_entry& e) {
    std::string out;
    detail::proto_writer w(out);
    w.int64_field(1, static_cast<std::int32_t>(e.dtype));
    w.message_field(2, [&](detail::proto_writer& s) {
      for (std::int64_t d : e.shape) s.message_field(2, [&](detail::proto_writer& m) { m.int64_field(1, d); });
    });
    w.int64_field(3, e.shard_id);
    w.int64_field(4, e.offset);
    w.int64_field(5, e.size);
    w.fixed32_field(6, e.crc32c);
    return out;
  };
  std::uint64_t x = 88172645463325252ull;  // xorshift: values of every varint length
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x >> (x % 64);
  };
  int checked = 0;
  for (std::size_t rank : {0, 1, 2, 5, 17, 254}) {
    for (int round = 0; round < 40; ++round) {
      bundle_entry e;
      e.dtype = round % 3 ? dtype::float32 : dtype::bfloat16;
      for (std::size_t k = 0; k < rank; ++k)
        e.shape.push_back(round % 5 == 0 ? 0 : round % 7 == 0 ? -1 : static_cast<std::int64_t>(next() >> 1));
      e.shard_id = round % 4 ? static_cast<std::int32_t>(next() & 0x7fffffff) : 0;
      e.offset = round % 6 ? static_cast<std::int64_t>(next() >> 1) : 0;
      e.size = round % 8 ? static_cast<std::int64_t>(next() >> 1) : 0;
      e.crc32c = round % 9 ? static_cast<std::uint32_t>(next()) : 0;
      std::string appended = "prefix";  // appending keeps what the string held
      append_bundle_entry(appended, e.dtype, e.shape, e.shard_id, e.offset, e.size, e.crc32c, {});
      REQUIRE(appended == "prefix" + reference(e));
      ++checked;
    }
  }
  CHECK(checked == 240);
}
