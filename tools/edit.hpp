// tfckpt CLI: checkpoint-to-checkpoint commands that keep the object graph and every dtype.
//
//   merge OUT IN...         bundles from several writers into one (library merge_bundles; the
//                           inputs are copied first unless --move)
//   filter IN OUT           drop tensors (--keep/--filter, --drop, --no-optimizer); objects left
//                           without values leave the object graph, so TF restores OUT with
//                           assert_consumed() into the objects that remain
//   rename IN OUT --map     regex on object paths; graph edges and keys follow
//   stats IN                per tensor min/max/mean/std, NaN/Inf counts, zero fraction
//
// Keys of the written checkpoints are what TF would write for the new graph: an attribute's key
// is <shortest path from the root>/.ATTRIBUTES/<name> (slot variables: <variable path>/
// .OPTIMIZER_SLOT/<optimizer path>/<slot>/.ATTRIBUTES/<name>), recomputed after the graph changed.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <tfckpt/bundle/merge.hpp>
#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/bundle/writer.hpp>
#include <tfckpt/format/object_graph_proto.hpp>
#include <tfckpt/graph/keys.hpp>

#include "cli_json.hpp"
#include "convert_common.hpp"
#include "numpy_format.hpp"
#include "object_roles.hpp"

namespace tfckpt_edit {

using tfckpt::errc;
using tfckpt::make_error;
using tfckpt::result;
using tfckpt::trackable_object_graph;
using tfckpt_cli::json;
using tfckpt_cli::report;

// ---- keys of a graph ----------------------------------------------------------------------------

// TF's object paths: breadth-first over child edges in their stored order, each object named by
// the first path that reaches it. Empty optional: not reachable by child edges (slot variables).
inline std::vector<std::optional<std::string>> child_paths(const trackable_object_graph& g) {
  std::vector<std::optional<std::string>> p(g.nodes.size());
  if (g.nodes.empty()) return p;
  p[0] = std::string();
  std::deque<std::size_t> q{0};
  while (!q.empty()) {
    const auto u = q.front();
    q.pop_front();
    for (const auto& c : g.nodes[u].children) {
      if (c.node_id < 0 || static_cast<std::size_t>(c.node_id) >= g.nodes.size()) continue;
      const auto v = static_cast<std::size_t>(c.node_id);
      if (p[v]) continue;
      p[v] = tfckpt::child_path(*p[u], c.local_name);
      q.push_back(v);
    }
  }
  return p;
}

// The path part of each node's keys, as TF derives it: a child path, or the slot path of a slot
// variable (<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<slot>).
inline std::vector<std::optional<std::string>> key_paths(const trackable_object_graph& g) {
  auto p = child_paths(g);
  for (std::size_t o = 0; o < g.nodes.size(); ++o)
    for (const auto& s : g.nodes[o].slot_variables) {
      const auto v = static_cast<std::size_t>(s.original_variable_node_id);
      const auto sl = static_cast<std::size_t>(s.slot_variable_node_id);
      if (v >= g.nodes.size() || sl >= g.nodes.size() || p[sl] || !p[v] || !p[o]) continue;
      p[sl] = tfckpt::slot_variable_path(*p[v], *p[o], s.slot_name);
    }
  return p;
}

// After the graph changed (new node i was old node old_of[i]), rewrites every attribute key that
// was TF's key for the old graph to TF's key for the new one. `renamed`: old key -> new key.
inline result<void> rekey(const trackable_object_graph& old_g, trackable_object_graph& new_g,
                          const std::vector<std::size_t>& old_of, std::map<std::string, std::string>& renamed) {
  const auto old_p = key_paths(old_g);
  const auto new_p = key_paths(new_g);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < new_g.nodes.size(); ++i) {
    for (auto& a : new_g.nodes[i].attributes) {
      const auto& op = old_p[old_of[i]];
      const std::string marker(tfckpt::attributes_marker);
      if (op && new_p[i] && a.checkpoint_key.size() >= op->size() + marker.size() &&
          a.checkpoint_key.compare(0, op->size(), *op) == 0 &&
          a.checkpoint_key.compare(op->size(), marker.size(), marker) == 0 && *op != *new_p[i]) {
        std::string k = *new_p[i] + a.checkpoint_key.substr(op->size());
        renamed[a.checkpoint_key] = k;
        a.checkpoint_key = std::move(k);
      }
      if (!seen.insert(a.checkpoint_key).second)
        return make_error(errc::invalid_argument, "two objects would save under the same key").at_key(a.checkpoint_key);
    }
  }
  return {};
}

