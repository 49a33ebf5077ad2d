// The checkpoint has a variable the struct lacks (step).
// expect-gcc: tfckpt_schema_mismatch_extra_key_in_checkpoint.*"step"
// expect-clang: tfckpt_schema_mismatch_extra_key_in_checkpoint<'s', 't', 'e', 'p'
#include "common.hpp"
struct root_fixed {
  policy model;
};
static_assert(tfckpt::matches<root_fixed>(policy_schema));
int main() { return 0; }
