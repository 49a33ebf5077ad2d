// MUST COMPILE: the struct matches the checkpoint schema exactly.
#include "common.hpp"
struct root_fixed {
  policy model;
  std::int64_t step;
};
static_assert(tfckpt::matches<root_fixed>(policy_schema));
static_assert(tfckpt::matches_partial<root_fixed>(policy_schema));
int main() { return 0; }
