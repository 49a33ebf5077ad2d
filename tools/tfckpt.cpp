// tfckpt: command-line inspector for TensorFlow checkpoint bundles.
//
//   tfckpt ls PATH [--json]            tensors: key, dtype, shape
//   tfckpt print PATH [KEY] [--json]   values, numpy-style (as TF's print_tensors_in_checkpoint_file)
//   tfckpt verify PATH [--json]        read every block and record, check every checksum
//   tfckpt graph PATH [--json]         the TF2 object graph as a tree
//   tfckpt latest DIR                  the latest checkpoint prefix named by DIR/checkpoint
//   tfckpt schema PATH [--name NAME]   a C++ header with the constexpr schema (schema_gen.hpp)
//   tfckpt struct PATH [--name NAME]   a C++ header with structs mirroring the object graph (struct_gen.hpp)
//   tfckpt export PATH --to FMT OUT    to safetensors / npz (convert_export.hpp)
//   tfckpt import IN --to PREFIX       from safetensors / npz (convert_import.hpp)
//   tfckpt diff A B                    keys, dtypes, shapes and values that differ (diff.hpp)
//
// Exit status: 0 success, 1 checkpoint error (message on stderr), 2 usage error.
//
// `print` writes `tensor_name:  KEY` (the spelling of older TF releases; TF 2.21 writes
// `tensor: KEY (dtype) [shape]`) and then the value exactly as TensorFlow's
// print_tensors_in_checkpoint_file prints it with numpy's default print options (see
// numpy_format.hpp; compared byte for byte with TF 2.21 + numpy 2.4 on the fixtures, the corpus
// and random tensors of every numpy dtype). Differences: bfloat16/float8 print like numpy floats
// (ml_dtypes uses 6-digit %g there) and variant/resource elements as bytes literals of their
// serialized bytes (TF: "<not convertible to a numpy dtype>").
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/format/state_file.hpp>

#include "cli_json.hpp"
#include "convert_cli.hpp"
#include "edit.hpp"
#include "numpy_format.hpp"
#include "schema_gen.hpp"
#include "struct_gen.hpp"

