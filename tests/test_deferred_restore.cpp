// Deferred restoration (tfckpt::restore_deferred, pending_restore::attach): values for objects
// that do not exist when the restore runs (optimizer slots created on the first step, a layer
// built later) are restored when they are attached, and assert_consumed() accounts for both
// rounds. Against TensorFlow: tests/interop/keras3_both_ways.py (case "deferred_slots").
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bundle_test_util.hpp"
#include "keras3_cases.hpp"
#include "keras_mlp_4_8_3.hpp"
#include "tfckpt/bundle/reader.hpp"
#include "tfckpt/keras/optimizers.hpp"

namespace deferred_test {
namespace k3 = tfckpt::keras3;
using tfckpt_test::temp_dir;
using seq_adam = keras3_cases::with_optimizer<keras3_cases::mlp_seq, k3::adam>;

const std::vector<tfckpt::shape_t> shapes{{4, 8}, {8}, {8, 3}, {3}};

tfckpt::tensor pattern(const tfckpt::shape_t& shape, int salt, tfckpt::dtype t = tfckpt::dtype::float32) {
  auto made = tfckpt::tensor::zeros(t, shape);
  REQUIRE(made);
  tfckpt::tensor out = std::move(*made);
  if (t == tfckpt::dtype::float32) {
    auto v = *out.values<float>();
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((salt * 31 + static_cast<int>(i) * 7) % 97) / 64.0f;
  }
  return out;
}

bool same(const tfckpt::tensor& a, const tfckpt::tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.bytes().size() == b.bytes().size() &&
         std::memcmp(a.bytes().data(), b.bytes().data(), a.bytes().size()) == 0;
}

// A trained state: weights, slots and step count all distinct.
seq_adam trained() {
  seq_adam s;
  std::size_t k = 0;
  k3::for_each_trainable(s.model, [&](tfckpt::tensor& t) { t = pattern(shapes[k], static_cast<int>(k)); ++k; });
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    s.optimizer.momentums.push_back(pattern(shapes[i], 10 + static_cast<int>(i)));
    s.optimizer.velocities.push_back(pattern(shapes[i], 20 + static_cast<int>(i)));
  }
  s.optimizer.iterations = 7;
  return s;
}

// What an optimizer's first step does before it updates anything: one zero slot per trainable
// variable, shaped like it.
template <class Opt, class Model>
void create_slots(Opt& opt, Model& model, tfckpt::dtype t = tfckpt::dtype::float32) {
  k3::for_each_trainable(model, [&](tfckpt::tensor& v) {
    opt.momentums.push_back(tfckpt::tensor::zeros(t, v.shape()).value());
    opt.velocities.push_back(tfckpt::tensor::zeros(t, v.shape()).value());
  });
}

std::string saved(const temp_dir& dir, seq_adam s) {
  tfckpt::checkpoint ck(s);
  auto p = ck.save(dir.path() + "/ckpt");
  REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
  return *p;
}

// A trained Keras 3 state saved with save_counter, and an empty root to restore it into.
struct saved_state {
  temp_dir dir;
  const seq_adam src = trained();
  const std::string path = saved(dir, src);
  seq_adam s;
};

// A subclassed Keras 3 model whose second layer is built later (self.b created on first call).
struct late_model {
  k3::dense<> a;
  std::optional<k3::dense<>> b;
};
struct late_state {
  late_model model;
  k3::adam<tfckpt::member_path<&late_state::model>> optimizer;
};
struct full_model {
  k3::dense<> a;
  k3::dense<> b;
};
struct full_state {
  full_model model;
  k3::adam<tfckpt::member_path<&full_state::model>> optimizer;
};

// tf_keras: the second Dense of the 4-8-3 MLP built later, legacy Adam (slot variables).
using late_legacy = keras_mlp_4_8_3::state_late<tfckpt::keras::legacy::adam>;

}  // namespace deferred_test

TEST_CASE_FIXTURE(deferred_test::saved_state, "deferred restore: Keras 3 Adam slots created after the restore, attached to a moved root") {
  using namespace deferred_test;
  // s: model variables exist (untyped tensors), slot lists are empty
  auto p = tfckpt::restore_deferred(path, s);
  REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
  CHECK(s.optimizer.momentums.empty());  // nothing was created
  CHECK(s.optimizer.iterations == 7);
  CHECK(same(s.model.layer<1>().kernel, src.model.layer<1>().kernel));
  auto existing = p->status().assert_existing_objects_matched();
  CHECK_MESSAGE(existing, (existing ? "" : existing.error().to_string()));
  CHECK(p->waiting().size() == 8);  // m and v of four variables
  auto not_yet = p->status().assert_consumed();
  REQUIRE_FALSE(not_yet);
  CHECK(not_yet.error().message.find("optimizer/_variables/2") != std::string::npos);
  CHECK(not_yet.error().message.find("attach(root)") != std::string::npos);

  create_slots(s.optimizer, s.model);
  seq_adam copy = s;                 // copied and moved between restore and attach:
  seq_adam moved = std::move(copy);  // no pointer into `s` survives in the pending restore
  auto st = p->attach(moved);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(p->waiting().empty());
  REQUIRE(moved.optimizer.momentums.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(same(moved.optimizer.momentums[i], src.optimizer.momentums[i]));
    CHECK(same(moved.optimizer.velocities[i], src.optimizer.velocities[i]));
  }
  CHECK(same(moved.model.layer<0>().bias, src.model.layer<0>().bias));  // first round's values kept
  CHECK(moved.optimizer.iterations == 7);
  // The original `s` was not touched by the attach: its slots are still the created zeros.
  CHECK((*s.optimizer.momentums[0].values<float>())[0] == 0.0f);
}

