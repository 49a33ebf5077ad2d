// tfckpt graph layer: write a live tree as a TF2 object-based checkpoint: every variable under
// its `<path>/.ATTRIBUTES/VARIABLE_VALUE` key, every other attribute (tfckpt::attribute) under
// `<path>/.ATTRIBUTES/<escaped name>`, every slot under its `.OPTIMIZER_SLOT` key and the
// serialized TrackableObjectGraph under `_CHECKPOINTABLE_OBJECT_GRAPH` (a scalar string).
#pragma once

#include <string>

#include "../bundle/writer.hpp"
#include "build.hpp"

namespace tfckpt::detail {

TFCKPT_LAZY result<void> write_tree(const live_tree& tree, bundle_writer& w) {
  auto built = build_object_graph(tree);
  if (!built) return std::move(built).error();
  // A slot whose variable is not in the tree would be silently lost: refuse instead.
  std::size_t placed = 0, held = 0;
  for (const auto& n : tree.nodes())
    if (n.slots) held += n.slots->size();
  placed = built->slots.size();
  if (placed != held)
    return make_error(errc::invalid_argument, std::to_string(held - placed) +
                                                  " optimizer slot(s) refer to variable paths not in the object tree");
  for (std::size_t id = 0; id < built->bfs_nodes; ++id) {
    const live_node& ln = tree.node(built->live_index[id]);
    const auto& recorded = built->graph.nodes[id].attributes;  // the value's first, then ln.attributes
    std::size_t k = 0;
    if (ln.value) {
      const std::string& key = recorded[k++].checkpoint_key;
      if (auto r = ln.value->io->save(ln.value->object, w, key); !r) return std::move(r).error().at_key(key);
    }
    for (const auto& a : ln.attributes) {
      const std::string& key = recorded[k++].checkpoint_key;
      if (auto r = a.value.io->save(a.value.object, w, key); !r) return std::move(r).error().at_key(key);
    }
  }
  for (std::size_t s = 0; s < built->slots.size(); ++s) {
    const auto& sn = built->slots[s];
    const std::string& key = built->graph.nodes[built->bfs_nodes + s].attributes.front().checkpoint_key;
    TFCKPT_TRY(w.add(key, *tree.node(sn.optimizer_live).slots->find(sn.variable_path, sn.slot_name)));
  }
  const std::string graph_bytes[1] = {encode_object_graph(built->graph)};
  return w.add_strings(object_graph_key, {}, graph_bytes);
}

}  // namespace tfckpt::detail