namespace {

using namespace tfckpt_cli;  // out, report, put_key, dump, dump_lines, shape_json, to_hex (cli_json.hpp)
using tfckpt::bundle_reader;
using tfckpt::dtype;
using tfckpt_convert::selection;

constexpr int exit_ok = 0;
constexpr int exit_error = 1;
constexpr int exit_usage = 2;

// ---- keys and byte strings ----------------------------------------------------------------------

// A key for terminal output: valid UTF-8 kept, control bytes and invalid bytes as \xNN,
// backslash doubled (slice keys and hostile keys cannot garble the terminal).
std::string display(std::string_view k) {
  std::string o;
  for (std::size_t i = 0; i < k.size();) {
    const auto c = static_cast<unsigned char>(k[i]);
    const std::size_t n = utf8_sequence_length(k, i);
    if (c == '\\') {
      o += "\\\\";
    } else if (n > 1) {
      o.append(k.substr(i, n));
      i += n;
      continue;
    } else if (n == 1 && c >= 0x20 && c != 0x7f) {
      o += static_cast<char>(c);
    } else {
      o += "\\x";
      o += hex_digits[c >> 4];
      o += hex_digits[c & 15];
    }
    ++i;
  }
  return o;
}

// Terminal columns taken by a display() string (one per code point).
std::size_t columns(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

// ---- ls -----------------------------------------------------------------------------------------

int cmd_ls(const bundle_reader& r, const selection& sel, report& rep) {
  if (rep.as_json()) {
    json a = json::array();
    for (const auto& e : r.entries()) {
      if (!sel.selects(e.key)) continue;
      json j = json::object();
      put_key(j, "key", e.key);
      j["dtype"] = std::string(tfckpt::dtype_name(e.info.dtype));
      j["shape"] = shape_json(e.info.shape);
      if (e.info.slices.empty()) {
        j["shard"] = e.info.shard_id;
        j["offset"] = e.info.offset;
        j["size"] = e.info.size;
      } else {
        j["shard"] = 0;
        j["offset"] = 0;
        j["size"] = 0;
        json sl = json::array();
        for (const auto& s : e.info.slices) sl.push_back(tfckpt::tensor_slice_to_string(s));
        j["slices"] = std::move(sl);
      }
      a.push_back(std::move(j));
    }
    rep.field_text("tensors", dump_lines(a));
    return exit_ok;
  }
  struct row {
    std::string key, dt, shape;
  };
  std::vector<row> rows;
  std::size_t wk = 0, wd = 0;
  for (const auto& e : r.entries()) {
    if (!sel.selects(e.key)) continue;
    row w{display(e.key), std::string(tfckpt::dtype_name(e.info.dtype)), tfckpt::shape_to_string(e.info.shape)};
    wk = std::max(wk, columns(w.key));
    wd = std::max(wd, w.dt.size());
    rows.push_back(std::move(w));
  }
  std::string s;
  for (const auto& w : rows) {
    s += w.key;
    s.append(wk - columns(w.key) + 2, ' ');
    s += w.dt;
    s.append(wd - w.dt.size() + 2, ' ');
    s += w.shape;
    s += '\n';
  }
  out(s);
  return exit_ok;
}

// ---- print --------------------------------------------------------------------------------------

// Values are written as JSON text directly (no json tree: a tensor can hold millions of
// elements). A finite float is the shortest decimal that round-trips in its own dtype (a float32
// 0.1 is 0.1, not 0.10000000149011612), spelled like Python's repr; NaN and infinities are the
// strings "nan", "inf", "-inf".
void put_float(std::string& o, double v, tfckpt_cli::fkind k) {
  if (std::isnan(v)) {
    o += "\"nan\"";
    return;
  }
  if (std::isinf(v)) {
    o += v < 0 ? "\"-inf\"" : "\"inf\"";
    return;
  }
  const tfckpt_cli::decimal d = tfckpt_cli::shortest(v, k);
  if (std::signbit(v)) o += '-';
  const int n = static_cast<int>(d.digits.size()), e = d.exp10;
  if (e >= -4 && e < 16) {
    if (e >= 0) {
      o.append(d.digits, 0, static_cast<std::size_t>(std::min(n, e + 1)));
      if (n < e + 1) o.append(static_cast<std::size_t>(e + 1 - n), '0');
      o += '.';
      if (n > e + 1) o.append(d.digits, static_cast<std::size_t>(e + 1));
      else o += '0';
    } else {
      o += "0.";
      o.append(static_cast<std::size_t>(-e - 1), '0');
      o += d.digits;
    }
  } else {
    o += d.digits[0];
    if (n > 1) (o += '.').append(d.digits, 1);
    o += e < 0 ? "e-" : "e+";
    if (std::abs(e) < 10) o += '0';
    o += std::to_string(std::abs(e));
  }
}

// A byte string: a JSON string when valid UTF-8, else {"hex": "..."}.
void put_bytes(std::string& o, std::string_view b) {
  if (is_valid_utf8(b)) o += dump(json(std::string(b)), -1);
  else o += "{\"hex\":\"" + to_hex(b) + "\"}";
}

void put_element(std::string& o, const tfckpt::tensor& t, std::size_t i) {
  using namespace tfckpt_cli;
  switch (category_of(t.dtype())) {
    case ecat::floating: {
      fkind k = fkind::f32;
      float_kind_of(t.dtype(), k);
      put_float(o, float_at(t, i), k);
      return;
    }
    case ecat::complex: {
      auto [re, im] = complex_at(t, i);
      const fkind k = complex_part_kind(t.dtype());
      o += '[';
      put_float(o, re, k);
      o += ',';
      put_float(o, im, k);
      o += ']';
      return;
    }
    case ecat::signed_int: o += std::to_string(signed_at(t, i)); return;
    case ecat::unsigned_int: o += std::to_string(unsigned_at(t, i)); return;
    case ecat::boolean: o += bool_at(t, i) ? "true" : "false"; return;
    case ecat::bytes: break;
  }
  if (t.dtype() == dtype::string) put_bytes(o, t.strings()[i]);
  else o += "\"" + to_hex(t.strings()[i]) + "\"";  // variant (serialized VariantTensorDataProto), resource
}

// Nested arrays by shape, row-major. Iterative over an index odometer (rank can be 254).
void put_values(std::string& o, const tfckpt::tensor& t) {
  const auto& shape = t.shape();
  const std::size_t rank = shape.size();
  if (rank == 0) return put_element(o, t, 0);
  if (t.num_elements() == 0) {  // nested empties up to the first zero dimension
    std::size_t d = 0;
    std::uint64_t brackets = 1;  // [1e9, 1e9, 0] would be 10^18 "[]": past 2^20 the values are null
    while (shape[d] != 0) brackets = std::min<std::uint64_t>(brackets * static_cast<std::uint64_t>(shape[d++]), 1u << 21);
    if (brackets > (1u << 20)) {
      o += "null";
      return;
    }
    std::function<void(std::size_t)> rec = [&](std::size_t ax) {
      o += '[';
      if (ax < d)
        for (std::int64_t i = 0; i < shape[ax]; ++i) {
          if (i) o += ',';
          rec(ax + 1);
        }
      o += ']';
    };
    return rec(0);
  }
  std::vector<std::int64_t> idx(rank, 0);
  o.append(rank, '[');
  for (std::size_t flat = 0;; ++flat) {
    put_element(o, t, flat);
    std::size_t ax = rank;  // advance the odometer, closing and reopening brackets
    while (ax > 0 && ++idx[ax - 1] == shape[ax - 1]) idx[--ax] = 0;
    if (ax == 0) break;
    o.append(rank - ax, ']');
    o += ',';
    o.append(rank - ax, '[');
  }
  o.append(rank, ']');
}

std::string tensor_json(std::string_view key, const tfckpt::tensor& t) {
  json j = json::object();
  put_key(j, "key", key);
  j["dtype"] = std::string(tfckpt::dtype_name(t.dtype()));
  j["shape"] = shape_json(t.shape());
  std::string o = dump(j, -1);
  o.pop_back();  // reopen the object for "values"
  o += ",\"values\":";
  const auto n = static_cast<std::size_t>(std::max<std::int64_t>(0, t.num_elements()));
  const bool stored = tfckpt_cli::category_of(t.dtype()) == tfckpt_cli::ecat::bytes
                          ? t.strings().size() >= n
                          : t.bytes().size() >= n * tfckpt::dtype_size(t.dtype());
  if (stored) put_values(o, t);
  else o += "null";
  return o + "}";
}

int cmd_print(const bundle_reader& r, const std::string* key, const selection& sel, report& rep) {
  const bool as_json = rep.as_json();
  if (key) {
    auto t = r.read(*key);
    if (!t) return rep.error(t.error()), exit_error;
    if (as_json) {
      rep.open_array("tensors");
      rep.element(tensor_json(*key, *t));
      rep.close_array();
    } else {
      out("tensor_name:  " + display(*key) + "\n" + tfckpt_cli::format_tensor(*t) + "\n");
    }
    return exit_ok;
  }
  // All tensors: a tensor that cannot be read is reported on stderr and the others still print.
  // In JSON, it is listed in "errors" (with its key), never silently left out.
  int rc = exit_ok;
  rep.open_array("tensors");
  for (const auto& e : r.entries()) {
    if (!sel.selects(e.key)) continue;
    auto t = r.read(e.key);
    if (!t) {
      rep.error(t.error());
      rc = exit_error;
      continue;
    }
    if (as_json) rep.element(tensor_json(e.key, *t));
    else out("tensor_name:  " + display(e.key) + "\n" + tfckpt_cli::format_tensor(*t) + "\n");
  }
  rep.close_array();
  return rc;
}

// ---- verify -------------------------------------------------------------------------------------

// Every bad record is reported, not only the first: when the whole-bundle check fails, each
// tensor is read (checksums checked) and each failure recorded with its key.
int cmd_verify(const bundle_reader& r, report& rep) {
  auto v = r.verify();
  if (!v) {
    const tfckpt::error first = v.error();
    rep.error(first);
    std::uint64_t bad = 1, checked = 0;
    for (const auto& e : r.entries()) {
      ++checked;
      if (!first.key.empty() && e.key == first.key) continue;
      if (auto t = r.read(e.key); !t) {
        if (t.error().key == first.key && t.error().message == first.message && t.error().file == first.file) continue;
        rep.error(t.error());
        ++bad;
      }
    }
    rep.field("records_checked", checked);
    rep.field("problems", bad);
    if (!rep.as_json())
      std::fprintf(stderr, "tfckpt: verify: %llu problem(s) in %llu tensors\n", static_cast<unsigned long long>(bad),
                   static_cast<unsigned long long>(checked));
    return exit_error;
  }
  if (rep.as_json()) {
    rep.field("tensors", v->tensors);
    rep.field("bytes", v->bytes);
    rep.field("blocks", v->blocks);
  } else {
    out(std::to_string(v->tensors) + " tensors, " + std::to_string(v->bytes) + " bytes, all checksums OK\n");
  }
  return exit_ok;
}

// ---- graph --------------------------------------------------------------------------------------

// "[dtype shape]" of the entry an attribute names. TF's multi-spec saveables (e.g. an iterator's
// `.ATTRIBUTES/ITERATOR` stored as `..._STATE`) write keys that extend the attribute's key.
std::string entry_summary(const bundle_reader& r, std::string_view key) {
  if (const tfckpt::entry* e = r.find(key))
    return "[" + std::string(tfckpt::dtype_name(e->info.dtype)) + " " + tfckpt::shape_to_string(e->info.shape) + "]";
  // An empty key is a prefix of every entry: it names none (listing them all per attribute made
  // `graph` quadratic). Extensions are listed up to 4, then counted no further.
  if (key.empty()) return "[no checkpoint key]";
  std::string s;
  const auto ents = r.entries();
  auto it = std::lower_bound(ents.begin(), ents.end(), key,
                             [](const tfckpt::entry& e, std::string_view k) { return e.key < k; });
  int listed = 0;
  for (; it != ents.end() && it->key.compare(0, key.size(), key) == 0; ++it) {
    if (++listed > 4) {
      s += ", ...";
      break;
    }
    s += (s.empty() ? "" : ", ") + display(it->key) + " " + std::string(tfckpt::dtype_name(it->info.dtype)) + " " +
         tfckpt::shape_to_string(it->info.shape);
  }
  return s.empty() ? "[missing from the bundle]" : "[not in the bundle; stored as " + s + "]";
}

// The tree from `start` over nodes not yet printed. A node's edges are its children, then its
// slot variables; each node is expanded under its first BFS edge, other edges to it print as
// `name -> (node N)` (this also stops cycles such as Checkpoint's `root` self edge). Iterative:
// graphs can be deep.
// `tree_edge` (one slot per node, shared by all calls: allocating it per call made printing
// quadratic in unreachable nodes) records each node's tree edge: (parent, edge index).
void print_tree(const tfckpt::trackable_object_graph& g, const bundle_reader& r, std::int32_t start,
                const std::string& start_name, std::vector<char>& seen, std::string& s,
                std::vector<std::pair<std::int32_t, std::size_t>>& tree_edge) {
  auto edge_target = [&](const tfckpt::trackable_object& node, std::size_t j) {
    return j < node.children.size() ? node.children[j].node_id
                                    : node.slot_variables[j - node.children.size()].slot_variable_node_id;
  };
  // BFS fixes the tree edge of every node it reaches (nodes seen before keep theirs).
  std::deque<std::int32_t> q{start};
  seen[static_cast<std::size_t>(start)] = 1;
  while (!q.empty()) {
    const auto u = q.front();
    q.pop_front();
    const auto& node = g.nodes[static_cast<std::size_t>(u)];
    const std::size_t edges = node.children.size() + node.slot_variables.size();
    for (std::size_t j = 0; j < edges; ++j) {
      const auto c = edge_target(node, j);
      if (seen[static_cast<std::size_t>(c)]) continue;
      seen[static_cast<std::size_t>(c)] = 1;
      tree_edge[static_cast<std::size_t>(c)] = {u, j};
      q.push_back(c);
    }
  }
  struct item {
    std::int32_t node;  // -1: a plain line
    std::size_t depth;
    std::string text;
  };
  std::vector<item> stack{{start, 0, start_name + " (node " + std::to_string(start) + ")"}};
  while (!stack.empty()) {
    item it = std::move(stack.back());
    stack.pop_back();
    const std::string indent(2 * it.depth, ' ');
    s += indent + it.text;
    if (it.node < 0) {
      s += "\n";
      continue;
    }
    const auto& node = g.nodes[static_cast<std::size_t>(it.node)];
    if (node.saver) s += "  [registered saver " + display(node.saver->name) + "]";
    if (node.has_checkpoint_values && !*node.has_checkpoint_values) s += "  [no checkpoint values]";
    s += "\n";
    const std::string inner(2 * (it.depth + 1), ' ');
    for (const auto& a : node.attributes)
      s += inner + ".ATTRIBUTES/" + display(a.name) + " -> " + display(a.checkpoint_key) + "  " +
           entry_summary(r, a.checkpoint_key) + "\n";
    std::vector<item> kids;
    const std::size_t edges = node.children.size() + node.slot_variables.size();
    for (std::size_t j = 0; j < edges; ++j) {
      const auto c = edge_target(node, j);
      const bool tree = tree_edge[static_cast<std::size_t>(c)] == std::pair{it.node, j};
      const std::string id = std::to_string(c);
      if (j < node.children.size()) {
        const std::string name = display(node.children[j].local_name);
        kids.push_back({tree ? c : -1, it.depth + 1, tree ? name + " (node " + id + ")" : name + " -> (node " + id + ")"});
      } else {
        const auto& sv = node.slot_variables[j - node.children.size()];
        kids.push_back({tree ? c : -1, it.depth + 1,
                        "slot " + display(sv.slot_name) + " of node " + std::to_string(sv.original_variable_node_id) +
                            " -> node " + id});
      }
    }
    for (auto k = kids.rbegin(); k != kids.rend(); ++k) stack.push_back(std::move(*k));
  }
}

int cmd_graph(const bundle_reader& r, report& rep) {
  const bool as_json = rep.as_json();
  if (!r.has_object_graph()) {
    if (as_json) {
      rep.field_text("nodes", "[]");
      rep.field("name_based", true);
    } else {
      out("no object graph: " + display(r.prefix()) +
          " is a TF1 name-based checkpoint (no _CHECKPOINTABLE_OBJECT_GRAPH entry); `tfckpt ls` lists its " +
          std::to_string(r.entries().size()) + " tensors\n");
    }
    return exit_ok;
  }
  auto g = r.object_graph();
  if (!g) return rep.error(g.error()), exit_error;
  if (as_json) {
    json nodes = json::array();
    for (std::size_t i = 0; i < g->nodes.size(); ++i) {
      const auto& n = g->nodes[i];
      json j = json::object();
      j["id"] = i;
      json ch = json::array(), at = json::array(), sl = json::array();
      for (const auto& c : n.children) {
        json x = {{"node_id", c.node_id}};
        put_key(x, "local_name", c.local_name);
        ch.push_back(std::move(x));
      }
      for (const auto& a : n.attributes) {
        json x = json::object();
        put_key(x, "name", a.name);
        put_key(x, "full_name", a.full_name);
        put_key(x, "checkpoint_key", a.checkpoint_key);
        if (a.optional_restore) x["optional_restore"] = true;
        at.push_back(std::move(x));
      }
      for (const auto& v : n.slot_variables) {
        json x = {{"original_variable_node_id", v.original_variable_node_id}};
        put_key(x, "slot_name", v.slot_name);
        x["slot_variable_node_id"] = v.slot_variable_node_id;
        sl.push_back(std::move(x));
      }
      j["children"] = std::move(ch);
      j["attributes"] = std::move(at);
      j["slot_variables"] = std::move(sl);
      if (n.has_checkpoint_values) j["has_checkpoint_values"] = *n.has_checkpoint_values;
      if (n.saver) {
        json x = json::object();
        put_key(x, "name", n.saver->name);
        put_key(x, "object_name", n.saver->object_name);
        j["registered_saver"] = std::move(x);
      }
      nodes.push_back(std::move(j));
    }
    rep.field_text("nodes", dump_lines(nodes));
    rep.field("name_based", false);
    return exit_ok;
  }
  std::string s;
  std::vector<char> seen(g->nodes.size(), 0);
  std::vector<std::pair<std::int32_t, std::size_t>> tree_edge(g->nodes.size(), {-1, 0});
  print_tree(*g, r, 0, "(root)", seen, s, tree_edge);
  bool header = false;
  for (std::size_t i = 0; i < g->nodes.size(); ++i) {
    if (seen[i]) continue;
    if (!header) s += "unreachable from the root:\n";
    header = true;
    print_tree(*g, r, static_cast<std::int32_t>(i), "(unreachable)", seen, s, tree_edge);
  }
  out(s);
  return exit_ok;
}

// ---- latest -------------------------------------------------------------------------------------

int cmd_latest(const std::string& dir, report& rep) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    if (!std::filesystem::exists(dir, ec))
      return rep.error(tfckpt::make_error(tfckpt::errc::not_found, "no such directory").in_file(dir)), exit_error;
    return rep.error(tfckpt::make_error(tfckpt::errc::invalid_argument, "not a directory (latest takes the directory holding the `checkpoint` state file)").in_file(dir)), exit_error;
  }
  auto p = tfckpt::latest_checkpoint(dir);
  if (!p) return rep.error(p.error()), exit_error;
  if (rep.as_json()) rep.field("prefix", json_text(*p));
  else out(*p + "\n");
  return exit_ok;
}

