// tfckpt CLI: which tensors are optimizer state, decided by the object graph (not by the key).
//
// A tensor is optimizer state when every path to its object from the root goes through an
// optimizer object. Optimizer objects: targets of a child edge named "optimizer" (Checkpoint
// (optimizer=...), a Keras model's own optimizer edge; LossScaleOptimizer's inner optimizer sits
// below one) and objects that own slot variables (Keras 2 / optimizer_v2). Everything below an
// optimizer is its state: Keras 2 slots (.OPTIMIZER_SLOT), iterations, hyperparameters,
// `_variables/N` of TF >= 2.11 and Keras 3 optimizers. Model weights that TF keys under
// `optimizer/_trainable_variables/N` (Keras 3: the shortest path to them goes through the
// optimizer) are still reached from the model without it, so they count as the model's; their
// model path is the shortest path avoiding optimizer objects (model_path).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/graph/keys.hpp>

namespace tfckpt_convert {

inline bool is_optimizer_edge(std::string_view local_name) { return local_name == "optimizer"; }

struct object_roles {
  std::vector<char> optimizer;        // per node: an optimizer object
  std::vector<char> model_reachable;  // per node: reached from the root avoiding optimizer objects
  std::vector<std::string> model_path;  // per model-reachable node: escaped path avoiding optimizers
  std::vector<std::int32_t> tree_parent;  // per model-reachable node: parent on that path (-1: root)
  std::unordered_set<std::string> optimizer_keys;  // attribute keys of optimizer-only objects
  std::unordered_map<std::string, std::string> model_key;  // key -> key by model path, when it differs
};

inline object_roles classify_objects(const tfckpt::trackable_object_graph& g) {
  object_roles r;
  const std::size_t n = g.nodes.size();
  r.optimizer.assign(n, 0);
  r.model_reachable.assign(n, 0);
  r.model_path.assign(n, {});
  r.tree_parent.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& node = g.nodes[i];
    if (!node.slot_variables.empty()) r.optimizer[i] = 1;
    for (const auto& c : node.children)
      if (is_optimizer_edge(c.local_name) && c.node_id >= 0 && static_cast<std::size_t>(c.node_id) < n)
        r.optimizer[static_cast<std::size_t>(c.node_id)] = 1;
  }
  if (n == 0) return r;
  r.optimizer[0] = 0;  // the root is never optimizer state, even if it owns slots
  std::deque<std::int32_t> q{0};
  r.model_reachable[0] = 1;
  while (!q.empty()) {
    const auto u = q.front();
    q.pop_front();
    for (const auto& c : g.nodes[static_cast<std::size_t>(u)].children) {
      if (c.node_id < 0 || static_cast<std::size_t>(c.node_id) >= n) continue;
      const auto v = static_cast<std::size_t>(c.node_id);
      if (r.model_reachable[v] || r.optimizer[v]) continue;
      r.model_reachable[v] = 1;
      r.tree_parent[v] = u;
      r.model_path[v] = tfckpt::child_path(r.model_path[static_cast<std::size_t>(u)], c.local_name);
      q.push_back(c.node_id);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& a : g.nodes[i].attributes) {
      if (!r.model_reachable[i]) {
        r.optimizer_keys.insert(a.checkpoint_key);
        continue;
      }
      // TF's key: <shortest path>/.ATTRIBUTES/<name>; the model path may be longer.
      const std::string_view path = tfckpt::path_of_key(a.checkpoint_key);
      if (path != a.checkpoint_key && path != r.model_path[i] &&
          a.checkpoint_key.find(tfckpt::optimizer_slot_marker) == std::string::npos)
        r.model_key[a.checkpoint_key] = r.model_path[i] + std::string(a.checkpoint_key.substr(path.size()));
    }
  }
  // A key also stored by a model object is the model's.
  for (std::size_t i = 0; i < n; ++i)
    if (r.model_reachable[i])
      for (const auto& a : g.nodes[i].attributes) r.optimizer_keys.erase(a.checkpoint_key);
  return r;
}

}  // namespace tfckpt_convert
