// bundle_writer + bundle_merge: round trips through bundle_reader for every dtype and edge case,
// shards, data alignment, partitioned tensors, merging, argument checks, crash safety (temp
// names), replacement of an existing checkpoint, and the exact index bytes of docs/format.md §5.2/§5.3.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <array>
#include <csignal>
#include <complex>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <tfckpt/bundle/merge.hpp>
#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/bundle/writer.hpp>
#include <tfckpt/format/table_reader.hpp>
#include <vector>

#include "bundle_test_util.hpp"

using tfckpt::bundle_reader;
using tfckpt::bundle_writer;
using tfckpt::dtype;
using tfckpt::errc;
using tfckpt::shape_t;
using tfckpt::tensor;
using namespace tfckpt_test;
using tfckpt::result;

namespace {

#define REQUIRE_OK(expr)                                                     \
  do {                                                                       \
    auto&& req_ok_r_ = (expr);                                               \
    REQUIRE_MESSAGE(req_ok_r_, (req_ok_r_ ? "" : req_ok_r_.error().to_string())); \
  } while (0)

// Deterministic element bytes; bool elements are 0/1 as TF stores them.
std::string pattern_bytes(dtype t, std::int64_t n, unsigned seed) {
  std::string out(static_cast<std::size_t>(n) * tfckpt::dtype_size(t), '\0');
  std::uint32_t x = 0x9e3779b9u * (seed + 1);
  for (auto& c : out) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(t == dtype::bool_ ? (x >> 16) & 1 : x >> 24);
  }
  return out;
}

tensor make_fixed(dtype t, const shape_t& shape, unsigned seed) {
  tensor out = tensor::zeros(t, shape).value();
  const std::string b = pattern_bytes(t, out.num_elements(), seed);
  if (!b.empty()) std::memcpy(out.bytes().data(), b.data(), b.size());  // empty: data() may be null
  return out;
}

std::vector<dtype> fixed_dtypes() {
  std::vector<dtype> out;
  for (std::int32_t v = 1; v <= 30; ++v)
    if (tfckpt::is_storable(v) && tfckpt::is_fixed_size(static_cast<dtype>(v))) out.push_back(static_cast<dtype>(v));
  return out;
}

std::vector<std::string> edge_strings() {
  return {"", "a", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80", std::string(127, 'x'), std::string(128, 'y'),
          std::string(300, 'z'), std::string("\0bin\0ary\xff", 9), std::string(20000, 'q')};
}

// Writes `tensors` (in map order) under `prefix`; returns the reader.
using tensor_map = std::map<std::string, tensor>;

void expect_same(const bundle_reader& r, const tensor_map& want) {
  REQUIRE(r.entries().size() == want.size());
  std::size_t i = 0;
  for (const auto& kv : want) {
    const std::string& key = kv.first;  // (not a structured binding: clang 14 cannot capture one in INFO)
    const tensor& t = kv.second;
    INFO("key " << key);
    CHECK(r.entries()[i].key == key);
    CHECK(r.entries()[i].info.dtype == t.dtype());
    CHECK(r.entries()[i].info.shape == t.shape());
    auto got = r.read(key);
    REQUIRE_MESSAGE(got, (got ? "" : got.error().to_string()));
    CHECK(*got == t);
    ++i;
  }
  auto v = r.verify();
  CHECK_MESSAGE(v, (v ? "" : v.error().to_string()));
}

tensor_map all_dtype_tensors() {
  tensor_map m;
  unsigned seed = 0;
  for (dtype t : fixed_dtypes()) {
    const std::string n(tfckpt::dtype_name(t));
    m.emplace(n + "/scalar", make_fixed(t, {}, seed++));
    m.emplace(n + "/vec", make_fixed(t, {5}, seed++));
    m.emplace(n + "/mat", make_fixed(t, {2, 3}, seed++));
    m.emplace(n + "/empty", make_fixed(t, {0}, seed++));
    m.emplace(n + "/empty3", make_fixed(t, {2, 0, 3}, seed++));
  }
  const auto s = edge_strings();
  m.emplace("string/edge", tensor::from_strings({static_cast<std::int64_t>(s.size())}, s).value());
  m.emplace("string/scalar_empty", tensor::from_strings({}, {""}).value());
  m.emplace("string/scalar_long", tensor::from_strings({}, {std::string(200, '\x80')}).value());
  m.emplace("string/zero", tensor::from_strings({3, 0}, {}).value());
  m.emplace("string/matrix", tensor::from_strings({2, 2}, {"\xe6\x97\xa5\xe6\x9c\xac", "", "x", std::string(129, 'a')}).value());
  return m;
}