// ---- command line -------------------------------------------------------------------------------
//
// CLI11. A command is one add_<name>(cli&) function (its options, and the body run after a
// successful parse) plus one line in `commands` below.

constexpr const char* path_help = "checkpoint prefix, its .index/.data-* file, or a directory (its `checkpoint` "
                                  "state file names the latest checkpoint; a SavedModel means variables/variables)";

constexpr const char* footer_text = R"(
Exit status: 0 success, 1 checkpoint error, 2 usage error (diff: 0 same, 1 different, 2 error).
--json: one JSON object on stdout, also on failure: {"json_version": 1, "tool_version", "command",
...command fields..., "errors": [{code, message, file, key, offset}], "ok"} (docs/cli.md).
`tfckpt <command> --help` describes a command.)";

struct cli {
  CLI::App app{"Inspect and edit TensorFlow checkpoints (PREFIX.index + PREFIX.data-NNNNN-of-NNNNN) without TensorFlow.",
               "tfckpt"};
  std::map<const CLI::App*, std::function<int()>> bodies;

  // A subcommand whose body runs when it was given.
  CLI::App* add(const std::string& name, const std::string& help, std::function<int()> body) {
    CLI::App* s = app.add_subcommand(name, help);
    bodies[s] = std::move(body);
    return s;
  }
};

