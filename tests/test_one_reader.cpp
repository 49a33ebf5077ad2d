// One reader (issue #12): bundle_reader::open_memory, list_entries and the allocation-free
// restore_from_memory check entries and headers with the same format-layer functions
// (decode_entry_fields, validate_entry, decode_header_fields, validate_header), so each class of
// bad entry is rejected by all three with the same code. And the public restore of a struct from
// an opened bundle_reader, over an in-memory bundle.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bundle_craft.hpp"
#include "bundle_test_util.hpp"
#include "tfckpt/bundle/listing.hpp"
#include "tfckpt/bundle/reader.hpp"
#include "tfckpt/checkpoint.hpp"
#include "tfckpt/memory_restore.hpp"

using tfckpt_test::temp_dir;

using tfckpt::errc;

namespace one_reader {

struct one {
  float w = 0;
};

// A dynamic struct: restore_from_memory cannot take it, a reader over memory can.
struct dense {
  std::vector<float> kernel;
  std::array<float, 2> bias{};
};
struct model {
  dense layer;
  std::int64_t step = 0;
};

constexpr std::string_view w_key = "w/.ATTRIBUTES/VARIABLE_VALUE";

std::string index_with(std::string_view key, std::string_view value, const tfckpt::bundle_header& h = {}) {
  tfckpt::detail::table_builder tb;
  tb.add("", tfckpt::encode_bundle_header(h));
  tb.add(key, value);
  return tb.finish();
}

struct outcome {
  errc reader, listing, memory;
};

// The same bytes through the three paths.
outcome run_all(const std::string& index, const std::string& data) {
  outcome o{};
  auto r = tfckpt::bundle_reader::open_memory(index, {data});
  o.reader = r ? errc::ok : r.error().code;
  temp_dir dir;
  REQUIRE(tfckpt_test::write_all(dir / "ckpt.index", index));
  REQUIRE(tfckpt_test::write_all(dir / "ckpt.data-00000-of-00001", data));
  auto l = tfckpt::list_entries(dir / "ckpt", [](const tfckpt::listed_entry&) { return true; });
  o.listing = l ? errc::ok : l.error().code;
  one x;
  const auto m = tfckpt::restore_from_memory(index, {data}, x);
  o.memory = m ? errc::ok : m.error().code;
  return o;
}

}  // namespace one_reader

using namespace std::string_literals;

TEST_CASE("one reader: a good entry passes all three paths") {
  const std::string data(4, '\0');
  tfckpt::bundle_entry e;
  e.dtype = tfckpt::dtype::float32;
  e.size = 4;
  e.crc32c = tfckpt::detail::crc32c_mask(tfckpt::detail::crc32c(data.data(), data.size()));
  const auto o = one_reader::run_all(one_reader::index_with(one_reader::w_key, tfckpt::encode_bundle_entry(e)), data);
  CHECK(o.reader == errc::ok);
  CHECK(o.listing == errc::ok);
  CHECK(o.memory == errc::ok);
}

TEST_CASE("one reader: each bad-entry class is rejected by all three paths alike") {
  const std::string data(64, '\0');
  tfckpt::bundle_entry beyond;  // shard 3 of a one-shard bundle
  beyond.dtype = tfckpt::dtype::float32;
  beyond.size = 4;
  beyond.shard_id = 3;
  tfckpt::bundle_entry huge;  // 2^80 elements
  huge.dtype = tfckpt::dtype::float32;
  huge.shape = {1ll << 40, 1ll << 40};
  std::string deep = "\x08\x01\x12"s;  // rank 255: one past TensorShape's limit
  std::string dims;
  for (std::size_t i = 0; i <= tfckpt::max_rank; ++i) dims += "\x12\x02\x08\x01"s;
  tfckpt::detail::put_varint64(deep, dims.size());
  deep += dims;
  const struct {
    const char* what;
    std::string value;
  } cases[] = {
      {"truncated varint", "\x08"s},
      {"shape longer than the message", "\x08\x01\x12\x05\x12"s},
      {"unknown dtype", "\x08\x63\x12\x00"s},
      {"no dtype", "\x12\x00\x28\x04"s},
      {"negative dim", "\x08\x01\x12\x0d\x12\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s},
      {"element count past int64", tfckpt::encode_bundle_entry(huge)},
      {"rank above 254", deep},
      {"negative shard", "\x08\x01\x12\x00\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s},
      {"negative offset", "\x08\x01\x12\x00\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s},
      {"shard beyond num_shards", tfckpt::encode_bundle_entry(beyond)},
      {"group wire type", "\x0b\x00"s},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const auto o = one_reader::run_all(one_reader::index_with(one_reader::w_key, c.value), data);
    CHECK(o.reader == errc::corruption);
    CHECK(o.listing == errc::corruption);
    CHECK(o.memory == errc::corruption);
    // An entry the struct has no variable for is checked all the same.
    const auto other = one_reader::run_all(one_reader::index_with("other", c.value), data);
    CHECK(other.memory == errc::corruption);
  }
}

TEST_CASE("one reader: bad headers are rejected by all three paths alike") {
  const std::string data(4, '\0');
  tfckpt::bundle_entry e;
  e.dtype = tfckpt::dtype::float32;
  e.size = 4;
  const std::string entry = tfckpt::encode_bundle_entry(e);
  tfckpt::bundle_header future;
  future.version.min_consumer = 2;
  tfckpt::bundle_header banned;
  banned.version.bad_consumers = {1};
  tfckpt::bundle_header negative;  // (0 would be absent on the wire: the V1 case below)
  negative.num_shards = -1;
  for (const auto& [h, code] : {std::pair{future, errc::version_mismatch}, std::pair{banned, errc::version_mismatch},
                                std::pair{negative, errc::corruption}}) {
    const auto o = one_reader::run_all(one_reader::index_with(one_reader::w_key, entry, h), data);
    CHECK(o.reader == code);
    CHECK(o.listing == code);
    CHECK(o.memory == code);
  }
  // No num_shards at all: a legacy V1 TensorSlice table's "" entry.
  tfckpt::detail::table_builder tb;
  tb.add("", "\x0a\x00"s);
  tb.add(one_reader::w_key, entry);
  const auto o = one_reader::run_all(tb.finish(), data);
  CHECK(o.reader == errc::unsupported);
  CHECK(o.listing == errc::unsupported);
  CHECK(o.memory == errc::unsupported);
}

TEST_CASE("one reader: a struct restores from an opened bundle_reader over memory") {
  temp_dir dir;
  one_reader::model in;
  in.layer.kernel = {1.f, 2.f, 3.f, 4.f, 5.f};
  in.layer.bias = {0.5f, -0.5f};
  in.step = 7;
  auto path = tfckpt::write(dir / "ckpt", in);
  REQUIRE(path);
  const std::string index = tfckpt_test::read_file(*path + ".index");
  const std::string data = tfckpt_test::read_file(*path + ".data-00000-of-00001");
  auto reader = tfckpt::bundle_reader::open_memory(index, {data});
  REQUIRE(reader);
  one_reader::model out;
  auto st = tfckpt::read(*reader, out);
  REQUIRE(st);
  CHECK(st->assert_consumed());
  CHECK(out.layer.kernel == in.layer.kernel);
  CHECK(out.layer.bias == in.layer.bias);
  CHECK(out.step == 7);
  // restore() also expects save_counter, which write() does not store.
  one_reader::model again;
  auto full = tfckpt::restore(*reader, again);
  REQUIRE(full);
  CHECK_FALSE(full->assert_consumed());
  CHECK(again.step == 7);
}
