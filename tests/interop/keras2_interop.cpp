// keras2_interop: the C++ side of tests/interop/keras2_both_ways.py (every Keras 2 optimizer
// type of tfckpt::keras, run with TF 2.21 + tf_keras and with TF 2.15.1, whose tf.keras is Keras 2).
//   keras2_interop restore CASE CKPT OUTDIR   restore the TF-written CKPT (model, optimizer, step)
//                                             into the case's struct with assert_consumed(),
//                                             then write a copy of the struct to OUTDIR/ckpt-1
//   keras2_interop deferred CASE CKPT OUTDIR  the same with tfckpt::read_deferred into a root
//                                             whose slots (or, for the legacy slot table, the
//                                             second layer) do not exist yet, created and
//                                             attached afterwards
// The model is keras_mlp_4_8_3 (Dense(8, relu) -> Dense(3) on 4 inputs). Exit status 0 on success.
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tfckpt/checkpoint.hpp"
#include "tfckpt/keras/optimizers.hpp"
#include "../keras_mlp_4_8_3.hpp"
#include "deferred_driver.hpp"

namespace {
namespace kk = tfckpt::keras;
using keras_mlp_4_8_3::state;

using interop_deferred::fail;
using interop_deferred::restore_attach_write;

template <class Root>
int write_copy(const Root& root, const std::string& out) {
  Root copy = root;  // a copy writes: nothing may point into the restored root
  tfckpt::checkpoint ck(copy);
  if (auto p = ck.write(out + "/ckpt-1"); !p) return fail("write", p.error());
  return 0;
}

template <class Root>
int restore_and_write(const std::string& in, const std::string& out) {
  Root root{};
  auto st = tfckpt::read(in, root);
  if (!st) return fail("restore", st.error());
  if (auto c = st->assert_consumed(); !c) return fail("assert_consumed", c.error());
  return write_copy(root, out);
}

const std::vector<tfckpt::shape_t> shapes{{4, 8}, {8}, {8, 3}, {3}};

// What the first step creates: a zero slot per trainable variable in each list.
template <class... Lists>
void zero_slots(Lists&... lists) {
  for (const auto& s : shapes) (lists.push_back(tfckpt::tensor::zeros(tfckpt::dtype::float32, s).value()), ...);
}

using restore_fn = std::function<int(const std::string&, const std::string&)>;

const std::map<std::string, restore_fn> restore_cases{
    {"adam", restore_and_write<state<kk::adam<>>>},
    {"sgd", restore_and_write<state<kk::sgd<>>>},
    {"sgdm", restore_and_write<state<kk::sgd<>>>},
    {"rmsprop", restore_and_write<state<kk::rmsprop<>>>},
    {"rmsprop_cm", restore_and_write<state<kk::rmsprop<>>>},
    {"legacy_adam", restore_and_write<state<kk::legacy::adam>>},
    {"legacy_sgd", restore_and_write<state<kk::legacy::sgd>>},
    {"legacy_sgdm", restore_and_write<state<kk::legacy::sgd>>},
    {"legacy_rmsprop_cm", restore_and_write<state<kk::legacy::rmsprop>>},
};

const std::map<std::string, restore_fn> deferred_cases{
    {"adam",
     [](const std::string& in, const std::string& out) {
       using R = state<kk::adam<>>;
       return restore_attach_write<R>(in, out, {[](R& r) { zero_slots(r.optimizer.momentums, r.optimizer.velocities); }});
     }},
    {"sgdm",
     [](const std::string& in, const std::string& out) {
       using R = state<kk::sgd<>>;
       return restore_attach_write<R>(in, out, {[](R& r) { zero_slots(r.optimizer.momentums); }});
     }},
    {"rmsprop_cm",
     [](const std::string& in, const std::string& out) {
       using R = state<kk::rmsprop<>>;
       return restore_attach_write<R>(in, out, {[](R& r) {
         zero_slots(r.optimizer.velocities, r.optimizer.momentums, r.optimizer.average_gradients);
       }});
     }},
    // Legacy slots live in a slot_table keyed by variable: they wait for the layer.
    {"legacy_adam",
     [](const std::string& in, const std::string& out) {
       using R = keras_mlp_4_8_3::state_late<kk::legacy::adam>;
       return restore_attach_write<R>(in, out, {[](R& r) { r.model.l1.emplace(); }});
     }},
    {"legacy_rmsprop_cm",
     [](const std::string& in, const std::string& out) {
       using R = keras_mlp_4_8_3::state_late<kk::legacy::rmsprop>;
       return restore_attach_write<R>(in, out, {[](R& r) { r.model.l1.emplace(); }});
     }},
};

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 4 && (a[0] == "restore" || a[0] == "deferred")) {
    const auto& cases = a[0] == "restore" ? restore_cases : deferred_cases;
    auto it = cases.find(a[1]);
    if (it == cases.end()) {
      std::fprintf(stderr, "unknown %s case %s\n", a[0].c_str(), a[1].c_str());
      return 2;
    }
    return it->second(a[2], a[3]);
  }
  std::fprintf(stderr, "usage: keras2_interop restore|deferred CASE CKPT OUTDIR\n");
  return 2;
}
