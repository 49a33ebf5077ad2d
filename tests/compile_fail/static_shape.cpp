// The kernel is [4,3] in the checkpoint, [3,4] in the struct.
// expect-gcc: tfckpt_schema_mismatch_static_shape.*"model/layer/kernel: \[3,4\] in the struct, \[4,3\] in the checkpoint"
// expect-clang: tfckpt_schema_mismatch_static_shape<'m', 'o', 'd', 'e', 'l', '/', 'l', 'a', 'y', 'e', 'r', '/', 'k', 'e', 'r', 'n', 'e', 'l', ':', ' ', '\[', '3', ',', '4', '\]'
#include "common.hpp"
struct dense_t {
  std::array<std::array<float, 4>, 3> kernel;
  tfckpt::fixed<float, 3> bias;
};
struct policy_t {
  dense_t layer;
};
struct root_fixed {
  policy_t model;
  std::int64_t step;
};
static_assert(tfckpt::matches<root_fixed>(policy_schema));
int main() { return 0; }
