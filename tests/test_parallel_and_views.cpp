// The performance paths: the 3-stream hardware CRC and crc32c_combine, zero-copy views
// (alignment, values equal to the read path, checksum checks), read_many_into with threads
// (equal to the serial read, corruption still caught in any piece), threaded saves (same bytes
// as serial ones) and list_entries (the same entries as bundle_reader::open).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/bundle/writer.hpp>
#include <tfckpt/format/table_builder.hpp>
#include <tfckpt/bundle/listing.hpp>

#include "bundle_test_util.hpp"

using tfckpt::bundle_reader;
using tfckpt::bundle_writer;
using tfckpt::dtype;
using tfckpt::errc;
using namespace tfckpt_test;

namespace {

#define REQUIRE_OK(expr)                                                              \
  do {                                                                                \
    auto&& req_ok_r_ = (expr);                                                        \
    REQUIRE_MESSAGE(req_ok_r_, (req_ok_r_ ? "" : req_ok_r_.error().to_string()));    \
  } while (0)

template <class T>
std::vector<T> ramp(std::size_t n, double scale) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(static_cast<double>(i % 1000) * scale + 0.25);
  return v;
}

// A bundle whose float tensors start at unaligned offsets unless the writer pads: an int8
// tensor of 3 bytes comes first in the data file.
tfckpt::result<void> write_mixed(const std::string& prefix, std::size_t alignment) {
  tfckpt::write_options o;
  o.data_alignment = alignment;
  o.sync = false;
  auto w = bundle_writer::create(prefix, o);
  if (!w) return std::move(w).error();
  const std::vector<std::int8_t> odd = {1, 2, 3};
  const auto f = ramp<float>(1000, 0.5);
  const auto d = ramp<double>(300, 0.125);
  TFCKPT_TRY(w->add<std::int8_t>("a_odd", {3}, std::span<const std::int8_t>(odd)));
  TFCKPT_TRY(w->add<float>("b_floats", {10, 100}, std::span<const float>(f)));
  TFCKPT_TRY(w->add<double>("c_doubles", {300}, std::span<const double>(d)));
  return w->finish();
}

void flip_byte(const std::string& path, std::size_t offset) {
  std::string bytes = read_file(path);
  REQUIRE(offset < bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x40);
  REQUIRE(write_all(path, bytes));
}

}  // namespace

TEST_CASE("crc32c: the interleaved hardware path equals the portable one around every stripe boundary") {
  std::mt19937 rng(99);
  std::vector<unsigned char> buf(3 * 8192 * 2 + 3 * 256 * 2 + 64);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  for (std::size_t n : {767u, 768u, 769u, 1535u, 1536u, 24575u, 24576u, 24577u, 25344u, 49152u, 50000u}) {
    for (std::size_t off : {0u, 3u}) {
      CAPTURE(n);
      CAPTURE(off);
      REQUIRE(n + off <= buf.size());
      CHECK(tfckpt::detail::crc32c(buf.data() + off, n) ==
            tfckpt::detail::crc32c_extend_portable(0, buf.data() + off, n));
    }
  }
}

TEST_CASE("crc32c: combine joins the CRCs of two pieces into the CRC of their concatenation") {
  std::mt19937 rng(5);
  std::vector<unsigned char> buf(40000);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  const std::uint32_t whole = tfckpt::detail::crc32c(buf.data(), buf.size());
  for (std::size_t cut : {0u, 1u, 7u, 4096u, 39999u, 40000u}) {
    CAPTURE(cut);
    const std::uint32_t a = tfckpt::detail::crc32c(buf.data(), cut);
    const std::uint32_t b = tfckpt::detail::crc32c(buf.data() + cut, buf.size() - cut);
    CHECK(tfckpt::detail::crc32c_combine(a, b, buf.size() - cut) == whole);
  }
  static_assert(tfckpt::detail::crc32c_combine(0x12345678u, 0, 0) == 0x12345678u);
}

