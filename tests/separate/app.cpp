// Separate compilation (config.hpp): this unit includes <tfckpt/tfckpt.hpp> with
// TFCKPT_SEPARATE_COMPILATION, so it sees the checkpoint API's declarations and compiles only
// what its structs need; core.cpp compiles the core once; reader.cpp uses bundle_reader.hpp
// directly. Saves a state, restores it into a fresh one (containers sized by the restore), and
// checks every value, assert_consumed, the state file and the stored keys.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "model.hpp"

static_assert(TFCKPT_DEFINE_CORE == 0, "this unit must see declarations only");

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "separate_compilation: FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using separate_test::state;
  const std::string dir = argc > 1 ? argv[1] : "separate_compilation_run";
  std::filesystem::remove_all(dir);

  state s;
  for (std::size_t i = 0; i < 6; ++i) s.model.l0.kernel[i] = 0.25f * static_cast<float>(i) - 0.5f;
  s.model.l0.bias = {1.0f, -2.0f, 3.5f};
  s.model.extra = {0.125, 1e300, -7.0};
  s.optimizer.iterations = 42;
  s.optimizer.learning_rate = 0.001f;
  auto m = tfckpt::tensor::from_values<float>({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  auto v = tfckpt::tensor::from_values<float>({2, 3}, std::vector<float>{6, 5, 4, 3, 2, 1});
  if (!m || !v) {
    std::fprintf(stderr, "from_values failed\n");
    return 1;
  }
  s.optimizer.momentums.push_back(std::move(*m));
  s.optimizer.velocities.push_back(std::move(*v));
  s.counters = {{"a", 1}, {"b", -2}};
  s.step = 7;

  tfckpt::checkpoint<state> ck(s);
  auto saved = ck.save(dir + "/ckpt");
  if (!saved) {
    std::fprintf(stderr, "save: %s\n", saved.error().to_string().c_str());
    return 1;
  }
  check(*saved == dir + "/ckpt-1", "save() returns prefix-1");
  check(std::filesystem::exists(dir + "/checkpoint"), "save() writes the state file");

  state back;
  auto st = tfckpt::restore(dir, back);  // latest, through the state file
  if (!st) {
    std::fprintf(stderr, "restore: %s\n", st.error().to_string().c_str());
    return 1;
  }
  if (auto ok = st->assert_consumed(); !ok) {
    std::fprintf(stderr, "assert_consumed: %s\n", ok.error().to_string().c_str());
    ++failures;
  }
  bool kernel_ok = true;
  for (std::size_t i = 0; i < 6; ++i) kernel_ok &= back.model.l0.kernel[i] == s.model.l0.kernel[i];
  check(kernel_ok, "kernel restored");
  check(back.model.l0.bias == s.model.l0.bias, "bias restored");
  check(back.model.extra == s.model.extra, "std::vector<double> resized and restored");
  check(back.optimizer.iterations == 42 && back.optimizer.learning_rate == 0.001f, "optimizer scalars");
  bool m_ok = back.optimizer.momentums.size() == 1;
  if (m_ok) {
    const auto m0 = back.optimizer.momentums[0].values<float>();
    m_ok = m0 && m0->size() == 6 && (*m0)[5] == 6.0f;
  }
  check(m_ok, "Adam m slots sized and restored");
  bool v_ok = back.optimizer.velocities.size() == 1;
  if (v_ok) {
    const auto v0 = back.optimizer.velocities[0].values<float>();
    v_ok = v0 && !v0->empty() && (*v0)[0] == 6.0f;
  }
  check(v_ok, "Adam v slots");
  check(back.counters == s.counters, "std::map restored with the saved keys");
  check(back.step == 7, "step");

  // The format layer, from another unit of the same program.
  std::string error;
  const auto keys = separate_test::list_keys(*saved, error);
  check(error.empty(), "bundle_reader opens what the checkpoint API wrote");
  bool has_graph = false, has_step = false;
  for (const auto& k : keys) {
    has_graph |= k == "_CHECKPOINTABLE_OBJECT_GRAPH";
    has_step |= k == "step/.ATTRIBUTES/VARIABLE_VALUE";
  }
  check(has_graph && has_step, "object graph and step stored under TF's keys");

  // Errors still name the file: a restore from a missing directory.
  state none;
  auto missing = tfckpt::restore(dir + "/nowhere", none);
  check(!missing && missing.error().to_string().find("nowhere") != std::string::npos,
        "a missing checkpoint is an error naming the path");

  if (failures == 0) std::puts("separate_compilation: all checks passed");
  return failures == 0 ? 0 : 1;
}
