// Typed owning tensors (tfckpt::tensor_of<T>: dtype in the type, shape at run time) as struct
// fields: a game-engine style model (layers of tensor_of<float> weights) against TF-written Keras checkpoints,
// dtype and shape errors, round trips; and C-array fields of Describe'd structs (the plain
// aggregate case is a compile error: tests/compile_fail/c_array_*.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/describe/class.hpp>

#include "tfckpt/checkpoint.hpp"
#include "tfckpt/schema.hpp"

namespace rtt {

// A game engine's view of a Keras MLP: each layer a struct of typed tensors.
struct dense {
  tfckpt::tensor_of<float> kernel, bias;
};
BOOST_DESCRIBE_STRUCT(dense, (), (kernel, bias))

struct policy {
  dense l0, l1;  // Keras calls them layer_with_weights-0 / -1
};
TFCKPT_NAMES(policy, (l0, "layer_with_weights-0"), (l1, "layer_with_weights-1"))

struct root {
  policy model;  // tf.train.Checkpoint(model=...)
};

struct dense_f64 {
  tfckpt::tensor_of<double> kernel, bias;
};
struct policy_f64 {
  dense_f64 l0, l1;
};
TFCKPT_NAMES(policy_f64, (l0, "layer_with_weights-0"), (l1, "layer_with_weights-1"))
struct root_f64 {
  policy_f64 model;
};

struct counters {
  tfckpt::tensor_of<std::int64_t> step;
  tfckpt::tensor_of<std::uint16_t> grid;
};

// C arrays as leaves: nested arrays give the shape. Describe is required (PFR cannot count them).
struct c_layer {
  float w[4][3] = {};
  std::int32_t idx[2] = {};
  double b = 0;
};
BOOST_DESCRIBE_STRUCT(c_layer, (), (w, idx, b))
struct c_root {  // a plain aggregate holding a Describe'd struct with C arrays
  c_layer layer;
};

const std::string fixtures = TFCKPT_FIXTURES_DIR;

std::uint32_t bits_of(float f) {
  std::uint32_t b = 0;
  std::memcpy(&b, &f, 4);
  return b;
}

}  // namespace rtt

TEST_CASE("reflect typed tensor: a game-engine model restores a Keras checkpoint directory into tensor_of<float>") {
  rtt::root r;
  auto st = tfckpt::restore(rtt::fixtures + "/keras_adam", r);  // a directory: its state file
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  st->expect_partial();  // the optimizer and step in the file are ignored on purpose
  CHECK(st->assert_existing_objects_matched());
  CHECK_FALSE(st->assert_consumed());
  CHECK(r.model.l0.kernel.shape() == tfckpt::shape_t{4, 8});
  CHECK(r.model.l0.bias.shape() == tfckpt::shape_t{8});
  CHECK(r.model.l1.kernel.shape() == tfckpt::shape_t{8, 3});
  CHECK(r.model.l1.bias.shape() == tfckpt::shape_t{3});
  REQUIRE(r.model.l0.kernel.size() == 32);
  CHECK(rtt::bits_of(r.model.l0.kernel[0]) == 0xbf34003bu);  // expected.json "3b0034bf"
  CHECK(rtt::bits_of(r.model.l0.bias[0]) == 0x3b1988feu);    // "fe88193b"
  CHECK(rtt::bits_of(r.model.l1.kernel.values()[0]) == 0x3e5d82eeu);  // "ee825d3e"
}

TEST_CASE("reflect typed tensor: a shaped tensor_of requires that shape and names both") {
  rtt::root r;
  REQUIRE(r.model.l1.bias.reset({16}));  // the engine was built for 16 outputs
  auto st = tfckpt::restore(rtt::fixtures + "/keras_adam", r);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == tfckpt::errc::shape_mismatch);
  CHECK(st.error().message == "model/layer_with_weights-1/bias: shape [3] in checkpoint, [16] in struct");
  // The right shape restores; a restored tensor keeps its shape for the next restore.
  REQUIRE(r.model.l1.bias.reset({3}));
  REQUIRE(tfckpt::restore(rtt::fixtures + "/keras_adam", r));
  CHECK(r.model.l1.bias.has_shape());
  CHECK(rtt::bits_of(r.model.l1.bias[0]) == 0x3cf59b20u);  // "209bf53c"
}

