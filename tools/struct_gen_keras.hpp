// tfckpt struct: Keras subtrees that fit one of the library's ready-made types exactly
// (include/tfckpt/keras/), so the generated header says `tfckpt::keras::adam<...>` or
// `tfckpt::keras3::sequential<...>` instead of a generic struct of the same shape.
//
// A subtree is recognised by its exact shape: child names in order, leaf dtypes and ranks, the
// order of the optimizer's `_variables` list against its slot lists, and (Keras 3) the
// optimizer's `_trainable_variables` against the model's trainable variables in
// model.trainable_variables order. It must also be closed: no edge from outside reaches a node
// inside except the subtree's own root (the ready-made types own every node they describe).
// Anything else stays generic. Recognised:
//   tf_keras / Keras 2, TF >= 2.11 layout   keras::adam<S>, keras::sgd<S>, keras::rmsprop<V, M, A>
//   tf_keras legacy (optimizer_v2)          keras::legacy::adam, ::sgd, ::rmsprop
//   Keras 3 models of Dense/Conv/Embedding/ keras3::sequential<...>, keras3::functional<...>,
//   LayerNorm/BatchNorm/weightless layers   keras3::compiled<Model, keras3::adam> (vector slots)
//   Keras 3 optimizers next to such a model keras3::adam/adamw/sgd/rmsprop/adagrad<member_path<&root::model>, ...>
// Slot containers are std::array<leaf, N> (shapes preset by the field's initializer, checked by
// a restore) or, when the leaf types differ (--fixed), std::tuple<leaf...>; empty: std::tuple<>.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/graph/keys.hpp>

#include "struct_gen_leaves.hpp"

namespace tfckpt_tool::struct_gen_impl {

// A ready-made type for the field of a subtree root. `type` may name the root struct through
// the placeholder "\x01" "0" "\x02" (the generator resolves it); `init` is "" or " = ...".
struct ready_type {
  std::string type;
  std::string init;
};

class keras_matcher {
 public:
  keras_matcher(const tfckpt::bundle_reader& r, const tfckpt::trackable_object_graph& g, bool fixed)
      : r_(r), g_(g), fixed_(fixed), parents_(g.nodes.size()) {
    for (std::size_t u = 0; u < g.nodes.size(); ++u)
      for (const auto& c : g.nodes[u].children)
        if (c.node_id >= 0 && static_cast<std::size_t>(c.node_id) < g.nodes.size())
          parents_[static_cast<std::size_t>(c.node_id)].push_back(u);
  }

  // Subtree root node -> its ready-made type.
  std::map<std::size_t, ready_type> run() {
    std::map<std::size_t, ready_type> out;
    const std::size_t n = g_.nodes.size();
    for (std::size_t id = 1; id < n; ++id) {
      std::optional<ready_type> t = keras2_optimizer(id);
      if (!t) t = legacy_optimizer(id);
      if (!t) {
        model m;
        if (keras3_model(id, m)) t = ready_type{m.type, lambda_init(m.type, m.assigns)};
      }
      if (t && closed({id})) out.emplace(id, *t);
    }
    keras3_pairs(out);
    return out;
  }

 private:
  using ids = std::vector<std::size_t>;
  struct slots {
    std::string type;
    std::vector<std::string> assigns;  // statements on `v`, presetting shapes
  };
  struct model {
    std::string type;
    std::vector<std::string> assigns;
    ids trainables;  // in model.trainable_variables order
  };

  const tfckpt::bundle_reader& r_;
  const tfckpt::trackable_object_graph& g_;
  bool fixed_;
  std::vector<ids> parents_;  // every node with an edge to this one

  const tfckpt::trackable_object& node(std::size_t id) const { return g_.nodes[id]; }

