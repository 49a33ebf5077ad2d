// The one unit of the separate-compilation test that compiles tfckpt's core.
#include <tfckpt/core_impl.hpp>

static_assert(TFCKPT_DEFINE_CORE == 1);