// Options several commands share, so they are spelled and described the same everywhere.
struct common_args {
  bool json = false;
  std::string filter;
  bool no_optimizer = false;
};

void add_json(CLI::App* s, common_args& a) {
  s->add_flag("--json", a.json, "one JSON object on stdout, also on failure (docs/cli.md)");
}
void add_selection(CLI::App* s, common_args& a) {
  s->add_option("--filter", a.filter, "only tensors whose key matches REGEX (ECMAScript, searched in the key)")
      ->type_name("REGEX");
  s->add_flag("--no-optimizer", a.no_optimizer,
              "leave out optimizer state (decided by the object graph: objects reached only through an "
              "optimizer) and save_counter");
}

// --filter compiled; a bad regex is a usage error.
bool make_selection(const common_args& a, selection& sel, report& rep) {
  sel.no_optimizer = a.no_optimizer;
  if (a.filter.empty()) return true;
  auto re = tfckpt_convert::compile_filter(a.filter);
  if (!re) return rep.usage(re.error().message), false;
  sel.filter = std::move(*re);
  sel.filter_text = a.filter;
  return true;
}

// Opens PATH and runs body(reader, selection, report) for the read-only commands.
template <class Body>
int with_reader(const std::string& command, const std::string& path, const common_args& a, Body body) {
  report rep(command, a.json);
  selection sel;
  if (!make_selection(a, sel, rep)) return exit_usage;
  auto r = bundle_reader::open(path);
  if (!r) return rep.error(r.error()), exit_error;
  if (auto p = sel.prepare(*r); !p) return rep.error(std::move(p).error().in_file(r->prefix())), exit_error;
  rep.begin();
  return body(*r, sel, rep);
}

