// slice: TensorSlice text syntax, binary slice keys (checked against keys TensorFlow wrote),
// validity, slice copy in/out on random partitions, and coverage / overlap detection.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tfckpt/format/slice.hpp"

namespace {

using tfckpt::shape_t;
using tfckpt::slice_extent;
using tfckpt::tensor_slice;

std::string hex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i < h.size(); i += 3) {
    out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

tensor_slice parse(std::string_view s) {
  auto r = tfckpt::parse_tensor_slice(s);
  REQUIRE(r);
  return *r;
}

// Every key below was written by TensorFlow 2.21 (tensorflow-cpu in .venv) and read back from the
// .index file with a pure-Python SSTable reader, e.g.
//   tf.raw_ops.SaveV2(prefix=p, tensor_names=["var", "var"],
//                     shape_and_slices=["10 20 0,5:-", "10 20 5,5:-"], tensors=[a, b])
// "pv" comes from tf.compat.v1.get_variable("pv", [10, 4],
// partitioner=fixed_size_partitioner(3)) saved by tf.compat.v1.train.Saver: Python spells the
// unsplit dimension as an explicit "0,4", so its keys carry 80 84 rather than 80 7f.
struct tf_key {
  std::string name;
  std::string_view spec;  // SaveV2 shape_and_slice
  std::string_view key;   // observed key bytes
};
const std::vector<tf_key>& tf_keys() {
  static const std::vector<tf_key> keys = {
      {"var", "10 20 0,5:-", "00 76 61 72 00 01 01 02 80 85 80 7f"},
      {"var", "10 20 5,5:-", "00 76 61 72 00 01 01 02 85 85 80 7f"},
      {"w", "10 20 0,10:0,7", "00 77 00 01 01 02 80 8a 80 87"},
      {"w", "10 20 0,10:7,13", "00 77 00 01 01 02 80 8a 87 8d"},
      {"big", "100000 3 0,70000:-", "00 62 69 67 00 01 01 02 80 e1 11 70 80 7f"},
      {"big", "100000 3 70000,30000:-", "00 62 69 67 00 01 01 02 e1 11 70 e0 75 30 80 7f"},
      {std::string("a\0b\xff" "c", 5), "4 0,2", "00 61 00 ff 62 ff 00 63 00 01 01 01 80 82"},
      {std::string("a\0b\xff" "c", 5), "4 2,2", "00 61 00 ff 62 ff 00 63 00 01 01 01 82 82"},
      {"r3", "2 3 300 -:-:0,100", "00 72 33 00 01 01 03 80 7f 80 7f 80 c0 64"},
      {"r3", "2 3 300 -:-:100,200", "00 72 33 00 01 01 03 80 7f 80 7f c0 64 c0 c8"},
      {"huge", "1125899906842000 1 1125899906841990,10:-",
       "00 68 75 67 65 00 01 01 02 ff 03 ff ff ff ff fd 86 8a 80 7f"},
      {"huge2", "4611686018427387904 4611686018427387901,3",
       "00 68 75 67 65 32 00 01 01 01 ff bf ff ff ff ff ff ff fd 83"},
      {"mid", "100000000 63,1", "00 6d 69 64 00 01 01 01 bf 81"},
      {"mid", "100000000 64,1", "00 6d 69 64 00 01 01 01 c0 40 81"},
      {"mid", "100000000 8191,1", "00 6d 69 64 00 01 01 01 df ff 81"},
      {"mid", "100000000 8192,1", "00 6d 69 64 00 01 01 01 e0 20 00 81"},
      {"mid", "100000000 1048576,1", "00 6d 69 64 00 01 01 01 f0 10 00 00 81"},
      {"mid", "100000000 4342338,1", "00 6d 69 64 00 01 01 01 f0 42 42 42 81"},
      // From 150 random SaveV2 specs (rank 1-4, starts up to 2^62, names of 00/01/61/fe/ff
      // bytes), all of which matched; four kept here.
      {std::string("\x01\xff\x00\x61", 4), "608949617253443770 213029039208124735,2",
       "00 01 ff 00 00 ff 61 00 01 01 01 ff 82 f4 d4 c8 50 d7 d1 3f 82"},
      {std::string("\x00\x01\x00", 3), "1097770874080018050 1 590867676116117528,2:0,1",
       "00 00 ff 01 00 ff 00 01 01 02 ff 88 33 2f 05 58 29 68 18 82 80 81"},
      {"aaa\xff", "325996008440 1 1 1 100238003009,1:-:-:0,1",
       "00 61 61 61 ff 00 00 01 01 04 fc 17 56 a6 8b 41 81 80 7f 80 7f 80 81"},
      {"a", "4377702234538074799 1 1 1 3506719954053621218,1:-:0,1:0,1",
       "00 61 00 01 01 04 ff b0 aa 5f 38 04 23 e5 e2 81 80 7f 80 81 80 81"},
      {"pv", "10 4 0,4:0,4", "00 70 76 00 01 01 02 80 84 80 84"},
      {"pv", "10 4 4,3:0,4", "00 70 76 00 01 01 02 84 83 80 84"},
      {"pv", "10 4 7,3:0,4", "00 70 76 00 01 01 02 87 83 80 84"},
  };
  return keys;
}

// A random partition of `shape` by recursive cuts along random dimensions (guillotine cuts, so
// not only grids). Extents spanning a whole dimension are randomly spelled full or explicit.
void partition(std::mt19937& rng, const shape_t& shape, std::vector<std::pair<std::int64_t, std::int64_t>> box,
               int depth, std::vector<tensor_slice>& out) {
  const std::size_t r = shape.size();
  std::vector<std::size_t> cuttable;
  for (std::size_t d = 0; d < r; ++d) {
    if (box[d].second > 1) cuttable.push_back(d);
  }
  if (depth > 0 && !cuttable.empty() && rng() % 4 != 0) {
    const std::size_t d = cuttable[rng() % cuttable.size()];
    const std::int64_t at = box[d].first + 1 + static_cast<std::int64_t>(rng() % static_cast<std::uint32_t>(box[d].second - 1));
    auto lo = box, hi = box;
    lo[d].second = at - box[d].first;
    hi[d] = {at, box[d].first + box[d].second - at};
    partition(rng, shape, lo, depth - 1, out);
    partition(rng, shape, hi, depth - 1, out);
    return;
  }
  tensor_slice s;
  for (std::size_t d = 0; d < r; ++d) {
    const bool whole = box[d].first == 0 && box[d].second == shape[d];
    s.extents.push_back(whole && rng() % 2 ? slice_extent{} : slice_extent{box[d].first, box[d].second});
  }
  out.push_back(s);
}

std::vector<tensor_slice> random_partition(std::mt19937& rng, const shape_t& shape) {
  std::vector<std::pair<std::int64_t, std::int64_t>> box;
  for (auto d : shape) box.emplace_back(0, d);
  std::vector<tensor_slice> out;
  partition(rng, shape, box, 6, out);
  return out;
}

}  // namespace

