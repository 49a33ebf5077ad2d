// A C++ struct mirroring the tests/fixtures/keras_adam_legacy model (tf_keras Sequential
// Dense(8, relu) -> Dense(3), legacy Adam, step) restores TF's checkpoint with assert_consumed,
// and the object graph we write for it equals the one TensorFlow wrote.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "graph_compare.hpp"
#include "keras_mlp_4_8_3.hpp"
#include "tfckpt/checkpoint.hpp"

namespace kl {

using keras_mlp_4_8_3::mlp;

struct adam {  // tf_keras.optimizers.legacy.Adam: hyper-parameters in creation order, slots m, v
  std::int64_t iter = 0;
  float beta_1 = 0.9f, beta_2 = 0.999f, decay = 0.0f, learning_rate = 0.001f;
  tfckpt::slot_table slots{"m", "v"};
};
struct state {
  mlp model;
  adam optimizer;
  std::int64_t step = 0;
};

const std::string fixture = TFCKPT_FIXTURES_DIR "/keras_adam_legacy";

}  // namespace kl

TEST_CASE("reflect keras legacy: the mirrored struct restores TF's checkpoint with assert_consumed") {
  kl::state s;
  tfckpt::checkpoint ck(s);
  auto st = ck.restore(kl::fixture);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(st->assert_existing_objects_matched());
  CHECK(st->assert_nontrivial_match());
  CHECK(ck.save_counter() == 1);
  CHECK(s.step == 3);
  CHECK(s.optimizer.iter == 3);
  CHECK(s.optimizer.learning_rate == 0.01f);
  // Bit patterns from tests/fixtures/keras_adam_legacy/expected.json.
  std::uint32_t bits = 0;
  std::memcpy(&bits, &s.model.l0.kernel[0], 4);
  CHECK(bits == 0xbf34003eu);  // data_hex "3e0034bf"
  std::memcpy(&bits, &s.model.l1.bias[2], 4);
  CHECK(bits == 0x3cf5cf4au);  // "4acff53c"
  const tfckpt::tensor* m = s.optimizer.slots.find("model/layer_with_weights-1/bias", "m");
  REQUIRE(m);
  auto mv = m->values<float>();
  REQUIRE(mv);
  REQUIRE(!mv->empty());
  std::memcpy(&bits, &(*mv)[0], 4);
  CHECK(bits == 0xbe164108u);  // "084116be"
  CHECK(s.optimizer.slots.size() == 8);
}

TEST_CASE("reflect keras legacy: the object graph we write equals TensorFlow's") {
  kl::state s;
  tfckpt::checkpoint ck(s);
  REQUIRE(ck.restore(kl::fixture));  // fills the slot table like TF's training did
  auto path = ck.save("reflect_keras_legacy/ckpt");
  REQUIRE_MESSAGE(path, (path ? "" : path.error().to_string()));
  CHECK(*path == "reflect_keras_legacy/ckpt-2");
  auto ours = tfckpt::bundle_reader::open(*path);
  auto theirs = tfckpt::bundle_reader::open(kl::fixture);
  REQUIRE(ours);
  REQUIRE(theirs);
  auto g1 = ours->object_graph();
  auto g2 = theirs->object_graph();
  REQUIRE(g1);
  REQUIRE(g2);
  const std::string diff = tfckpt_test::first_graph_difference(*g1, *g2);
  CHECK_MESSAGE(diff.empty(), diff);
  // Same keys, dtypes and shapes, value for value.
  const std::string entries = tfckpt_test::first_entry_difference(*ours, *theirs);
  CHECK_MESSAGE(entries.empty(), entries);
  // The state file names only the new checkpoint, as Checkpoint.save writes it.
  auto latest = tfckpt::latest_checkpoint("reflect_keras_legacy");
  REQUIRE(latest);
  CHECK(*latest == "reflect_keras_legacy/ckpt-2");
}