TEST_CASE("views: aligned float32 and float64 records are viewed in place and equal read()") {
  temp_dir d;
  REQUIRE_OK(write_mixed(d / "al", 64));
  auto r = bundle_reader::open(d / "al");
  REQUIRE_OK(r);
  auto f = r->view<float>("b_floats");
  REQUIRE_OK(f);
  auto g = r->view<double>("c_doubles");
  REQUIRE_OK(g);
  CHECK(reinterpret_cast<std::uintptr_t>(f->data()) % 64 == 0);
  CHECK(reinterpret_cast<std::uintptr_t>(g->data()) % 64 == 0);
  auto tf = r->read("b_floats");
  REQUIRE_OK(tf);
  auto tg = r->read("c_doubles");
  REQUIRE_OK(tg);
  REQUIRE(f->size() == 1000);
  REQUIRE(g->size() == 300);
  CHECK(std::memcmp(f->data(), tf->bytes().data(), f->size_bytes()) == 0);
  CHECK(std::memcmp(g->data(), tg->bytes().data(), g->size_bytes()) == 0);
  CHECK((*f)[999] == ramp<float>(1000, 0.5)[999]);
  // A copy of the reader shares the mapping: views stay valid after the original is gone.
  std::span<const float> kept;
  {
    bundle_reader copy = *r;
    auto v = copy.view<float>("b_floats");
    REQUIRE_OK(v);
    kept = *v;
  }
  CHECK(kept.data() == f->data());
}

TEST_CASE("views: a densely packed (unaligned) record, a wrong dtype and strings are refused") {
  temp_dir d;
  REQUIRE_OK(write_mixed(d / "dense", 1));
  auto r = bundle_reader::open(d / "dense");
  REQUIRE_OK(r);
  auto f = r->view<float>("b_floats");  // starts at byte 3
  REQUIRE(!f);
  CHECK(f.error().code == errc::unsupported);
  CHECK(f.error().message.find("data_alignment") != std::string::npos);
  auto bytes = r->view_bytes("b_floats");  // untyped views need no alignment
  REQUIRE_OK(bytes);
  CHECK(bytes->size() == 4000);
  auto wrong = r->view<double>("b_floats");
  REQUIRE(!wrong);
  CHECK(wrong.error().code == errc::dtype_mismatch);
  auto missing = r->view<float>("nope");
  REQUIRE(!missing);
  CHECK(missing.error().code == errc::not_found);

  tfckpt::write_options o;
  o.sync = false;
  auto w = bundle_writer::create(d / "s", o);
  REQUIRE_OK(w);
  const std::vector<std::string> s = {"x", "yz"};
  REQUIRE_OK(w->add_strings("names", {2}, s));
  REQUIRE_OK(w->finish());
  auto rs = bundle_reader::open(d / "s");
  REQUIRE_OK(rs);
  auto sv = rs->view_bytes("names");
  REQUIRE(!sv);
  CHECK(sv.error().code == errc::unsupported);
}

TEST_CASE("views: checksums are verified unless turned off") {
  temp_dir d;
  REQUIRE_OK(write_mixed(d / "c", 64));
  auto r0 = bundle_reader::open(d / "c");
  REQUIRE_OK(r0);
  const auto* e = r0->find("b_floats");
  REQUIRE(e);
  flip_byte(tfckpt::data_filename(d / "c", 0, 1), static_cast<std::size_t>(e->info.offset) + 17);
  auto r = bundle_reader::open(d / "c");
  REQUIRE_OK(r);
  auto v = r->view<float>("b_floats");
  REQUIRE(!v);
  CHECK(v.error().code == errc::checksum_mismatch);
  CHECK(v.error().key == "b_floats");
  tfckpt::read_options no;
  no.verify_checksums = false;
  auto r2 = bundle_reader::open(d / "c", no);
  REQUIRE_OK(r2);
  CHECK(r2->view<float>("b_floats"));
  CHECK(r2->view<double>("c_doubles"));
}