TEST_CASE("slice: parse and print TF's TensorSlice syntax") {
  const auto s = parse("0,5:-");
  REQUIRE(s.rank() == 2);
  CHECK(s.extents[0] == slice_extent{0, 5});
  CHECK(s.extents[1].full());
  CHECK(tfckpt::tensor_slice_to_string(s) == "0,5:-");
  CHECK(tfckpt::tensor_slice_to_string(parse("0,10:-:14,1:-:-")) == "0,10:-:14,1:-:-");
  CHECK(parse("").rank() == 0);                   // TF skips empty items
  CHECK(parse("0,5::-") == parse("0,5:-"));
  CHECK(parse("-") == tensor_slice::full(1));
  CHECK(parse("9223372036854775806,1").extents[0].start == 9223372036854775806);
  for (const char* bad : {"0,0", "-1,5", "0,-1", "a,5", "0,5,6", "0", "5", "0,5:x", "0,5:-,1",
                          "1,9223372036854775807", "0,99999999999999999999", " 0,5", "0x1,5"}) {
    CAPTURE(bad);
    CHECK_FALSE(tfckpt::parse_tensor_slice(bad));
  }
}

TEST_CASE("slice: parse SaveV2 shape_and_slice specs") {
  auto r = tfckpt::parse_shape_and_slice("10 20 0,5:-");
  REQUIRE(r);
  CHECK(r->shape == shape_t{10, 20});
  CHECK(r->slice == parse("0,5:-"));
  CHECK(tfckpt::shape_and_slice_to_string(r->shape, r->slice) == "10 20 0,5:-");
  for (const auto& k : tf_keys()) {
    CAPTURE(k.spec);
    auto p = tfckpt::parse_shape_and_slice(k.spec);
    REQUIRE(p);
    CHECK(tfckpt::shape_and_slice_to_string(p->shape, p->slice) == k.spec);
  }
  for (const char* bad : {"", "0,5:-", "10 20 0,15:-", "10 0,5:-", "10  20 0,5:-", "x 0,1",
                          "-10 20 0,5:-", "10 20 5,6:-", "4611686018427387904 4 -:-"}) {
    CAPTURE(bad);
    CHECK_FALSE(tfckpt::parse_shape_and_slice(bad));
  }
}

