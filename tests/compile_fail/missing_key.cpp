// The struct has a variable the checkpoint lacks (model/layer/scale).
// expect-gcc: tfckpt_schema_mismatch_missing_key_in_checkpoint.*"model/layer/scale"
// expect-clang: tfckpt_schema_mismatch_missing_key_in_checkpoint<'m', 'o', 'd', 'e', 'l', '/', 'l', 'a', 'y', 'e', 'r', '/', 's', 'c', 'a', 'l', 'e'
#include "common.hpp"
struct dense_scaled {
  tfckpt::fixed<float, 4, 3> kernel;
  tfckpt::fixed<float, 3> bias;
  float scale;
};
struct policy_scaled {
  dense_scaled layer;
};
struct root_fixed {
  policy_scaled model;
  std::int64_t step;
};
static_assert(tfckpt::matches<root_fixed>(policy_schema));
int main() { return 0; }
