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

// Separate compilation (optional). By default everything is inline and header-only. A program
// that defines TFCKPT_SEPARATE_COMPILATION in every translation unit (-DTFCKPT_SEPARATE_COMPILATION)
// and includes <tfckpt/core_impl.hpp> in exactly one of them compiles the format layer once,
// there: elsewhere <tfckpt/tfckpt.hpp> then declares the checkpoint API and defines only what
// is generated per struct (see graph/core_io.hpp), which is most of the compile time saved.
//
// In a header-only build the core's entry points are function templates (TFCKPT_DECL on their
// declarations, TFCKPT_DEF on their definitions; see TFCKPT_LAZY below for why).
#if defined(TFCKPT_SEPARATE_COMPILATION)
#define TFCKPT_DECL
#define TFCKPT_DEF
#else
#define TFCKPT_DECL template <class = void>
#define TFCKPT_DEF template <class>
#endif
#if !defined(TFCKPT_SEPARATE_COMPILATION) || defined(TFCKPT_IMPLEMENTATION)
#define TFCKPT_DEFINE_CORE 1
#else
#define TFCKPT_DEFINE_CORE 0
#endif
// Functions of the format layer that use std containers and algorithms are templates with one
// defaulted parameter: TFCKPT_LAZY in place of `inline`; callers are unchanged (`f(x)` deduces
// nothing and takes the default). GCC checks an inline function's body where it parses it and, at
// the end of the unit, instantiates every template that body uses (std::vector<T> members, sorts,
// maps), even when nothing calls the function; a function template's body is instantiated only
// when it is called. So a unit that includes the library pays for what it calls, not for all of it
// (issue #16: that end-of-unit instantiation was a second per unit, calls or not).
#define TFCKPT_LAZY template <class = void> inline
// The definition, outside its class, of a member function declared TFCKPT_LAZY.
#define TFCKPT_LAZY_DEF template <class> inline

// The two modes cannot be mixed silently. The TFCKPT_DECL functions (graph/core_io.hpp) are
// inline in one mode and defined once, out of line, in the other; were their names the same, a
// separately compiled unit linked with a header-only one would bind to the header-only unit's
// inline copies (or the linker would pick either definition): an undiagnosed ODR violation. So
// they live in an inline namespace named after the mode (as abseil versions its namespace): the
// mangled names differ between modes, and a separately compiled unit needs the core unit's own
// symbols. Source code never spells this namespace; `tfckpt::core::f` finds it either way.
#if defined(TFCKPT_SEPARATE_COMPILATION)
#define TFCKPT_MODE_NAMESPACE separate_compilation
#else
#define TFCKPT_MODE_NAMESPACE header_only
#endif

namespace tfckpt::detail {

// The condition of every static_assert about a user's type: `offending<T, cond>::value` is
// `cond`, and when it is false both compilers print it with T spelled out ("static assertion
// failed due to requirement 'tfckpt::detail::offending<my_struct, false>::value'" in clang; the
// note "'tfckpt::detail::offending<my_struct, false>::value' evaluates to false" in g++), so the
// diagnostic names the offending field or struct type next to the sentence saying how to fix it.
template <class Offending, bool Ok>
struct offending {
  static constexpr bool value = Ok;
};

}  // namespace tfckpt::detail