// Writes `keys` of `r` (old key -> new key, new keys distinct) and `graph` (if any) to `out`.
inline result<std::uint64_t> write_copy(const tfckpt::bundle_reader& r, const std::map<std::string, std::string>& keys,
                                        const trackable_object_graph* graph, const std::string& out) {
  auto w = tfckpt::bundle_writer::create(out);
  if (!w) return std::move(w).error();
  std::uint64_t bytes = 0;
  for (const auto& [old_key, new_key] : keys) {
    auto t = r.read(old_key);
    if (!t) return std::move(t).error();
    bytes += t->bytes().size();
    TFCKPT_TRY(w->add(new_key, *t));
  }
  if (graph) {
    const std::vector<std::string> proto{tfckpt::encode_object_graph(*graph)};
    TFCKPT_TRY(w->add_strings(tfckpt::object_graph_key, {}, std::span<const std::string>(proto)));
  }
  TFCKPT_TRY(w->finish());
  return bytes;
}

inline bool same_prefix(const tfckpt::bundle_reader& r, const std::string& out) {
  std::error_code ec;
  return std::filesystem::weakly_canonical(r.prefix(), ec) == std::filesystem::weakly_canonical(out, ec);
}

// ---- filter -------------------------------------------------------------------------------------

struct filter_options {
  tfckpt_convert::selection keep;  // --keep/--filter REGEX, --no-optimizer
  std::optional<std::regex> drop;
};

struct filter_plan {
  std::map<std::string, std::string> keys;  // kept: old -> new key
  std::vector<std::string> dropped;
  std::optional<trackable_object_graph> graph;
  std::size_t objects_removed = 0;
};