result<void> write_all_tensors(const std::string& prefix, const tensor_map& m, const tfckpt::write_options& o = {}) {
  auto w = bundle_writer::create(prefix, o);
  if (!w) return std::move(w).error();
  for (const auto& [key, t] : m) TFCKPT_TRY(w->add(key, t));
  return w->finish();
}

// Raw index value (serialized BundleEntryProto / header) of `key`, via the table reader.
std::string index_value(const std::string& prefix, std::string_view key) {
  const std::string bytes = read_file(prefix + ".index");
  auto table = tfckpt::detail::table_reader::open(bytes, {});
  REQUIRE(table);
  auto it = table->make_iterator();
  REQUIRE(it.seek(key));
  REQUIRE(it.valid());
  REQUIRE(it.key() == key);
  return std::string(it.value());
}

std::string masked_crc_le(std::string_view bytes) {
  const std::uint32_t m = tfckpt::detail::crc32c_mask(tfckpt::detail::crc32c(bytes.data(), bytes.size()));
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(m >> (8 * i));
  return out;
}

}  // namespace

TEST_CASE("bundle_writer: every dtype, edge strings, scalars and zero-element tensors round-trip") {
  temp_dir d;
  const auto m = all_dtype_tensors();
  REQUIRE_OK(write_all_tensors(d / "ckpt", m));
  CHECK(list_files(d.path()) == std::vector<std::string>{"ckpt.data-00000-of-00001", "ckpt.index"});
  auto r = bundle_reader::open(d / "ckpt");
  REQUIRE_OK(r);
  CHECK(r->header().num_shards == 1);
  expect_same(*r, m);
  // Records are densely packed in add order (map order here): offsets are running sums.
  std::int64_t off = 0;
  for (const auto& [key, t] : m) {
    const auto* e = r->find(key);
    REQUIRE(e != nullptr);
    CHECK(e->info.offset == off);
    off += e->info.size;
  }
  auto sz = tfckpt::detail::file_size(d / "ckpt.data-00000-of-00001");
  REQUIRE(sz);
  CHECK(*sz == static_cast<std::uint64_t>(off));
  // Typed accessors agree with the raw bytes.
  auto c = r->read("complex64/vec");
  REQUIRE(c);
  auto cv = c->values<std::complex<float>>();
  REQUIRE(cv);
  CHECK(cv->size() == 5);
  auto h = r->read("float16/mat");
  REQUIRE(h);
  auto hv = h->values<tfckpt::float16>();
  REQUIRE(hv);
  CHECK(hv->size() == 6);
  // Another element type is an error naming both dtypes, never an empty view.
  auto wrong = c->values<float>();
  REQUIRE(!wrong);
  CHECK(wrong.error().code == errc::dtype_mismatch);
  CHECK(wrong.error().message == "values<float32>() of a complex64 tensor (TensorFlow does not cast)");
  const tfckpt::tensor& hc = *h;
  auto wrong_const = hc.values<tfckpt::bfloat16>();
  REQUIRE(!wrong_const);
  CHECK(wrong_const.error().code == errc::dtype_mismatch);
}

TEST_CASE("tensor: values<T>() of a string tensor or an empty tensor is a dtype mismatch") {
  const auto s = tensor::from_strings({2}, {"a", "b"}).value();
  auto v = s.values<std::int8_t>();
  REQUIRE(!v);
  CHECK(v.error().code == errc::dtype_mismatch);
  CHECK(v.error().message.find("of a string tensor") != std::string::npos);
  tensor none;
  auto nv = none.values<float>();
  REQUIRE(!nv);
  CHECK(nv.error().code == errc::dtype_mismatch);
  // The right type gives every element, writable through a non-const tensor.
  auto t = tensor::from_values<std::int32_t>({2, 2}, std::vector<std::int32_t>{1, 2, 3, 4});
  REQUIRE(t);
  auto tv = t->values<std::int32_t>();
  REQUIRE(tv);
  REQUIRE(tv->size() == 4);
  (*tv)[3] = 40;
  auto again = std::as_const(*t).values<std::int32_t>();
  REQUIRE(again);
  CHECK((*again)[3] == 40);
}