TEST_CASE("reflect typed tensor: a dtype mismatch is an error, never a cast") {
  rtt::root_f64 r;
  auto st = tfckpt::restore(rtt::fixtures + "/keras_adam", r);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == tfckpt::errc::dtype_mismatch);
  // Every mismatch in one error (issue #13): all four float64 leaves, the kernel first.
  CHECK_MESSAGE(st.error().message.find("4 values do not match the struct:") == 0, st.error().message);
  CHECK_MESSAGE(st.error().message.find("model/layer_with_weights-0/kernel: dtype float32 in checkpoint, float64 in "
                                        "struct (TensorFlow does not cast)") != std::string::npos,
                st.error().message);
  CHECK(r.model.l0.bias.size() == 0);  // nothing was written into the wrong type
}

TEST_CASE("reflect typed tensor: tensor_of round-trips through write() and read()") {
  rtt::counters src;
  auto step = tfckpt::tensor_of<std::int64_t>::from_values({}, std::vector<std::int64_t>{-42});  // a scalar
  REQUIRE(step);
  src.step = std::move(*step);
  REQUIRE(src.grid.reset({2, 3, 1}));
  for (std::size_t i = 0; i < src.grid.size(); ++i) src.grid[i] = static_cast<std::uint16_t>(1000 + i);
  REQUIRE(tfckpt::write("reflect_typed_tensor/ckpt", src));
  auto reader = tfckpt::bundle_reader::open("reflect_typed_tensor/ckpt");
  REQUIRE(reader);
  auto grid = reader->read("grid/.ATTRIBUTES/VARIABLE_VALUE");
  REQUIRE(grid);
  CHECK(grid->dtype() == tfckpt::dtype::uint16);
  CHECK(grid->shape() == tfckpt::shape_t{2, 3, 1});
  rtt::counters dst;
  auto st = tfckpt::read("reflect_typed_tensor/ckpt", dst);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(st->assert_consumed());
  CHECK(dst.step.shape().empty());
  CHECK(dst.step.has_shape());
  REQUIRE(dst.step.size() == 1);
  CHECK(dst.step[0] == -42);
  CHECK(dst.grid == src.grid);
}

TEST_CASE("reflect typed tensor: a tensor_of that never had a shape cannot be saved") {
  rtt::counters c;
  REQUIRE(c.step.reset({}));
  auto w = tfckpt::write("reflect_typed_tensor_unshaped/ckpt", c);
  REQUIRE_FALSE(w);
  CHECK(w.error().message.find("no shape") != std::string::npos);
}

TEST_CASE("reflect typed tensor: C-array fields of a Describe'd struct are leaves shaped by their extents") {
  rtt::c_root src;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) src.layer.w[i][j] = static_cast<float>(i * 3 + j) / 8.0f;
  src.layer.idx[0] = 7;
  src.layer.idx[1] = -7;
  src.layer.b = 0.25;
  REQUIRE(tfckpt::write("reflect_c_arrays/ckpt", src));
  auto reader = tfckpt::bundle_reader::open("reflect_c_arrays/ckpt");
  REQUIRE(reader);
  auto w = reader->read("layer/w/.ATTRIBUTES/VARIABLE_VALUE");
  REQUIRE(w);
  CHECK(w->dtype() == tfckpt::dtype::float32);
  CHECK(w->shape() == tfckpt::shape_t{4, 3});
  const auto wv = w->values<float>();
  REQUIRE(wv);
  CHECK((*wv)[5] == 5.0f / 8.0f);  // row-major: w[1][2]
  auto idx = reader->read("layer/idx/.ATTRIBUTES/VARIABLE_VALUE");
  REQUIRE(idx);
  CHECK(idx->shape() == tfckpt::shape_t{2});
  rtt::c_root dst;
  auto st = tfckpt::read("reflect_c_arrays/ckpt", dst);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(st->assert_consumed());
  CHECK(std::memcmp(dst.layer.w, src.layer.w, sizeof src.layer.w) == 0);
  CHECK(dst.layer.idx[1] == -7);
  CHECK(dst.layer.b == 0.25);
}

namespace rtt {
// What `tfckpt schema tests/fixtures/keras_adam` lists for the model (the rest is optimizer state).
inline constexpr std::array<tfckpt::schema_entry, 4> keras_model_entries{{
    {"model/layer_with_weights-0/bias", "model/layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE",
     tfckpt::dtype::float32, 1, {8}},
    {"model/layer_with_weights-0/kernel", "model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE",
     tfckpt::dtype::float32, 2, {4, 8}},
    {"model/layer_with_weights-1/bias", "model/layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE",
     tfckpt::dtype::float32, 1, {3}},
    {"model/layer_with_weights-1/kernel", "model/layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE",
     tfckpt::dtype::float32, 2, {8, 3}},
}};
inline constexpr tfckpt::schema_ref<keras_model_entries> keras_model{};
}  // namespace rtt

