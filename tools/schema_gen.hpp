// tfckpt CLI: `tfckpt schema PATH [--name NAME] [--with-save-counter] [--with-object-graph]`
// emits a C++ header with the constexpr schema of a checkpoint (tfckpt/reflect/schema_entry.hpp), so a
// build can `static_assert(tfckpt::matches<MyStruct>(NAME))` against a checkpoint it ships.
// Object paths come from the object graph (breadth-first from the root, the first path reaching a
// node names it, slot variables `<variable>/.OPTIMIZER_SLOT/<optimizer>/<slot>`, as
// graph/build.hpp writes them); keys, dtypes and shapes from the bundle. Keys the graph does not
// reach (or every key, for a TF1 checkpoint) take the text before "/.ATTRIBUTES/" as their path.
#pragma once

#include <cstdio>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/graph/keys.hpp>
#include <tfckpt/reflect/schema_entry.hpp>


namespace tfckpt_tool {

struct schema_gen_options {
  std::string name = "checkpoint_schema";
  bool with_save_counter = false;
  bool with_object_graph = false;
};

// A C++ string literal: printable ASCII kept, everything else as 3-digit octal escapes (which,
// unlike \x, cannot swallow a following digit).
inline std::string cpp_literal(std::string_view s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f && c != '?') {  // '?' would risk trigraph-like sequences
      o += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      o += buf;
    }
  }
  return o + "\"";
}

inline bool is_identifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

inline std::string dtype_identifier(tfckpt::dtype t) {
  if (t == tfckpt::dtype::bool_) return "tfckpt::dtype::bool_";
  const std::string_view n = tfckpt::dtype_name(t);
  if (n == "unknown") return "static_cast<tfckpt::dtype>(" + std::to_string(static_cast<int>(t)) + ")";
  return "tfckpt::dtype::" + std::string(n);
}

// checkpoint key -> object path, from the saved object graph.
inline std::map<std::string, std::string> paths_by_key(const tfckpt::trackable_object_graph& g) {
  std::map<std::string, std::string> out;
  const std::size_t n = g.nodes.size();
  if (n == 0) return out;
  std::vector<std::string> path(n);
  std::vector<bool> seen(n, false);
  std::deque<std::size_t> queue{0};
  seen[0] = true;
  while (!queue.empty()) {
    const std::size_t id = queue.front();
    queue.pop_front();
    for (const auto& c : g.nodes[id].children) {
      const auto child = static_cast<std::size_t>(c.node_id);
      if (c.node_id < 0 || child >= n || seen[child]) continue;
      seen[child] = true;
      path[child] = tfckpt::child_path(path[id], c.local_name);
      queue.push_back(child);
    }
  }
  for (std::size_t opt = 0; opt < n; ++opt) {
    if (!seen[opt]) continue;
    for (const auto& sv : g.nodes[opt].slot_variables) {
      const auto var = static_cast<std::size_t>(sv.original_variable_node_id);
      const auto slot = static_cast<std::size_t>(sv.slot_variable_node_id);
      if (sv.original_variable_node_id < 0 || sv.slot_variable_node_id < 0 || var >= n || slot >= n) continue;
      if (!seen[var] || seen[slot]) continue;
      seen[slot] = true;
      path[slot] = tfckpt::slot_variable_path(path[var], path[opt], sv.slot_name);
    }
  }
  for (std::size_t id = 0; id < n; ++id) {
    if (!seen[id]) continue;
    for (const auto& a : g.nodes[id].attributes) out.emplace(a.checkpoint_key, path[id]);
  }
  return out;
}

inline tfckpt::result<std::string> generate_schema_header(const tfckpt::bundle_reader& r, const std::string& source,
                                                          const schema_gen_options& opts) {
  std::map<std::string, std::string> paths;
  if (r.has_object_graph()) {
    auto g = r.object_graph();
    if (!g) return std::move(g).error();
    paths = paths_by_key(*g);
  }
  std::string body;
  std::size_t count = 0;
  for (const auto& e : r.entries()) {
    if (e.key == tfckpt::object_graph_key && !opts.with_object_graph) continue;
    if (e.key == "save_counter/.ATTRIBUTES/VARIABLE_VALUE" && !opts.with_save_counter) continue;
    const auto it = paths.find(std::string(e.key));
    const std::string path = it != paths.end() ? it->second : std::string(tfckpt::path_of_key(e.key));
    body += "    {" + cpp_literal(path) + ",\n     " + cpp_literal(e.key) + ",\n     " + dtype_identifier(e.info.dtype) + ", ";
    if (e.info.shape.size() > tfckpt::schema_max_rank) {
      body += "tfckpt::dynamic_rank, {}},  // rank " + std::to_string(e.info.shape.size()) + " > schema_max_rank\n";
    } else {
      body += std::to_string(e.info.shape.size()) + ", {";
      for (std::size_t i = 0; i < e.info.shape.size(); ++i) body += (i ? ", " : "") + std::to_string(e.info.shape[i]);
      body += "}},\n";
    }
    ++count;
  }
  std::string h;
  h += "// Generated by `tfckpt schema` from " + cpp_literal(source) + ". Do not edit; regenerate instead.\n";
  h += "// Use: static_assert(tfckpt::matches<YourStruct>(" + opts.name + "));\n";
  h += "#pragma once\n\n#include <array>\n\n#include <tfckpt/reflect/schema_entry.hpp>\n\n";
  h += "inline constexpr std::array<tfckpt::schema_entry, " + std::to_string(count) + "> " + opts.name + "_entries{{\n";
  h += body;
  h += "}};\n";
  h += "inline constexpr tfckpt::schema_ref<" + opts.name + "_entries> " + opts.name + "{};\n";
  return h;
}

// argv[1] == "schema". Returns the process exit status (0 ok, 1 checkpoint error, 2 usage).
}  // namespace tfckpt_tool
