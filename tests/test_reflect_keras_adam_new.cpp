// The tf_keras optimizer layout of TF >= 2.11 (tests/fixtures/keras_adam: tf_keras Sequential
// Dense(8, relu) -> Dense(3), current tf_keras.optimizers.Adam, step): tfckpt::keras::adam
// restores TF's checkpoint with assert_consumed, and the object graph we write for the same
// struct equals the one TensorFlow wrote (nodes, local names, keys, has_checkpoint_values).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>

#include "graph_compare.hpp"
#include "tfckpt/checkpoint.hpp"
#include "tfckpt/keras/optimizers.hpp"
#include "keras_mlp_4_8_3.hpp"

namespace kan {

using keras_mlp_4_8_3::fixed_slots;
using keras_mlp_4_8_3::mlp;
using keras_mlp_4_8_3::state;

const std::string fixture = TFCKPT_FIXTURES_DIR "/keras_adam";

// Namespace scope, not local: field names of aggregates need external linkage (clang 14).
struct legacy_adam {
  std::int64_t iter = 0;
  float learning_rate = 0;
};
struct wrong {
  mlp model;
  legacy_adam optimizer;
  std::int64_t step = 0;
};

std::uint32_t bits_of(float f) {
  std::uint32_t b = 0;
  std::memcpy(&b, &f, 4);
  return b;
}

// Bits of float element i of a tensor; 0xffffffff (a NaN no fixture holds) if it is not float32.
std::uint32_t bits_at(const tfckpt::tensor& t, std::size_t i) {
  const auto v = t.values<float>();
  return v && i < v->size() ? bits_of((*v)[i]) : 0xffffffffu;
}

}  // namespace kan

TEST_CASE("reflect keras adam (>= 2.11): keras::adam<> restores TF's checkpoint with assert_consumed") {
  kan::state<tfckpt::keras::adam<>> s;
  tfckpt::checkpoint ck(s);
  auto st = ck.restore(kan::fixture);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(st->assert_existing_objects_matched());
  CHECK(st->assert_nontrivial_match());
  CHECK(ck.save_counter() == 1);
  CHECK(s.step == 3);
  CHECK(s.optimizer.iterations == 3);
  CHECK(kan::bits_of(s.optimizer.learning_rate) == 0x3c23d70au);  // "0ad7233c"
  // The lists took the checkpoint's length: one m and one v per trainable variable.
  REQUIRE(s.optimizer.momentums.size() == 4);
  REQUIRE(s.optimizer.velocities.size() == 4);
  CHECK(s.optimizer.momentums[0].shape() == tfckpt::shape_t{4, 8});
  CHECK(s.optimizer.velocities[3].shape() == tfckpt::shape_t{3});
  // _variables/1 = m of kernel 0, /2 = v of kernel 0, /7 = m of bias 1 (expected.json data_hex).
  CHECK(kan::bits_at(s.optimizer.momentums[0], 0) == 0x3acb58e6u);   // "e658cb3a"
  CHECK(kan::bits_at(s.optimizer.velocities[0], 0) == 0x33d1e075u);  // "75e0d133"
  CHECK(kan::bits_at(s.optimizer.momentums[3], 0) == 0xbe164107u);   // "074116be"
  CHECK(kan::bits_of(s.model.l0.kernel[0]) == 0xbf34003bu);                          // "3b0034bf"
}

TEST_CASE("reflect keras adam (>= 2.11): statically shaped slots (std::tuple) restore with assert_consumed") {
  kan::state<tfckpt::keras::adam<kan::fixed_slots>> s;
  auto st = tfckpt::restore(kan::fixture, s);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(kan::bits_of(std::get<0>(s.optimizer.momentums)[0]) == 0x3acb58e6u);
  CHECK(kan::bits_of(std::get<0>(s.optimizer.velocities)[0]) == 0x33d1e075u);
  CHECK(kan::bits_of(std::get<3>(s.optimizer.momentums)[0]) == 0xbe164107u);
  CHECK(kan::bits_of(std::get<1>(s.optimizer.velocities)[0]) == 0x31994b3bu);  // _variables/4 "3b4b9931"
}

TEST_CASE("reflect keras adam (>= 2.11): the object graph we write equals TensorFlow's") {
  kan::state<tfckpt::keras::adam<>> s;
  tfckpt::checkpoint ck(s);
  REQUIRE(ck.restore(kan::fixture));
  auto path = ck.save("reflect_keras_adam_new/ckpt");
  REQUIRE_MESSAGE(path, (path ? "" : path.error().to_string()));
  auto ours = tfckpt::bundle_reader::open(*path);
  auto theirs = tfckpt::bundle_reader::open(kan::fixture);
  REQUIRE(ours);
  REQUIRE(theirs);
  auto g1 = ours->object_graph();
  auto g2 = theirs->object_graph();
  REQUIRE(g1);
  REQUIRE(g2);
  const std::string diff = tfckpt_test::first_graph_difference(*g1, *g2);
  CHECK_MESSAGE(diff.empty(), diff);
  // The empty _index_dict is the one node without values (node 10 in TF's numbering).
  REQUIRE(g1->nodes.size() == 25);
  CHECK(g1->nodes[10].has_checkpoint_values == std::optional<bool>(false));
  const std::string entries = tfckpt_test::first_entry_difference(*ours, *theirs);
  CHECK_MESSAGE(entries.empty(), entries);
}

TEST_CASE("reflect keras adam (>= 2.11): the tuple-slot struct writes the same graph as TensorFlow") {
  kan::state<tfckpt::keras::adam<kan::fixed_slots>> s;
  REQUIRE(tfckpt::restore(kan::fixture, s));
  tfckpt::checkpoint ck(s);
  auto path = ck.save("reflect_keras_adam_new_tuple/ckpt");
  REQUIRE(path);
  auto ours = tfckpt::bundle_reader::open(*path);
  auto theirs = tfckpt::bundle_reader::open(kan::fixture);
  REQUIRE(ours);
  REQUIRE(theirs);
  const std::string diff = tfckpt_test::first_graph_difference(*ours->object_graph(), *theirs->object_graph());
  CHECK_MESSAGE(diff.empty(), diff);
}

TEST_CASE("reflect keras adam (>= 2.11): the legacy-layout struct does not match the new layout") {
  // A struct with the wrong optimizer layout restores the model but names every optimizer value.
  kan::wrong w;
  auto st = tfckpt::read(kan::fixture, w);
  REQUIRE(st);
  CHECK(kan::bits_of(w.model.l0.kernel[0]) == 0xbf34003bu);
  CHECK_FALSE(st->assert_existing_objects_matched());
  auto consumed = st->assert_consumed();
  REQUIRE_FALSE(consumed);
  CHECK(consumed.error().message.find("optimizer/_variables/8/.ATTRIBUTES/VARIABLE_VALUE") != std::string::npos);
  CHECK(consumed.error().message.find("optimizer/iter") != std::string::npos);
}