TEST_CASE("views: an in-memory bundle is viewed in the caller's memory") {
  temp_dir d;
  REQUIRE_OK(write_mixed(d / "m", 64));
  const std::string index = read_file(d / "m.index");
  const std::string data = read_file(tfckpt::data_filename(d / "m", 0, 1));
  // std::string storage is at least 16-byte aligned, and the records sit at multiples of 64.
  auto r = bundle_reader::open_memory(index, {data});
  REQUIRE_OK(r);
  auto g = r->view<double>("c_doubles");
  REQUIRE_OK(g);
  const auto* base = reinterpret_cast<const std::byte*>(data.data());
  const auto* p = reinterpret_cast<const std::byte*>(g->data());
  CHECK(p >= base);
  CHECK(p < base + data.size());
}

TEST_CASE("read_many_into: several threads give the serial result, large records split into pieces") {
  temp_dir d;
  tfckpt::write_options wo;
  wo.sync = false;
  wo.num_shards = 2;
  auto w = bundle_writer::create(d / "p", wo);
  REQUIRE_OK(w);
  // 3 tensors of 3 MiB + a few small ones; with threads, 9 MiB total is cut into 4 MiB pieces,
  // so one record is read in two pieces whose CRCs are combined.
  std::vector<std::vector<float>> src;
  std::vector<std::string> keys;
  for (int i = 0; i < 6; ++i) {
    const std::size_t n = i < 3 ? (std::size_t{3} << 20) / 4 + 7 * static_cast<std::size_t>(i) : 5u + static_cast<std::size_t>(i);
    src.push_back(ramp<float>(n, 0.5 + i));
    keys.push_back("t" + std::to_string(i));
    REQUIRE_OK(w->add<float>(keys.back(), {static_cast<std::int64_t>(n)}, std::span<const float>(src.back())));
  }
  REQUIRE_OK(w->finish());

  auto run = [&](unsigned threads, std::vector<std::vector<float>>& out) {
    tfckpt::read_options o;
    o.threads = threads;
    auto r = bundle_reader::open(d / "p", o);
    REQUIRE_OK(r);
    out.assign(src.size(), {});
    std::vector<bundle_reader::read_request> req;
    for (std::size_t i = 0; i < src.size(); ++i) {
      out[i].assign(src[i].size(), -1.0f);
      req.push_back({keys[i], dtype::float32, std::as_writable_bytes(std::span<float>(out[i]))});
    }
    return r->read_many_into(req);
  };
  for (unsigned threads : {1u, 2u, 4u}) {
    CAPTURE(threads);
    std::vector<std::vector<float>> out;
    REQUIRE_OK(run(threads, out));
    CHECK(out == src);
  }

  // A flipped byte in the second piece of a split record is still caught.
  auto r0 = bundle_reader::open(d / "p");
  REQUIRE_OK(r0);
  const auto* e = r0->find("t0");
  REQUIRE(e);
  flip_byte(tfckpt::data_filename(d / "p", e->info.shard_id, 2),
            static_cast<std::size_t>(e->info.offset + e->info.size) - 5);
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    std::vector<std::vector<float>> out;
    auto bad = run(threads, out);
    REQUIRE(!bad);
    CHECK(bad.error().code == errc::checksum_mismatch);
    CHECK(bad.error().key == "t0");
  }
}

TEST_CASE("read_many_into: every request is checked before anything is read") {
  temp_dir d;
  REQUIRE_OK(write_mixed(d / "q", 1));
  auto r = bundle_reader::open(d / "q");
  REQUIRE_OK(r);
  std::vector<float> f(1000, -1.0f);
  std::vector<double> g(299);  // one element short
  std::vector<bundle_reader::read_request> req = {
      {"b_floats", dtype::float32, std::as_writable_bytes(std::span<float>(f))},
      {"c_doubles", dtype::float64, std::as_writable_bytes(std::span<double>(g))}};
  auto bad = r->read_many_into(req);
  REQUIRE(!bad);
  CHECK(bad.error().code == errc::shape_mismatch);
  CHECK(f[0] == -1.0f);
}

