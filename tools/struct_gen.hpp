// tfckpt CLI: `tfckpt struct PATH [--name NAME] [--namespace NS] [--fixed]` prints a C++ header
// declaring structs that mirror PATH's object graph, so that
//
//   NS::NAME r;
//   auto st = tfckpt::restore(PATH, r);   // st->assert_consumed() passes
//
// with nothing else to write or wire. How the graph becomes types:
// - Each object reached first (breadth-first from the root, as TF and graph/build.hpp name
//   paths) through an edge is owned by the field of that edge. Further edges from the same parent
//   become extra names of that field (TFCKPT_NAMES, Keras's `layer_with_weights-0` + `layer-0`);
//   edges from elsewhere become tfckpt::ref<T> fields, wired by the root's constructors.
// - Variables (a node whose attribute is VARIABLE_VALUE) are leaves typed by dtype and shape:
//   scalars as the C++ type; tensors as tfckpt::tensor_of<T> preset to the stored shape (so the
//   restore checks it), or tfckpt::fixed<T, dims...> with --fixed; strings as std::string /
//   std::vector<std::string>; every dtype without a C++ element type (variant, resource,
//   quantized, int4, float8) as tfckpt::tensor.
// - A node whose children are exactly "0".."n-1" is a TF list: std::array<T, n> when all
//   elements have one type, else std::tuple<...>.
// - Structs of the same shape (same field names, types and tensor shapes) are emitted once.
// - An optimizer with slot variables (optimizer_v2 layout) gets a tfckpt::slot_table field.
// - A Keras subtree that fits one of the library's ready-made types exactly (tf_keras
//   optimizers, Keras 3 models and optimizers) is that type (struct_gen_keras.hpp); not inside
//   TF lists (g++ 12 cannot reflect a std::array of them in an aggregate).
// - The root's save_counter is left to tfckpt::restore / tfckpt::checkpoint.
// - Attributes of an object that is not a variable (tf_keras's OBJECT_CONFIG_JSON, a tf.data
//   iterator's ITERATOR_STATE, ...) are tfckpt::attribute<"NAME", T> fields of its struct, T
//   typed as a variable's leaf, NAME the stored key's (a tf.data iterator records attribute
//   ITERATOR but stores ITERATOR_STATE: the field names what the bundle holds). An attribute
//   whose value is not in the bundle is listed in the header and on stderr, never guessed.
// A checkpoint without an object graph (TF1 Saver) is an error that names what to use instead.
// The output is deterministic: it depends only on the object graph and the bundle's index.
#pragma once

#include <cstdio>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/graph/keys.hpp>
#include <tfckpt/graph/restore.hpp>

#include "schema_gen.hpp"
#include "struct_gen_keras.hpp"

namespace tfckpt_tool {

struct struct_gen_options {
  std::string name = "checkpoint_state";  // the root struct
  std::string ns;                         // namespace (empty: none)
  bool fixed = false;                     // tfckpt::fixed<T, dims...> leaves instead of tensor_of<T>
};

struct struct_gen_output {
  std::string header;
  std::vector<std::string> warnings;  // values the generated types cannot restore
};

namespace struct_gen_impl {

// "a", "a_2", "a_3", ... not in `taken`; the result is added to it.
inline std::string unique_in(std::set<std::string>& taken, const std::string& base) {
  std::string s = base;
  for (int i = 2; taken.count(s); ++i) s = base + "_" + std::to_string(i);
  taken.insert(s);
  return s;
}

struct field {
  std::string ident;
  std::vector<std::string> names;  // local names (edges) of this field
  typed t;
};

struct struct_def {
  std::string name;
  std::vector<field> fields;
  std::vector<std::string> slot_names;  // non-empty: has a tfckpt::slot_table
};

class generator {
 public:
  generator(const tfckpt::bundle_reader& r, const tfckpt::trackable_object_graph& g, const struct_gen_options& o)
      : r_(r), g_(g), o_(o), owner_(g.nodes.size(), {-1, 0}), memo_(g.nodes.size()), done_(g.nodes.size(), 0) {}

