// tfckpt export / import / diff (tools/convert_*.hpp, tools/diff.hpp): round trips checkpoint ->
// safetensors / npz -> checkpoint for every supported dtype, names and the recorded original
// keys, object-graph imports, selection (--filter, --no-optimizer), zip64, hostile input files,
// and the value comparison of `diff`.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/bundle/writer.hpp>

#include "../tools/convert_export.hpp"
#include "../tools/convert_import.hpp"
#include "../tools/diff.hpp"
#include "bundle_test_util.hpp"

using tfckpt::bundle_reader;
using tfckpt::bundle_writer;
using tfckpt::dtype;
using tfckpt::errc;
using tfckpt::shape_t;
using tfckpt::tensor;
using namespace tfckpt_test;
namespace cv = tfckpt_convert;

namespace {

#define REQUIRE_OK(expr)                                                     \
  do {                                                                       \
    auto&& req_ok_r_ = (expr);                                               \
    REQUIRE_MESSAGE(req_ok_r_, (req_ok_r_ ? "" : req_ok_r_.error().to_string())); \
  } while (0)

const dtype all_fixed[] = {dtype::float32, dtype::float64, dtype::float16, dtype::bfloat16, dtype::int8,
                           dtype::int16,   dtype::int32,   dtype::int64,   dtype::uint8,    dtype::uint16,
                           dtype::uint32,  dtype::uint64,  dtype::bool_,   dtype::complex64, dtype::complex128,
                           dtype::float8_e5m2, dtype::float8_e4m3fn};

// A tensor whose bytes are a pattern that depends on the dtype (bools 0/1).
tensor pattern(dtype t, shape_t shape) {
  tensor x = tensor::zeros(t, std::move(shape)).value();
  auto b = x.bytes();
  for (std::size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<std::byte>(t == dtype::bool_ ? (i % 3 == 0) : (i * 37 + static_cast<std::size_t>(t) * 11 + 5) & 0xff);
  return x;
}

std::string key_for(dtype t) { return std::string(tfckpt::dtype_name(t)) + "/.ATTRIBUTES/VARIABLE_VALUE"; }

// A TF2-style checkpoint: one matrix per dtype, a scalar, an empty tensor, strings, an
// optimizer slot, optimizer/iter, save_counter and an object graph entry.
std::map<std::string, tensor> write_source(const std::string& prefix) {
  std::map<std::string, tensor> m;
  for (dtype t : all_fixed) m[key_for(t)] = pattern(t, {2, 3});
  m["model/scalar/.ATTRIBUTES/VARIABLE_VALUE"] = pattern(dtype::float32, {});
  m["model/empty/.ATTRIBUTES/VARIABLE_VALUE"] = pattern(dtype::float32, {0, 4});
  m["model/strings/.ATTRIBUTES/VARIABLE_VALUE"] = tensor::from_strings({3}, {"a", "", "\xff\x01xyz"}).value();
  m["float32/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"] = pattern(dtype::float32, {2, 3});
  m["optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"] = pattern(dtype::int64, {});
  m["save_counter/.ATTRIBUTES/VARIABLE_VALUE"] = pattern(dtype::int64, {});
  m["tf1_style_name"] = pattern(dtype::int32, {4});
  auto w = bundle_writer::create(prefix);
  REQUIRE_OK(w);
  for (const auto& [k, t] : m) REQUIRE_OK(w->add(k, t));
  const std::string graph[1] = {"not a real graph"};
  REQUIRE_OK(w->add_strings(tfckpt::object_graph_key, {}, graph));
  REQUIRE_OK(w->finish());
  return m;
}

cv::export_options opts(cv::format f) {
  cv::export_options o;
  o.to = f;
  return o;
}

bool representable(cv::format f, dtype t) {
  return f == cv::format::safetensors ? !cv::safetensors::dtype_code(t).empty()
                                      : (t == dtype::string || !cv::npz::descr_of(t).empty());
}

}  // namespace

TEST_CASE("convert: crc32 is zlib's CRC-32 (check value of \"123456789\")") {
  CHECK(cv::crc32("123456789") == 0xCBF43926u);
  CHECK(cv::crc32("") == 0u);
  CHECK(cv::crc32_extend(cv::crc32("1234"), "56789") == 0xCBF43926u);
}

TEST_CASE("convert: readable names strip only the VARIABLE_VALUE suffix and keep escapes") {
  CHECK(cv::readable_name("model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE") ==
        "model/layer_with_weights-0/kernel");
  CHECK(cv::readable_name("a..b/c.Sd/.ATTRIBUTES/VARIABLE_VALUE") == "a..b/c.Sd");
  CHECK(cv::readable_name("it/.ATTRIBUTES/ITERATOR_STATE") == "it/.ATTRIBUTES/ITERATOR_STATE");
  CHECK(cv::readable_name("global_step") == "global_step");
  CHECK(cv::unescape_local_name("a..b.Sc") == "a.b/c");
  CHECK(cv::is_optimizer_key("x/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE"));
  CHECK(cv::is_optimizer_key("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE"));
  CHECK(cv::is_optimizer_key("save_counter/.ATTRIBUTES/VARIABLE_VALUE"));
  CHECK_FALSE(cv::is_optimizer_key("model/optimizer_like/.ATTRIBUTES/VARIABLE_VALUE"));
}

TEST_CASE("convert: every supported dtype survives checkpoint -> safetensors/npz -> checkpoint") {
  temp_dir dir;
  const auto src = write_source(dir / "src/ckpt");
  auto r = bundle_reader::open(dir / "src/ckpt");
  REQUIRE_OK(r);
  for (cv::format f : {cv::format::safetensors, cv::format::npz}) {
    const bool st = f == cv::format::safetensors;
    CAPTURE(st);
    const std::string out = dir / (st ? "x.safetensors" : "x.npz");
    auto s = cv::export_checkpoint(*r, opts(f), out);
    REQUIRE_OK(s);
    std::size_t want = 0;
    for (const auto& [k, t] : src) want += representable(f, t.dtype());
    CHECK(s->tensors == want);
    CHECK(s->skipped.size() == src.size() - want);
    for (const auto& k : s->skipped) CHECK(k.find("_CHECKPOINTABLE_OBJECT_GRAPH") == std::string::npos);

    for (auto mode : {cv::import_mode::automatic, cv::import_mode::name_based}) {
      const std::string back = dir / (std::string(st ? "st" : "npz") + (mode == cv::import_mode::automatic ? "_auto" : "_name") + "/ckpt");
      cv::import_options io;
      io.mode = mode;
      auto is = cv::import_file(out, io, back);
      REQUIRE_OK(is);
      CHECK(is->object_graph == (mode == cv::import_mode::automatic));  // the keys are TF2 keys
      auto b = bundle_reader::open(back);
      REQUIRE_OK(b);
      CHECK_FALSE(tfckpt::detail::file_exists(dir / (std::string(st ? "st" : "npz") + "_auto/checkpoint")));
      for (const auto& kv : src) {
        const std::string& k = kv.first;  // not a structured binding: clang 14 cannot capture those
        const tensor& t = kv.second;
        CAPTURE(k);
        if (!representable(f, t.dtype())) {
          CHECK(b->find(k) == nullptr);  // skipped by the export
          continue;
        }
        // The original key, restored from the recorded mapping; in an object graph every tensor
        // is an object, so a TF1-style key gains the VARIABLE_VALUE suffix.
        const std::string want_key =
            is->object_graph && k.find("/.ATTRIBUTES/") == std::string::npos ? k + "/.ATTRIBUTES/VARIABLE_VALUE" : k;
        auto got = b->read(want_key);
        REQUIRE_OK(got);
        CHECK(*got == t);
      }
      CHECK(b->has_object_graph() == is->object_graph);
    }
  }
}

TEST_CASE("convert: object-graph import builds child nodes from the '/'-separated names") {
  temp_dir dir;
  // A safetensors file written by hand: names as a Python user would give them.
  const tensor k = pattern(dtype::float32, {3, 2}), b = pattern(dtype::float32, {2}), odd = pattern(dtype::int8, {1});
  std::string data = std::string(k.byte_view()) + std::string(b.byte_view()) + std::string(odd.byte_view());
  const std::string file = cv::safetensors::make_header({"model/dense/kernel", "model/dense/bias", "model/a.b"},
                                                        {dtype::float32, dtype::float32, dtype::int8},
                                                        {{3, 2}, {2}, {1}}, {}) + data;
  REQUIRE(write_all(dir / "in.safetensors", file));
  cv::import_options io;
  io.mode = cv::import_mode::object_graph;
  auto s = cv::import_file(dir / "in.safetensors", io, dir / "obj/ckpt");
  REQUIRE_OK(s);
  CHECK(s->tensors == 4);  // + save_counter
  auto r = bundle_reader::open(dir / "obj/ckpt");
  REQUIRE_OK(r);
  auto got = r->read("model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  REQUIRE_OK(got);
  CHECK(*got == k);
  CHECK(r->find("model/a..b/.ATTRIBUTES/VARIABLE_VALUE") != nullptr);  // '.' escaped per docs/format.md §9.3
  CHECK(r->find("save_counter/.ATTRIBUTES/VARIABLE_VALUE") != nullptr);
  auto g = r->object_graph();
  REQUIRE_OK(g);
  REQUIRE(g->nodes.size() == 7);  // root, model, save_counter, dense, a.b, kernel, bias
  const auto& root = g->nodes[0];
  REQUIRE(root.children.size() == 2);
  CHECK(root.children[0].local_name == "model");
  CHECK(root.children[1].local_name == "save_counter");
  const auto& model = g->nodes[static_cast<std::size_t>(root.children[0].node_id)];
  REQUIRE(model.children.size() == 2);
  CHECK(model.children[0].local_name == "dense");
  CHECK(model.children[1].local_name == "a.b");  // the local name itself is unescaped
  const auto& dense = g->nodes[static_cast<std::size_t>(model.children[0].node_id)];
  REQUIRE(dense.children.size() == 2);
  const auto& kernel = g->nodes[static_cast<std::size_t>(dense.children[0].node_id)];
  REQUIRE(kernel.attributes.size() == 1);
  CHECK(kernel.attributes[0].name == "VARIABLE_VALUE");
  CHECK(kernel.attributes[0].checkpoint_key == "model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE");

  // --map renames; --no-save-counter; name-based keeps names as keys.
  io.maps = {{"model/dense/kernel", "net/w"}};
  io.save_counter = false;
  s = cv::import_file(dir / "in.safetensors", io, dir / "map/ckpt");
  REQUIRE_OK(s);
  r = bundle_reader::open(dir / "map/ckpt");
  REQUIRE_OK(r);
  CHECK(r->find("net/w/.ATTRIBUTES/VARIABLE_VALUE") != nullptr);
  CHECK(r->find("save_counter/.ATTRIBUTES/VARIABLE_VALUE") == nullptr);
  io.mode = cv::import_mode::automatic;
  s = cv::import_file(dir / "in.safetensors", io, dir / "names/ckpt");
  REQUIRE_OK(s);
  CHECK_FALSE(s->object_graph);
  r = bundle_reader::open(dir / "names/ckpt");
  REQUIRE_OK(r);
  CHECK(r->find("net/w") != nullptr);
  CHECK(r->find("model/dense/bias") != nullptr);
  CHECK_FALSE(r->has_object_graph());

  io.maps = {{"no_such_tensor", "x"}};
  s = cv::import_file(dir / "in.safetensors", io, dir / "bad/ckpt");
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("no_such_tensor") != std::string::npos);
  io.maps = {{"model/dense/kernel", "model/dense/bias"}};  // two tensors, one key
  s = cv::import_file(dir / "in.safetensors", io, dir / "dup/ckpt");
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("both map") != std::string::npos);
  CHECK_FALSE(tfckpt::detail::file_exists(dir / "dup/ckpt.index"));
}

