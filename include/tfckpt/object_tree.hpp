// tfckpt: write a TF2 object-based checkpoint from a tree of named tensors, without declaring a
// struct: what a converter needs when the tree is only known at run time (`tfckpt import`).
// Each variable names its object path as local names from the root; every component becomes a
// child object under that name, as tf.train.Checkpoint(**roots) over a tf.Module / tf.Variable
// tree of the same shape saves it, so such a tree restores it.
//
//   const float w[] = {1, 2, 3};
//   std::vector<tfckpt::tree_variable> vars(1);
//   vars[0].path = {"model", "dense", "kernel"};
//   vars[0].dtype = tfckpt::dtype::float32;
//   vars[0].shape = {3};
//   vars[0].bytes = {reinterpret_cast<const char*>(w), sizeof w};
//   auto wr = tfckpt::bundle_writer::create("out/ckpt");
//   TFCKPT_TRY(tfckpt::write_object_tree(*wr, vars));
//   TFCKPT_TRY(wr->finish());
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/tensor.hpp"
#include "bundle/writer.hpp"
#include "format/error.hpp"
#include "graph/live_tree.hpp"
#include "graph/save.hpp"
#include "graph/slot_table.hpp"

namespace tfckpt {

// One variable of the tree. The values are views: they must outlive write_object_tree (a large
// import is streamed to the writer, never copied).
struct tree_variable {
  std::vector<std::string> path;         // local names from the root, unescaped: {"model", "kernel"}
  ::tfckpt::dtype dtype = ::tfckpt::dtype::invalid;
  shape_t shape;
  std::string_view bytes;                // fixed-size dtypes: the row-major, little-endian elements
  std::span<const std::string> strings;  // dtype::string / variant: one element per element of `shape`
  // The attribute of the object at `path` this value is saved as; empty: the object is a
  // variable (VARIABLE_VALUE). E.g. "ITERATOR_STATE" for a tf.data iterator's variant state.
  std::string attribute;
};

// The slot variables of one optimizer of the tree (pre-2.11 Keras layout, e.g. Adam's m and v).
struct tree_slots {
  std::vector<std::string> optimizer;  // local names of the optimizer's path; it becomes a node
  slot_table table;                    // keyed by the variables' object paths (tfckpt::object_path)
};

namespace detail {

struct tree_save_ctx {
  const tree_variable* var;
  std::size_t index;
  const std::function<void(std::size_t)>* on_saved;
};

TFCKPT_LAZY result<void> save_tree_variable(const void* object, bundle_writer& w, const std::string& key) {
  const auto* c = static_cast<const tree_save_ctx*>(object);
  const tree_variable& v = *c->var;
  if (v.dtype == ::tfckpt::dtype::string) TFCKPT_TRY(w.add_strings(key, v.shape, v.strings));
  else if (v.dtype == ::tfckpt::dtype::variant) TFCKPT_TRY(w.add_variant(key, v.shape, v.strings));
  else TFCKPT_TRY(w.add(key, v.dtype, v.shape, v.bytes));
  if (*c->on_saved) (*c->on_saved)(c->index);
  return {};
}
TFCKPT_LAZY result<void> restore_tree_variable(void*, const bundle_reader&, const std::string& key, const entry_info&) {
  return make_error(errc::unsupported, "a tree of tree_variable is write-only").at_key(key);
}
inline constexpr variable_io tree_variable_io{&save_tree_variable, &restore_tree_variable};

// invalid_argument unless `v` holds exactly its shape's elements of its dtype.
TFCKPT_LAZY result<void> check_tree_variable(const tree_variable& v) {
  const std::string where = object_path(v.path);
  if (v.path.empty()) return make_error(errc::invalid_argument, "write_object_tree: a variable with an empty path");
  for (const auto& c : v.path)
    if (c.empty()) return make_error(errc::invalid_argument, "write_object_tree: empty local name in the path").at_key(where);
  if (v.dtype == ::tfckpt::dtype::string || v.dtype == ::tfckpt::dtype::variant) {
    auto n = element_count_for(v.shape, v.strings.size(), "write_object_tree");
    if (!n) return std::move(n).error().at_key(where);
    return {};
  }
  if (!is_fixed_size(v.dtype))
    return make_error(errc::invalid_argument, "write_object_tree: dtype " + std::string(dtype_name(v.dtype)) +
                                                  " has neither fixed-size elements nor strings")
        .at_key(where);
  auto n = element_count(v.shape, "write_object_tree");
  if (!n) return std::move(n).error().at_key(where);
  if (*n * dtype_size(v.dtype) != v.bytes.size())
    return make_error(errc::invalid_argument, "write_object_tree: " + std::to_string(v.bytes.size()) +
                                                  " bytes given for shape " + shape_to_string(v.shape) + " of " +
                                                  std::string(dtype_name(v.dtype)))
        .at_key(where);
  return {};
}

}  // namespace detail

// Writes `variables` and `slots` into `w` as a TF2 object-based checkpoint: each variable under
// `<escaped path>/.ATTRIBUTES/VARIABLE_VALUE` (or `<escaped attribute>` when it names one), each slot under its `.OPTIMIZER_SLOT` key and the
// TrackableObjectGraph (root = node 0, children in first-seen order) under
// _CHECKPOINTABLE_OBJECT_GRAPH. `on_saved(i)`, when given, is called once variables[i] is written
// (progress). Does not finish() the writer. errc::invalid_argument: an empty path or local name,
// two variables or two slot tables at one path, values that do not fit dtype and shape, a slot
// whose variable is not in the tree.
TFCKPT_LAZY result<void> write_object_tree(bundle_writer& w, std::span<const tree_variable> variables,
                                      std::span<const tree_slots> slots = {},
                                      const std::function<void(std::size_t)>& on_saved = {}) {
  detail::live_tree tree;
  tree.add_anonymous();  // the root (the tf.train.Checkpoint)
  std::map<std::vector<std::string>, std::size_t> node_of{{{}, detail::live_tree::root}};
  auto node_for = [&](const std::vector<std::string>& path) {
    std::vector<std::string> sofar;
    std::size_t parent = detail::live_tree::root;
    for (const auto& name : path) {
      sofar.push_back(name);
      auto it = node_of.find(sofar);
      if (it == node_of.end()) {
        const std::size_t n = tree.add_anonymous();
        tree.add_edge(parent, name, n);
        it = node_of.emplace(sofar, n).first;
      }
      parent = it->second;
    }
    return parent;
  };
  std::vector<detail::tree_save_ctx> ctx;
  ctx.reserve(variables.size());  // stable addresses: the tree points at them
  for (std::size_t i = 0; i < variables.size(); ++i) {
    const tree_variable& v = variables[i];
    TFCKPT_TRY(detail::check_tree_variable(v));
    detail::live_node& node = tree.node(node_for(v.path));
    if (v.attribute.empty() && node.value)
      return make_error(errc::invalid_argument, "write_object_tree: two variables at one object path")
          .at_key(object_path(v.path));
    ctx.push_back({&v, i, &on_saved});
    detail::variable var;
    var.type = v.dtype;
    var.shape = v.shape;
    var.object = &ctx.back();
    var.io = &detail::tree_variable_io;
    if (v.attribute.empty()) node.value = std::move(var);
    else node.attributes.push_back(detail::live_attribute{v.attribute, std::move(var)});  // duplicates: write_tree refuses
  }
  for (const auto& s : slots) {
    detail::live_node& node = tree.node(node_for(s.optimizer));
    if (node.slots)
      return make_error(errc::invalid_argument, "write_object_tree: two slot tables for one optimizer")
          .at_key(object_path(s.optimizer));
    node.slots = const_cast<slot_table*>(&s.table);  // write_tree only reads it
  }
  return detail::write_tree(tree, w);
}

}  // namespace tfckpt