  std::optional<std::size_t> child(std::size_t id, const std::string& name) const {
    for (const auto& c : node(id).children)
      if (c.local_name == name && c.node_id >= 0 && static_cast<std::size_t>(c.node_id) < g_.nodes.size())
        return static_cast<std::size_t>(c.node_id);
    return std::nullopt;
  }
  bool names_are(std::size_t id, const std::vector<std::string>& names) const {
    const auto& ch = node(id).children;
    if (ch.size() != names.size() || !node(id).attributes.empty() || !node(id).slot_variables.empty()) return false;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (ch[i].local_name != names[i] || ch[i].node_id < 0 || static_cast<std::size_t>(ch[i].node_id) >= g_.nodes.size())
        return false;
    return true;
  }
  bool empty(std::size_t id) const {
    return node(id).children.empty() && node(id).attributes.empty() && node(id).slot_variables.empty();
  }
  // The entry of a variable node (one VARIABLE_VALUE attribute, no children), or null.
  const tfckpt::entry* var(std::size_t id) const {
    const auto& n = node(id);
    if (!n.children.empty() || n.attributes.size() != 1 || !n.slot_variables.empty() ||
        n.attributes[0].name != tfckpt::variable_value_name)
      return nullptr;
    return r_.find(n.attributes[0].checkpoint_key);
  }
  bool scalar(std::optional<std::size_t> id, tfckpt::dtype t) const {
    const tfckpt::entry* e = id ? var(*id) : nullptr;
    return e && e->info.dtype == t && e->info.shape.empty();
  }
  // The items of a list node ("0".."n-1"; no children: an empty list), or nullopt.
  std::optional<ids> items(std::optional<std::size_t> id) const {
    if (!id || !node(*id).attributes.empty() || !node(*id).slot_variables.empty()) return std::nullopt;
    ids out;
    const auto& ch = node(*id).children;
    for (std::size_t i = 0; i < ch.size(); ++i) {
      if (ch[i].local_name != std::to_string(i) || ch[i].node_id < 0 ||
          static_cast<std::size_t>(ch[i].node_id) >= g_.nodes.size())
        return std::nullopt;
      out.push_back(static_cast<std::size_t>(ch[i].node_id));
    }
    return out;
  }

  // Every node reachable from `roots` through children edges is entered only from inside, or is
  // one of `roots`.
  bool closed(const ids& roots) const {
    std::set<std::size_t> in(roots.begin(), roots.end());
    ids stack = roots;
    while (!stack.empty()) {
      const std::size_t u = stack.back();
      stack.pop_back();
      for (const auto& c : node(u).children) {
        const auto v = static_cast<std::size_t>(c.node_id);
        if (in.insert(v).second) stack.push_back(v);
      }
    }
    for (std::size_t v : in) {
      if (v == 0) return false;
      bool root = false;
      for (std::size_t r : roots) root = root || r == v;
      if (root) continue;
      for (std::size_t p : parents_[v])
        if (!in.count(p)) return false;
    }
    return true;
  }

  // The leaf type of variable `id` and, when its shape is preset, the statement `access = ...;`.
  bool leaf(std::size_t id, const std::string& access, std::string& type, std::vector<std::string>& assigns) const {
    const tfckpt::entry* e = var(id);
    if (!e) return false;
    const typed t = leaf_type(e->info, fixed_);
    type = t.type;
    if (t.init.size() > 2 && t.init.front() == '{' && t.init.back() == '}')
      assigns.push_back(access + " = " + t.init.substr(1, t.init.size() - 2) + ";");
    return true;
  }

  // A slot container over variables `vs`: std::array when all leaf types agree, else std::tuple.
  std::optional<slots> slot_list(const ids& vs, const std::string& access) const {
    slots s;
    if (vs.empty()) return slots{"std::tuple<>", {}};
    std::vector<std::string> types(vs.size());
    std::vector<std::string> arr, tup;
    for (std::size_t i = 0; i < vs.size(); ++i) {
      if (!leaf(vs[i], access + "[" + std::to_string(i) + "]", types[i], arr)) return std::nullopt;
      (void)leaf(vs[i], "std::get<" + std::to_string(i) + ">(" + access + ")", types[i], tup);
    }
    bool same = true;
    for (const auto& t : types) same = same && t == types[0];
    if (same) return slots{"std::array<" + types[0] + ", " + std::to_string(vs.size()) + ">", arr};
    s.type = "std::tuple<";
    for (std::size_t i = 0; i < types.size(); ++i) s.type += (i ? ", " : "") + types[i];
    s.type += ">";
    s.assigns = tup;
    return s;
  }

