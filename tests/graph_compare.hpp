// Test helpers: the first difference between two decoded object graphs, or "" when they agree on
// nodes, children (ids and local names), attributes (name, checkpoint_key), slot references and
// has_checkpoint_values. full_name is ignored (TF's shared variable names such as "dense/kernel"
// only serve name-based restore). And the first difference between two bundles' entries.
#pragma once

#include <string>

#include "tfckpt/bundle/reader.hpp"
#include "tfckpt/format/object_graph_proto.hpp"

namespace tfckpt_test {

inline std::string first_graph_difference(const tfckpt::trackable_object_graph& a,
                                          const tfckpt::trackable_object_graph& b) {
  if (a.nodes.size() != b.nodes.size())
    return "node count " + std::to_string(a.nodes.size()) + " vs " + std::to_string(b.nodes.size());
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const auto& x = a.nodes[i];
    const auto& y = b.nodes[i];
    const std::string at = "node " + std::to_string(i) + ": ";
    if (x.children.size() != y.children.size())
      return at + "children count " + std::to_string(x.children.size()) + " vs " + std::to_string(y.children.size());
    for (std::size_t c = 0; c < x.children.size(); ++c)
      if (x.children[c].node_id != y.children[c].node_id || x.children[c].local_name != y.children[c].local_name)
        return at + "child " + std::to_string(c) + " " + std::to_string(x.children[c].node_id) + " '" +
               x.children[c].local_name + "' vs " + std::to_string(y.children[c].node_id) + " '" +
               y.children[c].local_name + "'";
    if (x.attributes.size() != y.attributes.size()) return at + "attribute count";
    for (std::size_t k = 0; k < x.attributes.size(); ++k)
      if (x.attributes[k].name != y.attributes[k].name ||
          x.attributes[k].checkpoint_key != y.attributes[k].checkpoint_key)
        return at + "attribute '" + x.attributes[k].name + "' '" + x.attributes[k].checkpoint_key + "' vs '" +
               y.attributes[k].name + "' '" + y.attributes[k].checkpoint_key + "'";
    if (x.slot_variables.size() != y.slot_variables.size()) return at + "slot variable count";
    for (std::size_t s = 0; s < x.slot_variables.size(); ++s) {
      const auto& p = x.slot_variables[s];
      const auto& q = y.slot_variables[s];
      if (p.original_variable_node_id != q.original_variable_node_id || p.slot_name != q.slot_name ||
          p.slot_variable_node_id != q.slot_variable_node_id)
        return at + "slot reference " + std::to_string(s);
    }
    if (x.has_checkpoint_values != y.has_checkpoint_values) {
      auto show = [](const std::optional<bool>& v) { return v ? (*v ? std::string("true") : std::string("false")) : std::string("absent"); };
      return at + "has_checkpoint_values " + show(x.has_checkpoint_values) + " vs " + show(y.has_checkpoint_values);
    }
    if (static_cast<bool>(x.saver) != static_cast<bool>(y.saver)) return at + "registered_saver";
  }
  return {};
}

// The first difference between the entries of two bundles (same keys in the same order, dtypes,
// shapes, and value for value), or "". The object graph and save_counter values are not compared
// (the graph has its own comparison; save_counter depends on how often each side saved).
inline std::string first_entry_difference(const tfckpt::bundle_reader& ours, const tfckpt::bundle_reader& theirs) {
  const auto& a = ours.entries();
  const auto& b = theirs.entries();
  if (a.size() != b.size()) return "entry count " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key) return "entry " + std::to_string(i) + ": key " + std::string(a[i].key) + " vs " + std::string(b[i].key);
    const std::string at = std::string(a[i].key) + ": ";
    if (a[i].info.dtype != b[i].info.dtype) return at + "dtype";
    if (a[i].info.shape != b[i].info.shape)
      return at + "shape " + tfckpt::shape_to_string(a[i].info.shape) + " vs " + tfckpt::shape_to_string(b[i].info.shape);
    if (a[i].key == tfckpt::object_graph_key || a[i].key == "save_counter/.ATTRIBUTES/VARIABLE_VALUE") continue;
    auto ta = ours.read(a[i].key);
    auto tb = theirs.read(b[i].key);
    if (!ta) return at + ta.error().to_string();
    if (!tb) return at + tb.error().to_string();
    if (!(*ta == *tb)) return at + "values differ";
  }
  return {};
}

}  // namespace tfckpt_test