TEST_CASE("tensor: from_values with the wrong count or an invalid shape is an error, never truncation or zero fill") {
  const std::vector<float> three{1, 2, 3};
  auto few = tensor::from_values<float>({2, 2}, three);  // 3 values for 4 elements: no zero fill
  REQUIRE(!few);
  CHECK(few.error().code == errc::invalid_argument);
  CHECK(few.error().message == "tensor::from_values: 3 values given for shape [2,2] (4 elements)");
  auto many = tensor::from_values<float>({2}, three);  // 3 values for 2 elements: no truncation
  REQUIRE(!many);
  CHECK(many.error().code == errc::invalid_argument);
  auto negative = tensor::from_values<float>({-1, 3}, three);
  REQUIRE(!negative);
  CHECK(negative.error().code == errc::invalid_argument);
  CHECK(negative.error().message.find("invalid shape") != std::string::npos);
  auto overflow = tensor::from_values<float>({std::int64_t{1} << 40, std::int64_t{1} << 40}, three);
  REQUIRE(!overflow);
  CHECK(overflow.error().code == errc::invalid_argument);
  auto huge = tensor::from_values<float>({std::int64_t{1} << 62}, three);  // int64 holds it, memory does not
  REQUIRE(!huge);
  CHECK(huge.error().code == errc::invalid_argument);
  auto deep = tensor::from_values<float>(tfckpt::shape_t(tfckpt::max_rank + 1, 1), std::span<const float>(three.data(), 1));
  REQUIRE(!deep);
  CHECK(deep.error().code == errc::invalid_argument);
  // The exact count works, a scalar included, and an empty shape [0] takes no values.
  auto ok = tensor::from_values<float>({3}, three);
  REQUIRE(ok);
  CHECK(ok->shape() == tfckpt::shape_t{3});
  auto ov = ok->values<float>();
  REQUIRE(ov);
  CHECK(std::vector<float>(ov->begin(), ov->end()) == three);
  auto scalar = tensor::from_values<float>({}, std::span<const float>(three.data(), 1));
  REQUIRE(scalar);
  CHECK(scalar->num_elements() == 1);
  auto empty = tensor::from_values<float>({0, 5}, std::span<const float>());
  REQUIRE(empty);
  CHECK(empty->bytes().empty());
}

TEST_CASE("bundle_writer: typed add<T> and read_into agree") {
  temp_dir d;
  auto w = bundle_writer::create(d / "typed");
  REQUIRE_OK(w);
  const std::vector<float> f = {1.5f, -0.0f, 3.25f};
  const std::vector<std::int64_t> i = {1, -2, 1LL << 40};
  const std::vector<tfckpt::bfloat16> b = {tfckpt::bfloat16::from_bits(0x3f80), tfckpt::bfloat16::from_bits(0xffc1)};
  REQUIRE_OK(w->add<float>("f", {3}, f));
  REQUIRE_OK(w->add<std::int64_t>("i", {3}, i));
  REQUIRE_OK(w->add<tfckpt::bfloat16>("b", {2}, b));
  REQUIRE_OK(w->finish());
  auto r = bundle_reader::open(d / "typed");
  REQUIRE_OK(r);
  std::vector<float> fo(3);
  REQUIRE_OK(r->read_into<float>("f", fo));
  CHECK(std::memcmp(fo.data(), f.data(), 12) == 0);
  std::vector<std::int64_t> io(3);
  REQUIRE_OK(r->read_into<std::int64_t>("i", io));
  CHECK(io == i);
  std::vector<tfckpt::bfloat16> bo(2);
  REQUIRE_OK(r->read_into<tfckpt::bfloat16>("b", bo));
  CHECK(bo[1].bits == 0xffc1);
  std::vector<std::int32_t> wrong(3);
  auto bad = r->read_into<std::int32_t>("f", wrong);
  REQUIRE(!bad);
  CHECK(bad.error().code == errc::dtype_mismatch);
}

