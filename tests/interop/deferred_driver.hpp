// The deferred-restore driver of the interop programs (keras2_interop.cpp, keras3_interop.cpp):
// tfckpt::read_deferred into a fresh root, which must restore every existing object and leave
// something waiting (else the case tests nothing); the root is moved (no pointer into the first
// one may survive); each step creates objects and is followed by attach(); then
// assert_consumed() and the root is written to OUTDIR/ckpt-1 for Python to compare and restore.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tfckpt/checkpoint.hpp"

namespace interop_deferred {

inline int fail(const char* what, const tfckpt::error& e) {
  std::fprintf(stderr, "%s: %s\n", what, e.to_string().c_str());
  return 1;
}

template <class Root>
int restore_attach_write(const std::string& in, const std::string& out,
                         const std::vector<std::function<void(Root&)>>& steps) {
  Root root{};
  auto p = tfckpt::read_deferred(in, root);
  if (!p) return fail("read_deferred", p.error());
  if (auto e = p->status().assert_existing_objects_matched(); !e) return fail("existing objects", e.error());
  if (p->waiting().empty()) {
    std::fprintf(stderr, "nothing was deferred: the case does not test attach\n");
    return 1;
  }
  std::printf("round 1: %zu checkpoint objects wait\n", p->waiting().size());
  Root moved = std::move(root);
  for (const auto& step : steps) {
    step(moved);
    auto st = p->attach(moved);
    if (!st) return fail("attach", st.error());
    std::printf("attach: %zu wait\n", p->waiting().size());
  }
  if (auto c = p->status().assert_consumed(); !c) return fail("assert_consumed after attach", c.error());
  tfckpt::checkpoint ck(moved);
  if (auto w = ck.write(out + "/ckpt-1"); !w) return fail("write", w.error());
  return 0;
}

}  // namespace interop_deferred