TEST_CASE("bundle_writer: a save with threads writes the same bytes as a serial one") {
  temp_dir d;
  const auto big = ramp<float>((std::size_t{9} << 20) / 4, 0.75);  // above the 8 MiB threshold
  const auto small = ramp<double>(100, 2.0);
  for (unsigned threads : {1u, 2u}) {
    tfckpt::write_options o;
    o.threads = threads;
    o.num_shards = 2;
    o.data_alignment = 64;
    auto w = bundle_writer::create(d / ("t" + std::to_string(threads)), o);
    REQUIRE_OK(w);
    REQUIRE_OK(w->add<float>("big", {static_cast<std::int64_t>(big.size())}, std::span<const float>(big)));
    REQUIRE_OK(w->add<double>("small", {100}, std::span<const double>(small)));
    REQUIRE_OK(w->finish());
  }
  for (const char* suffix : {".index", ".data-00000-of-00002", ".data-00001-of-00002"}) {
    CAPTURE(suffix);
    CHECK(read_file(d / (std::string("t1") + suffix)) == read_file(d / (std::string("t2") + suffix)));
  }
  auto r = bundle_reader::open(d / "t2");
  REQUIRE_OK(r);
  auto v = r->read("big");  // checksum checked
  REQUIRE_OK(v);
  CHECK(std::memcmp(v->bytes().data(), big.data(), big.size() * 4) == 0);
}

TEST_CASE("list_entries: the same entries as bundle_reader, slice parts flagged, early stop") {
  temp_dir d;
  tfckpt::write_options o;
  o.sync = false;
  auto w = bundle_writer::create(d / "l", o);
  REQUIRE_OK(w);
  const auto f = ramp<float>(40, 1.0);
  for (int i = 0; i < 300; ++i)
    REQUIRE_OK(w->add<float>("layer_" + std::to_string(1000 + i) + "/kernel", {4, 10}, std::span<const float>(f)));
  const auto s = tfckpt::parse_tensor_slice("0,2:-");
  REQUIRE_OK(s);
  const std::string part(reinterpret_cast<const char*>(f.data()), 20 * 4);
  REQUIRE_OK(w->add_slice("zpart", dtype::float32, {4, 10}, *s, part));
  const auto s2 = tfckpt::parse_tensor_slice("2,2:-");
  REQUIRE_OK(s2);
  REQUIRE_OK(w->add_slice("zpart", dtype::float32, {4, 10}, *s2, part));
  REQUIRE_OK(w->finish());

  auto r = bundle_reader::open(d / "l");
  REQUIRE_OK(r);
  std::vector<std::string> visible, parts;
  auto n = tfckpt::list_entries(d / "l", [&](const tfckpt::listed_entry& e) {
    (e.is_slice_part() ? parts : visible).emplace_back(e.key);
    const auto* full = r->find(e.key);
    CHECK(full != nullptr);
    if (full) {
      CHECK(full->info.dtype == e.info.dtype);
      CHECK(full->info.shape == e.info.shape);
      CHECK(full->info.offset == e.info.offset);
      CHECK(full->info.slices.size() == e.info.slices.size());
    }
    return true;
  });
  REQUIRE_OK(n);
  CHECK(*n == 303);
  REQUIRE(visible.size() == r->entries().size());
  for (std::size_t i = 0; i < visible.size(); ++i) CHECK(visible[i] == r->entries()[i].key);
  CHECK(parts.size() == r->slice_parts().size());

  std::size_t seen = 0;
  auto stopped = tfckpt::list_entries(d / "l", [&](const tfckpt::listed_entry&) { return ++seen < 10; });
  REQUIRE_OK(stopped);
  CHECK(*stopped == 10);

  auto missing = tfckpt::list_entries(d / "nothing", [](const tfckpt::listed_entry&) { return true; });
  REQUIRE(!missing);
  CHECK(missing.error().code == errc::not_found);
}

tfckpt::write_options two_shards_two_threads() {
  tfckpt::write_options o;
  o.num_shards = 2;
  o.threads = 2;
  o.sync = false;
  return o;
}

