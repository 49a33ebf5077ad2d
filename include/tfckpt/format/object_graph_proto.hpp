// tfckpt: tensorflow.TrackableObjectGraph (trackable_object_graph.proto), the object graph a TF2
// checkpoint stores under `_CHECKPOINTABLE_OBJECT_GRAPH`. Decoded with limits and validation
// (node ids in range), encoded byte-identically to TensorFlow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protobuf.hpp"
#include "error.hpp"
#include "options.hpp"

namespace tfckpt {

// The bundle key holding the serialized graph (trackable/constants.py OBJECT_GRAPH_PROTO_KEY).
inline constexpr std::string_view object_graph_key = "_CHECKPOINTABLE_OBJECT_GRAPH";

struct object_reference {
  std::int32_t node_id = 0;
  std::string local_name;
};

struct serialized_tensor {
  std::string name;            // escaped attribute name, e.g. VARIABLE_VALUE
  std::string full_name;       // the variable's shared name (name-based compatibility only)
  std::string checkpoint_key;  // the bundle key
  bool optional_restore = false;
};

struct slot_variable_reference {
  std::int32_t original_variable_node_id = 0;
  std::string slot_name;
  std::int32_t slot_variable_node_id = 0;
};

struct registered_saver {
  std::string name;
  std::string object_name;
};

struct trackable_object {
  std::vector<object_reference> children;
  std::vector<serialized_tensor> attributes;
  std::vector<slot_variable_reference> slot_variables;
  std::optional<registered_saver> saver;
  std::optional<bool> has_checkpoint_values;  // google.protobuf.BoolValue; absent in older TF
};

struct trackable_object_graph {
  std::vector<trackable_object> nodes;  // node id = index; node 0 is the root
};


namespace detail {

TFCKPT_LAZY error graph_error(std::string_view what) {
  return make_error(errc::corruption, "malformed TrackableObjectGraph: " + std::string(what));
}

template <class Fn>
bool for_each_field(std::string_view bytes, Fn&& fn) {
  proto_reader r(bytes);
  std::uint32_t f;
  wire_type t;
  while (!r.done()) {
    if (!r.next(f, t) || !fn(r, f, t)) return false;
  }
  return true;
}

TFCKPT_LAZY bool read_string_field(proto_reader& r, wire_type t, std::string& out) {
  std::string_view v;
  if (t != wire_type::length_delimited || !r.read_bytes(v)) return false;
  out.assign(v);
  return true;
}

TFCKPT_LAZY bool decode_trackable_object(std::string_view bytes, trackable_object& o, std::size_t& edges) {
  return for_each_field(bytes, [&](proto_reader& r, std::uint32_t f, wire_type t) {
    if (t != wire_type::length_delimited || f < 1 || f > 5) return r.skip(t);
    std::string_view sub;
    if (!r.read_bytes(sub)) return false;
    ++edges;
    switch (f) {
      case 1: {
        auto& c = o.children.emplace_back();
        return for_each_field(sub, [&](proto_reader& s, std::uint32_t g, wire_type u) {
          if (g == 1 && u == wire_type::varint) return s.read_int32(c.node_id);
          if (g == 2) return read_string_field(s, u, c.local_name);
          return s.skip(u);
        });
      }
      case 2: {
        auto& a = o.attributes.emplace_back();
        return for_each_field(sub, [&](proto_reader& s, std::uint32_t g, wire_type u) {
          if (g == 1) return read_string_field(s, u, a.name);
          if (g == 2) return read_string_field(s, u, a.full_name);
          if (g == 3) return read_string_field(s, u, a.checkpoint_key);
          if (g == 4 && u == wire_type::varint) return s.read_bool(a.optional_restore);
          return s.skip(u);
        });
      }
      case 3: {
        auto& sv = o.slot_variables.emplace_back();
        return for_each_field(sub, [&](proto_reader& s, std::uint32_t g, wire_type u) {
          if (g == 1 && u == wire_type::varint) return s.read_int32(sv.original_variable_node_id);
          if (g == 2) return read_string_field(s, u, sv.slot_name);
          if (g == 3 && u == wire_type::varint) return s.read_int32(sv.slot_variable_node_id);
          return s.skip(u);
        });
      }
      case 4: {
        auto& rs = o.saver.emplace();
        return for_each_field(sub, [&](proto_reader& s, std::uint32_t g, wire_type u) {
          if (g == 1) return read_string_field(s, u, rs.name);
          if (g == 2) return read_string_field(s, u, rs.object_name);
          return s.skip(u);
        });
      }
      default: {  // 5: BoolValue wrapper; present-but-empty means false
        bool v = false;
        const bool ok = for_each_field(sub, [&](proto_reader& s, std::uint32_t g, wire_type u) {
          if (g == 1 && u == wire_type::varint) return s.read_bool(v);
          return s.skip(u);
        });
        o.has_checkpoint_values = v;
        return ok;
      }
    }
  });
}

}  // namespace detail

// Structural checks: every node id refers to an existing node. (Cycles through `children` are
// legal in TF graphs: a Checkpoint(root, ...) has a self edge `root`.)
TFCKPT_LAZY result<void> validate_object_graph(const trackable_object_graph& g) {
  const auto n = static_cast<std::int64_t>(g.nodes.size());
  auto bad = [&](std::size_t node, std::string_view what, std::int64_t id) {
    return make_error(errc::corruption, "object graph node " + std::to_string(node) + ": " +
                                            std::string(what) + " refers to node " +
                                            std::to_string(id) + " of " + std::to_string(n));
  };
  if (n == 0) return make_error(errc::corruption, "object graph has no root node");
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& c : g.nodes[i].children)
      if (c.node_id < 0 || c.node_id >= n) return bad(i, "child '" + c.local_name + "'", c.node_id);
    for (const auto& s : g.nodes[i].slot_variables) {
      if (s.original_variable_node_id < 0 || s.original_variable_node_id >= n)
        return bad(i, "slot '" + s.slot_name + "' original variable", s.original_variable_node_id);
      if (s.slot_variable_node_id < 0 || s.slot_variable_node_id >= n)
        return bad(i, "slot '" + s.slot_name + "' variable", s.slot_variable_node_id);
    }
  }
  return {};
}

