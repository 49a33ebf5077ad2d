// Every static_assert of the library names the offending type (issue #13): here the struct with
// the C-array field, spelled out in the diagnostic through tfckpt::detail::offending<T, false>.
// expect: offending<cf::layer, false>
#include <tfckpt/checkpoint.hpp>

namespace cf {
struct layer {
  float w[4][3];
  float b;
};
struct root {
  layer l;
};
}  // namespace cf

int main() {
  cf::root r{};
  return tfckpt::write("unused/ckpt", r) ? 0 : 1;
}