  static std::string lambda_init(const std::string& type, const std::vector<std::string>& assigns) {
    if (assigns.empty()) return "";
    std::string s = " = [] {  // the stored shapes, checked by a restore\n    " + type + " v;\n";
    for (const auto& a : assigns) s += "    " + a + "\n";
    return s + "    return v;\n  }()";
  }

  // `_variables` after `lead` leading scalars: the slot lists interleaved (one build() group,
  // Adam) or one after the other (blocked).
  static bool slot_order(const ids& vars, std::size_t lead, const std::vector<ids>& lists, bool interleaved) {
    ids want;
    if (interleaved) {
      for (const auto& l : lists)
        if (l.size() != lists[0].size()) return false;
      for (std::size_t i = 0; !lists.empty() && i < lists[0].size(); ++i)
        for (const auto& l : lists) want.push_back(l[i]);
    } else {
      for (const auto& l : lists) want.insert(want.end(), l.begin(), l.end());
    }
    if (vars.size() != lead + want.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i)
      if (vars[lead + i] != want[i]) return false;
    return true;
  }

  // Slot containers for `lists` (by member name), appended to `args`; assignments to `assigns`.
  bool slot_args(const std::vector<std::pair<std::string, ids>>& lists, std::string& args,
                 std::vector<std::string>& assigns) const {
    for (const auto& [member, vs] : lists) {
      auto s = slot_list(vs, "v." + member);
      if (!s) return false;
      args += (args.empty() ? "" : ", ") + s->type;
      assigns.insert(assigns.end(), s->assigns.begin(), s->assigns.end());
    }
    return true;
  }

  // The slot lists of an optimizer (child name -> member name), checked against `_variables`
  // after its `lead` scalars; `count`: every non-empty list has that many items. The result's
  // `type` is the slot template arguments: one shared `Slots` (`one_type`: every list must come
  // out as the same container type, as m and v do) or one per list.
  std::optional<slots> optimizer_lists(std::size_t id, const std::vector<std::pair<std::string, std::string>>& names,
                                       const ids& vars, std::size_t lead, bool interleaved, bool one_type,
                                       std::optional<std::size_t> count) const {
    std::vector<ids> lists;
    std::vector<std::pair<std::string, ids>> members;
    for (const auto& [child_name, member] : names) {
      auto it = items(child(id, child_name));
      if (!it || (count && !it->empty() && it->size() != *count)) return std::nullopt;
      lists.push_back(*it);
      members.emplace_back(member, *it);
    }
    if (!slot_order(vars, lead, lists, interleaved)) return std::nullopt;
    slots out;
    if (!one_type) {
      if (!slot_args(members, out.type, out.assigns)) return std::nullopt;
      return out;
    }
    for (const auto& [member, vs] : members) {
      std::string a;
      if (!slot_args({{member, vs}}, a, out.assigns)) return std::nullopt;
      if (out.type.empty()) out.type = a;
      else if (a != out.type) return std::nullopt;
    }
    return out;
  }

  // tf_keras optimizers of TF >= 2.11 (keras/optimizers.hpp).
  std::optional<ready_type> keras2_optimizer(std::size_t id) const {
    const std::vector<std::string> head = {"_variables", "_iterations", "_learning_rate", "_index_dict"};
    struct kind {
      const char* type;
      std::vector<std::pair<std::string, std::string>> lists;  // child name, member name
      bool interleaved;
      bool one_type;  // a single Slots parameter shared by every list
    };
    static const kind kinds[] = {
        {"tfckpt::keras::adam", {{"_momentums", "momentums"}, {"_velocities", "velocities"}}, true, true},
        {"tfckpt::keras::sgd", {{"momentums", "momentums"}}, false, true},
        {"tfckpt::keras::rmsprop",
         {{"_velocities", "velocities"}, {"_momentums", "momentums"}, {"_average_gradients", "average_gradients"}},
         false, false},
    };
    for (const auto& k : kinds) {
      std::vector<std::string> names = head;
      for (const auto& l : k.lists) names.push_back(l.first);
      if (!names_are(id, names)) continue;
      const auto iterations = child(id, "_iterations");
      const auto vars = items(child(id, "_variables"));
      const auto index_dict = child(id, "_index_dict");
      if (!scalar(iterations, tfckpt::dtype::int64) || !scalar(child(id, "_learning_rate"), tfckpt::dtype::float32) ||
          !vars || vars->empty() || (*vars)[0] != *iterations || !index_dict || !empty(*index_dict))
        return std::nullopt;
      const auto sl = optimizer_lists(id, k.lists, *vars, 1, k.interleaved, k.one_type, std::nullopt);
      if (!sl) return std::nullopt;
      const std::string type = std::string(k.type) + "<" + sl->type + ">";
      return ready_type{type, lambda_init(type, sl->assigns)};
    }
    return std::nullopt;
  }

