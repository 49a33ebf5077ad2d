// tf_keras SGD and RMSprop of TF >= 2.11 (tests/fixtures/keras_sgd: SGD(momentum=0.9);
// tests/fixtures/keras_rmsprop: RMSprop(momentum=0.9, centered=True); both on the MLP of
// tests/fixtures/keras_adam): tfckpt::keras::sgd / rmsprop restore TF's checkpoints with
// assert_consumed, and the object graph and entries we write equal TensorFlow's. The legacy
// (slot variable) structs keras::legacy::sgd / rmsprop are checked against TF in
// tests/interop/graph_tf_restores_ours_optimizers.py; here they round-trip.
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

namespace kop {

using keras_mlp_4_8_3::fixed_slots;
using keras_mlp_4_8_3::mlp;
using keras_mlp_4_8_3::state;

const std::string sgd_fixture = TFCKPT_FIXTURES_DIR "/keras_sgd";
const std::string rmsprop_fixture = TFCKPT_FIXTURES_DIR "/keras_rmsprop";

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

// Restores `fixture` into a fresh S, saves it again and compares graph and entries with TF's.
template <class S>
std::string rewrite_difference(const std::string& fixture, const std::string& out) {
  S s;
  tfckpt::checkpoint ck(s);
  auto st = ck.restore(fixture);
  if (!st) return "restore: " + st.error().to_string();
  if (auto c = st->assert_consumed(); !c) return "assert_consumed: " + c.error().to_string();
  auto path = ck.save(out);
  if (!path) return "save: " + path.error().to_string();
  auto ours = tfckpt::bundle_reader::open(*path);
  auto theirs = tfckpt::bundle_reader::open(fixture);
  if (!ours || !theirs) return "open";
  auto g1 = ours->object_graph();
  auto g2 = theirs->object_graph();
  if (!g1 || !g2) return "object graph";
  if (auto d = tfckpt_test::first_graph_difference(*g1, *g2); !d.empty()) return "graph: " + d;
  return tfckpt_test::first_entry_difference(*ours, *theirs);
}

}  // namespace kop

TEST_CASE("reflect keras sgd (>= 2.11): keras::sgd<> restores TF's checkpoint with assert_consumed") {
  kop::state<tfckpt::keras::sgd<>> s;
  auto st = tfckpt::restore(kop::sgd_fixture, s);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(s.step == 3);
  CHECK(s.optimizer.iterations == 3);
  CHECK(kop::bits_of(s.optimizer.learning_rate) == 0x3c23d70au);  // "0ad7233c"
  REQUIRE(s.optimizer.momentums.size() == 4);
  CHECK(s.optimizer.momentums[0].shape() == tfckpt::shape_t{4, 8});
  CHECK(s.optimizer.momentums[3].shape() == tfckpt::shape_t{3});
  // _variables/1 = momentum of kernel 0, /2 = of bias 0, /4 = of bias 1 (expected.json data_hex).
  CHECK(kop::bits_at(s.optimizer.momentums[0], 0) == 0xb91dad41u);  // "41ad1db9"
  CHECK(kop::bits_at(s.optimizer.momentums[1], 0) == 0xb5859176u);  // "769185b5"
  CHECK(kop::bits_at(s.optimizer.momentums[3], 0) == 0x3c727074u);  // "7470723c"
  CHECK(kop::bits_of(s.model.l0.kernel[0]) == 0xbf2c649eu);                         // "9e642cbf"
}

TEST_CASE("reflect keras sgd (>= 2.11): the graph and entries we write equal TensorFlow's") {
  const auto d = kop::rewrite_difference<kop::state<tfckpt::keras::sgd<>>>(kop::sgd_fixture, "reflect_keras_sgd/ckpt");
  CHECK_MESSAGE(d.empty(), d);
  const auto t = kop::rewrite_difference<kop::state<tfckpt::keras::sgd<kop::fixed_slots>>>(
      kop::sgd_fixture, "reflect_keras_sgd_tuple/ckpt");
  CHECK_MESSAGE(t.empty(), t);
}

TEST_CASE("reflect keras rmsprop (>= 2.11): keras::rmsprop<> restores TF's checkpoint with assert_consumed") {
  kop::state<tfckpt::keras::rmsprop<>> s;
  auto st = tfckpt::restore(kop::rmsprop_fixture, s);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(s.optimizer.iterations == 3);
  REQUIRE(s.optimizer.velocities.size() == 4);
  REQUIRE(s.optimizer.momentums.size() == 4);
  REQUIRE(s.optimizer.average_gradients.size() == 4);
  // Blocked order: 1-4 velocities, 5-8 momentums, 9-12 average gradients.
  CHECK(kop::bits_at(s.optimizer.velocities[0], 0) == 0x36f5a9c6u);         // _variables/1 "c6a9f536"
  CHECK(kop::bits_at(s.optimizer.momentums[0], 0) == 0x3cfa740cu);          // _variables/5 "0c74fa3c"
  CHECK(kop::bits_at(s.optimizer.average_gradients[0], 0) == 0x39d78adau);  // _variables/9 "da8ad739"
  CHECK(kop::bits_at(s.optimizer.average_gradients[3], 0) == 0xbe0f0b80u);  // _variables/12 "800b0fbe"
  CHECK(s.optimizer.average_gradients[2].shape() == tfckpt::shape_t{8, 3});
}

