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

// For the few per-entry decoding helpers whose calls, left out of line, cost more than their work
// (GCC keeps small varint readers out of line when they are called from many places).
#if defined(__GNUC__) || defined(__clang__)
#define TFCKPT_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TFCKPT_ALWAYS_INLINE inline
#endif
