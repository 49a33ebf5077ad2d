// step is int64 in the checkpoint, int32 in the struct.
// expect-gcc: tfckpt_schema_mismatch_dtype.*"step: int32 in the struct, int64 in the checkpoint"
// expect-clang: tfckpt_schema_mismatch_dtype<'s', 't', 'e', 'p', ':', ' ', 'i', 'n', 't', '3', '2'
#include "common.hpp"
struct root_fixed {
  policy model;
  std::int32_t step;
};
static_assert(tfckpt::matches<root_fixed>(policy_schema));
int main() { return 0; }
