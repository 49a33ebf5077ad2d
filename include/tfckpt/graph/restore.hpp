// tfckpt graph layer: restore a live tree from an object-based checkpoint the way TensorFlow
// does (docs/format.md §10.1): bind the saved root to the live root, then walk the saved graph
// breadth-first, binding each saved child to the live child with the same local name. Values are
// read through the bound node's own attribute `checkpoint_key`, never by guessing key strings, so
// a renamed field is reported, not silently mis-read. A dtype mismatch is an error (TF does not
// cast); a shape mismatch names both shapes. Besides a variable's VARIABLE_VALUE, an object's
// other attributes (tfckpt::attribute fields) are read the same way, each under its own name.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <utility>
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
TFCKPT_LAZY std::vector<std::string> saved_paths(const trackable_object_graph& g) {
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

TFCKPT_LAZY result<const entry*> checked_entry(const bundle_reader& r, const std::string& key, dtype want,
                                          const shape_t& shape, shape_rule rule, std::string_view path) {
  const entry* e = r.find(key);
  if (!e) return make_error(errc::not_found, "the object graph names a value that is not in the bundle").at_key(key);
  const entry_info& info = e->info;
  if (want != dtype::invalid && info.dtype != want)
    return make_error(errc::dtype_mismatch, std::string(path) + ": dtype " + std::string(dtype_name(info.dtype)) +
                                                " in checkpoint, " + std::string(dtype_name(want)) +
                                                " in struct (TensorFlow does not cast)").at_key(key);
  const bool ok = rule == shape_rule::any || (rule == shape_rule::any_length && info.shape.size() == 1) ||
                  (rule == shape_rule::exact && same_shape(info.shape, shape));
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
TFCKPT_LAZY result<std::string> value_key(const trackable_object& n, std::string_view tensor_name) {
  if (n.attributes.empty()) return std::string();
  const std::string& first = n.attributes.front().checkpoint_key;
  static constexpr std::string_view marker = ".ATTRIBUTES/";
  const auto at = first.find(marker);
  if (at == std::string::npos)
    return make_error(errc::corruption, "object graph attribute key without '.ATTRIBUTES/' (TensorFlow "
                                            "cannot restore it either)").at_key(first);
  return first.substr(0, at + marker.size()) + std::string(tensor_name);
}

// The bundle keys a node's attributes stand for, for the status: an attribute key present in the
// bundle names itself; otherwise every bundle key under the node's `.ATTRIBUTES/` prefix (the
// iterator case above); otherwise the recorded key as is.
TFCKPT_LAZY void unread_keys(const bundle_reader& r, const trackable_object& n, std::vector<std::string>& out) {
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
        keys.insert(std::string(it->key));
        any = true;
      }
    }
    if (!any) keys.insert(a.checkpoint_key);
  }
  out.insert(out.end(), keys.begin(), keys.end());
}

// A dtype or shape mismatch is collected (true) so a restore reports all of them at once.
TFCKPT_LAZY bool collect_mismatch(const error& e, std::vector<error>& out) {
  if (e.code != errc::dtype_mismatch && e.code != errc::shape_mismatch) return false;
  out.push_back(e);
  return true;
}

TFCKPT_LAZY error all_mismatches(std::vector<error> m) {
  if (m.size() == 1) return std::move(m.front());
  std::string msg = std::to_string(m.size()) + " values do not match the struct:";
  for (const auto& e : m) msg += "\n  key '" + error::printable(e.key) + "': " + e.message;
  return error(m.front().code, std::move(msg));
}

// The C++ field that would hold a stored value: `std::int64_t`, `tfckpt::fixed<float, 3>`, ...
TFCKPT_LAZY std::string field_type_for(const entry_info& e) {
  std::string el;
  switch (e.dtype) {
    case dtype::float32: el = "float"; break;
    case dtype::float64: el = "double"; break;
    case dtype::int8: el = "std::int8_t"; break;
    case dtype::int16: el = "std::int16_t"; break;
    case dtype::int32: el = "std::int32_t"; break;
    case dtype::int64: el = "std::int64_t"; break;
    case dtype::uint8: el = "std::uint8_t"; break;
    case dtype::uint16: el = "std::uint16_t"; break;
    case dtype::uint32: el = "std::uint32_t"; break;
    case dtype::uint64: el = "std::uint64_t"; break;
    case dtype::bool_: el = "bool"; break;
    case dtype::float16: el = "tfckpt::float16"; break;
    case dtype::bfloat16: el = "tfckpt::bfloat16"; break;
    case dtype::string:
      return e.shape.empty() ? "std::string" : e.shape.size() == 1 ? "std::vector<std::string>" : "tfckpt::tensor";
    default: return "tfckpt::tensor";
  }
  if (e.shape.empty()) return el;
  std::string t = "tfckpt::fixed<" + el;
  for (auto d : e.shape) t += ", " + std::to_string(d);
  return t + "> (or tfckpt::tensor_of<" + el + ">)";
}