TEST_CASE("bundle_writer::add_many: the bytes of add() one by one, shards written by parallel threads") {
  temp_dir d;
  // A large record (above the 8 MiB split threshold) and small ones, so every path is taken:
  // per-shard threads, a large record split across threads in one shard, and alignment padding.
  const auto big1 = ramp<float>((std::size_t{9} << 20) / 4, 0.25);
  const auto big2 = ramp<float>(std::size_t{16} << 10, -3.0);
  const auto small = ramp<double>(100, 2.0);
  const auto tiny = ramp<std::int32_t>(3, 7);
  auto bytes_of = [](const auto& v) {
    return std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof v[0]);
  };
  std::vector<bundle_writer::request> reqs = {
      {"big1", dtype::float32, {static_cast<std::int64_t>(big1.size())}, bytes_of(big1)},
      {"small", dtype::float64, {10, 10}, bytes_of(small)},
      {"big2", dtype::float32, {static_cast<std::int64_t>(big2.size())}, bytes_of(big2)},
      {"tiny", dtype::int32, {3}, bytes_of(tiny), 0},
  };
  const std::pair<std::int32_t, std::size_t> configs[] = {{1, 1}, {2, 64}};  // (shards, alignment)
  for (const auto& config : configs) {
    const std::int32_t shards = config.first;
    const std::size_t alignment = config.second;
    CAPTURE(shards);
    CAPTURE(alignment);
    const std::string tag = std::to_string(shards) + "_" + std::to_string(alignment);
    tfckpt::write_options o;
    o.num_shards = shards;
    o.data_alignment = alignment;
    o.sync = false;
    {  // reference: add() one by one, serial
      auto w = bundle_writer::create(d / ("one_by_one" + tag), o);
      REQUIRE_OK(w);
      for (const auto& q : reqs) REQUIRE_OK(w->add(q.key, q.type, q.shape, q.bytes, q.shard));
      REQUIRE_OK(w->finish());
    }
    for (unsigned threads : {1u, 2u}) {
      CAPTURE(threads);
      o.threads = threads;
      const std::string name = "many" + tag + "_t" + std::to_string(threads);
      auto w = bundle_writer::create(d / name, o);
      REQUIRE_OK(w);
      REQUIRE_OK(w->add<float>("first", {2}, std::span<const float>(big1.data(), 2)));  // mixes with add()
      REQUIRE_OK(w->add_many(std::span<const bundle_writer::request>(reqs).subspan(0, 2)));
      REQUIRE_OK(w->add_many(std::span<const bundle_writer::request>(reqs).subspan(2)));
      REQUIRE_OK(w->finish());
      auto r = bundle_reader::open(d / name);
      REQUIRE_OK(r);
      REQUIRE_OK(r->verify());
      auto v = r->read("big2");
      REQUIRE_OK(v);
      CHECK(std::memcmp(v->bytes().data(), big2.data(), big2.size() * 4) == 0);
      if (shards == 2) {
        CHECK(r->find("big1")->info.shard_id == 1);  // "first" made shard 0 the fuller one
        CHECK(r->find("big2")->info.shard_id == 0);
      }
    }
    // Without the leading "first", placement and bytes equal the one-by-one writer's exactly.
    o.threads = 2;
    auto w = bundle_writer::create(d / ("many_exact" + tag), o);
    REQUIRE_OK(w);
    REQUIRE_OK(w->add_many(reqs));
    REQUIRE_OK(w->finish());
    std::vector<std::string> suffixes = {".index"};
    for (int s = 0; s < shards; ++s)
      suffixes.push_back(tfckpt::data_filename("", s, shards));
    for (const auto& suffix : suffixes) {
      CAPTURE(suffix);
      CHECK(read_file(d / ("one_by_one" + tag + suffix)) == read_file(d / ("many_exact" + tag + suffix)));
    }
  }
}

