// Every static_assert of the library names the offending type (issue #13): here the struct whose
// TFCKPT_NAMES gives two fields one name, spelled out in the diagnostic through
// tfckpt::detail::offending<T, false> next to the sentence.
// expect: offending<cf::twin_names, false>
#include <tfckpt/checkpoint.hpp>

namespace cf {
struct twin_names {
  float a = 0;
  float b = 0;
};
TFCKPT_NAMES(twin_names, (a, "w"), (b, "w"))
}  // namespace cf

int main() {
  cf::twin_names r{};
  return tfckpt::write("unused/ckpt", r) ? 0 : 1;
}