TEST_CASE("bundle_writer: three shards, explicit and any_shard placement") {
  temp_dir d;
  tfckpt::write_options o;
  o.num_shards = 3;
  auto w = bundle_writer::create(d / "s3", o);
  REQUIRE_OK(w);
  tensor_map m;
  m.emplace("a", make_fixed(dtype::float32, {100}, 1));  // 400 bytes, shard 2
  m.emplace("b", make_fixed(dtype::int64, {10}, 2));     // 80 bytes, shard 0
  m.emplace("c", make_fixed(dtype::int8, {7}, 3));       // any: shard 1 (empty)
  m.emplace("d", make_fixed(dtype::int8, {1}, 4));       // any: shard 1 (7 bytes < 80)
  m.emplace("e", make_fixed(dtype::float64, {20}, 5));   // any: shard 1 (8 < 80)
  m.emplace("f", make_fixed(dtype::int8, {3}, 6));       // any: shard 0 (80 < 168 < 400)
  REQUIRE_OK(w->add("a", m.at("a"), 2));
  REQUIRE_OK(w->add("b", m.at("b"), 0));
  for (const char* k : {"c", "d", "e", "f"}) REQUIRE_OK(w->add(k, m.at(k), bundle_writer::any_shard));
  auto bad = w->add("g", make_fixed(dtype::int8, {1}, 7), 3);
  REQUIRE(!bad);
  CHECK(bad.error().code == errc::invalid_argument);
  REQUIRE_OK(w->finish());
  CHECK(list_files(d.path()) == std::vector<std::string>{"s3.data-00000-of-00003", "s3.data-00001-of-00003",
                                                         "s3.data-00002-of-00003", "s3.index"});
  auto r = bundle_reader::open(d / "s3");
  REQUIRE_OK(r);
  CHECK(r->header().num_shards == 3);
  expect_same(*r, m);
  const std::map<std::string, std::pair<int, std::int64_t>> where = {
      {"a", {2, 0}}, {"b", {0, 0}}, {"c", {1, 0}}, {"d", {1, 7}}, {"e", {1, 8}}, {"f", {0, 80}}};
  for (const auto& kv : where) {
    const std::string& k = kv.first;
    const auto& sw = kv.second;
    INFO("key " << k);
    CHECK(r->find(k)->info.shard_id == sw.first);
    CHECK(r->find(k)->info.offset == sw.second);
  }
  // Opening through any of the data files finds the bundle.
  auto r2 = bundle_reader::open(d / "s3.data-00001-of-00003");
  REQUIRE_OK(r2);
}

TEST_CASE("bundle_writer: a one-shard writer given shard 1 is rejected") {
  temp_dir d;
  auto w = bundle_writer::create(d / "one");
  REQUIRE_OK(w);
  auto bad = w->add("x", make_fixed(dtype::float32, {1}, 0), 1);
  REQUIRE(!bad);
  CHECK(bad.error().code == errc::invalid_argument);
  CHECK(bad.error().key == "x");
}

TEST_CASE("bundle_writer: data_alignment 64 aligns every record and still reads") {
  temp_dir d;
  tfckpt::write_options o;
  o.data_alignment = 64;
  o.num_shards = 2;
  const auto m = all_dtype_tensors();
  REQUIRE_OK(write_all_tensors(d / "al", m, o));
  auto r = bundle_reader::open(d / "al");
  REQUIRE_OK(r);
  for (const auto& e : r->entries()) {
    INFO("key " << e.key);
    CHECK(e.info.offset % 64 == 0);
  }
  expect_same(*r, m);
  for (int s = 0; s < 2; ++s) {
    auto sz = tfckpt::detail::file_size(tfckpt::data_filename(d / "al", s, 2));
    REQUIRE(sz);
    CHECK(*sz % 64 == 0);
  }
  auto zero = bundle_writer::create(d / "bad", [] { tfckpt::write_options x; x.data_alignment = 0; return x; }());
  REQUIRE(!zero);
  CHECK(zero.error().code == errc::invalid_argument);
}

TEST_CASE("bundle_writer: partitioned tensors via add_slice are assembled by read()") {
  temp_dir d;
  const shape_t full = {6, 4};
  const tensor whole = make_fixed(dtype::float32, full, 42);
  auto slice = [](const char* spec) { return *tfckpt::parse_tensor_slice(spec); };
  const std::vector<tfckpt::tensor_slice> parts = {slice("0,2:-"), slice("2,4:0,3"), slice("2,4:3,1")};
  auto w = bundle_writer::create(d / "part", [] { tfckpt::write_options x; x.num_shards = 2; return x; }());
  REQUIRE_OK(w);
  for (const auto& s : parts)
    REQUIRE_OK(w->add_slice("emb", dtype::float32, full, s, tfckpt::extract_slice(s, full, 4, whole.byte_view())));
  // A full slice degenerates to a plain entry.
  const tensor other = make_fixed(dtype::int32, {3}, 7);
  REQUIRE_OK(w->add_slice("plain", dtype::int32, {3}, slice("-"), other.byte_view()));
  // Disagreeing dtype/shape for an existing partitioned key is refused.
  auto bad = w->add_slice("emb", dtype::int32, full, slice("0,1:-"), std::string(16, '\0'));
  REQUIRE(!bad);
  CHECK(bad.error().code == errc::invalid_argument);
  REQUIRE_OK(w->finish());

  auto r = bundle_reader::open(d / "part");
  REQUIRE_OK(r);
  REQUIRE(r->entries().size() == 2);
  CHECK(r->entries()[0].key == "emb");
  CHECK(r->entries()[0].info.slices.size() == 3);
  CHECK(r->entries()[1].key == "plain");
  CHECK(r->entries()[1].info.slices.empty());
  CHECK(r->slice_parts().size() == 3);
  auto t = r->read("emb");
  REQUIRE_OK(t);
  CHECK(*t == whole);
  std::vector<float> into(24);
  REQUIRE_OK(r->read_into<float>("emb", into));
  CHECK(std::memcmp(into.data(), whole.bytes().data(), 96) == 0);
  auto p = r->read("plain");
  REQUIRE_OK(p);
  CHECK(*p == other);
  REQUIRE_OK(r->verify());
}