namespace detail {
// Breadth-first from the root over `children` (ids already validated): rejects graphs deeper
// than limits.max_depth or whose first paths (escaped names: at most 2 bytes per name byte, plus
// '/') sum past limits.max_path_bytes. Iterative; cycles end at visited nodes.
TFCKPT_LAZY result<void> check_graph_depth(const trackable_object_graph& g, const object_graph_limits& limits) {
  std::vector<std::size_t> depth(g.nodes.size(), 0);
  std::vector<std::uint64_t> path_len(g.nodes.size(), 0);
  std::vector<bool> seen(g.nodes.size(), false);
  std::vector<std::size_t> queue{0};
  seen[0] = true;
  std::uint64_t total = 0;
  for (std::size_t q = 0; q < queue.size(); ++q) {
    const std::size_t p = queue[q];
    for (const auto& c : g.nodes[p].children) {
      const auto id = static_cast<std::size_t>(c.node_id);
      if (seen[id]) continue;
      seen[id] = true;
      depth[id] = depth[p] + 1;
      path_len[id] = path_len[p] + 1 + 2 * std::uint64_t{c.local_name.size()};
      total += path_len[id];
      if (depth[id] > limits.max_depth)
        return make_error(errc::limit_exceeded, "object graph is deeper than " + std::to_string(limits.max_depth) +
                                                    " levels (node " + std::to_string(id) + ")");
      if (total > limits.max_path_bytes)
        return make_error(errc::limit_exceeded, "object graph paths exceed " +
                                                    std::to_string(limits.max_path_bytes) + " bytes");
      queue.push_back(id);
    }
  }
  return {};
}
}  // namespace detail

TFCKPT_LAZY result<trackable_object_graph> decode_object_graph(std::string_view bytes,
                                                          const object_graph_limits& limits = {}) {
  trackable_object_graph g;
  std::size_t edges = 0;
  bool over = false;  // max_nodes nodes are allowed; the one after them is the error
  const bool ok = detail::for_each_field(bytes, [&](detail::proto_reader& r, std::uint32_t f,
                                                    detail::wire_type t) {
    if (f != 1 || t != detail::wire_type::length_delimited) return r.skip(t);
    std::string_view node;
    if (!r.read_bytes(node)) return false;
    if (g.nodes.size() >= limits.max_nodes || edges > limits.max_edges) return !(over = true);
    return detail::decode_trackable_object(node, g.nodes.emplace_back(), edges);
  });
  if (over || edges > limits.max_edges)
    return make_error(errc::limit_exceeded, "object graph exceeds the node/edge limits (" +
                                                std::to_string(limits.max_nodes) + " nodes)");
  if (!ok) return detail::graph_error("truncated or invalid field");
  TFCKPT_TRY(validate_object_graph(g));
  TFCKPT_TRY(detail::check_graph_depth(g, limits));
  return g;
}

TFCKPT_LAZY std::string encode_object_graph(const trackable_object_graph& g) {
  using detail::proto_writer;
  std::string out;
  proto_writer w(out);
  for (const auto& node : g.nodes) {
    w.message_field(1, [&](proto_writer& nw) {
      for (const auto& c : node.children)
        nw.message_field(1, [&](proto_writer& sw) {
          sw.int64_field(1, c.node_id);
          sw.string_field(2, c.local_name);
        });
      for (const auto& a : node.attributes)
        nw.message_field(2, [&](proto_writer& sw) {
          sw.string_field(1, a.name);
          sw.string_field(2, a.full_name);
          sw.string_field(3, a.checkpoint_key);
          sw.bool_field(4, a.optional_restore);
        });
      for (const auto& sv : node.slot_variables)
        nw.message_field(3, [&](proto_writer& sw) {
          sw.int64_field(1, sv.original_variable_node_id);
          sw.string_field(2, sv.slot_name);
          sw.int64_field(3, sv.slot_variable_node_id);
        });
      if (node.saver)
        nw.message_field(4, [&](proto_writer& sw) {
          sw.string_field(1, node.saver->name);
          sw.string_field(2, node.saver->object_name);
        });
      if (node.has_checkpoint_values)
        nw.message_field(5, [&](proto_writer& sw) { sw.bool_field(1, *node.has_checkpoint_values); });
    });
  }
  return out;
}

}  // namespace tfckpt