TEST_CASE("slice: keys equal the bytes TensorFlow wrote and decode back") {
  // The example of docs/format.md §8.2.
  CHECK(tfckpt::encode_tensor_name_slice("var", parse("0,5:-")) == hex("00 76 61 72 00 01 01 02 80 85 80 7f"));
  for (const auto& k : tf_keys()) {
    CAPTURE(k.spec);
    auto p = tfckpt::parse_shape_and_slice(k.spec);
    REQUIRE(p);
    const std::string key = tfckpt::encode_tensor_name_slice(k.name, p->slice);
    CHECK(key == hex(k.key));
    auto d = tfckpt::decode_tensor_name_slice(key);
    REQUIRE(d);
    CHECK(d->first == k.name);
    CHECK(d->second == p->slice);
  }
}

TEST_CASE("slice: a full extent is keyed as (0, -1) whatever start it carries") {
  const tensor_slice odd{{slice_extent{7, -1}, slice_extent{0, 3}}};
  CHECK(tfckpt::encode_tensor_name_slice("x", odd) == tfckpt::encode_tensor_name_slice("x", parse("-:0,3")));
}

TEST_CASE("slice: malformed keys are rejected") {
  const std::string good = hex("00 76 61 72 00 01 01 02 80 85 80 7f");
  for (std::size_t n = 0; n < good.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(tfckpt::decode_tensor_name_slice(good.substr(0, n)));
  }
  const auto key = [](std::uint64_t lead, std::uint64_t rank, std::vector<std::int64_t> nums) {
    std::string k;
    tfckpt::detail::write_num_increasing(k, lead);
    tfckpt::detail::write_string(k, "v");
    tfckpt::detail::write_num_increasing(k, rank);
    for (auto n : nums) tfckpt::detail::write_signed_num_increasing(k, n);
    return k;
  };
  CHECK(tfckpt::decode_tensor_name_slice(key(0, 1, {0, 5})));
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(1, 1, {0, 5})));     // leading number not 0
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(0, 0, {})));         // rank 0 (TF rejects too)
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(0, 255, {})));       // rank past TensorShape's
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(0, 1 << 30, {0, 5})));  // huge rank, no alloc
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(0, 2, {0, 5})));     // missing extent
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(0, 1, {0, 0})));     // length 0
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(0, 1, {-1, 5})));    // negative start
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(0, 1, {5, -1})));    // full with a start
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(0, 1, {0, -2})));    // not kFullExtent
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(0, 1, {std::numeric_limits<std::int64_t>::max(), 1})));
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(key(0, 1, {0, 5}) + "x"));  // trailing bytes
  CHECK_FALSE(tfckpt::decode_tensor_name_slice(hex("00 76 00 02 01 01 80 85")));  // bad escape
  CHECK_FALSE(tfckpt::decode_tensor_name_slice("var"));  // an ordinary key
  auto err = tfckpt::decode_tensor_name_slice(key(1, 1, {0, 5}));
  REQUIRE_FALSE(err);
  CHECK(err.error().code == tfckpt::errc::corruption);
  CHECK(err.error().key == key(1, 1, {0, 5}));
}

TEST_CASE("slice: check_slice, is_full_slice and slice_shape follow TF") {
  const shape_t shape{10, 20};
  CHECK(tfckpt::check_slice(parse("0,5:-"), shape));
  CHECK(tfckpt::check_slice(parse("5,5:0,20"), shape));
  CHECK_FALSE(tfckpt::check_slice(parse("5,6:-"), shape));
  CHECK_FALSE(tfckpt::check_slice(parse("0,5"), shape));
  CHECK(tfckpt::check_slice(parse("0,5"), shape).error().code == tfckpt::errc::shape_mismatch);
  CHECK_FALSE(tfckpt::check_slice(tensor_slice{{slice_extent{-1, 2}, {}}}, shape));
  CHECK_FALSE(tfckpt::check_slice(tensor_slice{{slice_extent{1, 0}, {}}}, shape));
  CHECK_FALSE(tfckpt::check_slice(tensor_slice{{slice_extent{std::numeric_limits<std::int64_t>::max(), 5}, {}}}, shape));
  CHECK_FALSE(tfckpt::check_slice(parse("-:-"), shape_t{10, -1}));
  CHECK(tfckpt::check_slice(tensor_slice{}, shape_t{}));  // scalar
  CHECK(tfckpt::is_full_slice(parse("-:-"), shape));
  CHECK(tfckpt::is_full_slice(parse("0,10:-"), shape));
  CHECK(tfckpt::is_full_slice(parse("0,10:0,20"), shape));
  CHECK_FALSE(tfckpt::is_full_slice(parse("0,9:-"), shape));
  CHECK_FALSE(tfckpt::is_full_slice(parse("-"), shape));
  CHECK(tfckpt::slice_shape(parse("2,5:-"), shape) == shape_t{5, 20});
  CHECK(tfckpt::slice_shape(parse("-:3,4"), shape) == shape_t{10, 4});
}