TEST_CASE("bundle_writer: a partitioned tensor with a missing slice fails to read and verify") {
  temp_dir d;
  const shape_t full = {4, 2};
  const tensor whole = make_fixed(dtype::int64, full, 3);
  auto w = bundle_writer::create(d / "missing");
  REQUIRE_OK(w);
  const auto s = *tfckpt::parse_tensor_slice("0,3:-");  // rows 3..4 never written
  REQUIRE_OK(w->add_slice("v", dtype::int64, full, s, tfckpt::extract_slice(s, full, 8, whole.byte_view())));
  REQUIRE_OK(w->finish());
  auto r = bundle_reader::open(d / "missing");
  REQUIRE_OK(r);
  auto t = r->read("v");
  REQUIRE(!t);
  CHECK(t.error().code == errc::corruption);
  CHECK(t.error().key == "v");
  auto v = r->verify();
  REQUIRE(!v);
  CHECK(v.error().key == "v");
}

TEST_CASE("bundle_merge: three writers' outputs merge into one readable bundle") {
  temp_dir d;
  tensor_map all;
  const shape_t full = {5, 3};
  const tensor part_whole = make_fixed(dtype::float64, full, 99);
  const auto s0 = *tfckpt::parse_tensor_slice("0,2:-");
  const auto s1 = *tfckpt::parse_tensor_slice("2,3:-");
  std::vector<std::string> inputs;
  for (int i = 0; i < 3; ++i) {
    const std::string prefix = d / ("tmp/part-" + std::to_string(i));
    inputs.push_back(prefix);
    auto w = bundle_writer::create(prefix);
    REQUIRE_OK(w);
    for (int j = 0; j < 4; ++j) {
      const std::string key = "w" + std::to_string(j) + "/" + std::to_string(i);
      all.emplace(key, make_fixed(j % 2 ? dtype::int32 : dtype::float32, {i + 1, j + 1}, static_cast<unsigned>(i * 10 + j)));
      REQUIRE_OK(w->add(key, all.at(key)));
    }
    if (i == 1) {
      const auto strs = edge_strings();
      all.emplace("strings", tensor::from_strings({static_cast<std::int64_t>(strs.size())}, strs).value());
      REQUIRE_OK(w->add("strings", all.at("strings")));
    }
    // The partitioned tensor's slices come from two different inputs.
    if (i != 1) {
      const auto& s = i == 0 ? s0 : s1;
      REQUIRE_OK(w->add_slice("part", dtype::float64, full, s, tfckpt::extract_slice(s, full, 8, part_whole.byte_view())));
    }
    REQUIRE_OK(w->finish());
  }
  all.emplace("part", part_whole);
  REQUIRE_OK(tfckpt::merge_bundles(inputs, d / "merged"));

  auto r = bundle_reader::open(d / "merged");
  REQUIRE_OK(r);
  CHECK(r->header().num_shards == 3);
  expect_same(*r, all);
  for (const auto& e : r->entries()) {
    if (e.key == "part") continue;
    const int from = e.key == "strings" ? 1 : e.key.back() - '0';
    INFO("key " << e.key);
    CHECK(e.info.shard_id == from);  // renumbered: input i's only shard became shard i
  }
  for (const auto& p : r->slice_parts()) CHECK((p.info.shard_id == 0 || p.info.shard_id == 2));
  // Inputs' index files are gone and their data files were moved (not copied).
  CHECK(list_files(d / "tmp").empty());
  CHECK(list_files(d.path()) == std::vector<std::string>{"merged.data-00000-of-00003", "merged.data-00001-of-00003",
                                                         "merged.data-00002-of-00003", "merged.index", "tmp"});
}

