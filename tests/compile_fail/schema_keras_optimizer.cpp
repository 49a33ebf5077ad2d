// A keras:: optimizer lists its own children at run time (_variables/N, _iterations, ...): its
// field names are not its keys, so the compile-time schema refuses it instead of inventing keys.
// expect: compile-time schema cannot list a type that describes its own children
#include <tuple>

#include <tfckpt/keras/optimizers.hpp>

#include "common.hpp"
struct root_with_optimizer {
  policy model;
  tfckpt::keras::sgd<std::tuple<tfckpt::fixed<float, 4, 3>, tfckpt::fixed<float, 3>>> optimizer;
};
static_assert(tfckpt::matches<root_with_optimizer>(policy_schema));
int main() { return 0; }