  // tf_keras legacy optimizers (optimizer_v2): float32 hyper-parameters, `iter`, slot variables.
  std::optional<ready_type> legacy_optimizer(std::size_t id) const {
    struct kind {
      const char* type;
      std::vector<std::string> fields;  // `iter` first, then float32 scalars
      std::vector<std::string> slots;   // the table's names, in TF's order
    };
    static const kind kinds[] = {
        {"tfckpt::keras::legacy::adam", {"iter", "beta_1", "beta_2", "decay", "learning_rate"}, {"m", "v"}},
        {"tfckpt::keras::legacy::sgd", {"iter", "decay", "learning_rate", "momentum"}, {"momentum"}},
        {"tfckpt::keras::legacy::rmsprop", {"iter", "decay", "learning_rate", "momentum", "rho"}, {"rms", "momentum", "mg"}},
    };
    const auto& n = node(id);
    for (const auto& k : kinds) {
      if (n.children.size() != k.fields.size() || !n.attributes.empty()) continue;
      bool ok = true;
      for (std::size_t i = 0; ok && i < k.fields.size(); ++i)
        ok = n.children[i].local_name == k.fields[i] &&
             scalar(static_cast<std::size_t>(n.children[i].node_id), i == 0 ? tfckpt::dtype::int64 : tfckpt::dtype::float32);
      // The slot names used, in order of first appearance, must be the table's (a prefix: a
      // missing later slot is an empty column, as with momentum=0 or centered=False).
      std::vector<std::string> used;
      for (const auto& sv : n.slot_variables) {
        bool have = false;
        for (const auto& u : used) have = have || u == sv.slot_name;
        if (!have) used.push_back(sv.slot_name);
      }
      std::size_t at = 0;
      for (const auto& u : used) {
        while (at < k.slots.size() && k.slots[at] != u) ++at;
        ok = ok && at < k.slots.size();
      }
      if (ok) return ready_type{k.type, ""};
    }
    return std::nullopt;
  }

  // One Keras 3 layer (keras3_layers.hpp) at `id`, reached as `access`.
  bool keras3_layer(std::size_t id, const std::string& access, std::string& type, std::vector<std::string>& assigns,
                    ids& trainables) const {
    const auto& n = node(id);
    if (!n.attributes.empty() || !n.slot_variables.empty()) return false;
    if (n.children.empty()) {
      type = "tfckpt::keras3::no_weights";
      return true;
    }
    auto var_arg = [&](const char* name, const char* member, std::string& t, bool trainable) {
      const auto c = child(id, name);
      if (!c) {
        t = "tfckpt::keras3::none";
        return true;
      }
      if (!leaf(*c, access + "." + member, t, assigns)) return false;
      if (trainable) trainables.push_back(*c);
      return true;
    };
    std::string a, b, c2, d;
    if (names_are(id, {"_kernel", "bias"}) || names_are(id, {"_kernel"})) {
      if (!var_arg("_kernel", "kernel", a, true) || !var_arg("bias", "bias", b, true)) return false;
      const std::size_t rank = var(*child(id, "_kernel"))->info.shape.size();
      const char* kind = rank == 3 ? "conv1d" : rank == 4 ? "conv2d" : rank == 5 ? "conv3d" : "dense";
      type = std::string("tfckpt::keras3::") + kind + "<" + a + ", " + b + ">";
      return true;
    }
    if (names_are(id, {"_embeddings"})) {
      if (!var_arg("_embeddings", "embeddings", a, true)) return false;
      type = "tfckpt::keras3::embedding<" + a + ">";
      return true;
    }
    if (names_are(id, {"gamma", "beta", "moving_mean", "moving_variance"})) {
      if (!var_arg("gamma", "gamma", a, true) || !var_arg("beta", "beta", b, true) ||
          !var_arg("moving_mean", "moving_mean", c2, false) || !var_arg("moving_variance", "moving_variance", d, false) ||
          a != b || a != c2 || a != d)
        return false;
      type = "tfckpt::keras3::batch_normalization<" + a + ">";
      return true;
    }
    if (names_are(id, {"gamma", "beta"}) || names_are(id, {"gamma"}) || names_are(id, {"beta"})) {
      if (!var_arg("gamma", "gamma", a, true) || !var_arg("beta", "beta", b, true)) return false;
      type = "tfckpt::keras3::layer_normalization<" + a + ", " + b + ">";
      return true;
    }
    return false;
  }