TEST_CASE("slice: random partitions of rank 1-4 tensors reassemble to the original") {
  std::mt19937 rng(2024);
  int partitions = 0;
  for (int iter = 0; iter < 400; ++iter) {
    const std::size_t rank = 1 + static_cast<std::size_t>(iter % 4);
    shape_t shape;
    for (std::size_t d = 0; d < rank; ++d) shape.push_back(1 + static_cast<std::int64_t>(rng() % 7));
    const std::size_t elem = std::vector<std::size_t>{1, 2, 4, 8, 16}[rng() % 5];
    std::size_t bytes = elem;
    for (auto d : shape) bytes *= static_cast<std::size_t>(d);
    std::string full(bytes, '\0');
    for (auto& c : full) c = static_cast<char>(rng());
    const auto slices = random_partition(rng, shape);
    partitions += static_cast<int>(slices.size());
    CHECK(tfckpt::slices_cover(slices, shape));
    CHECK_FALSE(tfckpt::slices_overlap(slices, shape));
    std::string rebuilt(bytes, '\0');
    for (const auto& s : slices) {
      CAPTURE(tfckpt::tensor_slice_to_string(s));
      REQUIRE(tfckpt::check_slice(s, shape));
      const std::string part = tfckpt::extract_slice(s, shape, elem, full);
      std::size_t want = elem;
      for (auto d : tfckpt::slice_shape(s, shape)) want *= static_cast<std::size_t>(d);
      REQUIRE(part.size() == want);
      REQUIRE(tfckpt::copy_slice_into(s, shape, elem, part, rebuilt.data(), rebuilt.size()));
    }
    CHECK(rebuilt == full);
    if (slices.size() > 1) {  // drop one part: a gap TF would report
      auto fewer = slices;
      fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(rng() % fewer.size()));
      CHECK_FALSE(tfckpt::slices_cover(fewer, shape));
      auto more = slices;  // duplicate one part: still covered, but overlapping
      more.push_back(slices[rng() % slices.size()]);
      CHECK(tfckpt::slices_cover(more, shape));
      CHECK(tfckpt::slices_overlap(more, shape));
    }
  }
  CHECK(partitions > 1000);
}

TEST_CASE("slice: a 2x3x4 tensor slice is laid out row-major") {
  const shape_t shape{2, 3, 4};
  std::string full;
  for (int i = 0; i < 24; ++i) full.push_back(static_cast<char>(i));
  // [1:2, 1:3, 2:4] -> elements 1*12 + {1,2}*4 + {2,3}.
  CHECK(tfckpt::extract_slice(parse("1,1:1,2:2,2"), shape, 1, full) == std::string{18, 19, 22, 23});
  CHECK(tfckpt::extract_slice(parse("-:2,1:-"), shape, 1, full) == std::string{8, 9, 10, 11, 20, 21, 22, 23});
  CHECK(tfckpt::extract_slice(tensor_slice{}, shape_t{}, 4, "abcd") == "abcd");  // scalar
}