  tfckpt::result<struct_gen_output> run(const std::string& source) {
    const std::size_t n = g_.nodes.size();
    if (n == 0) return tfckpt::make_error(tfckpt::errc::corruption, "empty object graph").in_file(r_.prefix());
    ready_ = keras_matcher(r_, g_, o_.fixed).run();
    // Owners: the first breadth-first edge over children (slot edges belong to slot tables).
    std::vector<char> seen(n, 0);
    std::deque<std::size_t> q{0};
    seen[0] = 1;
    while (!q.empty()) {
      const std::size_t u = q.front();
      q.pop_front();
      const auto& node = g_.nodes[u];
      for (std::size_t j = 0; j < node.children.size(); ++j) {
        const auto c = node.children[j].node_id;
        if (c < 0 || static_cast<std::size_t>(c) >= n || seen[static_cast<std::size_t>(c)]) continue;
        seen[static_cast<std::size_t>(c)] = 1;
        owner_[static_cast<std::size_t>(c)] = {static_cast<std::int64_t>(u), j};
        q.push_back(static_cast<std::size_t>(c));
      }
    }
    reserved_.insert(o_.name);
    // Every field identifier is reserved against type names (a member named like a type used
    // in the same class "changes meaning").
    for (const auto& node : g_.nodes) {
      for (const auto& c : node.children) field_idents_.insert(identifier_for(c.local_name));
      if (!node.attributes.empty() && node.attributes.front().name != tfckpt::variable_value_name)
        for (const auto& a : stored_attributes(node)) field_idents_.insert(attribute_ident(a.name));
    }
    auto root = describe_root();
    if (!root) return std::move(root).error();
    struct_gen_output out;
    out.warnings = warnings_;
    out.header = emit(source, *root);
    return out;
  }

 private:
  struct root_info {
    struct_def def;
    std::vector<std::pair<std::string, std::size_t>> refs;  // holder expression, target node
  };

  const tfckpt::bundle_reader& r_;
  const tfckpt::trackable_object_graph& g_;
  const struct_gen_options& o_;
  std::vector<std::pair<std::int64_t, std::size_t>> owner_;  // (parent, child edge index)
  std::vector<typed> memo_;
  std::vector<char> done_;
  std::vector<std::string> expr_;  // owner access expression per node (from `self`)
  std::vector<struct_def> defs_;   // in definition order
  std::map<std::string, std::string> by_sig_;
  std::set<std::string> reserved_, field_idents_, type_names_;
  std::vector<std::pair<std::string, std::size_t>> refs_;
  std::vector<std::string> warnings_;
  std::set<std::size_t> tuples_;  // list nodes emitted as std::tuple
  std::map<std::size_t, ready_type> ready_;  // Keras subtrees emitted as the library's types

  // Lists of variables longer than this with more than one C++ type are vectors of tfckpt::tensor.
  static constexpr std::size_t max_tuple_size = 64;

  bool owned_by(std::size_t child, std::size_t parent, std::size_t edge) const {
    return owner_[child].first == static_cast<std::int64_t>(parent) && owner_[child].second == edge;
  }

  std::string node_path(std::size_t id) const {
    std::vector<std::string> parts;
    for (std::size_t v = id; owner_[v].first >= 0; v = static_cast<std::size_t>(owner_[v].first))
      parts.push_back(g_.nodes[static_cast<std::size_t>(owner_[v].first)].children[owner_[v].second].local_name);
    std::string p;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) p += (p.empty() ? "" : "/") + *it;
    return p.empty() ? "(root)" : p;
  }

  // A placeholder for the type of node `id`, replaced when all types are known (refs may point
  // at nodes described later, or at an ancestor).
  static std::string type_placeholder(std::size_t id) { return "\x01" + std::to_string(id) + "\x02"; }