struct path_args : common_args {
  std::string path, key;
};

void add_ls(cli& c) {
  auto a = std::make_shared<path_args>();
  auto* s = c.add("ls", "one line per tensor: key, dtype, shape (key order)", [a] {
    return with_reader("ls", a->path, *a, [](auto& r, auto& sel, auto& rep) { return cmd_ls(r, sel, rep); });
  });
  s->add_option("PATH", a->path, path_help)->required();
  add_json(s, *a);
  add_selection(s, *a);
}

void add_print(cli& c) {
  auto a = std::make_shared<path_args>();
  auto* s = c.add("print", "tensor values, numpy-style as TF's print_tensors_in_checkpoint_file (all, or KEY)", [a] {
    return with_reader("print", a->path, *a, [a](auto& r, auto& sel, auto& rep) {
      return cmd_print(r, a->key.empty() ? nullptr : &a->key, sel, rep);
    });
  });
  s->add_option("PATH", a->path, path_help)->required();
  s->add_option("KEY", a->key, "one tensor (use -- before a key that starts with '-')");
  add_json(s, *a);
  add_selection(s, *a);
}

void add_verify(cli& c) {
  auto a = std::make_shared<path_args>();
  auto* s = c.add("verify", "read every index block and every record, check every checksum; report every bad record", [a] {
    return with_reader("verify", a->path, *a, [](auto& r, auto&, auto& rep) { return cmd_verify(r, rep); });
  });
  s->add_option("PATH", a->path, path_help)->required();
  add_json(s, *a);
}

