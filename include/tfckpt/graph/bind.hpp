// tfckpt graph layer: how TensorFlow binds a saved object graph to live objects (docs/format.md
// §10.1): the saved root is the live root; then breadth-first over bound saved nodes, each saved
// child edge binds to the live child with the same local name, unless either side is already
// bound (an object reached by several edges keeps its first binding; TF only warns).
// Also the restore-time growth of containers (vectors, maps, optionals) to the checkpoint's shape.
#pragma once

#include <cstddef>
#include <vector>

#include "../format/object_graph_proto.hpp"
#include "live_tree.hpp"

namespace tfckpt::detail {

inline constexpr std::size_t unbound = static_cast<std::size_t>(-1);

// Per saved node id: the live node bound to it, or `unbound`.
TFCKPT_LAZY std::vector<std::size_t> bind_saved(const live_tree& tree, const trackable_object_graph& g) {
  const std::size_t n = g.nodes.size();
  std::vector<std::size_t> bound(n, unbound);
  if (n == 0 || tree.size() == 0) return bound;
  std::vector<bool> live_bound(tree.size(), false);
  bound[0] = live_tree::root;
  live_bound[live_tree::root] = true;
  std::vector<std::size_t> queue{0};
  for (std::size_t q = 0; q < queue.size(); ++q) {
    const std::size_t sid = queue[q];
    for (const auto& c : g.nodes[sid].children) {
      const auto child = static_cast<std::size_t>(c.node_id);
      if (bound[child] != unbound) continue;
      for (const auto& e : tree.node(bound[sid]).children) {
        if (e.local_name != c.local_name || live_bound[e.target]) continue;
        bound[child] = e.target;
        live_bound[e.target] = true;
        queue.push_back(child);
        break;
      }
    }
  }
  return bound;
}

// Lets every bound container take the checkpoint's shape. Returns true when something changed:
// element addresses may have moved and new children exist, so the caller rebuilds the live tree
// and calls this again until it returns false (each round settles at least one nesting level).
TFCKPT_LAZY bool fill_containers(live_tree& tree, const trackable_object_graph& g) {
  const auto bound = bind_saved(tree, g);
  bool changed = false;
  for (std::size_t sid = 0; sid < bound.size(); ++sid) {
    if (bound[sid] == unbound) continue;
    const container_fill& f = tree.node(bound[sid]).fill;
    if (f.fill && f.fill(f.object, g.nodes[sid])) changed = true;
  }
  return changed;
}

// Enough rounds for containers nested this deep; deeper nesting is restored as far as it got
// (the rest is reported as unmatched/unresolved, never an endless loop on a hostile graph).
inline constexpr int max_fill_rounds = 64;

}  // namespace tfckpt::detail
