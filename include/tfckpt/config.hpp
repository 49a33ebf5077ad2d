// tfckpt: compile-time configuration detected in one place.
#pragma once

#include <cstdio>
#include <cstdlib>

// Exceptions are optional: the core reports errors as values; only the opt-in throwing
// accessors (result::value()) depend on this switch.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define TFCKPT_HAS_EXCEPTIONS 1
#else
#define TFCKPT_HAS_EXCEPTIONS 0
#endif

#if TFCKPT_HAS_EXCEPTIONS
#define TFCKPT_THROW(x) throw x
#else
// Without exceptions a misuse (value() on an error) must still stop loudly, never continue.
#define TFCKPT_THROW(x) (std::fputs("tfckpt: fatal error (exceptions disabled)\n", stderr), std::abort())
#endif
