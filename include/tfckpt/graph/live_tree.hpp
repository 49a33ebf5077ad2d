// tfckpt graph layer: the runtime tree of live objects a checkpoint is written from and restored
// into. Nodes are objects (identified by address *and* type, because a struct and its first
// field share an address); edges are (local name, child) in the order the object declares them;
// a node may be reached by several edges (Keras lists a layer as `layer_with_weights-0` and
// `layer-0`). Leaves carry a variable: dtype, shape and type-erased save/restore functions.
// The reflect layer fills this tree from structs; tests and custom types can fill it by hand.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../format/bundle_proto.hpp"
#include "../format/error.hpp"
#include "../format/object_graph_proto.hpp"
#include "slot_table.hpp"

namespace tfckpt {
// Leaves only pass them through (core_io.hpp), so a unit describing its structs needs neither
// definition.
class bundle_reader;
struct entry_info;
class bundle_writer;
}  // namespace tfckpt

namespace tfckpt::detail {

template <class T>
inline constexpr char type_tag = 0;  // one distinct address per type

struct object_id {
  const void* address = nullptr;
  const void* type = nullptr;
  friend auto operator<=>(const object_id&, const object_id&) = default;
};

template <class T>
object_id id_of(const T& obj) noexcept {
  return {static_cast<const void*>(&obj), &detail::type_tag<T>};
}

// How a stored shape is checked before the variable's restore function sees it.
enum class shape_rule {
  exact,       // fixed-shape storage: the stored shape must equal `shape`
  any_length,  // std::vector: rank 1, any length (resized on restore)
  any,         // dynamic tensor: any shape
};

struct variable_io {
  result<void> (*save)(const void* object, bundle_writer& w, const std::string& key);
  // Called after dtype and shape were checked against the variable's rule.
  result<void> (*restore)(void* object, const bundle_reader& r, const std::string& key,
                          const entry_info& stored);
};

struct variable {
  dtype type = dtype::invalid;  // invalid: adopts the stored dtype (an untyped tensor)
  shape_t shape;                // current shape (what save writes)
  shape_rule rule = shape_rule::exact;
  void* object = nullptr;
  const variable_io* io = nullptr;
  std::string full_name;  // SerializedTensor.full_name; the object path when empty
};

// A value the object saves under an attribute of its own (tfckpt::attribute<"NAME", T>), as a
// tf.data iterator saves ITERATOR_STATE: not a child object. Its key is
// attribute_key(<object path>, name).
struct live_attribute {
  std::string name;  // SerializedTensor.name: the attribute as the object graph records it
  variable value;
};

struct live_edge {
  std::string local_name;
  std::size_t target = 0;
};

// Restore-time growth of a container to what the checkpoint holds (std::vector<S> resized to the
// saved list's length, std::map<std::string,S> given the saved keys, std::optional<S> fields
// engaged when the saved node has that child). Called with the saved node bound to this live
// node; returns true when the object changed, after which the tree must be rebuilt.
struct container_fill {
  bool (*fill)(void* object, const trackable_object& saved) = nullptr;
  void* object = nullptr;
};

struct live_node {
  object_id id;
  std::vector<live_edge> children;  // declared order
  std::optional<variable> value;    // leaves (their VARIABLE_VALUE attribute)
  std::vector<live_attribute> attributes;  // other named attributes of this object
  slot_table* slots = nullptr;      // optimizers with slot variables (pre-2.11 layout)
  container_fill fill{};            // containers that take their size from the checkpoint
};

class live_tree {
 public:
  static constexpr std::size_t root = 0;

  // The node for `id`, created when new. `second` is true when it was created, which tells a
  // visitor to describe the object's children (exactly once per object).
  TFCKPT_LAZY std::pair<std::size_t, bool> intern(object_id id) {
    if (auto it = index_.find(id); it != index_.end()) return {it->second, false};
    nodes_.push_back(live_node{id, {}, std::nullopt, {}, nullptr, {}});
    index_.emplace(id, nodes_.size() - 1);
    return {nodes_.size() - 1, true};
  }
  // An object with no identity of its own (e.g. save_counter held by the checkpoint).
  TFCKPT_LAZY std::size_t add_anonymous() {
    nodes_.push_back(live_node{});
    return nodes_.size() - 1;
  }
  TFCKPT_LAZY void add_edge(std::size_t parent, std::string local_name, std::size_t child) {
    nodes_[parent].children.push_back(live_edge{std::move(local_name), child});
  }
  TFCKPT_LAZY std::optional<std::size_t> find(object_id id) const {
    if (auto it = index_.find(id); it != index_.end()) return it->second;
    return std::nullopt;
  }
  TFCKPT_LAZY live_node& node(std::size_t i) { return nodes_[i]; }
  TFCKPT_LAZY const live_node& node(std::size_t i) const { return nodes_[i]; }
  std::size_t size() const noexcept { return nodes_.size(); }
  std::vector<live_node>& nodes() noexcept { return nodes_; }
  const std::vector<live_node>& nodes() const noexcept { return nodes_; }

  // Duplicate local names under one parent can never be matched by name: reject them. Linear
  // (expected) in the children: pairwise comparison made every save of a wide node quadratic.
  // Likewise two attributes of one name on an object (they would share a key).
  TFCKPT_LAZY result<void> check_unique_names() const {
    std::unordered_set<std::string_view> seen;
    for (const auto& n : nodes_) {
      for (std::size_t i = 0; i < n.attributes.size(); ++i) {
        const std::string& a = n.attributes[i].name;
        if (a.empty()) return make_error(errc::invalid_argument, "an attribute with an empty name");
        if (n.value && a == "VARIABLE_VALUE")
          return make_error(errc::invalid_argument, "a variable already saves the attribute 'VARIABLE_VALUE'");
        for (std::size_t j = 0; j < i; ++j)
          if (n.attributes[j].name == a)
            return make_error(errc::invalid_argument, "two attributes of one object share the name '" + a + "'");
      }
      if (n.children.size() < 2) continue;
      seen.clear();
      seen.reserve(n.children.size());
      for (const auto& c : n.children)
        if (!seen.insert(c.local_name).second)
          return make_error(errc::invalid_argument, "two children share the local name '" + c.local_name + "'");
    }
    return {};
  }

 private:
  std::vector<live_node> nodes_;
  std::map<object_id, std::size_t> index_;
};

}  // namespace tfckpt::detail
