// A field of a type that is neither a variable, a container of objects nor a struct: the
// diagnostic names that type (tfckpt::detail::offending<int*, false>) next to the sentence.
// expect: offending<int ?\*, false>
#include <tfckpt/checkpoint.hpp>

namespace cf {
struct root {
  float x = 0;
  int* handle = nullptr;
};
}  // namespace cf

int main() {
  cf::root r{};
  return tfckpt::write("unused/ckpt", r) ? 0 : 1;
}