inline result<filter_plan> plan_filter(const tfckpt::bundle_reader& r, const filter_options& o) {
  filter_plan p;
  std::optional<trackable_object_graph> g;
  tfckpt_convert::object_roles roles;
  if (r.has_object_graph()) {
    auto og = r.object_graph();
    if (!og) return std::move(og).error();
    g = std::move(*og);
    roles = tfckpt_convert::classify_objects(*g);
  }
  auto is_save_counter = [](const std::string& k) { return k == "save_counter" || k.rfind("save_counter/", 0) == 0; };
  auto kept = [&](const std::string& k) {
    if (o.keep.no_optimizer && !is_save_counter(k)) {
      if (g ? roles.optimizer_keys.count(k) > 0 : tfckpt_convert::is_optimizer_key(k)) return false;
    }
    if (o.keep.filter && !std::regex_search(k, *o.keep.filter)) return false;
    if (o.drop && std::regex_search(k, *o.drop)) return false;
    return true;
  };
  for (const auto& e : r.entries()) {
    const std::string key(e.key);
    if (key == tfckpt::object_graph_key) continue;
    if (kept(key)) p.keys.emplace(key, key);
    else p.dropped.push_back(key);
  }
  if (!g) return p;

  // Objects that lose every value leave the graph, then every object no longer reachable.
  const std::size_t n = g->nodes.size();
  std::vector<char> removed(n, 0);
  if (o.keep.no_optimizer)
    for (std::size_t i = 1; i < n; ++i) removed[i] = !roles.model_reachable[i];
  std::vector<char> had(n, 0), has(n, 0);  // values in the object or below it, before / after
  std::vector<std::vector<std::size_t>> parents(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& c : g->nodes[i].children)
      if (c.node_id >= 0 && static_cast<std::size_t>(c.node_id) < n) parents[static_cast<std::size_t>(c.node_id)].push_back(i);
    for (const auto& a : g->nodes[i].attributes) {
      had[i] = 1;
      if (p.keys.count(a.checkpoint_key)) has[i] = 1;
    }
  }
  for (std::vector<char>* v : {&had, &has}) {  // propagate to ancestors
    std::deque<std::size_t> q;
    for (std::size_t i = 0; i < n; ++i)
      if ((*v)[i]) q.push_back(i);
    while (!q.empty()) {
      const auto u = q.front();
      q.pop_front();
      for (auto par : parents[u])
        if (!(*v)[par] && !(v == &has && removed[par])) (*v)[par] = 1, q.push_back(par);
    }
  }
  for (std::size_t i = 1; i < n; ++i)
    if (had[i] && !has[i]) removed[i] = 1;
  // Reachable from the root over kept objects (children and slot edges of kept variables).
  std::vector<char> reach(n, 0);
  reach[0] = 1;
  std::deque<std::size_t> q{0};
  auto ok_node = [&](std::int32_t id) { return id >= 0 && static_cast<std::size_t>(id) < n && !removed[static_cast<std::size_t>(id)]; };
  while (!q.empty()) {
    const auto u = q.front();
    q.pop_front();
    auto visit = [&](std::int32_t id) {
      if (!ok_node(id) || reach[static_cast<std::size_t>(id)]) return;
      reach[static_cast<std::size_t>(id)] = 1;
      q.push_back(static_cast<std::size_t>(id));
    };
    for (const auto& c : g->nodes[u].children) visit(c.node_id);
    for (const auto& s : g->nodes[u].slot_variables)
      if (ok_node(s.original_variable_node_id)) visit(s.slot_variable_node_id);
  }
  std::vector<std::int32_t> new_id(n, -1);
  std::vector<std::size_t> old_of;
  for (std::size_t i = 0; i < n; ++i)
    if (reach[i]) new_id[i] = static_cast<std::int32_t>(old_of.size()), old_of.push_back(i);
  p.objects_removed = n - old_of.size();
  trackable_object_graph ng;
  for (auto i : old_of) {
    tfckpt::trackable_object node = g->nodes[i];
    std::erase_if(node.children, [&](const tfckpt::object_reference& c) {
      return c.node_id < 0 || static_cast<std::size_t>(c.node_id) >= n || new_id[static_cast<std::size_t>(c.node_id)] < 0;
    });
    for (auto& c : node.children) c.node_id = new_id[static_cast<std::size_t>(c.node_id)];
    std::erase_if(node.slot_variables, [&](const tfckpt::slot_variable_reference& s) {
      return !ok_node(s.original_variable_node_id) || !ok_node(s.slot_variable_node_id) ||
             new_id[static_cast<std::size_t>(s.original_variable_node_id)] < 0 ||
             new_id[static_cast<std::size_t>(s.slot_variable_node_id)] < 0;
    });
    for (auto& s : node.slot_variables) {
      s.original_variable_node_id = new_id[static_cast<std::size_t>(s.original_variable_node_id)];
      s.slot_variable_node_id = new_id[static_cast<std::size_t>(s.slot_variable_node_id)];
    }
    std::erase_if(node.attributes, [&](const tfckpt::serialized_tensor& a) { return !p.keys.count(a.checkpoint_key); });
    if (node.has_checkpoint_values) node.has_checkpoint_values = has[i] != 0;
    ng.nodes.push_back(std::move(node));
  }
  // Tensors of removed objects go too (a kept key can belong only to a removed object).
  std::set<std::string> in_graph;
  for (const auto& node : ng.nodes)
    for (const auto& a : node.attributes) in_graph.insert(a.checkpoint_key);
  std::set<std::string> attr_keys;
  for (const auto& node : g->nodes)
    for (const auto& a : node.attributes) attr_keys.insert(a.checkpoint_key);
  for (auto it = p.keys.begin(); it != p.keys.end();) {
    if (attr_keys.count(it->first) && !in_graph.count(it->first)) {
      p.dropped.push_back(it->first);
      it = p.keys.erase(it);
    } else {
      ++it;
    }
  }
  std::map<std::string, std::string> renamed;
  TFCKPT_TRY(rekey(*g, ng, old_of, renamed));
  for (auto& [old_key, new_key] : p.keys)
    if (auto it = renamed.find(old_key); it != renamed.end()) new_key = it->second;
  std::sort(p.dropped.begin(), p.dropped.end());
  p.graph = std::move(ng);
  return p;
}