  typed ref_to(std::size_t target, const std::string& holder_expr) {
    refs_.emplace_back(holder_expr, target);
    const std::string tsig = done_[target] ? memo_[target].sig : "#" + std::to_string(target);
    return {"tfckpt::ref<" + type_placeholder(target) + ">", "", "R<" + tsig + ">"};
  }

  bool is_list(const tfckpt::trackable_object& node) const {
    if (node.children.empty() || !node.attributes.empty() || !node.slot_variables.empty()) return false;
    for (std::size_t i = 0; i < node.children.size(); ++i)
      if (node.children[i].local_name != std::to_string(i)) return false;
    return true;
  }

  std::string type_name_for(const std::string& base) {
    std::string b = base + "_t";
    while (field_idents_.count(b) || reserved_.count(b)) b += "_";
    return unique_in(type_names_, b);
  }

  // A leaf when the node's value is a variable the bundle holds.
  const tfckpt::entry* leaf_entry(const tfckpt::trackable_object& node) const {
    if (node.attributes.empty() || node.attributes.front().name != tfckpt::variable_value_name) return nullptr;
    return r_.find(node.attributes.front().checkpoint_key);
  }

  // One tfckpt::attribute field per value stored under the object's `.ATTRIBUTES/` (the keys a
  // restore reads: graph/restore.hpp), named after the stored key.
  struct stored_attribute {
    std::string name;  // unescaped key suffix: the tfckpt::attribute's NAME
    const tfckpt::entry* e = nullptr;
  };
  std::vector<stored_attribute> stored_attributes(const tfckpt::trackable_object& node) const {
    std::vector<std::string> keys;
    tfckpt::detail::unread_keys(r_, node, keys);
    std::vector<stored_attribute> out;
    static constexpr std::string_view marker = "/.ATTRIBUTES/";
    for (const auto& k : keys) {
      const auto at = k.find(marker);
      out.push_back({at == std::string::npos ? k : tfckpt::unescape_local_name(std::string_view(k).substr(at + marker.size())),
                     at == std::string::npos ? nullptr : r_.find(k)});
    }
    return out;
  }
  // `object_config_json` for OBJECT_CONFIG_JSON: a member, not a macro-like spelling.
  static std::string attribute_ident(const std::string& name) {
    std::string s = identifier_for(name);
    for (char& c : s)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return identifier_for(s);
  }

  void attribute_fields(std::size_t id, struct_def& d, std::set<std::string>& taken) {
    for (const auto& a : stored_attributes(g_.nodes[id])) {
      if (!a.e) {
        warnings_.push_back(node_path(id) + ": attribute " + a.name + " is not in the bundle; no field stands for it");
        continue;
      }
      const typed v = leaf_type(a.e->info, o_.fixed);
      field f;
      f.ident = unique_in(taken, attribute_ident(a.name));
      f.names.push_back(f.ident);  // not an edge: the field's name plays no part in any key
      f.t = {"tfckpt::attribute<" + cpp_literal(a.name) + ", " + v.type + ">", v.init.empty() ? "" : "{" + v.init + "}",
             "@" + a.name + ":" + v.sig};
      d.fields.push_back(std::move(f));
    }
  }