TEST_CASE("bundle_merge: a duplicate key across inputs is refused") {
  temp_dir d;
  for (const char* p : {"x", "y"}) {
    auto w = bundle_writer::create(d / p);
    REQUIRE_OK(w);
    REQUIRE_OK(w->add("same", make_fixed(dtype::int8, {1}, 0)));
    REQUIRE_OK(w->finish());
  }
  auto m = tfckpt::merge_bundles({d / "x", d / "y"}, d / "out");
  REQUIRE(!m);
  CHECK(m.error().code == errc::invalid_argument);
  CHECK(m.error().key == "same");
  CHECK(!fs::exists(d / "out.index"));
}

TEST_CASE("bundle_merge: the inputs are a span: a std::array or a C array works like a vector") {
  temp_dir d;
  for (const char* p : {"a", "b", "c", "e"}) {
    auto w = bundle_writer::create(d / p);
    REQUIRE_OK(w);
    REQUIRE_OK(w->add(std::string("k_") + p, make_fixed(dtype::int16, {3}, 1)));
    REQUIRE_OK(w->finish());
  }
  const std::array<std::string, 2> from_array{d / "a", d / "b"};
  REQUIRE_OK(tfckpt::merge_bundles(from_array, d / "m1"));
  const std::string from_c_array[] = {d / "c", d / "e"};
  REQUIRE_OK(tfckpt::merge_bundles(from_c_array, d / "m2"));
  for (const char* m : {"m1", "m2"}) {
    auto r = bundle_reader::open(d / m);
    REQUIRE_OK(r);
    CHECK(r->entries().size() == 2);
    CHECK(r->header().num_shards == 2);
    REQUIRE_OK(r->verify());
  }
  auto none = tfckpt::merge_bundles(std::span<const std::string>(), d / "m3");
  REQUIRE(!none);
  CHECK(none.error().code == errc::invalid_argument);
}

TEST_CASE("bundle_writer: duplicate key, empty key and wrong byte counts are rejected") {
  temp_dir d;
  auto w = bundle_writer::create(d / "args");
  REQUIRE_OK(w);
  REQUIRE_OK(w->add("k", make_fixed(dtype::float32, {2}, 0)));
  auto dup = w->add("k", make_fixed(dtype::float32, {2}, 0));
  REQUIRE(!dup);
  CHECK(dup.error().code == errc::invalid_argument);
  CHECK(dup.error().key == "k");
  auto dup_s = w->add_strings("k", {1}, std::vector<std::string>{"x"});
  REQUIRE(!dup_s);
  auto empty = w->add("", make_fixed(dtype::float32, {2}, 0));
  REQUIRE(!empty);
  CHECK(empty.error().code == errc::invalid_argument);
  auto short_bytes = w->add("s", dtype::float32, {3}, std::string(11, '\0'));
  REQUIRE(!short_bytes);
  CHECK(short_bytes.error().code == errc::invalid_argument);
  CHECK(short_bytes.error().key == "s");
  auto long_bytes = w->add("l", dtype::int16, {2, 2}, std::string(9, '\0'));
  REQUIRE(!long_bytes);
  auto str_count = w->add_strings("sc", {2}, std::vector<std::string>{"only one"});
  REQUIRE(!str_count);
  CHECK(str_count.error().code == errc::invalid_argument);
  auto str_via_add = w->add("sa", dtype::string, {}, "x");
  REQUIRE(!str_via_add);
  auto neg_shape = w->add("neg", dtype::int8, {-1}, "");
  REQUIRE(!neg_shape);
  auto bad_slice = w->add_slice("bs", dtype::float32, {4}, *tfckpt::parse_tensor_slice("3,2"), std::string(8, '\0'));
  REQUIRE(!bad_slice);
  // The failed adds left nothing behind: only "k" is in the bundle.
  REQUIRE_OK(w->finish());
  auto again = w->finish();
  REQUIRE(!again);
  auto late = w->add("late", make_fixed(dtype::int8, {1}, 0));
  REQUIRE(!late);
  auto r = bundle_reader::open(d / "args");
  REQUIRE_OK(r);
  REQUIRE(r->entries().size() == 1);
  CHECK(r->entries()[0].key == "k");
  REQUIRE_OK(r->verify());
  auto empty_prefix = bundle_writer::create("");
  REQUIRE(!empty_prefix);
}