inline int run_filter(const std::string& in, const std::string& out, const filter_options& o, report& rep) {
  auto r = tfckpt::bundle_reader::open(in);
  if (!r) return rep.error(r.error()), 1;
  if (same_prefix(*r, out)) return rep.usage("filter: OUT must differ from IN"), 2;
  auto p = plan_filter(*r, o);
  if (!p) return rep.error(std::move(p).error().in_file(r->prefix())), 1;
  if (p->keys.empty())
    return rep.error(make_error(errc::invalid_argument, "filter: every tensor would be dropped").in_file(r->prefix())), 1;
  auto b = write_copy(*r, p->keys, p->graph ? &*p->graph : nullptr, out);
  if (!b) return rep.error(b.error()), 1;
  std::fprintf(stderr, "tfckpt: wrote %zu tensor(s) to %s, dropped %zu tensor(s) and %zu object(s)\n", p->keys.size(),
               out.c_str(), p->dropped.size(), p->objects_removed);
  if (rep.as_json()) {
    json kept = json::array(), dropped = json::array();
    for (const auto& [k, nk] : p->keys) {
      json j = json::object();
      tfckpt_cli::put_key(j, "key", nk);
      if (nk != k) tfckpt_cli::put_key(j, "was", k);
      kept.push_back(std::move(j));
    }
    for (const auto& k : p->dropped) dropped.push_back(tfckpt_cli::json_text(k));
    rep.field("prefix", tfckpt_cli::json_text(out));
    rep.field_text("kept", tfckpt_cli::dump_lines(kept));
    rep.field_text("dropped", tfckpt_cli::dump_lines(dropped));
    rep.field("objects_removed", p->objects_removed);
    rep.field("bytes", *b);
  }
  return 0;
}

// ---- rename -------------------------------------------------------------------------------------

struct rename_rule {
  std::regex from;
  std::string to;
};

inline std::string apply_rules(const std::vector<rename_rule>& rules, std::string s) {
  for (const auto& r : rules) s = std::regex_replace(s, r.from, r.to);
  return s;
}

