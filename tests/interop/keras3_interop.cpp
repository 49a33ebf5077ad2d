// keras3_interop: the C++ side of tests/interop/keras3_both_ways.py.
//   keras3_interop restore CASE CKPT OUTDIR  restore the TF-written checkpoint CKPT into the
//                                            case's tfckpt::keras3 struct, assert_consumed(),
//                                            then save the struct to OUTDIR/ckpt-1 (Python
//                                            compares every value bit for bit and restores it)
//   keras3_interop write CASE OUTDIR         fill the struct from scratch (pattern values, no
//                                            restore) and save it to OUTDIR/ckpt-1
//   keras3_interop deferred CASE CKPT OUTDIR restore CKPT with tfckpt::read_deferred into a root
//                                            whose optimizer slots (and, for *_late, a layer)
//                                            do not exist yet, move the root, create them,
//                                            attach, assert_consumed(), save as `restore` does
// Exit status 0 on success; the error on stderr otherwise.
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../keras3_cases.hpp"
#include "deferred_driver.hpp"

// A subclassed model whose second layer is built later (Sub in keras3_both_ways.py: self.b).
// A named namespace: aggregate field names need external linkage (clang 14).
namespace keras3_late {
struct mlp_sub_late {
  tfckpt::keras3::dense<> a;
  std::optional<tfckpt::keras3::dense<>> b;
};
}  // namespace keras3_late

