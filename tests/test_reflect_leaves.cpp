// Every leaf and container kind through write()/read(), Describe with bases, renames and skips,
// save/write/restore semantics (save_counter, numbering), error and status messages, and a TF1
// name-based checkpoint through an explicit name map.
#include <doctest/doctest.h>

#include <array>
#include <complex>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <set>
#include <string>
#include <vector>

#include <boost/describe/class.hpp>

#include "tfckpt/checkpoint.hpp"

namespace rl {

struct scalars {
  float f = 1.5f;
  double d = -2.25;
  std::int8_t i8 = -8;
  std::int16_t i16 = -16;
  std::int32_t i32 = -32;
  std::int64_t i64 = -64;
  std::uint8_t u8 = 8;
  std::uint16_t u16 = 16;
  std::uint32_t u32 = 32;
  std::uint64_t u64 = 64;
  bool b = true;
  tfckpt::float16 h = tfckpt::float16::from_float(0.5f);
  tfckpt::bfloat16 bf = tfckpt::bfloat16::from_float(-3.0f);
  std::complex<float> c64{1, 2};
  std::complex<double> c128{3, 4};
};

struct base_part {
  std::int64_t from_base = 7;
};
struct annotated : base_part {
  float c_array[2][3] = {{1, 2, 3}, {4, 5, 6}};  // C arrays need Describe (PFR cannot count them)
  int scratch = 0;
};
BOOST_DESCRIBE_STRUCT(base_part, (), (from_base))
BOOST_DESCRIBE_STRUCT(annotated, (base_part), (c_array, scratch))
TFCKPT_NAMES(annotated, (c_array, "c.array/x"), (scratch, tfckpt::skip))

struct item {
  std::array<float, 2> w{};
};
struct everything {
  scalars s;
  annotated a;
  std::array<std::array<std::int32_t, 2>, 3> nested{};
  std::vector<double> vec;
  tfckpt::tensor dyn;
  tfckpt::fixed<std::uint16_t, 2, 2> fx{};
  std::string text;
  std::vector<std::string> texts;
  std::vector<item> list;
  std::map<std::string, item> dict;
  std::optional<item> maybe;
};

struct dense_wrong {
  tfckpt::fixed<float, 4, 8> kernel;
  std::array<float, 16> bias;  // the fixture has [8]
};
struct mlp_wrong {
  dense_wrong l0;
};
TFCKPT_NAMES(mlp_wrong, (l0, "layer_with_weights-0"))
struct root_wrong {
  mlp_wrong model;
};

struct step_as_double {
  double step = 0;  // the fixture stores int64
};

struct renamed_model {
  std::int64_t step = 0;
  std::int64_t steps = 0;  // not in the checkpoint
};

struct tf1_dense {
  std::array<float, 3> bias{};
  tfckpt::fixed<float, 2, 3> kernel{};
};
struct tf1_root {
  tf1_dense dense;
  std::int64_t counter = 0;
  std::int64_t global_step = 0;
  std::string label;
};

// A Python dict key "" is a real local name (TF writes `d//.ATTRIBUTES/...`): TFCKPT_NAMES may
// rename a field to it.
struct empty_key_dict {
  std::int32_t unnamed = 0;
  std::int32_t x = 0;
};
TFCKPT_NAMES(empty_key_dict, (unnamed, ""))
struct empty_key_root {
  empty_key_dict d;
};

const std::string fixtures = TFCKPT_FIXTURES_DIR;

}  // namespace rl