inline result<std::map<std::string, std::string>> plan_rename(const tfckpt::bundle_reader& r,
                                                              const std::vector<rename_rule>& rules,
                                                              std::optional<trackable_object_graph>& graph_out) {
  std::map<std::string, std::string> keys;
  if (!r.has_object_graph()) {  // TF1 name-based: the rules apply to whole keys
    std::set<std::string> seen;
    for (const auto& e : r.entries()) {
      std::string k = apply_rules(rules, std::string(e.key));
      if (k.empty()) return make_error(errc::invalid_argument, "rename maps the key to an empty key").at_key(e.key);
      if (!seen.insert(k).second) return make_error(errc::invalid_argument, "rename maps two keys to '" + k + "'").at_key(e.key);
      keys.emplace(e.key, std::move(k));
    }
    return keys;
  }
  auto og = r.object_graph();
  if (!og) return std::move(og).error();
  const trackable_object_graph& g = *og;
  trackable_object_graph ng = g;
  const auto paths = child_paths(g);
  // The tree edge of each object (the first BFS edge): its local name is what the rules change.
  const std::size_t n = g.nodes.size();
  std::vector<std::optional<std::string>> new_path(n);
  new_path[0] = std::string();
  std::deque<std::size_t> q{0};
  std::vector<char> seen(n, 0);
  seen[0] = 1;
  while (!q.empty()) {
    const auto u = q.front();
    q.pop_front();
    for (std::size_t j = 0; j < g.nodes[u].children.size(); ++j) {
      const auto& c = g.nodes[u].children[j];
      if (c.node_id < 0 || static_cast<std::size_t>(c.node_id) >= n || seen[static_cast<std::size_t>(c.node_id)]) continue;
      const auto v = static_cast<std::size_t>(c.node_id);
      seen[v] = 1;
      q.push_back(v);
      const std::string want = apply_rules(rules, *paths[v]);
      const std::string& parent = *new_path[u];
      const std::string head = parent.empty() ? std::string() : parent + "/";
      if (want.size() <= head.size() || want.compare(0, head.size(), head) != 0 ||
          want.find('/', head.size()) != std::string::npos)
        return make_error(errc::invalid_argument, "rename maps object path '" + *paths[v] + "' to '" + want +
                                                      "', which is not a sibling of its parent's new path '" + parent +
                                                      "' (only the last component of a path can change)");
      new_path[v] = want;
      ng.nodes[u].children[j].local_name = tfckpt_convert::unescape_local_name(want.substr(head.size()));
    }
  }
  for (std::size_t i = 0; i < n; ++i) {  // two children of one object with one name
    std::set<std::string> before, after;
    for (const auto& c : g.nodes[i].children) before.insert(c.local_name);
    for (const auto& c : ng.nodes[i].children) after.insert(c.local_name);
    if (after.size() < before.size())
      return make_error(errc::invalid_argument, "rename gives two children of one object the same name")
          .at_key(paths[i] ? *paths[i] : std::string());
  }
  std::vector<std::size_t> same(n);
  for (std::size_t i = 0; i < n; ++i) same[i] = i;
  std::map<std::string, std::string> renamed;
  TFCKPT_TRY(rekey(g, ng, same, renamed));
  for (const auto& e : r.entries()) {
    if (e.key == tfckpt::object_graph_key) continue;
    auto it = renamed.find(std::string(e.key));
    keys.emplace(e.key, it == renamed.end() ? std::string(e.key) : it->second);
  }
  std::set<std::string> distinct;
  for (const auto& [k, nk] : keys)
    if (!distinct.insert(nk).second) return make_error(errc::invalid_argument, "rename maps two keys to one").at_key(nk);
  graph_out = std::move(ng);
  return keys;
}

inline int run_rename(const std::string& in, const std::string& out, const std::vector<rename_rule>& rules, report& rep) {
  auto r = tfckpt::bundle_reader::open(in);
  if (!r) return rep.error(r.error()), 1;
  if (same_prefix(*r, out)) return rep.usage("rename: OUT must differ from IN"), 2;
  std::optional<trackable_object_graph> g;
  auto keys = plan_rename(*r, rules, g);
  if (!keys) return rep.error(std::move(keys).error().in_file(r->prefix())), 1;
  auto b = write_copy(*r, *keys, g ? &*g : nullptr, out);
  if (!b) return rep.error(b.error()), 1;
  std::size_t changed = 0;
  json list = json::array();
  for (const auto& [k, nk] : *keys) {
    if (k == nk) continue;
    ++changed;
    json j = json::object();
    tfckpt_cli::put_key(j, "from", k);
    tfckpt_cli::put_key(j, "to", nk);
    list.push_back(std::move(j));
  }
  std::fprintf(stderr, "tfckpt: wrote %zu tensor(s) to %s, %zu key(s) renamed\n", keys->size(), out.c_str(), changed);
  if (rep.as_json()) {
    rep.field("prefix", tfckpt_cli::json_text(out));
    rep.field("tensors", keys->size());
    rep.field_text("renamed", tfckpt_cli::dump_lines(list));
  }
  return 0;
}

// ---- merge --------------------------------------------------------------------------------------