TEST_CASE_FIXTURE(deferred_test::saved_state, "deferred restore: a second attach reads nothing again and keeps values set in between") {
  using namespace deferred_test;
  auto p = tfckpt::restore_deferred(path, s);
  REQUIRE(p);
  create_slots(s.optimizer, s.model);
  auto first = p->attach(s);
  REQUIRE(first);
  CHECK(first->assert_consumed());
  (*s.optimizer.velocities[2].values<float>())[0] = -3.0f;  // a training step in between
  s.optimizer.iterations = 8;
  auto second = p->attach(s);
  REQUIRE_MESSAGE(second, (second ? "" : second.error().to_string()));
  CHECK(second->assert_consumed());
  CHECK(second->matched_nodes == first->matched_nodes);
  CHECK((*s.optimizer.velocities[2].values<float>())[0] == -3.0f);
  CHECK(s.optimizer.iterations == 8);
}

TEST_CASE_FIXTURE(deferred_test::saved_state, "deferred restore: the reader it came from may be moved and destroyed before attach") {
  using namespace deferred_test;
  std::optional<tfckpt::pending_restore> p;
  {
    auto r = tfckpt::bundle_reader::open(path);
    REQUIRE(r);
    auto first = tfckpt::restore_deferred(*r, s);
    REQUIRE_MESSAGE(first, (first ? "" : first.error().to_string()));
    p.emplace(std::move(*first));
    tfckpt::bundle_reader taken = std::move(*r);  // moved, then both go out of scope
    CHECK(taken.prefix() == path);
  }
  create_slots(s.optimizer, s.model);
  auto st = p->attach(s);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(st->assert_consumed());
  CHECK(same(s.optimizer.velocities[3], src.optimizer.velocities[3]));

  // A moved-from pending_restore says so instead of touching state it no longer has.
  tfckpt::pending_restore taken = std::move(*p);
  auto gone = p->attach(s);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().message.find("moved from") != std::string::npos);
  CHECK(taken.attach(s));
}

TEST_CASE_FIXTURE(deferred_test::saved_state, "deferred restore: mismatches after attach are reported like restore's, and nothing is kept") {
  using namespace deferred_test;
  auto p = tfckpt::restore_deferred(path, s);
  REQUIRE(p);
  create_slots(s.optimizer, s.model, tfckpt::dtype::float64);  // the wrong dtype
  auto bad = p->attach(s);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == tfckpt::errc::dtype_mismatch);
  CHECK(bad.error().message.find("8 values do not match the struct") != std::string::npos);
  CHECK(bad.error().message.find("optimizer/_variables/2") != std::string::npos);
  CHECK(bad.error().file == path);
  CHECK(p->waiting().size() == 8);  // the failed round committed nothing

  s.optimizer.momentums.clear();
  s.optimizer.velocities.clear();
  create_slots(s.optimizer, s.model);
  auto good = p->attach(s);
  REQUIRE_MESSAGE(good, (good ? "" : good.error().to_string()));
  CHECK(good->assert_consumed());
  CHECK(same(s.optimizer.momentums[2], src.optimizer.momentums[2]));

  // Another root type cannot take the pending values.
  keras3_cases::plain_model<keras3_cases::mlp_seq> other;
  auto wrong = p->attach(other);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("not of the type") != std::string::npos);
}

TEST_CASE("deferred restore: a Keras 3 layer built later, with its trainable variables and slots") {
  using namespace deferred_test;
  temp_dir dir;
  full_state src;
  std::size_t k = 0;
  k3::for_each_trainable(src.model, [&](tfckpt::tensor& t) { t = pattern(shapes[k], static_cast<int>(k)); ++k; });
  create_slots(src.optimizer, src.model);
  (*src.optimizer.velocities[3].values<float>())[1] = 0.5f;
  src.optimizer.iterations = 3;
  tfckpt::checkpoint ck(src);
  auto path = ck.save(dir.path() + "/ckpt");
  REQUIRE(path);

  late_state s;  // `b` does not exist yet: no variables, no trainable-list entries, no slots
  auto p = tfckpt::restore_deferred(*path, s);
  REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
  CHECK_FALSE(s.model.b.has_value());
  CHECK(same(s.model.a.kernel, src.model.a.kernel));
  CHECK(p->status().assert_existing_objects_matched());
  CHECK(p->waiting().size() == 2 + 8);  // b's kernel and bias, and all slots

  s.model.b.emplace();  // the layer is built (shapes come with the values)
  auto mid = p->attach(s);
  REQUIRE_MESSAGE(mid, (mid ? "" : mid.error().to_string()));
  CHECK(same(s.model.b->bias, src.model.b.bias));
  CHECK(p->waiting().size() == 8);  // the slots still wait for the first step

  create_slots(s.optimizer, s.model);
  auto st = p->attach(s);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(same(s.optimizer.velocities[3], src.optimizer.velocities[3]));
  CHECK(s.optimizer.iterations == 3);
}