  typed describe(std::size_t id, const std::string& expr, const std::string& base_name) {
    expr_[id] = expr;
    const auto& node = g_.nodes[id];
    typed t;
    if (auto it = ready_.find(id); it != ready_.end()) {
      t = {it->second.type, it->second.init, "K{" + it->second.type + it->second.init + "}"};
    } else if (const tfckpt::entry* e = leaf_entry(node)) {
      t = leaf_type(e->info, o_.fixed);
      if (!node.children.empty() || node.attributes.size() > 1)
        warnings_.push_back(node_path(id) + ": a variable with children or several attributes; only its value is declared");
    } else if (is_list(node)) {
      std::vector<typed> elems;
      std::vector<tfckpt::shape_t> leaf_shapes;  // when every element is an owned tensor_of leaf
      bool all_tensor_of = true;
      for (std::size_t i = 0; i < node.children.size(); ++i) {
        const auto c = static_cast<std::size_t>(node.children[i].node_id);
        const tfckpt::entry* le = owned_by(c, id, i) ? leaf_entry(g_.nodes[c]) : nullptr;
        if (le) leaf_shapes.push_back(le->info.shape.to_shape());
        else all_tensor_of = false;
        // Ready-made types stay out of lists: g++ 12 crashes (an internal compiler error in
        // Boost.PFR's field counting) on a std::array of tfckpt::keras::adam inside an aggregate.
        if (owned_by(c, id, i)) ready_.erase(c);
        // Element access is decided once the list is known to be an array or a tuple.
        const std::string el = expr + "\x03" + std::to_string(id) + ":" + std::to_string(i) + "\x04";
        elems.push_back(owned_by(c, id, i) ? describe(c, el, base_name + "_item") : ref_to(c, el));
      }
      bool same = true, init = false;
      for (const auto& e : elems) same = same && resolve_known(e.type) == resolve_known(elems[0].type);
      if (!same && all_tensor_of && elems.size() > max_tuple_size) {
        // Variables of several dtypes or ranks in a long list (6,000 scalars and tensors): a
        // std::tuple that long is past every compiler's template depth, so each element is a
        // tfckpt::tensor, which takes the stored dtype and shape.
        for (std::size_t i = 0; i < elems.size(); ++i) {
          elems[i] = {"tfckpt::tensor", "", elems[i].sig};
          memo_[static_cast<std::size_t>(node.children[i].node_id)] = elems[i];  // what refs to it name
        }
        same = true;
      }
      // One C++ type for all elements (tensors of different shapes included: the shapes are
      // initializers): a std::array.
      if (!all_tensor_of || elems.empty() || elems[0].type.rfind("tfckpt::tensor_of<", 0) != 0) leaf_shapes.clear();
      for (const auto& e : elems) init = init || (!e.init.empty() && e.init != "{}");
      if (same && elems[0].type == "tfckpt::tensor") {
        // Not a std::array: g++ 12 crashes (an internal compiler error in Boost.PFR's field
        // counting) on a std::array of tfckpt::tensor inside an aggregate. A vector, sized here
        // so that a fresh struct saves every element (a restore resizes it to the same length).
        t.type = "std::vector<tfckpt::tensor>";
        t.init = " = std::vector<tfckpt::tensor>(" + std::to_string(elems.size()) + ")";
        t.sig = "V<";
        for (const auto& e : elems) t.sig += e.sig + ",";
        t.sig += ">";
      } else if (same) {
        t.type = "std::array<" + elems[0].type + ", " + std::to_string(elems.size()) + ">";
        t.sig = "A<";
        for (const auto& e : elems) t.sig += e.sig + ",";
        t.sig += ">";
        if (init && elems.size() > 16 && !leaf_shapes.empty()) {
          // Long lists of tensors (a 6,000-variable list): a loop over a table of shapes, not
          // one initializer per element (which takes compilers minutes).
          const std::string& el = elems[0].type;
          std::string table;
          for (std::size_t i = 0; i < leaf_shapes.size(); ++i) {
            table += (i ? ", " : "") + std::to_string(leaf_shapes[i].size());
            for (auto d : leaf_shapes[i]) table += ", " + std::to_string(d);
          }
          t.init = " = [] {  // shapes: rank, dims... per element\n"
                   "    static constexpr std::int64_t shapes[] = {" + table + "};\n"
                   "    " + t.type + " a;\n"
                   "    std::size_t at = 0;\n"
                   "    for (auto& e : a) {\n"
                   "      const auto rank = static_cast<std::size_t>(shapes[at]);\n"
                   "      e = *" + el + "::zeros(tfckpt::shape_t(shapes + at + 1, shapes + at + 1 + rank));\n"
                   "      at += 1 + rank;\n"
                   "    }\n"
                   "    return a;\n"
                   "  }()";
        } else if (init) {
          t.init = "{{";
          for (std::size_t i = 0; i < elems.size(); ++i)
            t.init += (i ? ", " : "") + element_init(elems[i]);
          t.init += "}}";
        }
      } else {
        // Tuple elements are reached with std::get<i>, not [i]: fix the expressions below.
        t.type = "std::tuple<";
        t.sig = "T<";
        for (std::size_t i = 0; i < elems.size(); ++i) {
          t.type += (i ? ", " : "") + elems[i].type;
          t.sig += elems[i].sig + ",";
        }
        t.type += ">";
        t.sig += ">";
        if (init) {
          t.init = "{";
          for (std::size_t i = 0; i < elems.size(); ++i)
            t.init += (i ? ", " : "") + element_init(elems[i]);
          t.init += "}";
        }
        tuples_.insert(id);
      }
    } else {
      struct_def d;
      std::set<std::string> taken;
      if (id == 0) taken.insert(o_.name);  // a member may not have its class's name
      std::vector<char> merged(node.children.size(), 0);
      for (std::size_t j = 0; j < node.children.size(); ++j) {
        if (merged[j]) continue;
        const auto& ch = node.children[j];
        const auto c = static_cast<std::size_t>(ch.node_id);
        if (id == 0 && ch.local_name == "save_counter") {
          const tfckpt::entry* e = leaf_entry(g_.nodes[c]);
          if (e && e->info.dtype == tfckpt::dtype::int64 && e->info.shape.empty()) continue;
        }
        field f;
        f.ident = unique_in(taken, identifier_for(ch.local_name));
        f.names.push_back(ch.local_name);
        const std::string fexpr = expr + "." + f.ident;
        if (owned_by(c, id, j)) {
          // Later edges from this node to the same child: more names of this field.
          for (std::size_t k = j + 1; k < node.children.size() && f.names.size() < 4; ++k)
            if (node.children[k].node_id == ch.node_id && !merged[k]) {
              merged[k] = 1;
              f.names.push_back(node.children[k].local_name);
            }
          f.t = describe(c, fexpr, f.ident);
        } else {
          f.t = ref_to(c, fexpr);
        }
        d.fields.push_back(std::move(f));
      }
      attribute_fields(id, d, taken);  // after the children: a child keeps its identifier
      for (const auto& sv : node.slot_variables) {
        bool have = false;
        for (const auto& s : d.slot_names) have = have || s == sv.slot_name;
        if (!have) d.slot_names.push_back(sv.slot_name);
      }
      for (const auto& sv : node.slot_variables) {
        const auto slot = sv.slot_variable_node_id;
        if (slot >= 0 && static_cast<std::size_t>(slot) < g_.nodes.size() && owner_[static_cast<std::size_t>(slot)].first >= 0)
          warnings_.push_back(node_path(static_cast<std::size_t>(slot)) + ": a slot variable also reachable as a child");
      }
      t.sig = "S{";
      for (const auto& f : d.fields) {
        for (const auto& nm : f.names) t.sig += nm + "|";
        t.sig += ":" + f.t.sig + ";";
      }
      for (const auto& s : d.slot_names) t.sig += "slot:" + s + ";";
      t.sig += "}";
      if (id == 0) {
        root_fields_ = std::move(d);
      } else if (auto it = by_sig_.find(t.sig); it != by_sig_.end()) {
        t.type = it->second;
      } else {
        d.name = type_name_for(d.fields.empty() && d.slot_names.empty() ? std::string("empty") : base_name);
        t.type = d.name;
        by_sig_.emplace(t.sig, d.name);
        defs_.push_back(std::move(d));
      }
    }
    memo_[id] = t;
    done_[id] = 1;
    return t;
  }