TFCKPT_LAZY std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The tfckpt::attribute fields that would hold a saved object's attributes other than
// VARIABLE_VALUE whose keys are not in `read`: `tfckpt::attribute<"ITERATOR_STATE", tfckpt::tensor>
// (variant [2])`, joined by "; ". The name is the stored key's, which is not always the recorded
// attribute's (a tf.data iterator records ITERATOR and stores ITERATOR_STATE).
TFCKPT_LAZY std::string attribute_fields_for(const bundle_reader& r, const trackable_object& n,
                                             const std::set<std::string>& read) {
  std::vector<std::string> keys;
  detail::unread_keys(r, n, keys);
  std::string out;
  static constexpr std::string_view marker = "/.ATTRIBUTES/";
  for (const auto& k : keys) {
    const entry* e = r.find(k);
    const auto at = k.find(marker);
    if (!e || at == std::string::npos || read.count(k)) continue;
    const std::string name = unescape_local_name(std::string_view(k).substr(at + marker.size()));
    if (name == variable_value_name) continue;
    std::string type = field_type_for(e->info);
    type = type.substr(0, type.find(" (or "));  // one type, not the alternatives
    if (!out.empty()) out += "; ";
    out += "tfckpt::attribute<\"" + error::printable(name) + "\", " + type + "> (" +
           std::string(dtype_name(e->info.dtype)) + " " + shape_to_string(e->info.shape) + ")";
  }
  return out;
}

// What to declare for each checkpoint value nothing restored: its field type, a near-miss live
// path ("did you mean"), and for a node several edges reach, that it is shared.
TFCKPT_LAZY void add_hints(restore_status& st, const bundle_reader& r, const trackable_object_graph& g,
                      const std::vector<std::string>& saved_path, const std::vector<std::size_t>& unresolved) {
  std::vector<std::size_t> parents(g.nodes.size(), 0);
  for (const auto& node : g.nodes)
    for (const auto& c : node.children)
      if (c.node_id >= 0 && static_cast<std::size_t>(c.node_id) < g.nodes.size()) ++parents[static_cast<std::size_t>(c.node_id)];
  for (std::size_t sid : unresolved) {
    const std::string& path = saved_path[sid];
    std::string h = path + ": ";
    const auto& a = g.nodes[sid].attributes.front();
    if (path == "save_counter") {
      st.hints.push_back("save_counter: restore with tfckpt::restore() or checkpoint::restore(), which match it "
                         "(read() and restore_from_reader() leave it for the struct)");
      continue;
    }
    if (const entry* e = r.find(a.checkpoint_key); e && a.name == variable_value_name) {
      const auto slash = path.rfind('/');
      h += "declare `" + field_type_for(e->info) + " " +
           (slash == std::string::npos ? path : path.substr(slash + 1)) + "` (" +
           std::string(dtype_name(e->info.dtype)) + " " + shape_to_string(e->info.shape) + ")";
    } else if (const std::string fields = attribute_fields_for(r, g.nodes[sid], {}); !fields.empty()) {
      h += "not a variable: declare a struct for this object with the field(s) " + fields;
    } else {
      h += "attribute " + a.name + " is not in the bundle";
    }
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, path.size() / 4) + 1;
    for (const auto& live : st.unmatched_objects) {
      const std::size_t d = edit_distance(path, live);
      if (d < best_d) {
        best_d = d;
        best = live;
      }
    }
    if (!best.empty()) h += "; did you mean struct field '" + best + "'? (rename it, or TFCKPT_NAMES)";
    if (parents[sid] > 1)
      h += "; this object is shared (" + std::to_string(parents[sid]) +
           " edges reach it): declare it once where it is first reached and every other edge as tfckpt::ref<T> "
           "(extra names of the same field when the edges leave one object), or run `tfckpt struct`";
    st.hints.push_back(std::move(h));
  }
}


// What earlier rounds of a deferred restore (pending.hpp) restored, per saved node id. A round
// reads only what is not marked yet; its marks are kept only when it succeeds.
struct restore_progress {
  std::vector<bool> used;           // the node's value was read into a live object
  std::vector<bool> slot_restored;  // a slot node was restored into a slot table
  std::set<std::string> attribute_keys;  // keys read into tfckpt::attribute fields
};

// Whether the saved object records attribute `name` (then its value must be in the bundle).
inline bool records_attribute(const trackable_object& n, std::string_view name) {
  for (const auto& a : n.attributes)
    if (a.name == name) return true;
  return false;
}

