// tfckpt: with TFCKPT_SEPARATE_COMPILATION (config.hpp), include this in exactly one .cpp of the
// program, before any other tfckpt header, and nothing else there:
//
//   // tfckpt_core.cpp, compiled with -DTFCKPT_SEPARATE_COMPILATION like the rest
//   #include <tfckpt/core_impl.hpp>
//
// It compiles the core (core_io.hpp's functions and the format layer under them) once.
#pragma once

#if !defined(TFCKPT_SEPARATE_COMPILATION)
#error "tfckpt/core_impl.hpp is for programs built with -DTFCKPT_SEPARATE_COMPILATION"
#endif
#if defined(TFCKPT_DEFINE_CORE)
#error "include tfckpt/core_impl.hpp before any other tfckpt header"
#endif
#define TFCKPT_IMPLEMENTATION 1
#include "tfckpt.hpp"