void add_graph(cli& c) {
  auto a = std::make_shared<path_args>();
  auto* s = c.add("graph", "the TF2 object graph (_CHECKPOINTABLE_OBJECT_GRAPH) as a tree", [a] {
    return with_reader("graph", a->path, *a, [](auto& r, auto&, auto& rep) { return cmd_graph(r, rep); });
  });
  s->add_option("PATH", a->path, path_help)->required();
  add_json(s, *a);
}

void add_latest(cli& c) {
  auto a = std::make_shared<path_args>();
  auto* s = c.add("latest", "the latest checkpoint prefix named by DIR/checkpoint", [a] {
    report rep("latest", a->json);
    return cmd_latest(a->path, rep);
  });
  s->add_option("DIR", a->path, "directory holding the `checkpoint` state file")->required();
  add_json(s, *a);
}

void add_schema(cli& c) {
  struct args : path_args {
    tfckpt_tool::schema_gen_options opts;
  };
  auto a = std::make_shared<args>();
  auto* s = c.add("schema", "a C++ header: constexpr schema NAME of the checkpoint, for "
                            "static_assert(tfckpt::matches<T>(NAME)) (tfckpt/schema.hpp)", [a] {
    report rep("schema", a->json);
    if (!tfckpt_tool::is_identifier(a->opts.name)) return rep.usage("--name must be a C++ identifier"), exit_usage;
    auto r = bundle_reader::open(a->path);
    if (!r) return rep.error(r.error()), exit_error;
    auto h = tfckpt_tool::generate_schema_header(*r, a->path, a->opts);
    if (!h) return rep.error(h.error()), exit_error;
    if (rep.as_json()) rep.field("header", *h);
    else out(*h);
    return exit_ok;
  });
  s->add_option("PATH", a->path, path_help)->required();
  s->add_option("--name", a->opts.name, "name of the schema constant")->type_name("NAME");
  s->add_flag("--with-save-counter", a->opts.with_save_counter, "keep save_counter in the schema");
  s->add_flag("--with-object-graph", a->opts.with_object_graph, "keep _CHECKPOINTABLE_OBJECT_GRAPH in the schema");
  add_json(s, *a);
}

void add_struct(cli& c) {
  struct args : path_args {
    tfckpt_tool::struct_gen_options opts;
  };
  auto a = std::make_shared<args>();
  auto* s = c.add("struct", "a C++ header declaring structs that mirror the object graph: `NAME r; "
                            "tfckpt::restore(PATH, r)` restores every value", [a] {
    report rep("struct", a->json);
    if (auto why = tfckpt_tool::struct_options_error(a->opts); !why.empty()) return rep.usage(why), exit_usage;
    auto r = bundle_reader::open(a->path);
    if (!r) return rep.error(r.error()), exit_error;
    auto h = tfckpt_tool::generate_struct_header(*r, a->path, a->opts);
    if (!h) return rep.error(h.error()), exit_error;
    for (const auto& w : h->warnings) std::fprintf(stderr, "tfckpt: warning: %s\n", w.c_str());
    if (rep.as_json()) rep.field("header", h->header);
    else out(h->header);
    return exit_ok;
  });
  s->add_option("PATH", a->path, path_help)->required();
  s->add_option("--name", a->opts.name, "name of the root struct")->type_name("NAME");
  s->add_option("--namespace", a->opts.ns, "namespace of the generated structs (a::b allowed)")->type_name("NS");
  s->add_flag("--fixed", a->opts.fixed, "tfckpt::fixed<T, dims...> leaves instead of tensor_of<T>");
  add_json(s, *a);
  s->footer(R"(
Shared objects (second edges) become tfckpt::ref fields wired by the root's constructors; names
C++ cannot spell go through TFCKPT_NAMES. A TF1 name-based checkpoint has no object graph: use
restore_by_names or bundle_reader instead.)");
}

void add_export(cli& c) {
  struct args : path_args {
    std::string to, out_file, format_tag = "tf";
    bool zip64 = false;
  };
  auto a = std::make_shared<args>();
  auto* s = c.add("export", "write the tensors to a safetensors or numpy .npz file", [a] {
    report rep("export", a->json);
    tfckpt_convert::export_options o;
    if (!make_selection(*a, o.sel, rep)) return exit_usage;
    o.to = a->to == "npz" ? tfckpt_convert::format::npz : tfckpt_convert::format::safetensors;
    o.force_zip64 = a->zip64;
    o.format_tag = a->format_tag;
    return tfckpt_tool::run_export(a->path, a->out_file, o, rep);
  });
  s->add_option("PATH", a->path, path_help)->required();
  s->add_option("OUT", a->out_file, "output file")->required();
  s->add_option("--to", a->to, "output format")->required()->check(CLI::IsMember({"safetensors", "npz"}));
  add_selection(s, *a);
  s->add_flag("--zip64", a->zip64, "npz: zip64 records even when small");
  s->add_option("--format-tag", a->format_tag,
                "safetensors: __metadata__ \"format\" value loaders check (Hugging Face: pt, tf, flax, mlx); "
                "\"\" leaves it out")
      ->capture_default_str()
      ->type_name("TAG");
  add_json(s, *a);
  s->footer(R"(
Names: keys without their /.ATTRIBUTES/VARIABLE_VALUE suffix (the object path stays escaped: '.' as
.., '/' in a name as .S); model weights TF keys under optimizer/_trainable_variables/N (Keras 3) are
named by their model path. The original keys are recorded (safetensors __metadata__
"tfckpt.checkpoint_keys", npz member __tfckpt_keys__) for import. Tensors the format cannot hold
(safetensors: strings, variants, complex; npz: variants, bfloat16, float8; both: quantized, int4)
are skipped with a warning listing them. The object graph is not exported.)");
}