TEST_CASE("convert: slot variables import as the optimizer's slot_variables") {
  temp_dir dir;
  const auto src = write_source(dir / "src/ckpt");
  auto r = bundle_reader::open(dir / "src/ckpt");
  REQUIRE_OK(r);
  REQUIRE_OK(cv::export_checkpoint(*r, opts(cv::format::safetensors), dir / "x.safetensors"));
  REQUIRE_OK(cv::import_file(dir / "x.safetensors", {}, dir / "back/ckpt"));
  auto b = bundle_reader::open(dir / "back/ckpt");
  REQUIRE_OK(b);
  auto g = b->object_graph();
  REQUIRE_OK(g);
  std::size_t slots = 0;
  for (const auto& n : g->nodes)
    for (const auto& s : n.slot_variables) {
      ++slots;
      CHECK(s.slot_name == "m");
      const auto& slot = g->nodes[static_cast<std::size_t>(s.slot_variable_node_id)];
      REQUIRE(slot.attributes.size() == 1);
      CHECK(slot.attributes[0].checkpoint_key == "float32/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE");
    }
  CHECK(slots == 1);
}

TEST_CASE("convert: --filter and --no-optimizer select keys; bad selections are errors") {
  temp_dir dir;
  write_source(dir / "src/ckpt");
  auto r = bundle_reader::open(dir / "src/ckpt");
  REQUIRE_OK(r);
  auto o = opts(cv::format::npz);
  o.sel.no_optimizer = true;
  std::vector<std::string> skipped;
  auto plan = cv::plan_export(*r, o, skipped);
  REQUIRE_OK(plan);
  for (const auto& p : *plan) CHECK_FALSE(cv::is_optimizer_key(p.key));
  CHECK(plan->size() == 17 - 1 /* bfloat16 */ - 2 /* float8 */ + 4 /* scalar, empty, strings, tf1 */);

  auto re = cv::compile_filter("^int(8|16)/");
  REQUIRE_OK(re);
  o.sel.filter = *re;
  o.sel.filter_text = "^int(8|16)/";
  skipped.clear();
  plan = cv::plan_export(*r, o, skipped);
  REQUIRE_OK(plan);
  REQUIRE(plan->size() == 2);
  CHECK((*plan)[0].name == "int16");
  CHECK((*plan)[1].name == "int8");

  o.sel.filter = *cv::compile_filter("^nothing$");
  o.sel.filter_text = "^nothing$";
  plan = cv::plan_export(*r, o, skipped);
  REQUIRE_FALSE(plan);
  CHECK(plan.error().message.find("matched no tensor") != std::string::npos);

  // A filter selecting only tensors the format cannot hold is an error naming them.
  o = opts(cv::format::safetensors);
  o.sel.filter = *cv::compile_filter("strings|complex");
  o.sel.filter_text = "strings|complex";
  skipped.clear();
  plan = cv::plan_export(*r, o, skipped);
  REQUIRE_FALSE(plan);
  CHECK(plan.error().code == errc::unsupported);
  CHECK(plan.error().message.find("model/strings/.ATTRIBUTES/VARIABLE_VALUE") != std::string::npos);
  auto s = cv::export_checkpoint(*r, o, dir / "none.safetensors");
  REQUIRE_FALSE(s);
  CHECK_FALSE(tfckpt::detail::file_exists(dir / "none.safetensors"));

#if defined(__cpp_exceptions)
  CHECK_FALSE(cv::compile_filter("(unclosed"));
#endif
}