// In a compile-time schema a tensor_of has its dtype and any shape (not rank 1 like std::vector).
static_assert(tfckpt::schema_v<rtt::root>.size() == 4);
static_assert(tfckpt::schema_v<rtt::root>[1].key == "model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
static_assert(tfckpt::schema_v<rtt::root>[1].dtype == tfckpt::dtype::float32);
static_assert(tfckpt::schema_v<rtt::root>[1].rank == tfckpt::dynamic_rank);
static_assert(tfckpt::matches<rtt::root>(rtt::keras_model));
static_assert(tfckpt::schema_v<rtt::c_root>[2].rank == 2);  // layer/w: float[4][3]
static_assert(tfckpt::schema_v<rtt::c_root>[2].dims[1] == 3);
static_assert(!tfckpt::reflect::aggregate_reflectable<rtt::c_layer>, "PFR alone cannot count a C-array field");
static_assert(tfckpt::reflect::aggregate_reflectable<rtt::root>);

TEST_CASE("reflect typed tensor: tensor_of::from_values, zeros and reset refuse a wrong count or an invalid shape") {
  using f32 = tfckpt::tensor_of<float>;
  const std::vector<float> five{1, 2, 3, 4, 5};
  auto few = f32::from_values({2, 3}, five);  // 5 values for 6 elements: no zero fill
  REQUIRE_FALSE(few);
  CHECK(few.error().code == tfckpt::errc::invalid_argument);
  CHECK(few.error().message == "tensor_of::from_values: 5 values given for shape [2,3] (6 elements)");
  auto many = f32::from_values({2, 2}, five);  // 5 values for 4 elements: no truncation
  REQUIRE_FALSE(many);
  CHECK(many.error().code == tfckpt::errc::invalid_argument);
  auto bad_shape = f32::from_values({5, -1}, five);
  REQUIRE_FALSE(bad_shape);
  CHECK(bad_shape.error().message.find("invalid shape") != std::string::npos);
  auto exact = f32::from_values({5}, five);
  REQUIRE(exact);
  CHECK(exact->has_shape());
  CHECK(exact->shape() == tfckpt::shape_t{5});
  CHECK(std::vector<float>(exact->begin(), exact->end()) == five);

  auto z = f32::zeros({3, 2});
  REQUIRE(z);
  CHECK(z->size() == 6);
  CHECK(z->has_shape());
  CHECK((*z)[5] == 0.0f);
  auto z_bad = f32::zeros({std::int64_t{1} << 62, 4});  // overflows int64: an error, not an allocation
  REQUIRE_FALSE(z_bad);
  CHECK(z_bad.error().code == tfckpt::errc::invalid_argument);

  f32 t = std::move(*exact);
  auto r = t.reset({-3});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == tfckpt::errc::invalid_argument);
  CHECK(t.shape() == tfckpt::shape_t{5});  // unchanged by the failed reset
  CHECK(t[4] == 5.0f);
  REQUIRE(t.reset({2}));
  CHECK(t.size() == 2);
  CHECK(t[1] == 0.0f);
}

TEST_CASE("reflect typed tensor: fixed<> has tensor_of's element access: size, data, begin/end, values") {
  tfckpt::fixed<float, 2, 3> f{};
  static_assert(tfckpt::fixed<float, 2, 3>::size() == 6);
  static_assert(tfckpt::fixed<float, 2, 3>::num_elements() == 6);
  CHECK(f.size() == 6);
  float x = 0;
  for (float& v : f) v = x++;  // begin()/end(), row-major
  CHECK(f.data()[4] == 4.0f);
  CHECK(f[5] == 5.0f);
  CHECK(f.values()[2] == 2.0f);
  const std::span<const float> view(f);  // a contiguous sized range, like tensor_of
  CHECK(view.size() == 6);
  CHECK(view[3] == 3.0f);
  const auto& cf = f;
  CHECK(*(cf.end() - 1) == 5.0f);
  CHECK(cf.data() == f.data());
  // The same loop over a tensor_of of the same shape gives the same elements.
  auto t = tfckpt::tensor_of<float>::from_values({2, 3}, f.values());
  REQUIRE(t);
  CHECK(std::equal(t->begin(), t->end(), cf.begin(), cf.end()));
  CHECK(t->size() == f.size());
  // Still an aggregate usable in constant expressions.
  constexpr tfckpt::fixed<int, 3> c{{1, 2, 3}};
  static_assert(c[1] == 2 && c.size() == 3 && *c.begin() == 1);
}
