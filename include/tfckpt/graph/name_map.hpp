// tfckpt graph layer: restore from a TF1 name-based checkpoint (no object graph; keys are TF1
// variable names such as `dense/kernel`, docs/format.md §10.3). Nothing in the file says which key
// belongs to which object, so the caller supplies the map explicitly: object path -> TF1 name.
// As in TF, the three assertions collapse into one check (everything restored, everything used).
#pragma once

#include <map>
#include <set>
#include <string>

#include "../bundle/reader.hpp"
#include "build.hpp"
#include "restore.hpp"

namespace tfckpt {

// object path (as `tfckpt graph` / the object graph would name it) -> TF1 variable name
using name_map = std::map<std::string, std::string>;

namespace detail {
using tfckpt::name_map;  // for code that still says graph::name_map

TFCKPT_LAZY result<restore_status> restore_by_names(live_tree& tree, const bundle_reader& r, const name_map& names) {
  auto live = build_object_graph(tree);
  if (!live) return std::move(live).error();
  restore_status st;
  st.checkpoint = r.prefix();
  st.name_based = true;
  std::set<std::string> used;
  for (const auto& [path, key] : names) {
    bool known = false;
    for (std::size_t id = 0; id < live->bfs_nodes; ++id) known = known || (live->paths[id] == path);
    if (!known) return make_error(errc::invalid_argument, "name map entry '" + path + "' is not an object path of the struct");
  }
  for (std::size_t id = 0; id < live->bfs_nodes; ++id) {
    live_node& ln = tree.node(live->live_index[id]);
    // TF1 checkpoints hold variables only: an attribute field has nothing to restore from.
    for (const auto& a : ln.attributes) st.unmatched_objects.push_back(attribute_key(live->paths[id], a.name));
    if (!ln.value) continue;
    const std::string& path = live->paths[id];
    auto it = names.find(path);
    if (it == names.end() || !r.find(it->second)) {
      st.unmatched_objects.push_back(path);
      continue;
    }
    variable& v = *ln.value;
    auto e = detail::checked_entry(r, it->second, v.type, v.shape, v.rule, path);
    if (!e) return std::move(e).error().in_file(r.prefix());
    if (auto ok = v.io->restore(v.object, r, it->second, (*e)->info); !ok)
      return std::move(ok).error().at_key(it->second).in_file(r.prefix());
    v.shape.assign((*e)->info.shape.begin(), (*e)->info.shape.end());
    used.insert(it->second);
    ++st.matched_nodes;
    ++st.restored;
  }
  for (const auto& e : r.entries())
    if (!used.count(std::string(e.key))) st.unused_values.emplace_back(e.key);
  st.unused = st.unused_values.size();
  return st;
}

}  // namespace detail
}  // namespace tfckpt
