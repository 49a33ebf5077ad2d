// The compile-time schema walk rejects a plain aggregate with a C-array field the same way.
// expect: plain aggregate has a C-array field, which Boost.PFR cannot reflect
#include "common.hpp"
struct root_c_array {
  float kernel[4][3];
  float bias[3];
};
static_assert(tfckpt::matches<root_c_array>(policy_schema));
int main() { return 0; }