inline result<void> copy_file(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return make_error(errc::io_error, "copy to " + to + " failed: " + ec.message()).in_file(from);
  return {};
}

inline int run_merge(const std::string& out, const std::vector<std::string>& inputs, bool move, report& rep) {
  std::vector<std::string> prefixes;
  for (const auto& in : inputs) {
    auto r = tfckpt::bundle_reader::open(in);
    if (!r) return rep.error(r.error()), 1;
    if (same_prefix(*r, out)) return rep.usage("merge: OUT must differ from every input"), 2;
    prefixes.push_back(r->prefix());
  }
  std::string tmp;
  std::vector<std::string> sources = prefixes;
  if (!move) {  // copies next to OUT (renames must stay on one filesystem); merge moves them
    if (const auto dir = std::filesystem::path(out).parent_path(); !dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) return rep.error(make_error(errc::io_error, "cannot create directory: " + ec.message()).in_file(dir.string())), 1;
    }
    tmp = out + ".tfckpt-merge-" + std::to_string(::getpid());
    std::error_code ec;
    std::filesystem::create_directory(tmp, ec);
    if (ec) return rep.error(make_error(errc::io_error, "cannot create " + tmp + ": " + ec.message())), 1;
    for (std::size_t i = 0; i < prefixes.size(); ++i) {
      auto r = tfckpt::bundle_reader::open(prefixes[i]);
      if (!r) return std::filesystem::remove_all(tmp, ec), rep.error(r.error()), 1;
      const std::string copy = tmp + "/in" + std::to_string(i);
      auto ok = copy_file(tfckpt::index_filename(prefixes[i]), tfckpt::index_filename(copy));
      for (std::int32_t s = 0; ok && s < r->header().num_shards; ++s)
        ok = copy_file(tfckpt::data_filename(prefixes[i], s, r->header().num_shards),
                       tfckpt::data_filename(copy, s, r->header().num_shards));
      if (!ok) return std::filesystem::remove_all(tmp, ec), rep.error(ok.error()), 1;
      sources[i] = copy;
    }
  }
  auto m = tfckpt::merge_bundles(sources, out);
  if (!tmp.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
  }
  if (!m) return rep.error(m.error()), 1;
  auto r = tfckpt::bundle_reader::open(out);
  if (!r) return rep.error(r.error()), 1;
  std::fprintf(stderr, "tfckpt: merged %zu checkpoint(s) into %s: %zu tensor(s), %d data file(s)\n", inputs.size(),
               out.c_str(), r->entries().size(), r->header().num_shards);
  if (rep.as_json()) {
    rep.field("prefix", tfckpt_cli::json_text(out));
    rep.field("inputs", inputs.size());
    rep.field("tensors", r->entries().size());
    rep.field("shards", r->header().num_shards);
  }
  return 0;
}

// ---- stats --------------------------------------------------------------------------------------

struct tensor_stats {
  bool numeric = false;
  std::uint64_t count = 0, finite = 0, nan = 0, inf = 0, zeros = 0;
  double min = 0, max = 0, mean = 0, m2 = 0;
  bool exact_int = false;  // integers: min/max exact below
  std::int64_t imin = 0, imax = 0;
  std::uint64_t umin = 0, umax = 0;
  bool is_unsigned = false;
};