  // A Functional's bookkeeping children (_tracked, _inbound_nodes, ...) carry nothing; its
  // `_operations` list holds the layers. Returns that list.
  std::optional<ids> operations(std::size_t id, std::size_t first_children) const {
    const auto& n = node(id);
    if (!n.attributes.empty() || !n.slot_variables.empty()) return std::nullopt;
    std::optional<std::size_t> ops;
    for (std::size_t j = 0; j < first_children && j < n.children.size(); ++j) {
      const auto& c = n.children[j];
      const auto v = static_cast<std::size_t>(c.node_id);
      if (v >= g_.nodes.size()) return std::nullopt;
      if (c.local_name == "_operations" && !ops) ops = v;
      else if (!empty(v)) return std::nullopt;
    }
    return items(ops);
  }

  // keras3::sequential (model -> _functional -> _operations, 0 the InputLayer) or
  // keras3::functional (model -> _operations).
  bool keras3_model(std::size_t id, model& m) const {
    // A compiled model also lists `optimizer` and an empty `_compiled_trainable_state`, last:
    // keras3::compiled<Model, Optimizer> with the optimizer's default (vector) slots.
    const auto& ch = node(id).children;
    const std::size_t n = ch.size();
    if (n >= 2 && ch[n - 2].local_name == "optimizer" && ch[n - 1].local_name == "_compiled_trainable_state" &&
        node(id).attributes.empty() && node(id).slot_variables.empty()) {
      const auto opt = static_cast<std::size_t>(ch[n - 2].node_id), state = static_cast<std::size_t>(ch[n - 1].node_id);
      if (opt >= g_.nodes.size() || state >= g_.nodes.size() || !empty(state)) return false;
      std::vector<std::string> rest;
      for (std::size_t i = 0; i + 2 < n; ++i) rest.push_back(ch[i].local_name);
      if (!layers(id, rest, m)) return false;
      ids trainables;
      std::string kind;
      if (!keras3_optimizer(opt, "", trainables, &kind) || trainables != m.trainables) return false;
      m.type = "tfckpt::keras3::compiled<" + m.type + ", " + kind + ">";
      return true;
    }
    std::vector<std::string> all;
    for (const auto& c : ch) all.push_back(c.local_name);
    return layers(id, all, m);
  }

  // The model part of node `id`, whose children (without a compiled model's last two) are `names`.
  bool layers(std::size_t id, const std::vector<std::string>& names, model& m) const {
    const bool seq = names.size() == 1 && names[0] == "_functional";
    std::optional<ids> ops;
    if (seq) {
      ops = operations(*child(id, "_functional"), node(*child(id, "_functional")).children.size());
    } else {
      ops = operations(id, names.size());
    }
    if (!ops || ops->empty() || (seq && !empty((*ops)[0]))) return false;
    std::string args;
    for (std::size_t i = seq ? 1 : 0; i < ops->size(); ++i) {
      const std::size_t k = seq ? i - 1 : i;
      const std::string access = seq ? "std::get<" + std::to_string(k) + ">(v.layers)"
                                     : "std::get<" + std::to_string(k) + ">(v.operations)";
      std::string t;
      if (!keras3_layer((*ops)[i], access, t, m.assigns, m.trainables)) return false;
      args += (args.empty() ? "" : ", ") + t;
    }
    if (m.trainables.empty()) return false;  // nothing to gain over a generic struct
    m.type = std::string(seq ? "tfckpt::keras3::sequential<" : "tfckpt::keras3::functional<") + args + ">";
    return true;
  }

