// Two fields renamed to the same local name.
// expect: two children of this type share a local name
#include "common.hpp"
struct root_fixed {
  policy a;
  policy b;
};
TFCKPT_NAMES(root_fixed, (a, "model"), (b, "model"))
static_assert(tfckpt::schema_v<root_fixed>.size() == 4);
int main() { return 0; }
