// Example (c), embedded: a checkpoint compiled into the binary, checked against the struct at
// compile time, restored with no heap allocation (build with -fno-exceptions; it works with
// exceptions too).
//
// The checkpoint is tests/fixtures/keras_adam_legacy (TensorFlow 2.21: a tf-keras Sequential
// 4 -> 8 -> 3 with the legacy Adam optimizer and a step counter, saved by tf.train.Checkpoint).
// Regenerate the two headers with:
//   tfckpt schema tests/fixtures/keras_adam_legacy --name policy_schema > examples/embedded_schema.hpp
//   scripts/embed_bytes.py examples/embedded_ckpt_data.hpp
//       ckpt_index=tests/fixtures/keras_adam_legacy/ckpt-1.index
//       ckpt_data=tests/fixtures/keras_adam_legacy/ckpt-1.data-00000-of-00001
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include <tfckpt/memory_restore.hpp>
#include <tfckpt/schema.hpp>

#include "embedded_ckpt_data.hpp"
#include "embedded_schema.hpp"

// ---- the model, with every shape in its type ----------------------------------------------------

template <std::size_t In, std::size_t Out>
struct dense {
  tfckpt::fixed<float, In, Out> kernel;
  tfckpt::fixed<float, Out> bias;
};

struct mlp {
  dense<4, 8> l0;
  dense<8, 3> l1;
};
// Keras lists each layer twice; both edges reach the same node (the first names the keys).
TFCKPT_NAMES(mlp, (l0, "layer_with_weights-0", "layer-0"), (l1, "layer_with_weights-1", "layer-1"))

struct adam_hyper {
  std::int64_t iter;
  float beta_1, beta_2, decay, learning_rate;
};

struct root_fixed {
  mlp model;
  adam_hyper optimizer;
  std::int64_t step;
};

// A wrong dtype, a wrong shape or a missing variable is a compile error naming its path. The
// checkpoint also holds Adam's slots (m, v) and save_counter, which this build does not restore:
// matches_partial accepts extra checkpoint values; matches() would name them as extra keys.
static_assert(tfckpt::matches_partial<root_fixed>(policy_schema));
static_assert(tfckpt::all_leaves_fixed<root_fixed>());

// ---- proof that the restore does not allocate -----------------------------------------------------

static bool g_counting = false;
static std::size_t g_allocations = 0;

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  std::fputs("out of memory\n", stderr);
  std::abort();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

// ---- the forward pass ---------------------------------------------------------------------------

template <std::size_t In, std::size_t Out>
void apply(const dense<In, Out>& d, const float (&x)[In], float (&y)[Out], bool relu) {
  for (std::size_t o = 0; o < Out; ++o) {
    float s = d.bias[o];
    for (std::size_t i = 0; i < In; ++i) s += x[i] * d.kernel[i * Out + o];
    y[o] = relu && s < 0 ? 0.0f : s;
  }
}

static std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

static root_fixed r;  // static storage: nothing on the heap, nothing large on the stack

int main() {
  g_counting = true;
  const auto st = tfckpt::restore_from_memory(ckpt_index, {ckpt_data}, r);
  g_counting = false;
  if (!st) {
    const tfckpt::static_error& e = st.error();
    std::printf("restore failed: %s (%.*s) [%.*s]\n", e.message, static_cast<int>(e.key.size()), e.key.data(),
                static_cast<int>(tfckpt::to_string(e.code).size()), tfckpt::to_string(e.code).data());
    return 1;
  }
  std::printf("restored %zu variables, %zu checkpoint values unused (Adam slots, save_counter); "
              "object graph %s; heap allocations during restore: %zu\n",
              st->restored, st->unused, st->graph_checked ? "checked" : "absent", g_allocations);
  if (g_allocations != 0 || !st->graph_checked || st->restored != 10 || st->unused != 9) return 1;

  // Values TensorFlow saved (bit patterns from tests/fixtures/keras_adam_legacy/expected.json).
  const bool values_ok = r.step == 3 && r.optimizer.iter == 3 && bits(r.optimizer.learning_rate) == 0x3c23d70au &&
                         bits(r.optimizer.beta_1) == 0x3f666666u && bits(r.model.l0.bias[0]) == 0x3b198984u &&
                         bits(r.model.l0.kernel[0]) == 0xbf34003eu && bits(r.model.l1.bias[2]) == 0x3cf5cf4au;
  if (!values_ok) {
    std::puts("restored values differ from the checkpoint's");
    return 1;
  }

  const float x[4] = {0.5f, -1.0f, 0.25f, 2.0f};
  float h[8], y[3];
  apply(r.model.l0, x, h, /*relu=*/true);
  apply(r.model.l1, h, y, /*relu=*/false);
  std::printf("step %lld, lr %g, model([0.5, -1, 0.25, 2]) = [%g, %g, %g]\n", static_cast<long long>(r.step),
              static_cast<double>(r.optimizer.learning_rate), static_cast<double>(y[0]), static_cast<double>(y[1]),
              static_cast<double>(y[2]));
  return 0;
}