TEST_CASE("bundle_writer::add_many: an invalid request fails the whole call before anything is written") {
  temp_dir d;
  const auto o = two_shards_two_threads();
  auto w = bundle_writer::create(d / "m", o);
  REQUIRE_OK(w);
  const auto f = ramp<float>(4, 1.0);
  const std::string_view b(reinterpret_cast<const char*>(f.data()), 16);
  REQUIRE_OK(w->add<float>("kept", {4}, std::span<const float>(f)));
  using req = bundle_writer::request;
  const std::vector<std::pair<std::vector<req>, std::string>> bad = {
      {{{"a", dtype::float32, {4}, b}, {"a", dtype::float32, {4}, b}}, "a"},          // duplicate in the batch
      {{{"a", dtype::float32, {4}, b}, {"kept", dtype::float32, {4}, b}}, "kept"},    // duplicate of an earlier add
      {{{"a", dtype::float32, {4}, b}, {"c", dtype::float32, {5}, b}}, "c"},          // 16 bytes for 5 floats
      {{{"a", dtype::float32, {4}, b}, {"s", dtype::string, {}, b}}, "s"},            // not fixed-size
      {{{"a", dtype::float32, {4}, b}, {"x", dtype::float32, {4}, b, 2}}, "x"},       // shard out of range
      {{{"", dtype::float32, {4}, b}}, ""},                                            // empty key
  };
  for (const auto& item : bad) {  // (not a structured binding: clang 14 cannot capture one in CAPTURE)
    const auto& batch = item.first;
    const std::string& key = item.second;
    CAPTURE(key);
    auto r = w->add_many(batch);
    REQUIRE(!r);
    CHECK(r.error().code == errc::invalid_argument);
    CHECK(r.error().key == key);
  }
  REQUIRE_OK(w->add_many(std::vector<req>{{"a", dtype::float32, {4}, b}}));
  REQUIRE_OK(w->finish());
  auto r = bundle_reader::open(d / "m");
  REQUIRE_OK(r);
  CHECK(r->entries().size() == 2);
  REQUIRE_OK(r->verify());
}

TEST_CASE("bundle_writer: add() never keeps the caller's bytes, even with threads and several shards") {
  temp_dir d;
  const auto o = two_shards_two_threads();
  auto w = bundle_writer::create(d / "copy", o);
  REQUIRE_OK(w);
  const auto a = ramp<float>(1000, 0.5);
  const auto b = ramp<std::int64_t>(300, 3);
  {
    std::vector<float> scratch = a;
    REQUIRE_OK(w->add<float>("a", {1000}, std::span<const float>(scratch)));
    std::fill(scratch.begin(), scratch.end(), -1.0f);  // reused before finish(), then freed
  }
  {
    std::vector<std::int64_t> scratch = b;
    REQUIRE_OK(w->add<std::int64_t>("b", {300}, std::span<const std::int64_t>(scratch)));
    std::fill(scratch.begin(), scratch.end(), 0);
  }
  REQUIRE_OK(w->finish());
  auto r = bundle_reader::open(d / "copy");
  REQUIRE_OK(r);
  REQUIRE_OK(r->verify());
  std::vector<float> got_a(1000);
  std::vector<std::int64_t> got_b(300);
  REQUIRE_OK(r->read_into("a", std::span<float>(got_a)));
  REQUIRE_OK(r->read_into("b", std::span<std::int64_t>(got_b)));
  CHECK(got_a == a);
  CHECK(got_b == b);
}

TEST_CASE("bundle_writer: deferred fixed-size writes go out in finish(), strings at once, duplicates still refused") {
  temp_dir d;
  const auto o = two_shards_two_threads();
  auto w = bundle_writer::create(d / "def", o);
  REQUIRE_OK(w);
  tfckpt::detail::deferred_writes::begin(*w);  // internal: the object-graph save's mode
  const auto a = ramp<float>(1000, 0.5);
  const auto b = ramp<std::int64_t>(300, 3);
  REQUIRE_OK(w->add<float>("a", {1000}, std::span<const float>(a)));
  REQUIRE_OK(w->add<std::int64_t>("b", {300}, std::span<const std::int64_t>(b)));
  const std::string words[2] = {"x", "yy"};
  REQUIRE_OK(w->add_strings("s", {2}, words));
  auto dup = w->add<float>("a", {1000}, std::span<const float>(a));  // pending, not yet written
  REQUIRE(!dup);
  CHECK(dup.error().code == errc::invalid_argument);
  auto dup_s = w->add_strings("b", {2}, words);
  REQUIRE(!dup_s);
  CHECK(dup_s.error().key == "b");
  REQUIRE_OK(w->finish());
  auto r = bundle_reader::open(d / "def");
  REQUIRE_OK(r);
  REQUIRE_OK(r->verify());
  CHECK(r->entries().size() == 3);
  // The strings went out first (shard 0, offset 0); "a" then to the emptier shard 1, "b" after it.
  CHECK(r->find("s")->info.shard_id == 0);
  CHECK(r->find("a")->info.shard_id == 1);
  CHECK(r->find("b")->info.shard_id == 0);
  std::vector<float> got(1000);
  REQUIRE_OK(r->read_into("a", std::span<float>(got)));
  CHECK(got == a);
}

