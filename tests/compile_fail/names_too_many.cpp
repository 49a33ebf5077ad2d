// A TFCKPT_NAMES entry with five names: the static_assert names the type whose TFCKPT_NAMES it is
// (tfckpt::detail::offending<T, false> next to the sentence).
// expect: offending<cf::five_names, false>
#include <tfckpt/checkpoint.hpp>

namespace cf {
struct five_names {
  float a = 0;
};
TFCKPT_NAMES(five_names, (a, "v", "w", "x", "y", "z"))
}  // namespace cf

int main() {
  cf::five_names r{};
  return tfckpt::write("unused/ckpt", r) ? 0 : 1;
}