TEST_CASE("convert: npz with zip64 records reads back") {
  temp_dir dir;
  const auto src = write_source(dir / "src/ckpt");
  auto r = bundle_reader::open(dir / "src/ckpt");
  REQUIRE_OK(r);
  auto o = opts(cv::format::npz);
  o.force_zip64 = true;
  REQUIRE_OK(cv::export_checkpoint(*r, o, dir / "z.npz"));
  const std::string bytes = read_file(dir / "z.npz");
  CHECK(bytes.find(std::string("PK\x06\x06", 4)) != std::string::npos);
  auto in = cv::parse_input(bytes, "z.npz");
  REQUIRE_OK(in);
  bool found = false;
  for (const auto& t : in->tensors)
    if (t.name == "int64") {
      found = true;
      CHECK(t.bytes() == src.at(key_for(dtype::int64)).byte_view());
    }
  CHECK(found);
}

TEST_CASE("convert: npy parsing handles Fortran order, big-endian, |S and <U arrays") {
  auto npy = [](std::string dict, std::string_view data) {
    std::string h = "{" + dict + "}";
    h.append(63 - (10 + h.size()) % 64, ' ');
    h += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    cv::put_le(out, h.size(), 2);
    return out + h + std::string(data);
  };
  // parse_npy returns views into its input: keep every input alive for the whole test.
  std::vector<std::unique_ptr<std::string>> kept;
  auto keep = [&](std::string s) -> std::string_view {
    kept.push_back(std::make_unique<std::string>(std::move(s)));
    return *kept.back();
  };
  // A 2x3 int16 array in Fortran order: memory holds columns.
  std::string f;
  for (int v : {0, 3, 1, 4, 2, 5}) cv::put_le(f, static_cast<std::uint64_t>(v), 2);
  auto a = cv::npz::parse_npy(keep(npy("'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), ", f)), "f", "m");
  REQUIRE_OK(a);
  auto t = cv::npy_input::npy_tensor(*a, "m", "f");
  REQUIRE_OK(t);
  std::string c;
  for (int v : {0, 1, 2, 3, 4, 5}) cv::put_le(c, static_cast<std::uint64_t>(v), 2);
  CHECK(t->bytes() == c);

  std::string be("\x3f\xf0\x00\x00\x00\x00\x00\x00", 8);  // 1.0 big-endian
  a = cv::npz::parse_npy(keep(npy("'descr': '>f8', 'fortran_order': False, 'shape': (1,), ", be)), "f", "m");
  REQUIRE_OK(a);
  t = cv::npy_input::npy_tensor(*a, "m", "f");
  REQUIRE_OK(t);
  double one = 0;
  REQUIRE(t->bytes().size() == 8);
  std::memcpy(&one, t->bytes().data(), 8);
  CHECK(one == 1.0);

  a = cv::npz::parse_npy(keep(npy("'descr': '|S3', 'fortran_order': False, 'shape': (2,), ", std::string("ab\0xyz", 6))), "f", "m");
  REQUIRE_OK(a);
  t = cv::npy_input::npy_tensor(*a, "m", "f");
  REQUIRE_OK(t);
  CHECK(t->type == dtype::string);
  CHECK(t->strings == std::vector<std::string>{"ab", "xyz"});

  std::string u;
  for (std::uint32_t cp : {0xe9u, 0x2603u, 0u}) cv::put_le(u, cp, 4);
  a = cv::npz::parse_npy(keep(npy("'descr': '<U3', 'fortran_order': False, 'shape': (), ", u)), "f", "m");
  REQUIRE_OK(a);
  t = cv::npy_input::npy_tensor(*a, "m", "f");
  REQUIRE_OK(t);
  CHECK(t->strings == std::vector<std::string>{"\xc3\xa9\xe2\x98\x83"});

  // Byte count mismatch, structured dtype, bad shape, object arrays.
  a = cv::npz::parse_npy(keep(npy("'descr': '<f4', 'fortran_order': False, 'shape': (3,), ", std::string(8, '\0'))), "f", "m");
  REQUIRE_OK(a);
  t = cv::npy_input::npy_tensor(*a, "m", "f");
  REQUIRE_FALSE(t);
  CHECK(t.error().message.find("need 12 data bytes") != std::string::npos);
  CHECK_FALSE(cv::npz::parse_npy(keep(npy("'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (), ", "")), "f", "m"));
  CHECK_FALSE(cv::npz::parse_npy(keep(npy("'descr': '<f4', 'fortran_order': False, 'shape': (-1,), ", "")), "f", "m"));
  a = cv::npz::parse_npy(keep(npy("'descr': '|O', 'fortran_order': False, 'shape': (), ", std::string(8, '\0'))), "f", "m");
  REQUIRE_OK(a);
  CHECK_FALSE(cv::npy_input::npy_tensor(*a, "m", "f"));
  CHECK_FALSE(cv::npz::parse_npy(std::string("\x93NUMPY\x01\x00\xff\xff{}", 12), "f", "m"));  // header past the end
}

