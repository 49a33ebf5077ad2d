// tfckpt graph layer: restore a live tree from an object-based checkpoint the way TensorFlow
// does (FORMAT.md §11.1): bind the saved root to the live root, then walk the saved graph
// breadth-first, binding each saved child to the live child with the same local name. Values are
// read through the bound node's own attribute `checkpoint_key`, never by guessing key strings, so
// a renamed field is reported, not silently mis-read. A dtype mismatch is an error (TF does not
// cast); a shape mismatch names both shapes.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../bundle/reader.hpp"
#include "bind.hpp"
#include "build.hpp"
#include "keys.hpp"
#include "live_tree.hpp"
#include "restore_status.hpp"

namespace tfckpt::detail {


// Paths of saved nodes for diagnostics: a node with values is named by its key (which also covers
// slot nodes); others by their first breadth-first edge.
inline std::vector<std::string> saved_paths(const trackable_object_graph& g) {
  std::vector<std::string> paths(g.nodes.size());
  std::vector<bool> seen(g.nodes.size(), false);
  std::vector<std::size_t> queue{0};
  seen[0] = true;
  for (std::size_t q = 0; q < queue.size(); ++q)
    for (const auto& c : g.nodes[queue[q]].children) {
      const auto id = static_cast<std::size_t>(c.node_id);
      if (seen[id]) continue;
      seen[id] = true;
      paths[id] = child_path(paths[queue[q]], c.local_name);
      queue.push_back(id);
    }
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    if (!g.nodes[i].attributes.empty()) paths[i] = std::string(path_of_key(g.nodes[i].attributes.front().checkpoint_key));
  return paths;
}

inline result<const entry*> checked_entry(const bundle_reader& r, const std::string& key, dtype want,
                                          const shape_t& shape, shape_rule rule, std::string_view path) {
  const entry* e = r.find(key);
  if (!e) return make_error(errc::not_found, "the object graph names a value that is not in the bundle").at_key(key);
  const bundle_entry& info = e->info;
  if (want != dtype::invalid && info.dtype != want)
    return make_error(errc::dtype_mismatch, std::string(path) + ": dtype " + std::string(dtype_name(info.dtype)) +
                                                " in checkpoint, " + std::string(dtype_name(want)) +
                                                " in struct (TensorFlow does not cast)").at_key(key);
  const bool ok = rule == shape_rule::any || (rule == shape_rule::any_length && info.shape.size() == 1) ||
                  (rule == shape_rule::exact && info.shape == shape);
  if (!ok)
    return make_error(errc::shape_mismatch, std::string(path) + ": shape " + shape_to_string(info.shape) +
                                                " in checkpoint, " +
                                                (rule == shape_rule::any_length ? std::string("[n]") : shape_to_string(shape)) +
                                                " in struct").at_key(key);
  return e;
}

// The bundle key TF reads a variable from (restore.py _create_serialize_to_tensor_saveable): the
// node's *first* attribute checkpoint_key cut right after the first ".ATTRIBUTES/", plus the
// object's own tensor name (VARIABLE_VALUE). Not the attribute's key verbatim: objects such as
// tf.data iterators record attribute `ITERATOR` (key `.../ITERATOR`) but store
// `.../ITERATOR_STATE`. Empty when the node has no attributes (nothing to restore).
inline result<std::string> value_key(const trackable_object& n, std::string_view tensor_name) {
  if (n.attributes.empty()) return std::string();
  const std::string& first = n.attributes.front().checkpoint_key;
  static constexpr std::string_view marker = ".ATTRIBUTES/";
  const auto at = first.find(marker);
  if (at == std::string::npos)
    return make_error(errc::corruption, "object graph attribute key without '.ATTRIBUTES/' (TensorFlow "
                                            "cannot restore it either)").at_key(first);
  return first.substr(0, at + marker.size()) + std::string(tensor_name);
}

// The bundle keys a node's unread attributes stand for, for the status: an attribute key present
// in the bundle names itself; otherwise every bundle key under the node's `.ATTRIBUTES/` prefix
// (the iterator case above); otherwise the recorded key as is.
inline void unread_keys(const bundle_reader& r, const trackable_object& n, std::vector<std::string>& out) {
  std::set<std::string> keys;
  for (const auto& a : n.attributes) {
    if (r.find(a.checkpoint_key)) {
      keys.insert(a.checkpoint_key);
      continue;
    }
    static constexpr std::string_view marker = ".ATTRIBUTES/";
    const auto at = a.checkpoint_key.find(marker);
    bool any = false;
    if (at != std::string::npos) {
      const std::string_view prefix = std::string_view(a.checkpoint_key).substr(0, at + marker.size());
      const auto entries = r.entries();
      auto it = std::lower_bound(entries.begin(), entries.end(), prefix,
                                 [](const entry& e, std::string_view k) { return std::string_view(e.key) < k; });
      for (; it != entries.end() && std::string_view(it->key).substr(0, prefix.size()) == prefix; ++it) {
        keys.insert(it->key);
        any = true;
      }
    }
    if (!any) keys.insert(a.checkpoint_key);
  }
  out.insert(out.end(), keys.begin(), keys.end());
}


inline result<restore_status> restore_tree(live_tree& tree, const bundle_reader& r,
                                           const trackable_object_graph& g) {
  auto live = build_object_graph(tree);  // live paths and the slot-table keys
  if (!live) return std::move(live).error();
  std::vector<std::string> live_path(tree.size());
  for (std::size_t id = 0; id < live->bfs_nodes; ++id) live_path[live->live_index[id]] = live->paths[id];

  const std::size_t n = g.nodes.size();
  const std::vector<std::size_t> bound = bind_saved(tree, g);  // breadth-first, by local name
  std::vector<bool> restored(tree.size(), false);
  // A node is consumed as a whole, as TF's _serialize_to_tensors restore does.
  std::vector<bool> used(n, false);
  restore_status st;
  st.checkpoint = r.prefix();
  const auto saved_path = detail::saved_paths(g);
  for (std::size_t sid = 0; sid < n; ++sid) {  // variables first: slots check against them
    if (bound[sid] == no_live) continue;
    ++st.matched_nodes;
    live_node& ln = tree.node(bound[sid]);
    if (!ln.value) continue;
    auto key = detail::value_key(g.nodes[sid], variable_value_name);
    if (!key) return std::move(key).error().in_file(r.prefix());
    if (key->empty()) continue;
    variable& v = *ln.value;
    auto e = detail::checked_entry(r, *key, v.type, v.shape, v.rule, live_path[bound[sid]]);
    if (!e) return std::move(e).error().in_file(r.prefix());
    if (auto ok = v.io->restore(v.object, r, *key, (*e)->info); !ok)
      return std::move(ok).error().at_key(*key).in_file(r.prefix());
    v.shape = (*e)->info.shape;
    if (v.type == dtype::invalid) v.type = (*e)->info.dtype;
    used[sid] = true;
    restored[bound[sid]] = true;
  }
  std::vector<bool> slot_restored(n, false);
  for (std::size_t sid = 0; sid < n; ++sid) {
    if (bound[sid] == no_live || !tree.node(bound[sid]).slots) continue;
    slot_table& table = *tree.node(bound[sid]).slots;
    for (const auto& ref : g.nodes[sid].slot_variables) {
      const auto orig = static_cast<std::size_t>(ref.original_variable_node_id);
      const auto slot = static_cast<std::size_t>(ref.slot_variable_node_id);
      if (bound[orig] == no_live || !tree.node(bound[orig]).value) continue;
      auto key = detail::value_key(g.nodes[slot], variable_value_name);
      if (!key) return std::move(key).error().in_file(r.prefix());
      if (key->empty()) continue;
      const variable& v = *tree.node(bound[orig]).value;
      const std::string& vpath = live_path[bound[orig]];
      auto e = detail::checked_entry(r, *key, v.type, v.shape, shape_rule::exact,
                                     slot_variable_path(vpath, live_path[bound[sid]], ref.slot_name));
      if (!e) return std::move(e).error().in_file(r.prefix());
      auto t = r.read(*key);
      if (!t) return std::move(t).error();
      table.set(vpath, ref.slot_name, std::move(*t));
      used[slot] = true;
      slot_restored[slot] = true;
      ++st.matched_nodes;
    }
  }
  for (std::size_t sid = 0; sid < n; ++sid) {
    if (g.nodes[sid].attributes.empty()) continue;
    if (bound[sid] == no_live && !slot_restored[sid]) st.unresolved_nodes.push_back(saved_path[sid]);
    if (!used[sid]) detail::unread_keys(r, g.nodes[sid], st.unused_values);
  }
  for (std::size_t id = 0; id < live->bfs_nodes; ++id)
    if (tree.node(live->live_index[id]).value && !restored[live->live_index[id]])
      st.unmatched_objects.push_back(live->paths[id]);
  std::set<std::string_view> restored_slots;  // slots the table held but nothing restored
  for (std::size_t sid = 0; sid < n; ++sid)
    if (slot_restored[sid]) restored_slots.insert(saved_path[sid]);
  for (std::size_t s = live->bfs_nodes; s < live->paths.size(); ++s)
    if (!restored_slots.count(live->paths[s])) st.unmatched_objects.push_back(live->paths[s]);
  return st;
}

}  // namespace tfckpt::detail
