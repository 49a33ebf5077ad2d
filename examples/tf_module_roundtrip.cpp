// Example (d): a tf.Module both ways. The Python module
//
//   class Encoder(tf.Module):             # nested submodule
//     w = tf.Variable(float32 [2, 3]); b = tf.Variable(float32 [3])
//   class Net(tf.Module):
//     scale = tf.Variable(float32 scalar); count = tf.Variable(int64 scalar)
//     offsets = tf.Variable(float64 [4]);  encoder = Encoder()
//     taps = [tf.Variable(float32 [3]), tf.Variable(float32 [2, 2])]   # a tracked list
//   tf.train.Checkpoint(module=Net()).save(...)
//
// is mirrored by the structs below: attributes become fields, the submodule a nested struct,
// the Python list a std::vector (children "0", "1"). This program restores TF's checkpoint with
// assert_consumed, modifies every value exactly (so Python can recompute the result bit for
// bit), and saves; Python restores that into a fresh module with assert_consumed.
//
//   tf_module_roundtrip IN_DIR_OR_PREFIX OUT_DIR   restore, modify, save OUT_DIR/ckpt-N (N = the
//                                                  restored save_counter + 1, as in TF)
//   tf_module_roundtrip                            no arguments: the same on a module created
//                                                  here (./tf_module/in -> ./tf_module/out)
//
// Exit status: 0 ok, 2 restore failed, 3 assert_consumed failed, 1 other errors.
// tests/interop/example_d_tf_module.py drives it.
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tfckpt/checkpoint.hpp"

namespace example {

struct encoder {
  tfckpt::fixed<float, 2, 3> w;
  std::array<float, 3> b{};
};
struct net {
  float scale = 0;
  std::int64_t count = 0;
  std::vector<double> offsets;        // any length: resized to what the checkpoint holds
  encoder encoder_;                   // renamed below: the Python attribute is `encoder`
  std::vector<tfckpt::tensor> taps;   // a Python list of variables of different shapes
};
TFCKPT_NAMES(net, (encoder_, "encoder"))

struct root {  // tf.train.Checkpoint(module=...)
  net module;
};

void describe(const net& m) {
  std::printf("scale %.9g count %lld offsets[0] %.17g encoder.w[0] %.9g taps %zu\n", static_cast<double>(m.scale),
              static_cast<long long>(m.count), m.offsets.empty() ? 0.0 : m.offsets[0],
              static_cast<double>(m.encoder_.w[0]), m.taps.size());
}

// Exact in floating point, so Python recomputes the same bits.
void modify(net& m) {
  m.scale *= 2;
  m.count += 1;
  for (double& o : m.offsets) o = -o;
  for (float& w : m.encoder_.w.values()) w += 1;
  for (float& b : m.encoder_.b) b *= 0.5f;
  for (auto& t : m.taps)
    if (auto v = t.values<float>())  // float32 taps: checked by the caller
      for (float& x : *v) x = -x;
}

int restore_modify_save(const std::string& in, const std::string& out_dir) {
  root r;
  r.module.taps.resize(2);  // the list has two entries; untyped tensors adopt dtype and shape
  tfckpt::checkpoint ck(r);  // one handle for both: the restored save_counter numbers the save
  auto st = ck.restore(in);
  if (!st) {
    std::fprintf(stderr, "restore failed: %s\n", st.error().to_string().c_str());
    return 2;
  }
  if (auto ok = st->assert_consumed(); !ok) {
    std::fprintf(stderr, "%s\n", ok.error().to_string().c_str());
    return 3;
  }
  std::printf("restored %s: assert_consumed ok\n", st->checkpoint.c_str());
  describe(r.module);
  for (const auto& t : r.module.taps)
    if (t.dtype() != tfckpt::dtype::float32) {
      std::fprintf(stderr, "taps must be float32\n");
      return 1;
    }
  modify(r.module);
  auto path = ck.save(out_dir + "/ckpt");
  if (!path) {
    std::fprintf(stderr, "save failed: %s\n", path.error().to_string().c_str());
    return 1;
  }
  std::printf("saved %s\n", path->c_str());
  describe(r.module);
  return 0;
}

// What the Python script creates, built here for the no-argument run.
int no_arguments() {
  root r;
  r.module.scale = 1.5f;
  r.module.count = 7;
  r.module.offsets = {0.25, -1.0, 3.5, 1e-3};
  for (std::size_t i = 0; i < r.module.encoder_.w.size(); ++i) r.module.encoder_.w[i] = static_cast<float>(i) / 4;
  r.module.encoder_.b = {1, 2, 3};
  const std::array<float, 3> t0{0.5f, -0.5f, 2.0f};
  const std::array<float, 4> t1{1, 2, 3, 4};
  auto tap0 = tfckpt::tensor::from_values<float>({3}, std::span<const float>(t0));
  auto tap1 = tfckpt::tensor::from_values<float>({2, 2}, std::span<const float>(t1));
  if (!tap0 || !tap1) {
    std::fprintf(stderr, "%s\n", (!tap0 ? tap0 : tap1).error().to_string().c_str());
    return 1;
  }
  r.module.taps = {std::move(*tap0), std::move(*tap1)};
  auto path = tfckpt::checkpoint(r).save("tf_module/in/ckpt");
  if (!path) {
    std::fprintf(stderr, "save failed: %s\n", path.error().to_string().c_str());
    return 1;
  }
  return restore_modify_save("tf_module/in", "tf_module/out");
}

}  // namespace example

int main(int argc, char** argv) {
  if (argc == 1) return example::no_arguments();
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s [IN_DIR_OR_PREFIX OUT_DIR]\n", argv[0]);
    return 1;
  }
  return example::restore_modify_save(argv[1], argv[2]);
}
