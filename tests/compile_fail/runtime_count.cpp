// A std::vector of objects has a run-time number of children: no compile-time schema.
// expect: a compile-time schema needs a fixed number of objects
#include <vector>
#include "common.hpp"
struct root_fixed {
  std::vector<dense> layers;
};
static_assert(tfckpt::schema_v<root_fixed>.size() == 0);
int main() { return 0; }