TEST_CASE("bundle_writer: a writer destroyed without finish() leaves no files") {
  temp_dir d;
  {
    tfckpt::write_options o;
    o.num_shards = 2;
    auto w = bundle_writer::create(d / "sub/abandoned", o);
    REQUIRE_OK(w);
    REQUIRE_OK(w->add("a", make_fixed(dtype::float32, {1000}, 0)));
    CHECK(!fs::exists(d / "sub/abandoned.index"));
    CHECK(!fs::exists(d / "sub/abandoned.data-00000-of-00002"));
  }
  CHECK(list_files(d / "sub").empty());
  {  // moved-from writers must not delete the moved-to writer's files
    auto w = bundle_writer::create(d / "moved");
    REQUIRE_OK(w);
    bundle_writer w2 = std::move(*w);
    REQUIRE_OK(w2.add("a", make_fixed(dtype::int8, {4}, 0)));
    REQUIRE_OK(w2.finish());
  }
  auto r = bundle_reader::open(d / "moved");
  REQUIRE_OK(r);
  CHECK(list_files(d.path()) == std::vector<std::string>{"moved.data-00000-of-00001", "moved.index", "sub"});
}

TEST_CASE("bundle_writer: finish() over an existing checkpoint replaces it") {
  temp_dir d;
  tensor_map first, second;
  first.emplace("old", make_fixed(dtype::float32, {50}, 1));
  first.emplace("shared", make_fixed(dtype::float32, {50}, 2));
  second.emplace("shared", make_fixed(dtype::int64, {3}, 3));
  second.emplace("new", tensor::from_strings({}, {"fresh"}).value());
  REQUIRE_OK(write_all_tensors(d / "ckpt", first));
  {
    // While the second writer is open, the first checkpoint is still intact.
    auto w = bundle_writer::create(d / "ckpt");
    REQUIRE_OK(w);
    for (const auto& [k, t] : second) REQUIRE_OK(w->add(k, t));
    auto r_old = bundle_reader::open(d / "ckpt");
    REQUIRE_OK(r_old);
    expect_same(*r_old, first);
    REQUIRE_OK(w->finish());
  }
  auto r = bundle_reader::open(d / "ckpt");
  REQUIRE_OK(r);
  expect_same(*r, second);
  CHECK(list_files(d.path()) == std::vector<std::string>{"ckpt.data-00000-of-00001", "ckpt.index"});
}

// RLIMIT_FSIZE makes write() fail with EFBIG (even for root) once a file would pass the limit.
struct file_size_limit {
  rlimit saved{};
  void (*old_handler)(int) = SIG_DFL;
  explicit file_size_limit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  }
  ~file_size_limit() {
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
  }
};

// After a failed write the data file no longer matches the entries' offsets: the writer must
// refuse further adds and finish(), leave no temp files, and keep the old checkpoint.
TEST_CASE("bundle_writer: a failed write poisons the writer and keeps the previous checkpoint") {
  temp_dir d;
  tensor_map first;
  first.emplace("old", make_fixed(dtype::float32, {50}, 1));
  REQUIRE_OK(write_all_tensors(d / "ckpt", first));
  const auto big = make_fixed(dtype::float32, {1 << 19}, 2);  // 2 MiB
  const auto small = make_fixed(dtype::int8, {4}, 3);
  for (int mode = 0; mode < 2; ++mode) {
    CAPTURE(mode);
    tfckpt::write_options o;
    o.num_shards = 2;
    o.threads = mode == 0 ? 1 : 2;
    auto w = bundle_writer::create(d / "ckpt", o);
    REQUIRE_OK(w);
    REQUIRE_OK(w->add("small", small));
    {
      file_size_limit limit(1 << 20);
      const std::string_view b(reinterpret_cast<const char*>(big.bytes().data()), big.bytes().size());
      auto r = mode == 0 ? w->add("big", dtype::float32, big.shape(), b)
                         : w->add_many(std::vector<bundle_writer::request>{{"big", dtype::float32, big.shape(), b},
                                                                           {"big2", dtype::float32, big.shape(), b}});
      REQUIRE(!r);
      CHECK(r.error().code == errc::io_error);
      CHECK(r.error().key.rfind("big", 0) == 0);
    }
    auto again = w->add("after", small);
    REQUIRE(!again);
    CHECK(again.error().code == errc::io_error);
    CHECK(again.error().message.find("earlier write") != std::string::npos);
    auto fin = w->finish();
    REQUIRE(!fin);
    CHECK(fin.error().code == errc::io_error);
    CHECK(list_files(d.path()) == std::vector<std::string>{"ckpt.data-00000-of-00001", "ckpt.index"});
    auto r = bundle_reader::open(d / "ckpt");
    REQUIRE_OK(r);
    expect_same(*r, first);
  }
}