  // The initializer of one list element: `T{...}`, or the expression of a ready-made type's
  // ` = [] {...}()` initializer.
  static std::string element_init(const typed& e) {
    if (e.init.rfind(" = ", 0) == 0) return e.init.substr(3);
    return e.type + (e.init.empty() ? "{}" : e.init);
  }

  // An access expression with its element tokens (\x03 list:i \x04, postfix) spelled out:
  // `x[i]` for arrays, `std::get<i>(x)` for tuples.
  std::string access(const std::string& e) const {
    std::string acc;
    for (std::size_t at = 0; at < e.size(); ++at) {
      if (e[at] != '\x03') {
        acc += e[at];
        continue;
      }
      const std::size_t colon = e.find(':', at), end = e.find('\x04', at);
      const std::size_t list = std::stoul(e.substr(at + 1, colon - at - 1));
      const std::string i = e.substr(colon + 1, end - colon - 1);
      acc = tuples_.count(list) ? "std::get<" + i + ">(" + acc + ")" : acc + "[" + i + "]";
      at = end;
    }
    return acc;
  }

  struct_def root_fields_;

  tfckpt::result<root_info> describe_root() {
    expr_.assign(g_.nodes.size(), std::string());
    if (leaf_entry(g_.nodes[0]) || is_list(g_.nodes[0]))
      return tfckpt::make_error(tfckpt::errc::unsupported, "the root object is a variable or a list; tfckpt struct "
                                                           "needs an object at the root").in_file(r_.prefix());
    (void)describe(0, "self", o_.name);
    root_info ri;
    ri.def = std::move(root_fields_);
    ri.def.name = o_.name;
    ri.refs = refs_;
    return ri;
  }