TEST_CASE("convert: hostile safetensors files are rejected with the file and tensor named") {
  const std::string data(24, '\x01');
  auto make = [&](const std::string& header, std::string_view body) {
    std::string out;
    cv::put_le(out, header.size(), 8);
    return out + header + std::string(body);
  };
  auto expect_error = [](const std::string& bytes, std::string_view needle) {
    auto r = cv::parse_input(bytes, "evil.safetensors");
    REQUIRE_FALSE(r);
    CAPTURE(r.error().to_string());
    CHECK(r.error().file == "evil.safetensors");
    CHECK(r.error().to_string().find(needle) != std::string::npos);
  };
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})";
  REQUIRE_OK(cv::parse_input(make(ok, data), "good"));

  std::string huge;
  cv::put_le(huge, std::uint64_t{1} << 40, 8);
  expect_error(huge + "{}", "exceeds");                                              // header length > file
  expect_error(make("{\"a\":", data), "not valid JSON");                             // bad JSON
  expect_error(make("[1,2]", data), "not a JSON object");
  expect_error(make(R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,48]}})", data), "tensor 'a': data_offsets end 48");
  expect_error(make(R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,24]}})", data), "needs 16");
  expect_error(make(R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[24,0]}})", data), "reversed");
  expect_error(make(R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", data), "unsupported dtype");
  expect_error(make(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", data), "non-negative integer");
  expect_error(make(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", data), "non-negative integer");
  expect_error(make(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,4]}})", data),
               "too large");
  expect_error(make(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}})", data),
               "overlap");
  expect_error(make(R"({"a":{"dtype":"F32","shape":[3]}})", data), "data_offsets");
  expect_error(make(R"({"a":7})", data), "tensor 'a': entry is not an object");
  expect_error(make(R"({"__metadata__":{"x":1}})", data), "__metadata__");
  expect_error(std::string("\x05\x00\x00", 3), "neither");
  expect_error("garbage that is neither format", "neither");
}

