// tfckpt graph layer: the TrackableObjectGraph TensorFlow writes for a live tree
// (trackable_view._descendants_with_paths + util.serialize_slot_variables; docs/format.md §9.2):
// breadth-first node ids from the root, children in declared order, an object reached by several
// edges keeps the id and path of the first one, then slot-variable nodes appended: per optimizer
// node (node order), per slot name (optimizer order), per original variable (node order).
#pragma once

#include <cstddef>
#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "../format/object_graph_proto.hpp"
#include "keys.hpp"
#include "live_tree.hpp"

namespace tfckpt::detail {

inline constexpr std::size_t no_live = static_cast<std::size_t>(-1);

struct built_graph {
  trackable_object_graph graph;
  std::vector<std::string> paths;       // per node id: escaped object path
  std::vector<std::size_t> live_index;  // per node id: live node, or no_live for slot nodes
  struct slot_node {
    std::size_t optimizer_live;  // live node holding the slot_table
    std::string variable_path;   // the table's key
    std::string slot_name;
  };
  std::vector<slot_node> slots;  // per slot node, in node order (ids follow the BFS nodes)
  std::size_t bfs_nodes = 0;
};


// TF sets has_checkpoint_values on every node: true iff the node or anything reachable through
// `children` has attributes, slot variables or a registered saver (util.add_checkpoint_values_check).
TFCKPT_LAZY void set_has_checkpoint_values(trackable_object_graph& g) {
  const std::size_t n = g.nodes.size();
  std::vector<std::vector<std::size_t>> parents(n);
  std::deque<std::size_t> queue;
  std::vector<bool> has(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& node = g.nodes[i];
    for (const auto& c : node.children) parents[static_cast<std::size_t>(c.node_id)].push_back(i);
    if (!node.attributes.empty() || !node.slot_variables.empty() || node.saver) {
      has[i] = true;
      queue.push_back(i);
    }
  }
  while (!queue.empty()) {  // propagate upwards; cycles (self edges) terminate via `has`
    const std::size_t i = queue.front();
    queue.pop_front();
    for (std::size_t p : parents[i])
      if (!has[p]) {
        has[p] = true;
        queue.push_back(p);
      }
  }
  for (std::size_t i = 0; i < n; ++i) g.nodes[i].has_checkpoint_values = static_cast<bool>(has[i]);
}

TFCKPT_LAZY serialized_tensor variable_attribute(const std::string& path, const std::string& full_name) {
  return serialized_tensor{std::string(variable_value_name), full_name.empty() ? path : full_name,
                           variable_key(path), false};
}


TFCKPT_LAZY result<built_graph> build_object_graph(const live_tree& tree) {
  built_graph out;
  if (tree.size() == 0) return make_error(errc::invalid_argument, "empty object tree (no root)");
  TFCKPT_TRY(tree.check_unique_names());
  std::vector<std::size_t> node_of(tree.size(), no_live);  // live index -> node id
  node_of[live_tree::root] = 0;
  out.live_index.push_back(live_tree::root);
  out.paths.emplace_back();
  for (std::size_t id = 0; id < out.live_index.size(); ++id) {  // the vector is the BFS queue
    const live_node& ln = tree.node(out.live_index[id]);
    for (const auto& e : ln.children) {
      if (node_of[e.target] == no_live) {
        node_of[e.target] = out.live_index.size();
        out.live_index.push_back(e.target);
        out.paths.push_back(child_path(out.paths[id], e.local_name));
      }
    }
  }
  out.bfs_nodes = out.live_index.size();
  out.graph.nodes.resize(out.bfs_nodes);
  for (std::size_t id = 0; id < out.bfs_nodes; ++id) {
    const live_node& ln = tree.node(out.live_index[id]);
    auto& node = out.graph.nodes[id];
    for (const auto& e : ln.children)
      node.children.push_back(object_reference{static_cast<std::int32_t>(node_of[e.target]), e.local_name});
    if (ln.value) node.attributes.push_back(detail::variable_attribute(out.paths[id], ln.value->full_name));
    // Other attributes as TF records a _serialize_to_tensors name (save_util.py
    // _get_tensors_from_trackable): the name, and the key escaping it once more. TF leaves
    // full_name empty for objects that are not variables.
    for (const auto& a : ln.attributes)
      node.attributes.push_back(serialized_tensor{a.name, a.value.full_name, attribute_key(out.paths[id], a.name), false});
  }
  // Slot nodes per optimizer, per slot name, per variable in node order: the variables of each
  // slot are looked up by path and sorted (scanning every node per slot name was slots x nodes).
  std::unordered_map<std::string, std::size_t> node_by_path;  // copies: out.paths grows below
  for (std::size_t var = 0; var < out.bfs_nodes; ++var) node_by_path.emplace(out.paths[var], var);
  for (std::size_t opt = 0; opt < out.bfs_nodes; ++opt) {
    const slot_table* table = tree.node(out.live_index[opt]).slots;
    if (!table) continue;
    std::map<std::string_view, std::vector<std::size_t>> vars_of_slot;
    table->for_each([&](const std::string& var_path, const std::string& slot, const tensor&) {
      if (auto it = node_by_path.find(var_path); it != node_by_path.end()) vars_of_slot[slot].push_back(it->second);
    });
    for (const auto& slot : table->slot_names()) {
      auto vars = vars_of_slot.find(slot);
      if (vars == vars_of_slot.end()) continue;
      std::sort(vars->second.begin(), vars->second.end());
      for (const std::size_t var : vars->second) {
        const auto slot_id = static_cast<std::int32_t>(out.graph.nodes.size());
        out.graph.nodes[opt].slot_variables.push_back(
            slot_variable_reference{static_cast<std::int32_t>(var), slot, slot_id});
        const std::string path = slot_variable_path(out.paths[var], out.paths[opt], slot);
        trackable_object slot_node;
        slot_node.attributes.push_back(detail::variable_attribute(path, {}));
        out.graph.nodes.push_back(std::move(slot_node));
        out.paths.push_back(path);
        out.live_index.push_back(no_live);
        out.slots.push_back(built_graph::slot_node{out.live_index[opt], out.paths[var], slot});
      }
    }
  }
  detail::set_has_checkpoint_values(out.graph);
  return out;
}

}  // namespace tfckpt::detail