// Also with two shards written by two threads: the object-graph save then defers its fixed-size
// tensors to one add_many (bundle/writer.hpp), writing strings first; the result must not differ.
TEST_CASE("reflect leaves: every leaf and container kind survives write() then read()") {
  for (const bool parallel : {false, true}) {
    CAPTURE(parallel);
    tfckpt::write_options wo;
    if (parallel) wo.num_shards = 2, wo.threads = 2;
    const std::string path = parallel ? "reflect_leaves/all_parallel" : "reflect_leaves/all";
    rl::everything src;
    src.nested[2][1] = 21;
    src.vec = {1.0, 2.0, 3.0};
    const float dyn_values[4] = {1, 2, 3, 4};
    auto dyn = tfckpt::tensor::from_values<float>({2, 2}, dyn_values);
    REQUIRE(dyn);
    src.dyn = std::move(*dyn);
    src.fx[3] = 33;
    src.text = "hello";
    src.texts = {"a", "", "ccc"};
    src.list = {rl::item{{1, 2}}, rl::item{{3, 4}}};
    src.dict["k/1"] = rl::item{{5, 6}};
    src.maybe = rl::item{{7, 8}};
    auto w = tfckpt::write(path, src, wo);
    REQUIRE_MESSAGE(w, (w ? "" : w.error().to_string()));

    auto r = tfckpt::bundle_reader::open(path);
    REQUIRE(r);
    CHECK(r->find("s/bf/.ATTRIBUTES/VARIABLE_VALUE")->info.dtype == tfckpt::dtype::bfloat16);
    CHECK(r->find("a/from_base/.ATTRIBUTES/VARIABLE_VALUE"));
    CHECK(r->find("a/c..array.Sx/.ATTRIBUTES/VARIABLE_VALUE")->info.shape == tfckpt::shape_t{2, 3});
    CHECK_FALSE(r->find("a/scratch/.ATTRIBUTES/VARIABLE_VALUE"));
    CHECK(r->find("list/1/w/.ATTRIBUTES/VARIABLE_VALUE"));
    CHECK(r->find("dict/k.S1/w/.ATTRIBUTES/VARIABLE_VALUE"));
    CHECK(r->find("nested/.ATTRIBUTES/VARIABLE_VALUE")->info.shape == tfckpt::shape_t{3, 2});
    CHECK_FALSE(r->find("save_counter/.ATTRIBUTES/VARIABLE_VALUE"));  // write() has no save_counter
    if (parallel) {
      std::set<std::int32_t> shards;
      for (const auto& e : r->entries()) shards.insert(e.info.shard_id);
      CHECK(shards == std::set<std::int32_t>{0, 1});
      CHECK(r->verify());
    }

    rl::everything dst;
    dst.s = rl::scalars{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, {}, {}, {}, {}};
    dst.a.c_array[1][2] = 0;
    dst.a.from_base = 0;
    dst.list.resize(2);
    dst.dict["k/1"];
    dst.maybe.emplace();
    auto st = tfckpt::read(path, dst);
    REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
    auto consumed = st->assert_consumed();
    CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
    CHECK(dst.s.f == 1.5f);
    CHECK(dst.s.u64 == 64);
    CHECK(dst.s.b);
    CHECK(dst.s.h == src.s.h);
    CHECK(dst.s.bf == src.s.bf);
    CHECK(dst.s.c128 == std::complex<double>(3, 4));
    CHECK(dst.a.from_base == 7);
    CHECK(dst.a.c_array[1][2] == 6);
    CHECK(dst.nested[2][1] == 21);
    CHECK(dst.vec == src.vec);
    CHECK(dst.dyn == src.dyn);
    CHECK(dst.fx == src.fx);
    CHECK(dst.text == "hello");
    CHECK(dst.texts == src.texts);
    CHECK(dst.list[1].w[1] == 4);
    CHECK(dst.dict["k/1"].w[0] == 5);
    CHECK(dst.maybe->w[1] == 8);
  }
}

TEST_CASE("reflect leaves: a field renamed to the empty local name (a dict key \"\")") {
  rl::empty_key_root src{{5, 6}};
  REQUIRE(tfckpt::write("reflect_leaves/empty_key", src));
  auto r = tfckpt::bundle_reader::open("reflect_leaves/empty_key");
  REQUIRE(r);
  REQUIRE(r->find("d//.ATTRIBUTES/VARIABLE_VALUE"));
  CHECK(r->find("d/x/.ATTRIBUTES/VARIABLE_VALUE"));
  rl::empty_key_root dst;
  auto st = tfckpt::read("reflect_leaves/empty_key", dst);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(st->assert_consumed());
  CHECK(dst.d.unnamed == 5);
  CHECK(dst.d.x == 6);
}

