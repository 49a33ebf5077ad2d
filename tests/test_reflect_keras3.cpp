// Keras 3 ready-made types (tfckpt::keras3): the optimizer's second edges (_trainable_variables)
// are declared by member paths and follow a copied, moved or returned root; keys are TF's
// shortest paths for each checkpoint root (layouts observed with TF 2.21 / Keras 3, see
// tests/interop/make_keras3_fixtures.py; both directions against TensorFlow are checked by
// tests/interop/keras3_both_ways.py).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "graph_compare.hpp"
#include "keras3_cases.hpp"
#include "keras_mlp_4_8_3.hpp"
#include "tfckpt/keras/optimizers.hpp"
#include "tfckpt/bundle/reader.hpp"

namespace k3t {
namespace k3 = tfckpt::keras3;
using namespace keras3_cases;
using seq_adam = with_optimizer<mlp_seq, k3::adam>;

tfckpt::tensor pattern(tfckpt::shape_t shape, int salt) {
  tfckpt::tensor t = tfckpt::tensor::zeros(tfckpt::dtype::float32, std::move(shape)).value();
  auto v = *t.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((salt * 31 + static_cast<int>(i) * 7) % 97) / 64.0f;
  return t;
}

const std::vector<tfckpt::shape_t> shapes{{4, 8}, {8}, {8, 3}, {3}};

template <class Root>
void fill(Root& r, k3::adam<tfckpt::member_path<&Root::model>>& opt) {
  std::size_t k = 0;
  k3::for_each_trainable(r.model, [&](tfckpt::tensor& t) { t = pattern(shapes[k], static_cast<int>(k)); ++k; });
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    opt.momentums.push_back(pattern(shapes[i], 10 + static_cast<int>(i)));
    opt.velocities.push_back(pattern(shapes[i], 20 + static_cast<int>(i)));
  }
  opt.iterations = 9;
}

seq_adam make_state() {
  seq_adam s;
  fill(s, s.optimizer);
  return s;  // the local is gone: only a declared edge can follow
}

// The node `_trainable_variables/<k>` of the optimizer in the tree of `root`.
template <class Root>
std::size_t trainable_edge(const tfckpt::graph::live_tree& t, Root& root, std::size_t k) {
  const auto opt = t.find(tfckpt::graph::id_of(root.optimizer));
  REQUIRE(opt);
  for (const auto& e : t.node(*opt).children)
    if (e.local_name == "_trainable_variables") {
      REQUIRE(k < t.node(e.target).children.size());
      return t.node(e.target).children[k].target;
    }
  FAIL("no _trainable_variables");
  return 0;
}

std::vector<std::string> keys_of(const std::string& prefix) {
  std::vector<std::string> out;
  auto r = tfckpt::bundle_reader::open(prefix);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().to_string()));
  for (const auto& e : r->entries()) out.push_back(std::string(e.key));
  return out;
}

bool has(const std::vector<std::string>& keys, const std::string& k) {
  for (const auto& x : keys)
    if (x == k) return true;
  return false;
}

bool same(const tfckpt::tensor& a, const tfckpt::tensor& b) {
  return a.shape() == b.shape() && a.bytes().size() == b.bytes().size() &&
         std::memcmp(a.bytes().data(), b.bytes().data(), a.bytes().size()) == 0;
}

}  // namespace k3t

TEST_CASE("keras3: _trainable_variables follow a copied, moved and returned root") {
  using namespace k3t;
  seq_adam returned = make_state();
  seq_adam copy = returned;
  seq_adam moved_from = returned;
  seq_adam moved = std::move(moved_from);
  int checked = 0;
  for (seq_adam* s : {&returned, &copy, &moved}) {
    auto t = tfckpt::reflect::make_tree(*s);
    const auto kernel1 = t.find(tfckpt::graph::id_of(s->model.layer<1>().kernel));
    const auto bias0 = t.find(tfckpt::graph::id_of(s->model.layer<0>().bias));
    REQUIRE(kernel1);
    REQUIRE(bias0);
    CHECK(trainable_edge(t, *s, 2) == *kernel1);  // the very node the model owns
    CHECK(trainable_edge(t, *s, 1) == *bias0);
    ++checked;
  }
  CHECK(checked == 3);

  // Each writes a checkpoint another struct reads back with assert_consumed, values exact.
  for (seq_adam* s : {&returned, &copy, &moved}) {
    const std::string dir = "keras3_copies/" + std::to_string(s == &returned ? 0 : s == &copy ? 1 : 2) + "/ckpt";
    REQUIRE(tfckpt::write(dir, *s));
    seq_adam back;
    auto st = tfckpt::read(dir, back);
    REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
    auto consumed = st->assert_consumed();
    CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
    CHECK(same(back.model.layer<1>().kernel, s->model.layer<1>().kernel));
    REQUIRE(back.optimizer.velocities.size() == 4);
    CHECK(same(back.optimizer.velocities[3], s->optimizer.velocities[3]));
    CHECK(back.optimizer.iterations == 9);
    // Model weights are keyed through the optimizer (TF's shortest path).
    const auto keys = keys_of(dir);
    CHECK(has(keys, "optimizer/_trainable_variables/2/.ATTRIBUTES/VARIABLE_VALUE"));
    CHECK_FALSE(has(keys, "model/_functional/_operations/2/_kernel/.ATTRIBUTES/VARIABLE_VALUE"));
  }
}