// A reader is a snapshot: it opened the data files with the index, so a prefix written over
// afterwards (same keys, same sizes, other values: the old index would fit the new data) still
// reads as it was, checksums on or off, and a new reader sees the new checkpoint.
TEST_CASE("bundle_reader: a prefix written over after open still reads the old checkpoint") {
  temp_dir d;
  tensor_map first, second;
  first.emplace("w", make_fixed(dtype::float32, {64}, 1));
  first.emplace("b", make_fixed(dtype::int64, {3}, 2));
  second.emplace("w", make_fixed(dtype::float32, {64}, 7));
  second.emplace("b", make_fixed(dtype::int64, {3}, 8));
  REQUIRE(first.at("w").byte_view() != second.at("w").byte_view());
  REQUIRE_OK(write_all_tensors(d / "ckpt", first));
  tfckpt::read_options no_crc;
  no_crc.verify_checksums = false;
  auto checked = bundle_reader::open(d / "ckpt");
  auto unchecked = bundle_reader::open(d / "ckpt", no_crc);
  REQUIRE_OK(checked);
  REQUIRE_OK(unchecked);
  REQUIRE_OK(write_all_tensors(d / "ckpt", second));
  expect_same(*checked, first);
  expect_same(*unchecked, first);
  auto fresh = bundle_reader::open(d / "ckpt");
  REQUIRE_OK(fresh);
  expect_same(*fresh, second);
}

TEST_CASE("bundle_writer: index bytes reproduce docs/format.md §5.2 and §5.3 examples") {
  temp_dir d;
  // 1 shard: header 08 01 1a 02 08 01; int64 scalar save_counter = 1 and a 545-byte string record
  // (a scalar of 539 bytes: 2-byte length varint + 4-byte crc + 539) at offset 0.
  {
    auto w = bundle_writer::create(d / "one");
    REQUIRE_OK(w);
    const std::string graph(539, 'g');
    // (Not under the object-graph key: 'g'*539 is no TrackableObjectGraph and verify() parses it.)
    REQUIRE_OK(w->add_strings("blob", {}, std::vector<std::string>{graph}, 0));
    REQUIRE_OK(w->finish());
    CHECK(to_hex(index_value(d / "one", "")) == "08011a020801");
    const std::string e = index_value(d / "one", "blob");
    REQUIRE(e.size() == 12);
    CHECK(to_hex(e.substr(0, 8)) == "0807120028a10435");
    // Whatever the crc, it must be the masked crc TF's string checksum gives for the record.
    auto r = bundle_reader::open(d / "one");
    REQUIRE_OK(r);
    REQUIRE_OK(r->verify());
  }
  {
    auto w = bundle_writer::create(d / "counter");
    REQUIRE_OK(w);
    const std::int64_t one = 1;
    REQUIRE_OK(w->add("save_counter/.ATTRIBUTES/VARIABLE_VALUE", dtype::int64, {},
                      std::string_view(reinterpret_cast<const char*>(&one), 8)));
    const std::int32_t step = 5;
    REQUIRE_OK(w->add("step/.ATTRIBUTES/VARIABLE_VALUE", dtype::int32, {},
                      std::string_view(reinterpret_cast<const char*>(&step), 4)));
    REQUIRE_OK(w->finish());
    CHECK(to_hex(index_value(d / "counter", "save_counter/.ATTRIBUTES/VARIABLE_VALUE")) == "08091200280835" "0175de41");
    // Second record at offset 8: 20 08 before the size.
    CHECK(to_hex(index_value(d / "counter", "step/.ATTRIBUTES/VARIABLE_VALUE")) ==
          "080312002008280435" + to_hex(masked_crc_le(std::string_view(reinterpret_cast<const char*>(&step), 4))));
  }
  {
    // 2 shards: header 08 02 1a 02 08 01; float32 [784,512] on shard 1 at offset 0.
    tfckpt::write_options o;
    o.num_shards = 2;
    o.sync = false;
    auto w = bundle_writer::create(d / "two", o);
    REQUIRE_OK(w);
    const std::string big(784 * 512 * 4, '\x01');
    REQUIRE_OK(w->add("dense/kernel", dtype::float32, {784, 512}, big, 1));
    REQUIRE_OK(w->finish());
    CHECK(to_hex(index_value(d / "two", "")) == "08021a020801");
    CHECK(to_hex(index_value(d / "two", "dense/kernel")) ==
          "0801120a1203089006120308800418012880806235" + to_hex(masked_crc_le(big)));
    auto r = bundle_reader::open(d / "two");
    REQUIRE_OK(r);
    REQUIRE_OK(r->verify());
    // Shard 0 holds nothing but exists (TF creates every shard file).
    auto sz = tfckpt::detail::file_size(d / "two.data-00000-of-00002");
    REQUIRE(sz);
    CHECK(*sz == 0);
  }
}