void add_import(cli& c) {
  struct args : path_args {
    std::string prefix;
    std::vector<std::string> maps;
    bool object_graph = false, name_based = false, no_save_counter = false;
  };
  auto a = std::make_shared<args>();
  auto* s = c.add("import", "write a checkpoint from a safetensors or npz file", [a] {
    report rep("import", a->json);
    tfckpt_convert::import_options o;
    for (const auto& m : a->maps) {
      const auto eq = m.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
        return rep.usage("--map takes NAME=KEY, got '" + m + "'"), exit_usage;
      o.maps.emplace_back(m.substr(0, eq), m.substr(eq + 1));
    }
    if (a->object_graph) o.mode = tfckpt_convert::import_mode::object_graph;
    if (a->name_based) o.mode = tfckpt_convert::import_mode::name_based;
    o.save_counter = !a->no_save_counter;
    return tfckpt_tool::run_import(a->path, a->prefix, o, rep);
  });
  s->add_option("IN", a->path, "safetensors or npz file (np.savez, not np.savez_compressed)")->required();
  s->add_option("--to", a->prefix, "checkpoint prefix to write")->required()->type_name("PREFIX");
  s->add_option("--map", a->maps, "tensor NAME is stored under checkpoint KEY")->type_name("NAME=KEY");
  auto* og = s->add_flag("--object-graph", a->object_graph,
                         "a TF2 checkpoint whose object graph follows the '/'-separated names");
  auto* nb = s->add_flag("--name-based", a->name_based, "keys as they are (TF1 Saver style), no object graph");
  og->excludes(nb);
  s->add_flag("--no-save-counter", a->no_save_counter, "no save_counter in object-based imports");
  add_json(s, *a);
}

void add_diff(cli& c) {
  struct args : path_args {
    std::string b;
    double atol = 0;
  };
  auto a = std::make_shared<args>();
  auto* s = c.add("diff", "keys, dtypes, shapes and values that differ between two checkpoints", [a] {
    report rep("diff", a->json);
    tfckpt_convert::diff_options o;
    if (!make_selection(*a, o.sel, rep)) return exit_usage;
    o.atol = a->atol;
    o.as_json = a->json;
    return tfckpt_convert::run_diff(a->path, a->b, o, rep);
  });
  s->add_option("A", a->path, path_help)->required();
  s->add_option("B", a->b, "the other checkpoint")->required();
  add_selection(s, *a);
  s->add_option("--atol", a->atol, "ignore differences <= X")->check(CLI::NonNegativeNumber)->type_name("X");
  add_json(s, *a);
  s->footer("\nExit status as diff(1): 0 identical, 1 different, 2 error.");
}

void add_merge(cli& c) {
  struct args : path_args {
    std::vector<std::string> inputs;
    bool move = false;
  };
  auto a = std::make_shared<args>();
  auto* s = c.add("merge", "bundles written by several writers (one per worker) into one checkpoint OUT", [a] {
    report rep("merge", a->json);
    return tfckpt_edit::run_merge(a->path, a->inputs, a->move, rep);
  });
  s->add_option("OUT", a->path, "prefix of the merged checkpoint")->required();
  s->add_option("IN", a->inputs, "input checkpoint prefixes")->required();
  s->add_flag("--move", a->move,
              "move the inputs' data files instead of copying them and delete the inputs' .index files "
              "(TF's MergeV2Checkpoints; same filesystem)");
  add_json(s, *a);
}

void add_filter(cli& c) {
  struct args : path_args {
    std::string out_prefix, drop;
  };
  auto a = std::make_shared<args>();
  auto* s = c.add("filter", "copy IN to OUT without some tensors, the object graph rewritten to match", [a] {
    report rep("filter", a->json);
    tfckpt_edit::filter_options o;
    if (!make_selection(*a, o.keep, rep)) return exit_usage;
    if (!a->drop.empty()) {
      auto re = tfckpt_convert::compile_filter(a->drop);
      if (!re) return rep.usage(re.error().message), exit_usage;
      o.drop = std::move(*re);
    }
    return tfckpt_edit::run_filter(a->path, a->out_prefix, o, rep);
  });
  s->add_option("IN", a->path, path_help)->required();
  s->add_option("OUT", a->out_prefix, "prefix of the checkpoint to write")->required();
  s->add_option("--keep,--filter", a->filter, "keep only tensors whose key matches REGEX")->type_name("REGEX");
  s->add_option("--drop", a->drop, "drop tensors whose key matches REGEX")->type_name("REGEX");
  s->add_flag("--no-optimizer", a->no_optimizer,
              "drop optimizer state (objects reached only through an optimizer) and the optimizer objects");
  add_json(s, *a);
  s->footer(R"(
Objects whose tensors are all dropped leave the object graph, with every object then unreachable,
so TensorFlow restores OUT with assert_consumed() into the objects that remain (filter
--no-optimizer: tf.train.Checkpoint(model=model)). Keys follow the new graph's shortest paths, as
TF would write them. Every dtype is kept; the object graph is always kept.)");
}

