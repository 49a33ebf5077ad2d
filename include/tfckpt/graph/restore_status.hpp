// tfckpt graph layer: the outcome of a restore, with TensorFlow's four checks
// (CheckpointLoadStatus; docs/format.md §10.2). Unlike TF, a failed check lists *every*
// unmatched object path and every unused checkpoint value, not just the first few.
// The one outcome of every restore: tfckpt::restore and friends return result<restore_status>,
// the allocation-free restore_from_memory returns result<restore_status, static_error> and fills
// only the counts (a default restore_status holds no heap memory). docs/errors.md.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "../format/error.hpp"

namespace tfckpt {

class restore_status {
 public:
  std::string checkpoint;                      // prefix restored from
  std::size_t matched_nodes = 0;               // checkpoint nodes bound to live objects (root included)
  std::vector<std::string> unmatched_objects;  // live variables (object paths) that got no value
  std::vector<std::string> unresolved_nodes;   // checkpoint objects with values bound to nothing
  std::vector<std::string> unused_values;      // checkpoint keys nothing read
  bool name_based = false;                     // TF1 checkpoint restored through a name map
  // No checkpoint was restored: checkpoint_manager::restore_or_initialize found none and
  // initialized instead (TF's InitializationOnlyStatus). Every check then fails.
  bool nothing_restored = false;
  // What to declare for each unresolved checkpoint object: field type (dtype, shape), "did you
  // mean" a near-miss struct path, whether it is a shared node. Printed by the failed checks.
  std::vector<std::string> hints;
  // Counts, the same on every path (restore_from_memory keeps no lists, only these).
  std::size_t restored = 0;    // variables (slot variables included) given a value
  std::size_t unused = 0;      // checkpoint values nothing read (unused_values.size() when listed)
  bool graph_checked = false;  // the checkpoint's object graph led to every restored key

  // Every live variable was restored (extra checkpoint values are fine).
  TFCKPT_LAZY result<void> assert_existing_objects_matched() const {
    if (nothing_restored) return no_checkpoint("assert_existing_objects_matched");
    if (name_based) return assert_consumed();
    if (unmatched_objects.empty()) return {};
    return fail("assert_existing_objects_matched", true, false);
  }
  // Everything in the checkpoint was used and every live variable was restored.
  TFCKPT_LAZY result<void> assert_consumed() const {
    if (nothing_restored) return no_checkpoint("assert_consumed");
    if (unmatched_objects.empty() && unresolved_nodes.empty() && unused_values.empty() && unused == 0) return {};
    return fail("assert_consumed", true, true);
  }
  // Something besides the root matched.
  TFCKPT_LAZY result<void> assert_nontrivial_match() const {
    if (nothing_restored) return no_checkpoint("assert_nontrivial_match");
    if (name_based) return assert_consumed();
    if (matched_nodes >= 2) return {};
    return error(errc::unmatched, "assert_nontrivial_match: nothing except the root object matched a "
                                  "checkpointed value; is this the right checkpoint for this object?")
        .in_file(checkpoint);
  }
  // TF uses this to silence warnings about a partial restore; we never warn, so it only documents
  // intent at the call site.
  const restore_status& expect_partial() const noexcept { return *this; }

  bool complete() const noexcept { return static_cast<bool>(assert_consumed()); }

 private:
  TFCKPT_LAZY static error no_checkpoint(std::string_view check) {
    return error(errc::not_found, std::string(check) + ": no checkpoint was restored (nothing to restore; the "
                                                       "objects were initialized instead)");
  }
  TFCKPT_LAZY error fail(std::string_view check, bool live_side, bool checkpoint_side) const {
    std::string msg(check);
    msg += " failed:";
    auto list = [&](std::string_view title, const std::vector<std::string>& items) {
      if (items.empty()) return;
      msg += "\n  ";
      msg += title;
      msg += " (" + std::to_string(items.size()) + "):";
      for (const auto& i : items) msg += "\n    " + error::printable(i);
    };
    if (live_side) list("objects with no value in the checkpoint", unmatched_objects);
    if (checkpoint_side) {
      list("checkpoint objects matched to nothing", unresolved_nodes);
      list("checkpoint values never read", unused_values);
      if (unused_values.empty() && unused != 0)
        msg += "\n  checkpoint values never read: " + std::to_string(unused) + " (not listed)";
      list("to fix", hints);
    }
    return error(errc::unmatched, std::move(msg)).in_file(checkpoint);
  }
};

}  // namespace tfckpt