inline tensor_stats compute_stats(const tfckpt::tensor& t) {
  using namespace tfckpt_cli;
  tensor_stats s;
  const ecat c = category_of(t.dtype());
  if (c == ecat::bytes) return s;
  s.numeric = true;
  const auto n = static_cast<std::size_t>(std::max<std::int64_t>(0, t.num_elements()));
  s.count = n;
  s.exact_int = c == ecat::signed_int || c == ecat::unsigned_int || c == ecat::boolean;
  s.is_unsigned = c == ecat::unsigned_int || c == ecat::boolean;
  for (std::size_t i = 0; i < n; ++i) {
    double x = 0;
    switch (c) {
      case ecat::floating: x = float_at(t, i); break;
      case ecat::complex: {
        const auto [re, im] = complex_at(t, i);
        x = std::hypot(re, im);
        if (re == 0 && im == 0) x = 0;
        break;
      }
      case ecat::signed_int: {
        const std::int64_t v = signed_at(t, i);
        if (s.finite == 0 || v < s.imin) s.imin = v;
        if (s.finite == 0 || v > s.imax) s.imax = v;
        x = static_cast<double>(v);
        break;
      }
      case ecat::unsigned_int: case ecat::boolean: {
        const std::uint64_t v = c == ecat::boolean ? bool_at(t, i) : unsigned_at(t, i);
        if (s.finite == 0 || v < s.umin) s.umin = v;
        if (s.finite == 0 || v > s.umax) s.umax = v;
        x = static_cast<double>(v);
        break;
      }
      case ecat::bytes: break;
    }
    if (x == 0) ++s.zeros;
    if (std::isnan(x)) {
      ++s.nan;
      continue;
    }
    if (std::isinf(x)) {
      ++s.inf;
      continue;
    }
    if (s.finite == 0 || x < s.min) s.min = x;
    if (s.finite == 0 || x > s.max) s.max = x;
    ++s.finite;
    const double d = x - s.mean;  // Welford
    s.mean += d / static_cast<double>(s.finite);
    s.m2 += d * (x - s.mean);
  }
  return s;
}

inline json stats_json(std::string_view key, const tfckpt::tensor& t, const tensor_stats& s) {
  json j = json::object();
  tfckpt_cli::put_key(j, "key", key);
  j["dtype"] = std::string(tfckpt::dtype_name(t.dtype()));
  j["shape"] = tfckpt_cli::shape_json(t.shape());
  j["elements"] = s.count;
  const bool any = s.numeric && s.finite > 0;
  if (any && s.exact_int && s.is_unsigned) j["min"] = s.umin, j["max"] = s.umax;
  else if (any && s.exact_int) j["min"] = s.imin, j["max"] = s.imax;
  else if (any) j["min"] = s.min, j["max"] = s.max;
  else j["min"] = nullptr, j["max"] = nullptr;
  j["mean"] = any ? json(s.mean) : json(nullptr);
  j["std"] = any ? json(std::sqrt(s.m2 / static_cast<double>(s.finite))) : json(nullptr);
  j["nan"] = s.numeric ? json(s.nan) : json(nullptr);
  j["inf"] = s.numeric ? json(s.inf) : json(nullptr);
  j["zero_fraction"] = s.numeric && s.count > 0 ? json(static_cast<double>(s.zeros) / static_cast<double>(s.count)) : json(nullptr);
  return j;
}

inline int cmd_stats(const tfckpt::bundle_reader& r, const tfckpt_convert::selection& sel, report& rep) {
  int rc = 0;
  std::string text;
  rep.open_array("tensors");
  auto g = [](const json& v) {
    if (v.is_null()) return std::string("-");
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
    return std::string(buf);
  };
  for (const auto& e : r.entries()) {
    if (e.key == tfckpt::object_graph_key || !sel.selects(std::string(e.key))) continue;
    auto t = r.read(e.key);
    if (!t) {
      rep.error(t.error());
      rc = 1;
      continue;
    }
    const json j = stats_json(e.key, *t, compute_stats(*t));
    if (rep.as_json()) {
      rep.element(tfckpt_cli::dump(j, -1));
      continue;
    }
    text += tfckpt::error::printable(e.key) + "  " + std::string(tfckpt::dtype_name(t->dtype())) + " " +
            tfckpt::shape_to_string(t->shape()) + "  min " + g(j["min"]) + "  max " + g(j["max"]) + "  mean " +
            g(j["mean"]) + "  std " + g(j["std"]) + "  nan " + g(j["nan"]) + "  inf " + g(j["inf"]) + "  zeros " +
            g(j["zero_fraction"]) + "\n";
  }
  rep.close_array();
  tfckpt_cli::out(text);
  return rc;
}

}  // namespace tfckpt_edit