  // `s` with the placeholders of nodes already described replaced (for comparing types).
  std::string resolve_known(std::string s) const {
    std::size_t at = 0;
    while ((at = s.find('\x01', at)) != std::string::npos) {
      const std::size_t end = s.find('\x02', at);
      const std::size_t id = std::stoul(s.substr(at + 1, end - at - 1));
      if (id == 0 || !done_[id]) at = end + 1;
      else s.replace(at, end - at + 1, memo_[id].type);
    }
    return s;
  }

  std::string resolve(std::string s) const {
    for (std::size_t at = s.find('\x01'); at != std::string::npos; at = s.find('\x01', at)) {
      const std::size_t end = s.find('\x02', at);
      const std::size_t id = std::stoul(s.substr(at + 1, end - at - 1));
      const std::string ty = id == 0 ? o_.name : memo_[id].type;
      s.replace(at, end - at + 1, ty);
    }
    return s;
  }

  static std::string names_entry(const field& f) {
    std::string e = "(" + f.ident;
    for (const auto& nm : f.names) e += ", " + cpp_literal(nm);
    return e + ")";
  }
  static bool renamed(const field& f) { return f.names.size() != 1 || f.names[0] != f.ident; }

  void emit_fields(std::string& h, const struct_def& d) const {
    for (const auto& f : d.fields) {
      h += "  " + resolve(f.t.type) + " " + f.ident + resolve(f.t.init) + ";";
      if (renamed(f)) {
        h += "  //";
        for (const auto& nm : f.names) h += " " + cpp_literal(nm);
      }
      h += "\n";
    }
    if (!d.slot_names.empty()) {
      h += "  tfckpt::slot_table tfckpt_slots{";
      for (std::size_t i = 0; i < d.slot_names.size(); ++i) h += (i ? ", " : "") + cpp_literal(d.slot_names[i]);
      h += "};  // slot variables (optimizer_v2 layout), by variable path and slot name\n";
    }
  }