TEST_CASE("deferred restore: tf_keras layer built later with legacy Adam slot variables") {
  using namespace deferred_test;
  using keras_mlp_4_8_3::state;
  temp_dir dir;
  state<tfckpt::keras::legacy::adam> src;
  float x = 0.25f;
  for (auto& v : src.model.l0.kernel.values()) v = (x += 0.5f);
  for (auto& v : src.model.l1.kernel.values()) v = (x += 0.5f);
  src.model.l1.bias = {1.5f, -2.0f, 3.25f};
  const std::vector<std::pair<std::string, tfckpt::shape_t>> vars{{"model/layer_with_weights-0/kernel", {4, 8}},
                                                                  {"model/layer_with_weights-0/bias", {8}},
                                                                  {"model/layer_with_weights-1/kernel", {8, 3}},
                                                                  {"model/layer_with_weights-1/bias", {3}}};
  int salt = 0;
  for (const auto& [var, shape] : vars) {
    src.optimizer.slots.set(var, "m", pattern(shape, ++salt));
    src.optimizer.slots.set(var, "v", pattern(shape, ++salt));
  }
  src.optimizer.iter = 11;
  tfckpt::checkpoint ck(src);
  auto path = ck.save(dir.path() + "/ckpt");
  REQUIRE(path);

  late_legacy s;
  auto p = tfckpt::restore_deferred(*path, s);
  REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
  CHECK(s.optimizer.iter == 11);
  CHECK(s.optimizer.slots.size() == 4);  // the slots of l0 only: l1's variables do not exist
  CHECK(s.optimizer.slots.find(vars[2].first, "m") == nullptr);
  CHECK(p->waiting().size() == 2 + 4);

  late_legacy copy = s;
  copy.model.l1.emplace();
  auto st = p->attach(copy);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(copy.model.l1->bias == src.model.l1.bias);
  CHECK(copy.model.l1->kernel.values()[23] == src.model.l1.kernel.values()[23]);
  CHECK(copy.optimizer.slots.size() == 8);
  for (const auto& [var, shape] : vars)
    for (const char* slot : {"m", "v"}) {
      const auto* got = copy.optimizer.slots.find(var, slot);
      REQUIRE(got);
      CHECK(same(*got, *src.optimizer.slots.find(var, slot)));
    }
}

TEST_CASE("deferred restore: checkpoint::restore_deferred restores save_counter; a complete root waits for nothing") {
  using namespace deferred_test;
  temp_dir dir;
  seq_adam src = trained();
  tfckpt::checkpoint w(src);
  REQUIRE(w.save(dir.path() + "/ckpt"));
  auto second = w.save(dir.path() + "/ckpt");
  REQUIRE(second);
  seq_adam s;
  create_slots(s.optimizer, src.model);  // everything exists already
  tfckpt::checkpoint ck(s);
  auto p = ck.restore_deferred(dir.path());
  REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
  CHECK(ck.save_counter() == 2);
  CHECK(p->waiting().empty());
  CHECK(p->status().assert_consumed());
  auto again = p->attach(s);  // nothing to do, still consumed (save_counter bound again)
  REQUIRE(again);
  CHECK(again->assert_consumed());
  CHECK(same(s.optimizer.momentums[1], src.optimizer.momentums[1]));
}

TEST_CASE("deferred restore: read_deferred takes a write() output (no save_counter), as read() does") {
  using namespace deferred_test;
  temp_dir dir;
  const seq_adam src = trained();
  const std::string prefix = dir.path() + "/ckpt";
  seq_adam w = src;
  REQUIRE(tfckpt::write(prefix, w));
  seq_adam s;
  auto with_counter = tfckpt::restore_deferred(prefix, s);  // expects save_counter
  REQUIRE(with_counter);
  CHECK_FALSE(with_counter->status().assert_existing_objects_matched());
  auto p = tfckpt::read_deferred(prefix, s);
  REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
  CHECK(p->status().assert_existing_objects_matched());
  CHECK(p->waiting().size() == 8);
  create_slots(s.optimizer, s.model);
  auto st = p->attach(s);
  REQUIRE(st);
  CHECK(st->assert_consumed());
  CHECK(same(s.optimizer.momentums[3], src.optimizer.momentums[3]));
}