// The attribute fields of one bound live node. `read` holds the keys read so far (this round
// and earlier ones), `restored` the (live node, attribute) pairs that hold a value. A saved
// object without the attribute leaves the field unmatched, as a missing child leaves a variable.
TFCKPT_LAZY result<void> restore_attributes(live_node& ln, std::size_t live, const trackable_object& saved,
                                       const bundle_reader& r, const std::string& path,
                                       std::set<std::string>& read,
                                       std::set<std::pair<std::size_t, std::size_t>>& restored,
                                       std::vector<error>& mismatches, restore_status& st) {
  for (std::size_t i = 0; i < ln.attributes.size(); ++i) {
    live_attribute& a = ln.attributes[i];
    // TF reads `<prefix>.ATTRIBUTES/` + the escaped tensor name (restore.py), as for variables.
    auto key = detail::value_key(saved, escape_local_name(a.name));
    if (!key) return std::move(key).error();
    if (key->empty()) continue;
    if (read.count(*key)) {  // an earlier round read it (into this object, or the one it was copied from)
      restored.insert({live, i});
      continue;
    }
    if (!r.find(*key)) {
      if (!records_attribute(saved, a.name)) continue;
      // Recorded but stored under other names: a tf.data iterator records ITERATOR and stores
      // ITERATOR_STATE. Say which field would hold what is there.
      const std::string fields = detail::attribute_fields_for(r, saved, {});
      return make_error(errc::not_found, attribute_key(path, a.name) + ": the object records attribute " + a.name +
                                             " but the bundle holds no value under its key" +
                                             (fields.empty() ? std::string() : "; it stores " + fields + ": declare that instead"))
          .at_key(*key);
    }
    variable& v = a.value;
    auto e = detail::checked_entry(r, *key, v.type, v.shape, v.rule, attribute_key(path, a.name));
    if (!e) {
      if (detail::collect_mismatch(e.error(), mismatches)) continue;
      return std::move(e).error();
    }
    if (auto ok = v.io->restore(v.object, r, *key, (*e)->info); !ok) return std::move(ok).error().at_key(*key);
    v.shape.assign((*e)->info.shape.begin(), (*e)->info.shape.end());
    if (v.type == dtype::invalid) v.type = (*e)->info.dtype;
    read.insert(*key);
    restored.insert({live, i});
    ++st.restored;
  }
  return {};
}