namespace {
namespace k3 = tfckpt::keras3;
using namespace keras3_cases;
using interop_deferred::restore_attach_write;
using keras3_late::mlp_sub_late;

// ((salt*31 + i*7) % 97) / 64 - 0.75, as interop_check.pattern.
tfckpt::tensor pattern(tfckpt::shape_t shape, int salt) {
  tfckpt::tensor t = tfckpt::tensor::zeros(tfckpt::dtype::float32, std::move(shape)).value();
  auto v = *t.values<float>();
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>((salt * 31 + static_cast<int>(i) * 7) % 97) / 64.0f - 0.75f;
  return t;
}

template <class Root>
int restore_and_save(const std::string& in, const std::string& out) {
  Root root{};
  tfckpt::checkpoint ck(root);
  auto st = ck.read(in);
  if (!st) {
    std::fprintf(stderr, "restore: %s\n", st.error().to_string().c_str());
    return 1;
  }
  if (auto c = st->assert_consumed(); !c) {
    std::fprintf(stderr, "assert_consumed: %s\n", c.error().to_string().c_str());
    return 1;
  }
  // A copy of the restored root writes the checkpoint: its second edges are its own.
  Root copy = root;
  tfckpt::checkpoint out_ck(copy);
  auto p = out_ck.write(out + "/ckpt-1");
  if (!p) {
    std::fprintf(stderr, "write: %s\n", p.error().to_string().c_str());
    return 1;
  }
  return 0;
}

// The 4 -> 8 -> 3 MLP, values from scratch: variable k (model.trainable_variables order) gets
// salt k + 1, its slots salt 100 + k (first slot list), 200 + k (second).
template <class Model>
void fill_mlp(Model& m) {
  const std::vector<tfckpt::shape_t> shapes{{4, 8}, {8}, {8, 3}, {3}};
  std::size_t k = 0;
  k3::for_each_trainable(m, [&](tfckpt::tensor& t) {
    t = pattern(shapes[k], static_cast<int>(k) + 1);
    ++k;
  });
}
template <class Slots>
void fill_slots(Slots& s, int base) {
  const std::vector<tfckpt::shape_t> shapes{{4, 8}, {8}, {8, 3}, {3}};
  s.clear();
  for (std::size_t k = 0; k < shapes.size(); ++k) s.push_back(pattern(shapes[k], base + static_cast<int>(k)));
}

template <class Root>
int save(Root& root, const std::string& out) {
  tfckpt::checkpoint ck(root);
  auto p = ck.write(out + "/ckpt-1");
  if (!p) {
    std::fprintf(stderr, "write: %s\n", p.error().to_string().c_str());
    return 1;
  }
  return 0;
}

// Returned from a function: the optimizer's _trainable_variables must follow the moved root.
template <class Root, class Fill>
Root make(Fill fill) {
  Root r{};
  fill(r);
  return r;
}

int write_case(const std::string& name, const std::string& out) {
  if (name == "seq_adam") {
    auto r = make<with_optimizer<mlp_seq, k3::adam>>([](auto& r) {
      fill_mlp(r.model);
      fill_slots(r.optimizer.momentums, 100);
      fill_slots(r.optimizer.velocities, 200);
      r.optimizer.iterations = 5;
      r.optimizer.learning_rate = 0.01f;
    });
    return save(r, out);
  }
  if (name == "seq_sgdm") {
    auto r = make<with_optimizer<mlp_seq, k3::sgd>>([](auto& r) {
      fill_mlp(r.model);
      fill_slots(r.optimizer.momentums, 100);
      r.optimizer.iterations = 5;
      r.optimizer.learning_rate = 0.01f;
    });
    return save(r, out);
  }
  if (name == "sub_adam_m") {
    auto r = make<model_only<mlp_sub, k3::adam>>([](auto& r) {
      fill_mlp(r.model);
      fill_slots(r.model.optimizer.momentums, 100);
      fill_slots(r.model.optimizer.velocities, 200);
      r.model.optimizer.iterations = 5;
      r.model.optimizer.learning_rate = 0.01f;
    });
    return save(r, out);
  }
  std::fprintf(stderr, "unknown write case %s\n", name.c_str());
  return 2;
}

const std::map<std::string, std::function<int(const std::string&, const std::string&)>> restore_cases{
    {"seq_adam", restore_and_save<with_optimizer<mlp_seq, k3::adam>>},
    {"seq_adam_m", restore_and_save<model_only<mlp_seq, k3::adam>>},
    {"func_adam", restore_and_save<with_optimizer<mlp_func, k3::adam>>},
    {"func_adam_m", restore_and_save<model_only<mlp_func, k3::adam>>},
    {"sub_adam", restore_and_save<with_optimizer<mlp_sub, k3::adam>>},
    {"sub_adam_m", restore_and_save<model_only<mlp_sub, k3::adam>>},
    {"seq_sgd", restore_and_save<with_optimizer<mlp_seq, k3::sgd>>},
    {"seq_sgdm", restore_and_save<with_optimizer<mlp_seq, k3::sgd>>},
    {"seq_adamw", restore_and_save<with_optimizer<mlp_seq, k3::adamw>>},
    {"seq_adam_ams", restore_and_save<with_optimizer<mlp_seq, k3::adam_amsgrad>>},
    {"func_adam_ams_m", restore_and_save<model_only<mlp_func, k3::adam_amsgrad>>},
    {"seq_rmsprop", restore_and_save<with_optimizer<mlp_seq, k3::rmsprop>>},
    {"seq_rmsprop_cm", restore_and_save<with_optimizer<mlp_seq, k3::rmsprop>>},
    {"seq_adagrad", restore_and_save<with_optimizer<mlp_seq, k3::adagrad>>},
    {"conv1d_sgdm", restore_and_save<with_optimizer<conv1d_seq, k3::sgd>>},
    {"conv2d_rmsprop", restore_and_save<with_optimizer<conv2d_seq, k3::rmsprop>>},
    {"embed_adam", restore_and_save<with_optimizer<embed_seq, k3::adam>>},
    {"seq_model", restore_and_save<plain_model<mlp_seq>>},
    {"nobias_adam", restore_and_save<with_optimizer<nobias_seq, k3::adam>>},
    {"nested_adam_m", restore_and_save<model_only<nested_func, k3::adam>>},
    {"sub_model", restore_and_save<plain_model<mlp_sub>>},
};

// What an optimizer's first step creates before it updates: a zero slot per trainable variable
// in each list, shaped like the variable.
template <class Model, class... Lists>
void zero_slots(Model& m, Lists&... lists) {
  k3::for_each_trainable(m, [&](tfckpt::tensor& v) { (lists.push_back(tfckpt::tensor::zeros(v.dtype(), v.shape()).value()), ...); });
}

const std::map<std::string, std::function<int(const std::string&, const std::string&)>> deferred_cases{
    {"seq_adam",
     [](const std::string& in, const std::string& out) {
       using R = with_optimizer<mlp_seq, k3::adam>;
       return restore_attach_write<R>(
           in, out, {[](R& r) { zero_slots(r.model, r.optimizer.momentums, r.optimizer.velocities); }});
     }},
    {"seq_adamw",
     [](const std::string& in, const std::string& out) {
       using R = with_optimizer<mlp_seq, k3::adamw>;
       return restore_attach_write<R>(
           in, out, {[](R& r) { zero_slots(r.model, r.optimizer.momentums, r.optimizer.velocities); }});
     }},
    {"seq_adam_ams",
     [](const std::string& in, const std::string& out) {
       using R = with_optimizer<mlp_seq, k3::adam_amsgrad>;
       return restore_attach_write<R>(in, out, {[](R& r) {
                                     zero_slots(r.model, r.optimizer.momentums, r.optimizer.velocities,
                                                r.optimizer.velocity_hats);
                                   }});
     }},
    {"sub_adam_m",
     [](const std::string& in, const std::string& out) {
       using R = model_only<mlp_sub, k3::adam>;
       return restore_attach_write<R>(
           in, out, {[](R& r) { zero_slots(r.model, r.model.optimizer.momentums, r.model.optimizer.velocities); }});
     }},
    {"seq_sgdm",
     [](const std::string& in, const std::string& out) {
       using R = with_optimizer<mlp_seq, k3::sgd>;
       return restore_attach_write<R>(in, out, {[](R& r) { zero_slots(r.model, r.optimizer.momentums); }});
     }},
    {"seq_rmsprop_cm",
     [](const std::string& in, const std::string& out) {
       using R = with_optimizer<mlp_seq, k3::rmsprop>;
       return restore_attach_write<R>(in, out, {[](R& r) {
                                     zero_slots(r.model, r.optimizer.velocities, r.optimizer.momentums,
                                                r.optimizer.average_gradients);
                                   }});
     }},
    {"seq_adagrad",
     [](const std::string& in, const std::string& out) {
       using R = with_optimizer<mlp_seq, k3::adagrad>;
       return restore_attach_write<R>(in, out, {[](R& r) { zero_slots(r.model, r.optimizer.accumulators); }});
     }},
    // The layer first (its variables, and their entries in _trainable_variables), then the slots.
    {"sub_adam",
     [](const std::string& in, const std::string& out) {
       using R = with_optimizer<mlp_sub_late, k3::adam>;
       return restore_attach_write<R>(
           in, out,
           {[](R& r) { r.model.b.emplace(); },
            [](R& r) { zero_slots(r.model, r.optimizer.momentums, r.optimizer.velocities); }});
     }},
};

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 4 && a[0] == "restore") {
    auto it = restore_cases.find(a[1]);
    if (it == restore_cases.end()) {
      std::fprintf(stderr, "unknown restore case %s\n", a[1].c_str());
      return 2;
    }
    return it->second(a[2], a[3]);
  }
  if (a.size() == 4 && a[0] == "deferred") {
    auto it = deferred_cases.find(a[1]);
    if (it == deferred_cases.end()) {
      std::fprintf(stderr, "unknown deferred case %s\n", a[1].c_str());
      return 2;
    }
    return it->second(a[2], a[3]);
  }
  if (a.size() == 3 && a[0] == "write") return write_case(a[1], a[2]);
  std::fprintf(stderr, "usage: keras3_interop restore CASE CKPT OUTDIR | write CASE OUTDIR | deferred CASE CKPT OUTDIR\n");
  return 2;
}