TEST_CASE("keras3: keys per checkpoint root, as Keras 3 writes them") {
  using namespace k3t;
  SUBCASE("Checkpoint(model=m, optimizer=o): _variables = iterations, learning_rate, m0 v0 m1 v1 ...") {
    auto s = make_state();
    REQUIRE(tfckpt::write("keras3_keys_mo/ckpt", s));
    const auto keys = keys_of("keras3_keys_mo/ckpt");
    CHECK(keys.size() == 2 + 8 + 4 + 1);  // iterations, lr, 8 slots, 4 weights, the graph
    CHECK(has(keys, "optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"));
    CHECK(has(keys, "optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE"));
    CHECK(has(keys, "optimizer/_variables/9/.ATTRIBUTES/VARIABLE_VALUE"));
    seq_adam back;
    auto st = tfckpt::read("keras3_keys_mo/ckpt", back);
    REQUIRE(st);
    CHECK(st->assert_consumed());
    CHECK(same(back.optimizer.momentums[1], s.optimizer.momentums[1]));  // _variables/4
  }
  SUBCASE("Checkpoint(model=m), m compiled: the optimizer is model/optimizer") {
    model_only<mlp_sub, k3::adam> r;
    std::size_t k = 0;
    k3::for_each_trainable(r.model, [&](tfckpt::tensor& t) { t = pattern(shapes[k], static_cast<int>(k)); ++k; });
    CHECK(k == 4);
    r.model.optimizer.momentums.push_back(pattern({4, 8}, 1));
    REQUIRE(tfckpt::write("keras3_keys_m/ckpt", r));
    const auto keys = keys_of("keras3_keys_m/ckpt");
    CHECK(has(keys, "model/a/_kernel/.ATTRIBUTES/VARIABLE_VALUE"));  // shorter than via the optimizer
    CHECK(has(keys, "model/optimizer/_variables/2/.ATTRIBUTES/VARIABLE_VALUE"));
    CHECK(has(keys, "model/optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"));
    // A copy of the compiled model lists its own variables.
    auto copy = r;
    auto t = tfckpt::reflect::make_tree(copy);
    const auto opt = t.find(tfckpt::graph::id_of(copy.model.optimizer));
    REQUIRE(opt);
    const auto b_kernel = t.find(tfckpt::graph::id_of(copy.model.b.kernel));
    REQUIRE(b_kernel);
    bool found = false;
    for (const auto& e : t.node(*opt).children)
      if (e.local_name == "_trainable_variables") found = t.node(e.target).children.at(2).target == *b_kernel;
    CHECK(found);
  }
  SUBCASE("Checkpoint(model=m), not compiled: Sequential keys go through _functional/_operations") {
    plain_model<conv1d_seq> r;
    auto& conv = r.model.layer<0>();
    conv.kernel = pattern({3, 4, 2}, 1);
    conv.bias = pattern({2}, 2);
    auto& bn = r.model.layer<2>();
    bn.gamma = bn.beta = bn.moving_mean = bn.moving_variance = pattern({2}, 3);
    r.model.layer<1>().gamma = r.model.layer<1>().beta = pattern({2}, 4);
    r.model.layer<4>().kernel = pattern({8, 2}, 5);
    r.model.layer<4>().bias = pattern({2}, 6);
    auto w = tfckpt::write("keras3_keys_plain/ckpt", r);
    REQUIRE_MESSAGE(w, (w ? "" : w.error().to_string()));
    const auto keys = keys_of("keras3_keys_plain/ckpt");
    CHECK(has(keys, "model/_functional/_operations/1/_kernel/.ATTRIBUTES/VARIABLE_VALUE"));
    CHECK(has(keys, "model/_functional/_operations/3/moving_variance/.ATTRIBUTES/VARIABLE_VALUE"));
    std::size_t trainable = 0;
    k3::for_each_trainable(r.model, [&](auto&) { ++trainable; });
    CHECK(trainable == 8);  // kernel, bias, LN gamma/beta, BN gamma/beta, Dense kernel/bias
  }
}

TEST_CASE("keras3: an optimizer outside its owner has no second edges (no crash, nothing dangling)") {
  using namespace k3t;
  k3::adam<tfckpt::member_path<&seq_adam::model>> lone;
  lone.iterations = 3;
  auto t = tfckpt::reflect::make_tree(lone);
  bool empty_list = false;
  for (const auto& e : t.node(0).children)
    if (e.local_name == "_trainable_variables") empty_list = t.node(e.target).children.empty();
  CHECK(empty_list);
}

TEST_CASE("keras legacy adam (ready-made): restores TF's tf_keras legacy Adam checkpoint and writes TF's graph") {
  keras_mlp_4_8_3::state<tfckpt::keras::legacy::adam> s;
  tfckpt::checkpoint ck(s);
  auto st = ck.restore(TFCKPT_FIXTURES_DIR "/keras_adam_legacy");
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(s.optimizer.iter == 3);
  CHECK(s.optimizer.slots.size() == 8);  // m and v of 4 variables
  CHECK(s.optimizer.slots.find("model/layer_with_weights-1/bias", "v") != nullptr);
  auto path = ck.save("keras3_legacy_adam/ckpt");
  REQUIRE(path);
  auto ours = tfckpt::bundle_reader::open(*path);
  auto theirs = tfckpt::bundle_reader::open(TFCKPT_FIXTURES_DIR "/keras_adam_legacy");
  REQUIRE(ours);
  REQUIRE(theirs);
  auto g1 = ours->object_graph();
  auto g2 = theirs->object_graph();
  REQUIRE(g1);
  REQUIRE(g2);
  const std::string diff = tfckpt_test::first_graph_difference(*g1, *g2);
  CHECK_MESSAGE(diff.empty(), diff);
  const std::string entries = tfckpt_test::first_entry_difference(*ours, *theirs);
  CHECK_MESSAGE(entries.empty(), entries);
}