  // Keras 3 optimizers, root children next to the model whose variables they list.
  // `name`, when given, receives the template's name alone (for keras3::compiled).
  std::optional<ready_type> keras3_optimizer(std::size_t id, const std::string& locator, ids& trainables,
                                             std::string* name = nullptr) const {
    const std::vector<std::string> head = {"_variables", "_trainable_variables", "_trainable_variables_indices",
                                           "_iterations", "_learning_rate"};
    struct kind {
      const char* type;
      std::vector<std::pair<std::string, std::string>> lists;
      bool interleaved;
      bool one_type;
      bool adamw;
    };
    static const kind kinds[] = {
        {"tfckpt::keras3::adam", {{"_momentums", "momentums"}, {"_velocities", "velocities"}}, true, true, false},
        {"tfckpt::keras3::adamw", {{"_momentums", "momentums"}, {"_velocities", "velocities"}}, true, true, true},
        {"tfckpt::keras3::sgd", {{"momentums", "momentums"}}, false, true, false},
        {"tfckpt::keras3::rmsprop",
         {{"_velocities", "velocities"}, {"_momentums", "momentums"}, {"_average_gradients", "average_gradients"}},
         false, false, false},
        {"tfckpt::keras3::adagrad", {{"_accumulators", "accumulators"}}, false, true, false},
    };
    for (const auto& k : kinds) {
      std::vector<std::string> names = head;
      for (const auto& l : k.lists) names.push_back(l.first);
      if (k.adamw) names.push_back("_exclude_from_weight_decay_cache");
      if (!names_are(id, names)) continue;
      const auto iterations = child(id, "_iterations"), lr = child(id, "_learning_rate");
      const auto vars = items(child(id, "_variables"));
      const auto tv = items(child(id, "_trainable_variables"));
      const auto indices = child(id, "_trainable_variables_indices");
      if (!scalar(iterations, tfckpt::dtype::int64) || !scalar(lr, tfckpt::dtype::float32) || !vars ||
          vars->size() < 2 || (*vars)[0] != *iterations || (*vars)[1] != *lr || !tv || !indices || !empty(*indices) ||
          (k.adamw && !empty(*child(id, "_exclude_from_weight_decay_cache"))))
        return std::nullopt;
      const auto sl = optimizer_lists(id, k.lists, *vars, 2, k.interleaved, k.one_type, tv->size());
      if (!sl) return std::nullopt;
      trainables = *tv;
      if (name) *name = k.type;
      const std::string type = std::string(k.type) + "<" + locator + ", " + sl->type + ">";
      return ready_type{type, lambda_init(type, sl->assigns)};
    }
    return std::nullopt;
  }

  // Root children (model, optimizer) where the optimizer lists exactly the model's trainable
  // variables: both ready-made, the optimizer locating the model as a member of the root.
  void keras3_pairs(std::map<std::size_t, ready_type>& out) const {
    const auto& root = node(0);
    for (std::size_t j = 0; j < root.children.size(); ++j) {
      const auto p = static_cast<std::size_t>(root.children[j].node_id);
      if (p == 0 || p >= g_.nodes.size() || out.count(p)) continue;
      for (std::size_t i = 0; i < j; ++i) {
        const auto mid = static_cast<std::size_t>(root.children[i].node_id);
        model m;
        if (mid == 0 || mid >= g_.nodes.size() || mid == p || !keras3_model(mid, m)) continue;
        if (m.type.rfind("tfckpt::keras3::compiled<", 0) == 0) continue;  // holds its optimizer itself
        // The field of the model edge: identifier_for() of the local name, as the generator names it.
        const std::string locator =
            "tfckpt::member_path<&\x01" "0\x02::" + identifier_for(root.children[i].local_name) + ">";
        ids trainables;
        auto opt = keras3_optimizer(p, locator, trainables);
        if (!opt || trainables != m.trainables || !closed({mid, p})) continue;
        out[mid] = ready_type{m.type, lambda_init(m.type, m.assigns)};
        out[p] = *opt;
        break;
      }
    }
  }
};

}  // namespace tfckpt_tool::struct_gen_impl