TEST_CASE("reflect keras rmsprop (>= 2.11): the graph and entries we write equal TensorFlow's") {
  const auto d = kop::rewrite_difference<kop::state<tfckpt::keras::rmsprop<>>>(kop::rmsprop_fixture,
                                                                               "reflect_keras_rmsprop/ckpt");
  CHECK_MESSAGE(d.empty(), d);
  const auto t = kop::rewrite_difference<kop::state<tfckpt::keras::rmsprop<kop::fixed_slots>>>(
      kop::rmsprop_fixture, "reflect_keras_rmsprop_tuple/ckpt");
  CHECK_MESSAGE(t.empty(), t);
}

TEST_CASE("reflect keras rmsprop (>= 2.11): empty momentum lists are value-less nodes, as TF writes them") {
  // RMSprop() without momentum or centering: TF lists _momentums and _average_gradients as empty
  // list nodes with has_checkpoint_values = false (observed with TF 2.21).
  kop::state<tfckpt::keras::rmsprop<kop::fixed_slots, std::tuple<>, std::tuple<>>> s;
  auto path = tfckpt::checkpoint(s).save("reflect_keras_rmsprop_plain/ckpt");
  REQUIRE(path);
  auto r = tfckpt::bundle_reader::open(*path);
  REQUIRE(r);
  auto g = r->object_graph();
  REQUIRE(g);
  REQUIRE(g->nodes.size() > 2);
  const auto& opt = g->nodes[2];  // root: model, optimizer, step, save_counter
  REQUIRE(opt.children.size() == 7);
  CHECK(opt.children[4].local_name == "_velocities");
  CHECK(opt.children[5].local_name == "_momentums");
  CHECK(opt.children[6].local_name == "_average_gradients");
  for (int k : {5, 6}) {
    const auto& n = g->nodes[static_cast<std::size_t>(opt.children[static_cast<std::size_t>(k)].node_id)];
    CHECK(n.children.empty());
    CHECK(n.has_checkpoint_values == std::optional<bool>(false));
  }
  CHECK(r->find("optimizer/_variables/4/.ATTRIBUTES/VARIABLE_VALUE"));
  CHECK_FALSE(r->find("optimizer/_variables/5/.ATTRIBUTES/VARIABLE_VALUE"));
}

TEST_CASE("reflect keras legacy sgd/rmsprop: slot variables round-trip under TF's slot keys") {
  kop::state<tfckpt::keras::legacy::sgd> s;
  s.optimizer.iter = 9;
  s.optimizer.momentum = 0.9f;
  s.model.l0.bias[1] = 0.5f;
  tfckpt::tensor m = tfckpt::tensor::zeros(tfckpt::dtype::float32, {8}).value();
  (*m.values<float>())[1] = -0.25f;  // float32 by construction
  s.optimizer.slots.set("model/layer_with_weights-0/bias", "momentum", m);
  REQUIRE(tfckpt::write("reflect_keras_legacy_sgd/ckpt", s));
  auto r = tfckpt::bundle_reader::open("reflect_keras_legacy_sgd/ckpt");
  REQUIRE(r);
  CHECK(r->find("model/layer_with_weights-0/bias/.OPTIMIZER_SLOT/optimizer/momentum/.ATTRIBUTES/VARIABLE_VALUE"));
  CHECK(r->find("optimizer/momentum/.ATTRIBUTES/VARIABLE_VALUE"));
  kop::state<tfckpt::keras::legacy::sgd> back;
  auto st = tfckpt::read("reflect_keras_legacy_sgd/ckpt", back);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(st->assert_consumed());
  CHECK(back.optimizer.iter == 9);
  const tfckpt::tensor* mb = back.optimizer.slots.find("model/layer_with_weights-0/bias", "momentum");
  REQUIRE(mb);
  const auto mbv = mb->values<float>();
  REQUIRE(mbv);
  CHECK((*mbv)[1] == -0.25f);

  kop::state<tfckpt::keras::legacy::rmsprop> p;
  p.optimizer.slots.set("model/layer_with_weights-1/kernel", "rms", tfckpt::tensor::zeros(tfckpt::dtype::float32, {8, 3}).value());
  REQUIRE(tfckpt::write("reflect_keras_legacy_rmsprop/ckpt", p));
  auto rp = tfckpt::bundle_reader::open("reflect_keras_legacy_rmsprop/ckpt");
  REQUIRE(rp);
  CHECK(rp->find("model/layer_with_weights-1/kernel/.OPTIMIZER_SLOT/optimizer/rms/.ATTRIBUTES/VARIABLE_VALUE"));
  CHECK(rp->find("optimizer/rho/.ATTRIBUTES/VARIABLE_VALUE"));
}