  std::string emit(const std::string& source, const root_info& root) const {
    std::string h;
    h += "// Generated by `tfckpt struct` from " + cpp_literal(source) + ". Do not edit; regenerate instead.\n";
    h += "//   " + (o_.ns.empty() ? "" : o_.ns + "::") + o_.name + " r;\n";
    if (has_save_counter()) {
      h += "//   auto st = tfckpt::restore(" + cpp_literal(source) + ", r);  // st->assert_consumed()\n";
    } else {  // a Keras save_weights / SavedModel / Checkpoint.write(): no save_counter to expect
      h += "//   auto st = tfckpt::read(" + cpp_literal(source) + ", r);  // st->assert_consumed()\n";
    }
    if (!warnings_.empty()) {
      h += "// Not declared (no value to hold, or a variable's extra attributes; assert_consumed() names them):\n";
      for (const auto& w : warnings_) h += "//   " + cpp_literal(w) + "\n";
    }
    h += "#pragma once\n\n#include <array>\n#include <complex>\n#include <cstdint>\n#include <string>\n#include <tuple>\n"
         "#include <vector>\n\n#include <tfckpt/tfckpt.hpp>\n\n";
    if (!o_.ns.empty()) h += "namespace " + o_.ns + " {\n\n";
    h += "struct " + o_.name + ";\n";
    for (const auto& d : defs_) h += "struct " + d.name + ";\n";
    h += "\n";
    for (const auto& d : defs_) {
      h += "struct " + d.name + " {\n";
      emit_fields(h, d);
      if (too_wide_for_pfr(d)) emit_describe(h, d);
      h += "};\n";
      if (!too_wide_for_pfr(d)) emit_names(h, d);
      h += "\n";
    }
    const auto& rd = root.def;
    h += "struct " + o_.name + " {\n";
    if (!root_sorted()) {
      h += "  // The source's root is not a tf.train.Checkpoint: keep its children's order on save.\n";
      h += "  static constexpr bool tfckpt_keep_root_order = true;\n";
    }
    emit_fields(h, rd);
    if (!root.refs.empty()) {
      // Shared edges: tfckpt::ref fields pointing into this object, set by every constructor
      // and assignment (copies point into the copy).
      h += "\n  " + o_.name + "() { tfckpt_wire(); }\n";
      h += "  " + o_.name + "(const " + o_.name + "& o)";
      for (std::size_t i = 0; i < rd.fields.size(); ++i) h += std::string(i ? ", " : " : ") + rd.fields[i].ident + "(o." + rd.fields[i].ident + ")";
      if (!rd.slot_names.empty()) h += std::string(rd.fields.empty() ? " : " : ", ") + "tfckpt_slots(o.tfckpt_slots)";
      h += " { tfckpt_wire(); }\n";
      h += "  " + o_.name + "& operator=(const " + o_.name + "& o) {\n";
      for (const auto& f : rd.fields) h += "    " + f.ident + " = o." + f.ident + ";\n";
      if (!rd.slot_names.empty()) h += "    tfckpt_slots = o.tfckpt_slots;\n";
      h += "    tfckpt_wire();\n    return *this;\n  }\n";
      h += "  ~" + o_.name + "() = default;\n";
      h += "  // The children, in checkpoint order (a type with constructors is not an aggregate).\n";
      emit_describe(h, rd);
      h += "\n private:\n  void tfckpt_wire() {\n    auto& self = *this;\n";
      for (const auto& [holder, target] : root.refs)
        if (!expr_[target].empty()) h += "    " + access(holder) + ".target = &" + access(expr_[target]) + ";\n";
      h += "  }\n";
      h += "};\n";
    } else if (too_wide_for_pfr(rd)) {
      emit_describe(h, rd);
      h += "};\n";
    } else {
      h += "};\n";
      emit_names(h, rd);
    }
    if (!o_.ns.empty()) h += "\n}  // namespace " + o_.ns + "\n";
    return h;
  }

  // Whether the source root lists its children sorted by name, as tf.train.Checkpoint does.
  bool root_sorted() const {
    const auto& ch = g_.nodes[0].children;
    for (std::size_t i = 1; i < ch.size(); ++i) {
      if (ch[i].local_name == "save_counter") continue;  // created lazily, last
      if (ch[i - 1].local_name != "save_counter" && ch[i].local_name < ch[i - 1].local_name) return false;
    }
    return true;
  }