TEST_CASE("reflect leaves: restore() of a write() output misses save_counter; read() does not") {
  rl::item src{{1, 2}};
  REQUIRE(tfckpt::write("reflect_leaves/plain", src));
  rl::item dst;
  auto st = tfckpt::restore("reflect_leaves/plain", dst);
  REQUIRE(st);
  auto consumed = st->assert_consumed();
  REQUIRE_FALSE(consumed);
  CHECK(consumed.error().message.find("save_counter") != std::string::npos);
  CHECK(tfckpt::read("reflect_leaves/plain", dst)->assert_consumed());
}

TEST_CASE("reflect leaves: save() numbers from save_counter and restore() brings it back") {
  rl::item x{{1, 2}};
  tfckpt::checkpoint ck(x);
  CHECK(*ck.save("reflect_leaves/numbered/ckpt") == "reflect_leaves/numbered/ckpt-1");
  CHECK(*tfckpt::save("reflect_leaves/numbered/ckpt", ck) == "reflect_leaves/numbered/ckpt-2");
  rl::item y;
  tfckpt::checkpoint ck2(y);
  auto st = ck2.restore("reflect_leaves/numbered");  // directory: the state file names ckpt-2
  REQUIRE(st);
  CHECK(st->assert_consumed());
  CHECK(ck2.save_counter() == 2);
  CHECK(*ck2.save("reflect_leaves/numbered/ckpt") == "reflect_leaves/numbered/ckpt-3");
}

TEST_CASE("reflect leaves: a shape mismatch names the path and both shapes") {
  rl::root_wrong r;
  auto st = tfckpt::read(rl::fixtures + "/keras_adam_legacy", r);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == tfckpt::errc::shape_mismatch);
  CHECK(st.error().message == "model/layer_with_weights-0/bias: shape [8] in checkpoint, [16] in struct");
}

TEST_CASE("reflect leaves: a dtype mismatch is an error, never a cast") {
  rl::step_as_double r;
  auto st = tfckpt::read(rl::fixtures + "/keras_adam_legacy", r);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == tfckpt::errc::dtype_mismatch);
  CHECK(st.error().message.find("step: dtype int64 in checkpoint, float64 in struct") == 0);
}

TEST_CASE("reflect leaves: a partial match lists every unmatched path and unused value") {
  rl::renamed_model r;
  auto st = tfckpt::read(rl::fixtures + "/keras_adam_legacy", r);
  REQUIRE(st);
  CHECK(r.step == 3);
  CHECK(st->assert_nontrivial_match());
  CHECK_FALSE(st->assert_existing_objects_matched());
  CHECK(st->unmatched_objects == std::vector<std::string>{"steps"});
  CHECK(st->unused_values.size() == 18);  // 4 weights, 8 slots, 5 optimizer scalars, save_counter
  auto consumed = st->assert_consumed();
  REQUIRE_FALSE(consumed);
  CHECK(consumed.error().message.find("model/layer_with_weights-1/kernel/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE") !=
        std::string::npos);
  (void)st->expect_partial();
}

TEST_CASE("reflect leaves: a TF1 name-based checkpoint restores through an explicit name map") {
  rl::tf1_root r;
  const std::string path = rl::fixtures + "/tf1_saver";
  auto plain = tfckpt::restore(path, r);
  REQUIRE_FALSE(plain);
  CHECK(plain.error().code == tfckpt::errc::unsupported);
  auto st = tfckpt::restore_by_names(path, r,
                                     {{"dense/kernel", "dense/kernel"},
                                      {"dense/bias", "dense/bias"},
                                      {"counter", "counter"},
                                      {"global_step", "global_step"},
                                      {"label", "label"}});
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(st->assert_consumed());
  CHECK(r.counter == 123456789012);
  CHECK(r.global_step == 7);
  CHECK(r.label == "tf1 string");
  CHECK(r.dense.bias[1] == -0.5f);
  CHECK(r.dense.kernel[5] == 1.25f);
}