TEST_CASE("convert: hostile npz files are rejected with the file and member named") {
  temp_dir dir;
  write_source(dir / "src/ckpt");
  auto r = bundle_reader::open(dir / "src/ckpt");
  REQUIRE_OK(r);
  auto o = opts(cv::format::npz);
  o.sel.filter = *cv::compile_filter("^int32/");
  o.sel.filter_text = "^int32/";
  REQUIRE_OK(cv::export_checkpoint(*r, o, dir / "one.npz"));
  const std::string good = read_file(dir / "one.npz");
  REQUIRE_OK(cv::parse_input(good, "one.npz"));
  auto expect_error = [](const std::string& bytes, std::string_view needle) {
    auto p = cv::parse_input(bytes, "evil.npz");
    REQUIRE_FALSE(p);
    CAPTURE(p.error().to_string());
    CHECK(p.error().file == "evil.npz");
    CHECK(p.error().to_string().find(needle) != std::string::npos);
  };
  // The member's data starts after the 30-byte local header and the name "int32.npy".
  std::string bad = good;
  bad[30 + 9 + 80] ^= 1;
  expect_error(bad, "member 'int32.npy': CRC-32 mismatch");
  // Deflate, as np.savez_compressed writes: method 8 in the central directory.
  bad = good;
  const auto cd = bad.find(std::string("PK\x01\x02", 4));
  REQUIRE(cd != std::string::npos);
  bad[cd + 10] = 8;
  expect_error(bad, "np.savez_compressed");
  expect_error(good.substr(0, good.size() - 10), "end-of-central-directory");
  bad = good;  // central directory offset past the end
  const auto eocd = bad.rfind(std::string("PK\x05\x06", 4));
  bad[eocd + 19] = '\x7f';
  expect_error(bad, "central directory out of range");
  bad = good;  // local header offset past the end
  bad[cd + 45] = '\x7f';
  expect_error(bad, "local header");
  bad = good;  // member size larger than the file
  bad[cd + 23] = '\x7f', bad[cd + 27] = '\x7f';
  expect_error(bad, "out of range");
}

