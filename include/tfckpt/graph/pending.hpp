// tfckpt graph layer: deferred restoration, TensorFlow's "restore, then create the variables"
// (docs/annotating.md, "Deferred restoration"). TF keeps the saved nodes nothing was bound to and
// restores each when the object that matches it is attached to a restored parent. Here the state
// of a deferred restore keeps the open reader, the saved graph and which saved values were read;
// attaching rebinds the whole (grown) live tree against the saved graph and reads only the values
// not read yet. Nothing points into the user's objects between rounds, so the root may be copied
// or moved before it is attached. Containers are not grown from the checkpoint (TF creates no
// objects either): what does not exist yet waits for its object.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "../bundle/reader.hpp"
#include "live_tree.hpp"
#include "restore.hpp"
#include "restore_status.hpp"

namespace tfckpt::detail {

struct pending_state {
  explicit pending_state(bundle_reader r) : reader(std::move(r)) {}

  bundle_reader reader;  // a copy: it shares the open files, so the caller's reader may go
  trackable_object_graph graph;
  restore_progress progress;
};

// The saved values still waiting for an object, for the status: one hint naming how many and
// what to call, before the per-object hints (a misspelt field waits forever).
TFCKPT_LAZY void note_pending(restore_status& st) {
  if (st.unresolved_nodes.empty()) return;
  st.hints.insert(st.hints.begin(), std::to_string(st.unresolved_nodes.size()) +
                     " checkpoint object(s) wait for live objects that do not exist yet: create them "
                     "(resize the list, engage the optional), then call attach(root) on the pending_restore");
}

// One round: binds `tree` against the saved graph and reads what earlier rounds did not.
TFCKPT_LAZY result<restore_status> restore_round(pending_state& s, live_tree& tree) {
  auto st = restore_tree(tree, s.reader, s.graph, &s.progress);
  if (st) note_pending(*st);
  return st;
}

// The first round; `s.reader` is set, the graph is read from it.
TFCKPT_LAZY result<restore_status> begin_deferred(pending_state& s, live_tree& tree) {
  if (!s.reader.has_object_graph())
    return make_error(errc::unsupported, "no object graph: a TF1 name-based checkpoint cannot be restored "
                                         "deferred; use tfckpt::restore_by_names").in_file(s.reader.prefix());
  auto g = s.reader.object_graph();
  if (!g) return std::move(g).error().in_file(s.reader.prefix());
  s.graph = std::move(*g);
  s.progress = restore_progress{std::vector<bool>(s.graph.nodes.size(), false),
                                std::vector<bool>(s.graph.nodes.size(), false), {}};
  return restore_round(s, tree);
}

}  // namespace tfckpt::detail