TEST_CASE("slice: copy_slice_into and extract_slice check sizes and validity") {
  const shape_t shape{4, 2};
  std::string dst(8 * 4, '\0');
  const std::string part(2 * 2 * 4, 'x');
  CHECK(tfckpt::copy_slice_into(parse("0,2:-"), shape, 4, part, dst.data(), dst.size()));
  CHECK_FALSE(tfckpt::copy_slice_into(parse("0,2:-"), shape, 4, part.substr(1), dst.data(), dst.size()));
  CHECK_FALSE(tfckpt::copy_slice_into(parse("0,2:-"), shape, 4, part, dst.data(), dst.size() - 1));
  CHECK_FALSE(tfckpt::copy_slice_into(parse("3,2:-"), shape, 4, part, dst.data(), dst.size()));
  CHECK_FALSE(tfckpt::copy_slice_into(parse("0,2:-"), shape, 0, "", dst.data(), 0));
  CHECK(tfckpt::extract_slice(parse("0,2:-"), shape, 4, std::string(31, '\0')).empty());
  CHECK(tfckpt::extract_slice(parse("3,2:-"), shape, 4, dst).empty());
  // Zero-element tensors copy nothing and succeed.
  CHECK(tfckpt::copy_slice_into(parse("-:1,1"), shape_t{0, 2}, 4, "", dst.data(), 0));
}

TEST_CASE("slice: coverage gaps are detected without per-element memory") {
  const shape_t shape{10, 20};
  CHECK(tfckpt::slices_cover({parse("0,5:-"), parse("5,5:-")}, shape));
  CHECK_FALSE(tfckpt::slices_cover({parse("0,5:-"), parse("6,4:-")}, shape));
  CHECK_FALSE(tfckpt::slices_cover({parse("0,5:-"), parse("5,5:0,19")}, shape));
  CHECK_FALSE(tfckpt::slices_cover({}, shape));
  CHECK_FALSE(tfckpt::slices_cover({parse("0,5:-"), parse("5,6:-")}, shape));  // out of bounds
  CHECK(tfckpt::slices_cover({parse("0,6:-"), parse("4,6:-")}, shape));        // overlap covers
  CHECK(tfckpt::slices_cover({}, shape_t{0, 5}));                             // nothing to cover
  CHECK(tfckpt::slices_cover({tensor_slice{}}, shape_t{}));
  CHECK_FALSE(tfckpt::slices_cover({}, shape_t{}));
  // 2^40 x 2^20 elements: boundaries only.
  const shape_t huge{std::int64_t{1} << 40, std::int64_t{1} << 20};
  const std::int64_t half = std::int64_t{1} << 39;
  const slice_extent lo{0, half}, hi{half, half}, left{0, 12345}, right{12345, (std::int64_t{1} << 20) - 12345};
  CHECK(tfckpt::slices_cover({tensor_slice{{lo, {}}}, tensor_slice{{hi, left}}, tensor_slice{{hi, right}}}, huge));
  CHECK_FALSE(tfckpt::slices_cover({tensor_slice{{lo, {}}}, tensor_slice{{hi, left}}}, huge));
}

TEST_CASE("slice: irregular partitions past the grid cap still check exactly") {
  // 2048 rows, each split at its own column: the boundary grid has 2048 x 2049 cells, past
  // max_cover_cells, so slices_cover falls back to TF's disjoint-volume test.
  const std::int64_t rows = 2048, cols = 4096;
  const shape_t shape{rows, cols};
  std::vector<tensor_slice> slices;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t at = 1 + r;
    slices.push_back(tensor_slice{{slice_extent{r, 1}, slice_extent{0, at}}});
    slices.push_back(tensor_slice{{slice_extent{r, 1}, slice_extent{at, cols - at}}});
  }
  CHECK(tfckpt::slices_cover(slices, shape));
  auto gap = slices;
  gap[1001].extents[1].length -= 1;
  CHECK_FALSE(tfckpt::slices_cover(gap, shape));
  auto overlap = slices;
  overlap[1001].extents[1] = slice_extent{0, cols};
  CHECK_FALSE(tfckpt::slices_cover(overlap, shape));  // overlapping sets past the cap: false
  CHECK(tfckpt::slices_overlap(overlap, shape));
}

TEST_CASE("slice: only TF's HANDLE_COPY dtypes can be reassembled") {
  using tfckpt::dtype;
  for (dtype t : {dtype::float32, dtype::float64, dtype::int32, dtype::uint8, dtype::int16,
                  dtype::int8, dtype::complex64, dtype::complex128, dtype::int64, dtype::bool_,
                  dtype::qint32, dtype::quint8, dtype::qint8, dtype::bfloat16, dtype::int4,
                  dtype::uint4}) {
    CHECK(tfckpt::dtype_supports_slicing(t));
  }
  for (dtype t : {dtype::float16, dtype::uint16, dtype::uint32, dtype::uint64, dtype::string,
                  dtype::qint16, dtype::quint16, dtype::variant, dtype::resource,
                  dtype::float8_e5m2, dtype::invalid}) {
    CHECK_FALSE(tfckpt::dtype_supports_slicing(t));
  }
}