// read_many_into reads small neighbouring records as runs (one read per run into a bounce
// buffer): the values, the checksum checks and the errors must be those of reading one by one.
TEST_CASE("read_many_into: small neighbouring records read in runs give what reading one by one gives") {
  temp_dir d;
  tfckpt::write_options o;
  o.num_shards = 2;
  o.data_alignment = 64;  // padding gaps between records, read over
  o.sync = false;
  auto w = bundle_writer::create(d / "runs", o);
  REQUIRE_OK(w);
  std::vector<std::string> keys;
  std::vector<std::vector<float>> values;
  for (int i = 0; i < 3000; ++i) {
    // Mostly small records, every 500th too large to join a run (> 64 KiB).
    const std::size_t n = i % 500 == 250 ? 20000 : 1 + static_cast<std::size_t>(i % 37) * 7;
    keys.push_back("layer_" + std::to_string(10000 + i) + "/bias");
    values.push_back(ramp<float>(n, 0.01 * (i + 1)));
    REQUIRE_OK(w->add<float>(keys.back(), {static_cast<std::int64_t>(n)}, std::span<const float>(values.back())));
  }
  REQUIRE_OK(w->finish());

  std::vector<std::size_t> order(keys.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(5));
  order.push_back(order[17]);  // the same key twice: two destinations
  auto read_all_into = [&](unsigned threads, bool verify, std::vector<std::vector<float>>& out) {
    tfckpt::read_options ro;
    ro.threads = threads;
    ro.verify_checksums = verify;
    auto r = bundle_reader::open(d / "runs", ro);
    REQUIRE_OK(r);
    out.assign(order.size(), {});
    std::vector<bundle_reader::read_request> req(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
      out[k].assign(values[order[k]].size(), -7.0f);
      req[k] = {keys[order[k]], dtype::float32, std::as_writable_bytes(std::span<float>(out[k]))};
    }
    return r->read_many_into(req);
  };
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    std::vector<std::vector<float>> out;
    REQUIRE_OK(read_all_into(threads, true, out));
    for (std::size_t k = 0; k < order.size(); ++k) {
      CAPTURE(keys[order[k]]);
      CHECK(out[k] == values[order[k]]);
    }
  }

  // One flipped byte in a small record in the middle of a run: its key is named.
  auto r = bundle_reader::open(d / "runs");
  REQUIRE_OK(r);
  const std::string victim = keys[1234];
  const auto* e = r->find(victim);
  REQUIRE(e);
  CHECK(e->info.size < 64 * 1024);
  flip_byte(tfckpt::data_filename(d / "runs", e->info.shard_id, 2), static_cast<std::size_t>(e->info.offset) + 2);
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    std::vector<std::vector<float>> out;
    auto bad = read_all_into(threads, true, out);
    REQUIRE(!bad);
    CHECK(bad.error().code == errc::checksum_mismatch);
    CHECK(bad.error().key == victim);
    REQUIRE_OK(read_all_into(threads, false, out));  // unchecked, the flipped value comes through
  }
}