  bool has_save_counter() const {
    for (const auto& c : g_.nodes[0].children)
      if (c.local_name == "save_counter") return true;
    return false;
  }

  // Boost.PFR reflects aggregates of at most 100 fields (a tf.Module with 6,000 attributes has
  // 6,000 children): a wider struct lists its children itself, as a type with refs does.
  static bool too_wide_for_pfr(const struct_def& d) { return d.fields.size() + (d.slot_names.empty() ? 0 : 1) > 100; }

  static void emit_describe(std::string& h, const struct_def& d) {
    if (too_wide_for_pfr(d)) h += "\n  // The children, in checkpoint order (too many fields for Boost.PFR to reflect).\n";
    h += "  void tfckpt_describe(tfckpt::graph::live_tree& tree, std::size_t node) {\n";
    for (const auto& f : d.fields)
      for (const auto& nm : f.names) h += "    tfckpt::reflect::add_child(tree, node, " + cpp_literal(nm) + ", " + f.ident + ");\n";
    if (!d.slot_names.empty()) h += "    tfckpt::reflect::add_child(tree, node, \"\", tfckpt_slots);\n";
    h += "  }\n";
  }

  static void emit_names(std::string& h, const struct_def& d) {
    std::vector<const field*> ren;
    for (const auto& f : d.fields)
      if (renamed(f)) ren.push_back(&f);
    if (ren.empty()) return;
    if (ren.size() <= 60) {  // the macro's preprocessor limit is 64 arguments
      h += "TFCKPT_NAMES(" + d.name;
      for (const auto* f : ren) h += ",\n             " + names_entry(*f);
      h += ")\n";
    } else {  // what TFCKPT_NAMES expands to, without the argument limit
      h += "[[maybe_unused]] constexpr auto tfckpt_names(const " + d.name + "*) {\n  return std::array{\n";
      for (const auto* f : ren) {
        h += "      tfckpt::reflect::field_rename(\"" + f->ident + "\"";
        for (const auto& nm : f->names) h += ", " + cpp_literal(nm);
        h += "),\n";
      }
      h += "  };\n}\n";
    }
  }
};

}  // namespace struct_gen_impl

inline tfckpt::result<struct_gen_output> generate_struct_header(const tfckpt::bundle_reader& r, const std::string& source,
                                                                const struct_gen_options& opts) {
  if (!r.has_object_graph())
    return tfckpt::make_error(tfckpt::errc::unsupported,
                              "a TF1 name-based checkpoint (no _CHECKPOINTABLE_OBJECT_GRAPH): no object graph to "
                              "mirror. Declare a struct yourself and restore it with tfckpt::restore_by_names(path, "
                              "root, names) (a tfckpt::name_map, std::map<std::string, std::string> from object paths to the TF1 names `tfckpt ls` "
                              "lists), or read tensors by name with tfckpt::bundle_reader")
        .in_file(r.prefix());
  auto g = r.object_graph();
  if (!g) return std::move(g).error();
  struct_gen_impl::generator gen(r, *g, opts);
  return gen.run(source);
}

// Why the options of `tfckpt struct` cannot name C++ entities, or "" when they can.
inline std::string struct_options_error(const struct_gen_options& opts) {
  if (!is_identifier(opts.name) || struct_gen_impl::is_cpp_keyword(opts.name))
    return "--name must be a C++ identifier";
  if (opts.ns.empty()) return {};
  std::string_view ns = opts.ns;  // a::b allowed
  for (std::size_t at = 0;;) {
    const std::size_t sep = ns.find("::", at);
    const std::string_view part = ns.substr(at, sep == std::string_view::npos ? std::string_view::npos : sep - at);
    if (!is_identifier(part) || struct_gen_impl::is_cpp_keyword(part))
      return "--namespace must be C++ identifiers separated by ::";
    if (sep == std::string_view::npos) return {};
    at = sep + 2;
  }
}

}  // namespace tfckpt_tool