TEST_CASE("convert: import refuses files whose tensors cannot form an object graph") {
  temp_dir dir;
  const tensor x = pattern(dtype::float32, {1});
  const std::string file = cv::safetensors::make_header({"a//b"}, {dtype::float32}, {{1}}, {}) + std::string(x.byte_view());
  REQUIRE(write_all(dir / "in.safetensors", file));
  cv::import_options io;
  io.mode = cv::import_mode::object_graph;
  auto s = cv::import_file(dir / "in.safetensors", io, dir / "o/ckpt");
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("empty path component") != std::string::npos);
  io.mode = cv::import_mode::name_based;
  REQUIRE_OK(cv::import_file(dir / "in.safetensors", io, dir / "n/ckpt"));
}

TEST_CASE("convert: diff counts differing elements and the max absolute difference") {
  tensor a = tensor::from_values<float>({4}, std::vector<float>{1.0f, 2.0f, NAN, -0.0f}).value();
  tensor b = tensor::from_values<float>({4}, std::vector<float>{1.5f, 2.0f, NAN, 0.0f}).value();
  auto d = cv::compare_values(a, b, 0);
  CHECK(d.differing == 1);
  CHECK(d.max_abs == 0.5);
  CHECK(cv::compare_values(a, b, 0.5).differing == 0);  // within --atol
  tensor c = tensor::from_values<float>({4}, std::vector<float>{1.0f, 2.0f, 3.0f, 0.0f}).value();
  d = cv::compare_values(a, c, 0);
  CHECK(d.differing == 1);
  CHECK(cv::max_diff_text(d) == "nan");
  tensor i = tensor::from_values<std::int64_t>({2}, std::vector<std::int64_t>{INT64_MIN, 5}).value();
  tensor j = tensor::from_values<std::int64_t>({2}, std::vector<std::int64_t>{INT64_MAX, 5}).value();
  d = cv::compare_values(i, j, 0);
  CHECK(d.differing == 1);
  CHECK(d.max_int == UINT64_MAX);
  tensor s = tensor::from_strings({2}, {"x", "y"}).value(), t = tensor::from_strings({2}, {"x", "z"}).value();
  CHECK(cv::compare_values(s, t, 0).differing == 1);
  CHECK(cv::compare_values(s, s, 0).differing == 0);

  temp_dir dir;
  write_source(dir / "a/ckpt");
  write_source(dir / "b/ckpt");
  cv::diff_options o;
  CHECK(cv::run_diff(dir / "a/ckpt", dir / "b/ckpt", o) == 0);
  {
    auto w = bundle_writer::create(dir / "c/ckpt");
    REQUIRE_OK(w);
    REQUIRE_OK(w->add("tf1_style_name", pattern(dtype::int32, {5})));
    REQUIRE_OK(w->finish());
  }
  o.sel.filter = *cv::compile_filter("^tf1_style_name$");
  o.sel.filter_text = "^tf1_style_name$";
  CHECK(cv::run_diff(dir / "a/ckpt", dir / "c/ckpt", o) == 1);  // shape [4] -> [5]
  CHECK(cv::run_diff(dir / "a/ckpt", dir / "missing/ckpt", o) == 2);
}