// Requests in key order (a restore of every entry) take the lookup that tries the entry after
// the previous one first; a repeated key, a key out of order and an absent key must still be
// found (or refused) as by a lookup from scratch.
TEST_CASE("read_many_into: requests in key order, repeated, out of order or absent keys") {
  temp_dir d;
  tfckpt::write_options o;
  o.sync = false;
  auto w = bundle_writer::create(d / "ordered", o);
  REQUIRE_OK(w);
  std::vector<std::string> keys;
  std::vector<std::vector<float>> values;
  for (int i = 0; i < 200; ++i) {  // added in numeric order: their data is not in key order
    keys.push_back("v/" + std::to_string(i));
    values.push_back(ramp<float>(1 + static_cast<std::size_t>(i % 5), 0.5 * (i + 1)));
    REQUIRE_OK(w->add<float>(keys.back(), {static_cast<std::int64_t>(values.back().size())},
                             std::span<const float>(values.back())));
  }
  REQUIRE_OK(w->finish());
  auto r = bundle_reader::open(d / "ordered");
  REQUIRE_OK(r);
  std::vector<std::size_t> order;
  for (const auto& e : r->entries())
    order.push_back(static_cast<std::size_t>(std::stoi(std::string(e.key.substr(2)))));
  REQUIRE(order.size() == keys.size());
  order.insert(order.begin() + 10, order[9]);  // the previous key again
  order.insert(order.begin() + 20, order[3]);  // a key before the previous one
  std::vector<std::vector<float>> out(order.size());
  std::vector<bundle_reader::read_request> req(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    out[k].assign(values[order[k]].size(), -1.0f);
    req[k] = {keys[order[k]], dtype::float32, std::as_writable_bytes(std::span<float>(out[k]))};
  }
  REQUIRE_OK(r->read_many_into(req));
  for (std::size_t k = 0; k < order.size(); ++k) {
    CAPTURE(keys[order[k]]);
    CHECK(out[k] == values[order[k]]);
  }
  float spare = 0;
  req.insert(req.begin() + 30, {"v/19x", dtype::float32, std::as_writable_bytes(std::span<float>(&spare, 1))});
  auto missing = r->read_many_into(req);
  REQUIRE(!missing);
  CHECK(missing.error().code == errc::not_found);
  CHECK(missing.error().key == "v/19x");
}

// A big-endian bundle (BundleHeader.endianness = BIG) read in runs: every record byte-swapped
// once, checksums over the stored (big-endian) bytes.
TEST_CASE("read_many_into: runs of big-endian records are swapped once each") {
  temp_dir d;
  std::string data;
  std::vector<std::pair<std::string, tfckpt::bundle_entry>> entries;
  std::vector<std::vector<std::int32_t>> want;
  for (int i = 0; i < 50; ++i) {
    std::vector<std::int32_t> v(static_cast<std::size_t>(1 + i % 5));
    std::string stored;
    for (std::size_t j = 0; j < v.size(); ++j) {
      v[j] = static_cast<std::int32_t>(0x01020304 * (i + 1) + static_cast<int>(j));
      const auto u = static_cast<std::uint32_t>(v[j]);
      for (int b = 3; b >= 0; --b) stored.push_back(static_cast<char>(u >> (8 * b)));
    }
    tfckpt::bundle_entry e;
    e.dtype = dtype::int32;
    e.shape = {static_cast<std::int64_t>(v.size())};
    e.offset = static_cast<std::int64_t>(data.size());
    e.size = static_cast<std::int64_t>(stored.size());
    e.crc32c = tfckpt::detail::crc32c_mask(tfckpt::detail::crc32c(stored.data(), stored.size()));
    data += stored;
    entries.emplace_back("k" + std::to_string(100 + i), e);
    want.push_back(v);
  }
  tfckpt::bundle_header h;
  h.endian = tfckpt::endianness::big;
  tfckpt::detail::table_builder tb;
  tb.add("", tfckpt::encode_bundle_header(h));
  for (const auto& [k, e] : entries) tb.add(k, tfckpt::encode_bundle_entry(e));
  REQUIRE(write_all(d / "be.index", tb.finish()));
  REQUIRE(write_all(tfckpt::data_filename(d / "be", 0, 1), data));
  auto r = bundle_reader::open(d / "be");
  REQUIRE_OK(r);
  std::vector<std::vector<std::int32_t>> got(want.size());
  std::vector<bundle_reader::read_request> req;
  for (std::size_t i = 0; i < want.size(); ++i) {
    got[i].assign(want[i].size(), 0);
    req.push_back({entries[i].first, dtype::int32, std::as_writable_bytes(std::span<std::int32_t>(got[i]))});
  }
  REQUIRE_OK(r->read_many_into(req));
  CHECK(got == want);
}