void add_rename(cli& c) {
  struct args : path_args {
    std::string out_prefix;
    std::vector<std::string> maps;
  };
  auto a = std::make_shared<args>();
  auto* s = c.add("rename", "copy IN to OUT with objects renamed (keys and object graph updated)", [a] {
    report rep("rename", a->json);
    std::vector<tfckpt_edit::rename_rule> rules;
    for (const auto& m : a->maps) {
      const auto eq = m.find('=');
      if (eq == std::string::npos || eq == 0) return rep.usage("--map takes FROM=TO, got '" + m + "'"), exit_usage;
      auto re = tfckpt_convert::compile_filter(m.substr(0, eq));
      if (!re) return rep.usage(re.error().message), exit_usage;
      rules.push_back({std::move(*re), m.substr(eq + 1)});
    }
    return tfckpt_edit::run_rename(a->path, a->out_prefix, rules, rep);
  });
  s->add_option("IN", a->path, path_help)->required();
  s->add_option("OUT", a->out_prefix, "prefix of the checkpoint to write")->required();
  s->add_option("--map", a->maps,
                "regex FROM replaced by TO ($1.. groups) in every object path (the escaped path of a key, "
                "before /.ATTRIBUTES/); rules apply in order")
      ->required()
      ->type_name("FROM=TO");
  add_json(s, *a);
}

void add_stats(cli& c) {
  auto a = std::make_shared<path_args>();
  auto* s = c.add("stats", "per tensor: min, max, mean, std, NaN/Inf counts, zero fraction", [a] {
    return with_reader("stats", a->path, *a, [](auto& r, auto& sel, auto& rep) { return tfckpt_edit::cmd_stats(r, sel, rep); });
  });
  s->add_option("PATH", a->path, path_help)->required();
  add_selection(s, *a);
  add_json(s, *a);
  s->footer(R"(
min, max, mean and std (population, ddof=0) are over the finite elements; nan and inf count the
others; zero_fraction is over all elements. Complex tensors: of the modulus. Strings and variants
have no statistics (null).)");
}

void add_help(cli& c) {
  auto topic = std::make_shared<std::string>();
  auto* s = c.add("help", "this text, or the help of COMMAND", [&c, topic] {
    for (auto* sub : c.app.get_subcommands([](CLI::App*) { return true; }))
      if (sub->get_name() == *topic) return out(sub->help("tfckpt")), exit_ok;
    if (!topic->empty()) return std::fprintf(stderr, "tfckpt: unknown command '%s'\n", topic->c_str()), exit_usage;
    // app.help() would show the help of the command given (`help` itself).
    out(c.app.get_formatter()->make_help(&c.app, "tfckpt", CLI::AppFormatMode::Normal));
    return exit_ok;
  });
  s->add_option("COMMAND", *topic, "a command");
}

// Every command: one line each.
constexpr void (*commands[])(cli&) = {
    add_ls, add_print, add_verify, add_graph, add_latest, add_schema, add_struct, add_export, add_import,
    add_diff, add_merge, add_filter, add_rename, add_stats, add_help,
};

int run(int argc, char** argv) {
  cli c;
  c.app.footer(footer_text);
  c.app.set_version_flag("--version", std::string("tfckpt ") + tool_version);
  c.app.require_subcommand(1);
  for (auto add : commands) add(c);
  // A usage error is reported like any other: a JSON document when --json was given.
  auto usage_failure = [&](const std::string& command, const std::string& why) {
    bool as_json = false;
    for (int i = 1; i < argc; ++i) as_json |= std::string_view(argv[i]) == "--json";
    {
      report rep(command, as_json);
      rep.usage(why);
    }
    std::fprintf(stderr, "usage: tfckpt <command> ...  (tfckpt --help, tfckpt <command> --help)\n");
    return exit_usage;
  };
  if (argc < 2) {
    std::fputs(c.app.help().c_str(), stderr);
    return exit_usage;
  }
  const std::string first = argv[1];
  if (first.empty() || first[0] != '-') {
    bool known = false;
    for (auto* sub : c.app.get_subcommands([](CLI::App*) { return true; })) known |= sub->get_name() == first;
    if (!known) return usage_failure("", "unknown command '" + display(first) + "'");
  }
  try {
    c.app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version (CallForHelp is a Success)
    return c.app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_failure(first.empty() || first[0] == '-' ? "" : first, e.what());
  }
  for (auto* sub : c.app.get_subcommands())
    if (auto it = c.bodies.find(sub); it != c.bodies.end()) return it->second();
  return usage_failure("", "no command given");
}

}  // namespace

int main(int argc, char** argv) {
  const int rc = run(argc, argv);
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "tfckpt: error writing standard output\n");
    return rc == exit_ok ? exit_error : rc;
  }
  return rc;
}