// Without `progress` a single round (every bound value is read); with it, values read by an
// earlier round are not read again: their live objects count as restored.
TFCKPT_LAZY result<restore_status> restore_tree(live_tree& tree, const bundle_reader& r,
                                           const trackable_object_graph& g,
                                           restore_progress* progress = nullptr) {
  auto live = build_object_graph(tree);  // live paths and the slot-table keys
  if (!live) return std::move(live).error();
  std::vector<std::string> live_path(tree.size());
  for (std::size_t id = 0; id < live->bfs_nodes; ++id) live_path[live->live_index[id]] = live->paths[id];

  const std::size_t n = g.nodes.size();
  const std::vector<std::size_t> bound = bind_saved(tree, g);  // breadth-first, by local name
  std::vector<bool> restored(tree.size(), false);
  // A node is consumed as a whole, as TF's _serialize_to_tensors restore does.
  std::vector<bool> used = progress && progress->used.size() == n ? progress->used : std::vector<bool>(n, false);
  std::vector<bool> slot_restored =
      progress && progress->slot_restored.size() == n ? progress->slot_restored : std::vector<bool>(n, false);
  std::set<std::string> read_attributes = progress ? progress->attribute_keys : std::set<std::string>{};
  std::set<std::pair<std::size_t, std::size_t>> attribute_restored;  // (live node, attribute index)
  restore_status st;
  st.checkpoint = r.prefix();
  const auto saved_path = detail::saved_paths(g);
  std::vector<error> mismatches;  // every dtype/shape mismatch, not just the first
  for (std::size_t sid = 0; sid < n; ++sid) {  // variables first: slots check against them
    if (bound[sid] == no_live) continue;
    ++st.matched_nodes;
    live_node& ln = tree.node(bound[sid]);
    if (auto ok = detail::restore_attributes(ln, bound[sid], g.nodes[sid], r, live_path[bound[sid]], read_attributes,
                                             attribute_restored, mismatches, st);
        !ok)
      return std::move(ok).error().in_file(r.prefix());
    if (!ln.value) continue;
    if (used[sid]) {  // an earlier round read it (into this object, or the one it was copied from)
      restored[bound[sid]] = true;
      continue;
    }
    auto key = detail::value_key(g.nodes[sid], variable_value_name);
    if (!key) return std::move(key).error().in_file(r.prefix());
    if (key->empty()) continue;
    variable& v = *ln.value;
    auto e = detail::checked_entry(r, *key, v.type, v.shape, v.rule, live_path[bound[sid]]);
    if (!e) {
      if (detail::collect_mismatch(e.error(), mismatches)) continue;  // reported all at once below
      return std::move(e).error().in_file(r.prefix());
    }
    if (auto ok = v.io->restore(v.object, r, *key, (*e)->info); !ok)
      return std::move(ok).error().at_key(*key).in_file(r.prefix());
    v.shape.assign((*e)->info.shape.begin(), (*e)->info.shape.end());
    if (v.type == dtype::invalid) v.type = (*e)->info.dtype;
    used[sid] = true;
    restored[bound[sid]] = true;
    ++st.restored;
  }
  for (std::size_t sid = 0; sid < n; ++sid) {
    if (bound[sid] == no_live || !tree.node(bound[sid]).slots) continue;
    slot_table& table = *tree.node(bound[sid]).slots;
    for (const auto& ref : g.nodes[sid].slot_variables) {
      const auto orig = static_cast<std::size_t>(ref.original_variable_node_id);
      const auto slot = static_cast<std::size_t>(ref.slot_variable_node_id);
      if (bound[orig] == no_live || !tree.node(bound[orig]).value) continue;
      if (slot_restored[slot]) {  // an earlier round
        ++st.matched_nodes;
        continue;
      }
      auto key = detail::value_key(g.nodes[slot], variable_value_name);
      if (!key) return std::move(key).error().in_file(r.prefix());
      if (key->empty()) continue;
      const variable& v = *tree.node(bound[orig]).value;
      const std::string& vpath = live_path[bound[orig]];
      auto e = detail::checked_entry(r, *key, v.type, v.shape, shape_rule::exact,
                                     slot_variable_path(vpath, live_path[bound[sid]], ref.slot_name));
      if (!e) {
        if (detail::collect_mismatch(e.error(), mismatches)) continue;
        return std::move(e).error().in_file(r.prefix());
      }
      auto t = r.read(*key);
      if (!t) return std::move(t).error();
      table.set(vpath, ref.slot_name, std::move(*t));
      used[slot] = true;
      slot_restored[slot] = true;
      ++st.matched_nodes;
      ++st.restored;
    }
  }
  if (!mismatches.empty()) return detail::all_mismatches(std::move(mismatches)).in_file(r.prefix());
  if (progress) *progress = restore_progress{used, slot_restored, read_attributes};
  std::vector<std::size_t> unresolved_ids;
  for (std::size_t sid = 0; sid < n; ++sid) {
    if (g.nodes[sid].attributes.empty()) continue;
    if (bound[sid] == no_live && !slot_restored[sid]) {
      st.unresolved_nodes.push_back(saved_path[sid]);
      unresolved_ids.push_back(sid);
    }
    if (used[sid]) continue;
    std::vector<std::string> keys;
    detail::unread_keys(r, g.nodes[sid], keys);
    for (auto& k : keys)
      if (!read_attributes.count(k)) st.unused_values.push_back(std::move(k));
    // A bound object whose attributes no field holds: say which fields would.
    if (bound[sid] != no_live && !tree.node(bound[sid]).value)
      if (const std::string fields = detail::attribute_fields_for(r, g.nodes[sid], read_attributes); !fields.empty())
        st.hints.push_back(saved_path[sid] + ": declare the field(s) " + fields + " in the struct of " +
                           (live_path[bound[sid]].empty() ? std::string("the root") : "'" + live_path[bound[sid]] + "'"));
  }
  for (std::size_t id = 0; id < live->bfs_nodes; ++id) {
    const std::size_t ln = live->live_index[id];
    if (tree.node(ln).value && !restored[ln]) st.unmatched_objects.push_back(live->paths[id]);
    const auto& attrs = tree.node(ln).attributes;
    for (std::size_t i = 0; i < attrs.size(); ++i)
      if (!attribute_restored.count({ln, i})) st.unmatched_objects.push_back(attribute_key(live->paths[id], attrs[i].name));
  }
  std::set<std::string_view> restored_slots;  // slots the table held but nothing restored
  for (std::size_t sid = 0; sid < n; ++sid)
    if (slot_restored[sid]) restored_slots.insert(saved_path[sid]);
  for (std::size_t s = live->bfs_nodes; s < live->paths.size(); ++s)
    if (!restored_slots.count(live->paths[s])) st.unmatched_objects.push_back(live->paths[s]);
  detail::add_hints(st, r, g, saved_path, unresolved_ids);
  st.unused = st.unused_values.size();
  st.graph_checked = true;
  return st;
}

}  // namespace tfckpt::detail
