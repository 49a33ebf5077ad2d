// tfckpt: command-line inspector for TensorFlow checkpoint bundles.
//
//   tfckpt ls PATH [--json]            tensors: key, dtype, shape
//   tfckpt print PATH [KEY] [--json]   values, numpy-style (as TF's print_tensors_in_checkpoint_file)
//   tfckpt verify PATH [--json]        read every block and record, check every checksum
//   tfckpt graph PATH [--json]         the TF2 object graph as a tree
//   tfckpt latest DIR                  the latest checkpoint prefix named by DIR/checkpoint
//   tfckpt schema PATH [--name NAME]   a C++ header with the constexpr schema (schema_gen.hpp)
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
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/format/state_file.hpp>

#include "convert_cli.hpp"
#include "numpy_format.hpp"
#include "schema_gen.hpp"

namespace {

using json = nlohmann::ordered_json;
using tfckpt::bundle_reader;
using tfckpt::dtype;

constexpr int exit_ok = 0;
constexpr int exit_error = 1;
constexpr int exit_usage = 2;

constexpr std::string_view usage_text =
    R"(usage: tfckpt <command> [--json] PATH [KEY]

Inspect TensorFlow checkpoint bundles (PREFIX.index + PREFIX.data-NNNNN-of-NNNNN) without
TensorFlow. PATH is a checkpoint prefix, its .index (or .data-*) file, or a directory: its
`checkpoint` state file names the latest checkpoint, and a SavedModel directory means
variables/variables.

commands:
  ls PATH [--json]           one line per tensor: key, dtype, shape (key order)
  print PATH [KEY] [--json]  tensor values, numpy-style (all tensors, or only KEY)
  verify PATH [--json]       read every index block and every record; check all checksums
  graph PATH [--json]        the TF2 object graph (_CHECKPOINTABLE_OBJECT_GRAPH) as a tree
  latest DIR                 the latest checkpoint prefix named by DIR/checkpoint
  schema PATH [--name NAME] [--with-save-counter] [--with-object-graph]
                             a C++ header: constexpr schema NAME of the checkpoint, for
                             static_assert(tfckpt::matches<T>(NAME)) (tfckpt/schema.hpp)
  export PATH --to safetensors|npz OUT [--filter REGEX] [--no-optimizer] [--zip64]
                             write the tensors to a safetensors or numpy .npz file. Names: keys
                             without their /.ATTRIBUTES/VARIABLE_VALUE suffix (the object path
                             stays escaped: '.' as .., '/' in a name as .S); the original keys
                             are recorded (safetensors __metadata__ "tfckpt.checkpoint_keys", npz
                             member __tfckpt_keys__) for import. --filter: ECMAScript regex
                             searched in the key; --no-optimizer drops /.OPTIMIZER_SLOT/ keys,
                             optimizer/..., save_counter. Tensors the format cannot hold
                             (safetensors: strings, variants, complex; npz: variants, bfloat16,
                             float8; both: quantized, int4) are skipped with a warning listing
                             them, an error if --filter selects only such tensors. npz members
                             are stored uncompressed (--zip64: zip64 records even when small).
                             The object graph is not exported.
  import IN --to PREFIX [--map NAME=KEY ...] [--object-graph | --name-based] [--no-save-counter]
                             write checkpoint PREFIX (.index + .data-00000-of-00001 only, no
                             `checkpoint` file) from a safetensors or npz file (np.savez, not
                             np.savez_compressed). Keys: the names, the original keys recorded
                             by export, or --map NAME=KEY. --name-based: keys as they are (TF1
                             Saver style). --object-graph: a TF2 checkpoint whose object graph
                             follows the '/'-separated names (each component a child object, the
                             leaf's VARIABLE_VALUE under <escaped path>/.ATTRIBUTES/VARIABLE_VALUE),
                             restorable by tf.train.Checkpoint(**{top-level names: modules}).
                             Default: --object-graph when the keys are TF2 keys (an export of a
                             TF2 checkpoint), else --name-based. Object-based imports get a
                             save_counter (int64 1) unless IN has one or --no-save-counter:
                             Checkpoint.restore() creates it and assert_consumed() wants it.
  diff A B [--filter REGEX] [--no-optimizer] [--atol X] [--json]
                             keys only in A (-) or B (+), dtype/shape changes and, per tensor,
                             how many elements differ and the max |a-b| (differences <= X
                             ignored). Exit status 0 identical, 1 different, 2 error.
  help                       this text

options:
  --json      machine-readable output (always valid JSON, see below)
  -h, --help  this text
  --          end of options (for keys that start with '-')

JSON output:
  ls      [{key, dtype, shape, shard, offset, size}, ...]; partitioned tensors also have
          "slices": ["0,5:-", ...] (and shard, offset, size 0)
  print   [{key, dtype, shape, values}, ...], or one object for KEY. values nest by shape;
          floats are the shortest decimals that round-trip in their dtype, NaN and infinities
          the strings "nan", "inf", "-inf"; complex [re, im]; strings UTF-8 text or
          {"hex": "..."}; variant elements hex strings
  verify  {tensors, bytes, blocks, ok}
  graph   {nodes: [{id, children: [{node_id, local_name}], attributes: [{name, full_name,
          checkpoint_key}], slot_variables: [{original_variable_node_id, slot_name,
          slot_variable_node_id}], has_checkpoint_values?}], name_based}
  Byte strings that are not valid UTF-8 (keys, names) show each invalid byte as \xNN; keys also
  get "key_hex" with the exact bytes.

Progress of export, import and diff is shown on stderr when it is a terminal.

exit status: 0 success, 1 checkpoint error, 2 usage error (diff: 0 same, 1 different, 2 error)
)";

// ---- output -------------------------------------------------------------------------------------

void out(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }

int fail(const tfckpt::error& e) {
  std::fflush(stdout);
  std::fprintf(stderr, "tfckpt: %s\n", e.to_string().c_str());
  return exit_error;
}

int usage_error(const std::string& why) {
  std::fprintf(stderr, "tfckpt: %s\nusage: tfckpt <ls|print|verify|graph|latest|schema|export|import|diff> ...  (tfckpt --help)\n",
               why.c_str());
  return exit_usage;
}

// ---- keys and byte strings ----------------------------------------------------------------------

constexpr char hex_digits[] = "0123456789abcdef";

std::string to_hex(std::string_view b) {
  std::string s;
  s.reserve(b.size() * 2);
  for (unsigned char c : b) {
    s += hex_digits[c >> 4];
    s += hex_digits[c & 15];
  }
  return s;
}

// A key for terminal output: valid UTF-8 kept, control bytes and invalid bytes as \xNN,
// backslash doubled (slice keys and hostile keys cannot garble the terminal).
std::string display(std::string_view k) {
  std::string o;
  for (std::size_t i = 0; i < k.size();) {
    const auto c = static_cast<unsigned char>(k[i]);
    const std::size_t n = tfckpt::detail::utf8_sequence_length(k, i);
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

// A byte string as a JSON string: itself when valid UTF-8; otherwise each invalid byte as the
// text \xNN (Python's backslashreplace), so output is always valid JSON.
std::string json_text(std::string_view k) {
  if (tfckpt::detail::is_valid_utf8(k)) return std::string(k);
  std::string o;
  for (std::size_t i = 0; i < k.size();) {
    const std::size_t n = tfckpt::detail::utf8_sequence_length(k, i);
    if (n > 0) {
      o.append(k.substr(i, n));
      i += n;
    } else {
      const auto c = static_cast<unsigned char>(k[i++]);
      o += "\\x";
      o += hex_digits[c >> 4];
      o += hex_digits[c & 15];
    }
  }
  return o;
}

// Adds "key" (and "key_hex", the exact bytes, when the key is not valid UTF-8).
void put_key(json& j, std::string_view name, std::string_view key) {
  j[std::string(name)] = json_text(key);
  if (!tfckpt::detail::is_valid_utf8(key)) j[std::string(name) + "_hex"] = to_hex(key);
}

std::string dump(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// An array with one compact element per line: readable, diffable, still one JSON document.
std::string dump_lines(const json& a) {
  if (a.empty()) return "[]";
  std::string s = "[\n";
  for (std::size_t i = 0; i < a.size(); ++i) s += "  " + dump(a[i], -1) + (i + 1 < a.size() ? ",\n" : "\n");
  return s + "]";
}

json shape_json(const tfckpt::shape_t& s) {
  json a = json::array();
  for (auto d : s) a.push_back(d);
  return a;
}

// ---- ls -----------------------------------------------------------------------------------------

int cmd_ls(const bundle_reader& r, bool as_json) {
  if (as_json) {
    json a = json::array();
    for (const auto& e : r.entries()) {
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
    out(dump_lines(a));
    out("\n");
    return exit_ok;
  }
  struct row {
    std::string key, dt, shape;
  };
  std::vector<row> rows;
  std::size_t wk = 0, wd = 0;
  for (const auto& e : r.entries()) {
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
  if (tfckpt::detail::is_valid_utf8(b)) o += dump(json(std::string(b)), -1);
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
    while (shape[d] != 0) ++d;
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

int cmd_print(const bundle_reader& r, const std::string* key, bool as_json) {
  if (key) {
    auto t = r.read(*key);
    if (!t) return fail(t.error());
    if (as_json) {
      out(tensor_json(*key, *t));
      out("\n");
    } else {
      out("tensor_name:  " + display(*key) + "\n" + tfckpt_cli::format_tensor(*t) + "\n");
    }
    return exit_ok;
  }
  // All tensors: a tensor that cannot be read is reported on stderr and the others still print.
  int rc = exit_ok;
  bool first = true;
  if (as_json) out("[");
  for (const auto& e : r.entries()) {
    auto t = r.read(e.key);
    if (!t) {
      fail(t.error());
      rc = exit_error;
      continue;
    }
    if (as_json) {
      out(first ? "\n" : ",\n");
      out(tensor_json(e.key, *t));
    } else {
      out("tensor_name:  " + display(e.key) + "\n" + tfckpt_cli::format_tensor(*t) + "\n");
    }
    first = false;
  }
  if (as_json) out(first ? "]\n" : "\n]\n");
  return rc;
}

// ---- verify -------------------------------------------------------------------------------------

int cmd_verify(const bundle_reader& r, bool as_json) {
  auto v = r.verify();
  if (!v) return fail(v.error());
  if (as_json) {
    out(dump(json{{"tensors", v->tensors}, {"bytes", v->bytes}, {"blocks", v->blocks}, {"ok", true}}, 2));
    out("\n");
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
  std::string s;
  const auto ents = r.entries();
  auto it = std::lower_bound(ents.begin(), ents.end(), key,
                             [](const tfckpt::entry& e, std::string_view k) { return e.key < k; });
  for (; it != ents.end() && it->key.compare(0, key.size(), key) == 0; ++it)
    s += (s.empty() ? "" : ", ") + display(it->key) + " " + std::string(tfckpt::dtype_name(it->info.dtype)) + " " +
         tfckpt::shape_to_string(it->info.shape);
  return s.empty() ? "[missing from the bundle]" : "[not in the bundle; stored as " + s + "]";
}

// The tree from `start` over nodes not yet printed. A node's edges are its children, then its
// slot variables; each node is expanded under its first BFS edge, other edges to it print as
// `name -> (node N)` (this also stops cycles such as Checkpoint's `root` self edge). Iterative:
// graphs can be deep.
void print_tree(const tfckpt::trackable_object_graph& g, const bundle_reader& r, std::int32_t start,
                const std::string& start_name, std::vector<char>& seen, std::string& s) {
  const auto n = g.nodes.size();
  auto edge_target = [&](const tfckpt::trackable_object& node, std::size_t j) {
    return j < node.children.size() ? node.children[j].node_id
                                    : node.slot_variables[j - node.children.size()].slot_variable_node_id;
  };
  // BFS fixes every node's tree edge: (parent, edge index).
  std::vector<std::pair<std::int32_t, std::size_t>> tree_edge(n, {-1, 0});
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

int cmd_graph(const bundle_reader& r, bool as_json) {
  if (!r.has_object_graph()) {
    if (as_json) {
      out("{\"nodes\": [], \"name_based\": true}\n");
    } else {
      out("no object graph: " + display(r.prefix()) +
          " is a TF1 name-based checkpoint (no _CHECKPOINTABLE_OBJECT_GRAPH entry); `tfckpt ls` lists its " +
          std::to_string(r.entries().size()) + " tensors\n");
    }
    return exit_ok;
  }
  auto g = r.object_graph();
  if (!g) return fail(g.error());
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
    out("{\"nodes\": " + dump_lines(nodes) + ", \"name_based\": false}\n");
    out("\n");
    return exit_ok;
  }
  std::string s;
  std::vector<char> seen(g->nodes.size(), 0);
  print_tree(*g, r, 0, "(root)", seen, s);
  bool header = false;
  for (std::size_t i = 0; i < g->nodes.size(); ++i) {
    if (seen[i]) continue;
    if (!header) s += "unreachable from the root:\n";
    header = true;
    print_tree(*g, r, static_cast<std::int32_t>(i), "(unreachable)", seen, s);
  }
  out(s);
  return exit_ok;
}

// ---- latest -------------------------------------------------------------------------------------

int cmd_latest(const std::string& dir) {
  if (!tfckpt::detail::is_directory(dir)) {
    if (!tfckpt::detail::file_exists(dir))
      return fail(tfckpt::make_error(tfckpt::errc::not_found, "no such directory").in_file(dir));
    return fail(tfckpt::make_error(tfckpt::errc::invalid_argument, "not a directory (latest takes the directory holding the `checkpoint` state file)").in_file(dir));
  }
  auto p = tfckpt::latest_checkpoint(dir);
  if (!p) return fail(p.error());
  out(*p + "\n");
  return exit_ok;
}

// ---- main ---------------------------------------------------------------------------------------

int run(int argc, char** argv) {
  // `schema` has its own options (--name NAME ...): parsed in schema_gen.hpp.
  if (argc >= 2 && std::string_view(argv[1]) == "schema") return tfckpt_tool::cmd_schema(argc, argv);
  // export / import / diff: their own options too (convert_cli.hpp).
  if (argc >= 2 && std::string_view(argv[1]) == "export") return tfckpt_tool::cmd_export(argc, argv);
  if (argc >= 2 && std::string_view(argv[1]) == "import") return tfckpt_tool::cmd_import(argc, argv);
  if (argc >= 2 && std::string_view(argv[1]) == "diff") return tfckpt_tool::cmd_diff(argc, argv);
  std::vector<std::string> pos;
  bool as_json = false, help = false;
  tfckpt_tool::arg_walker w(argc, argv, 1);
  for (std::string a; w.next(a);) {
    if (w.is_option(a)) {
      if (a == "--json") as_json = true;
      else if (a == "-h" || a == "--help") help = true;
      else return usage_error("unknown option '" + display(a) + "'");
    } else {
      pos.push_back(a);
    }
  }
  if (help || (!pos.empty() && pos[0] == "help")) {
    out(usage_text);
    return exit_ok;
  }
  if (pos.empty()) {
    std::fputs(usage_text.data(), stderr);
    return exit_usage;
  }
  const std::string& cmd = pos[0];
  const std::size_t nargs = pos.size() - 1;
  auto arity = [&](std::size_t lo, std::size_t hi, const char* what) -> bool {
    if (nargs >= lo && nargs <= hi) return true;
    usage_error(cmd + " takes " + what + " (got " + std::to_string(nargs) + " argument" + (nargs == 1 ? "" : "s") + ")");
    return false;
  };
  if (cmd == "latest") {
    if (as_json) return usage_error("latest does not take --json");
    if (!arity(1, 1, "one directory")) return exit_usage;
    return cmd_latest(pos[1]);
  }
  const bool known = cmd == "ls" || cmd == "print" || cmd == "verify" || cmd == "graph";
  if (!known) return usage_error("unknown command '" + display(cmd) + "'");
  if (cmd == "print" ? !arity(1, 2, "a checkpoint path and an optional key") : !arity(1, 1, "one checkpoint path"))
    return exit_usage;
  auto r = bundle_reader::open(pos[1]);
  if (!r) return fail(r.error());
  if (cmd == "ls") return cmd_ls(*r, as_json);
  if (cmd == "print") return cmd_print(*r, nargs == 2 ? &pos[2] : nullptr, as_json);
  if (cmd == "verify") return cmd_verify(*r, as_json);
  return cmd_graph(*r, as_json);
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
