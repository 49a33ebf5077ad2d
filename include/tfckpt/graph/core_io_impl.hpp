// tfckpt graph layer: definitions of core_io.hpp (inline in a header-only build; compiled once, in the unit
// including core_impl.hpp, with TFCKPT_SEPARATE_COMPILATION).
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "../bundle/fresh_pages.hpp"
#include "../bundle/reader.hpp"
#include "../bundle/writer.hpp"
#include "../format/state_file.hpp"
#include "bind.hpp"
#include "core_io.hpp"
#include "name_map.hpp"
#include "pending.hpp"
#include "restore.hpp"
#include "save.hpp"

namespace tfckpt::core {
inline namespace TFCKPT_MODE_NAMESPACE {

#if defined(TFCKPT_SEPARATE_COMPILATION)
// The core unit's mark (core_io.hpp): every other separately compiled unit refers to it.
extern const char core_impl_hpp_must_be_compiled_in_one_unit;
const char core_impl_hpp_must_be_compiled_in_one_unit = 1;
#endif

TFCKPT_DEF result<void> write_bytes(bundle_writer& w, std::string_view key, dtype t, const shape_t& shape,
                                     std::string_view bytes) {
  return w.add(key, t, shape, bytes);
}
TFCKPT_DEF result<void> write_tensor(bundle_writer& w, std::string_view key, const tensor& t) {
  return w.add(key, t);
}
TFCKPT_DEF result<void> write_strings(bundle_writer& w, std::string_view key, const shape_t& shape,
                                       std::span<const std::string> values) {
  return w.add_strings(key, shape, values);
}
TFCKPT_DEF result<void> read_bytes_into(const bundle_reader& r, std::string_view key, dtype t,
                                         std::span<std::byte> dst) {
  return r.read_into(key, t, dst);
}
TFCKPT_DEF result<tensor> read_tensor(const bundle_reader& r, std::string_view key) { return r.read(key); }
TFCKPT_DEF result<void> check_readable(const bundle_reader& r, std::string_view key) {
  return r.check_readable(key);
}
TFCKPT_DEF void populate_destination(const bundle_reader& r, void* p, std::size_t n) noexcept {
  detail::populate_for_write(p, n, r.options().threads);
}

TFCKPT_DEF result<void> order_root_dependencies(graph::live_tree& tree, bool save_counter) {
  auto& edges = tree.node(graph::live_tree::root).children;
  std::stable_sort(edges.begin(), edges.end(),
                   [](const graph::live_edge& a, const graph::live_edge& b) { return a.local_name < b.local_name; });
  if (save_counter)
    for (const auto& e : edges)
      if (e.local_name == "save_counter")
        return make_error(errc::invalid_argument,
                          "the root struct has a field named 'save_counter', which tf.train.Checkpoint reserves");
  return {};
}

TFCKPT_DEF result<void> write_checkpoint(const std::string& prefix, const graph::live_tree& tree,
                                          const write_options& opts) {
  auto w = bundle_writer::create(prefix, opts);
  if (!w) return std::move(w).error();
  // Every tensor lives in the caller's objects until this returns, so with threads for several
  // shards the writes can wait for one add_many that fills the shards in parallel.
  if (opts.threads > 1 && opts.num_shards > 1) detail::deferred_writes::begin(*w);
  if (auto r = graph::write_tree(tree, *w); !r) return std::move(r).error().in_file(prefix);
  return w->finish();
}

TFCKPT_DEF result<void> record_checkpoint(const std::string& prefix, const std::string& path) {
  checkpoint_state st;
  st.model_checkpoint_path = path;
  return update_checkpoint_state(detail::path_dirname(prefix), std::move(st));
}

TFCKPT_DEF result<restore_status> restore_from_reader(const bundle_reader& r, tree_builder builder) {
  if (!r.has_object_graph())
    return make_error(errc::unsupported, "no object graph: a TF1 name-based checkpoint; restore it with "
                                         "tfckpt::restore_by_names and an explicit name map").in_file(r.prefix());
  auto g = r.object_graph();
  if (!g) return std::move(g).error().in_file(r.prefix());
  auto tree = builder.build(builder.context);
  if (!tree) return std::move(tree).error();
  // Vectors, maps and optionals first take the checkpoint's shape (graph/bind.hpp); growing one
  // moves its elements, so the tree is rebuilt after every round that changed something.
  for (int round = 0; round < graph::max_fill_rounds && graph::fill_containers(*tree, *g); ++round) {
    tree = builder.build(builder.context);
    if (!tree) return std::move(tree).error();
  }
  return graph::restore_tree(*tree, r, *g);
}

TFCKPT_DEF result<restore_status> restore_checkpoint(const std::string& path, const read_options& opts,
                                                      tree_builder builder) {
  auto reader = bundle_reader::open(path, opts);
  if (!reader) return std::move(reader).error();
  return restore_from_reader(*reader, builder);
}

TFCKPT_DEF result<restore_status> restore_deferred(const bundle_reader& r, tree_builder builder,
                                                    std::shared_ptr<graph::pending_state>& state) {
  auto s = std::make_shared<graph::pending_state>(r);
  auto tree = builder.build(builder.context);
  if (!tree) return std::move(tree).error();
  auto st = graph::begin_deferred(*s, *tree);
  if (st) state = std::move(s);
  return st;
}

TFCKPT_DEF result<restore_status> restore_deferred_checkpoint(const std::string& path, const read_options& opts,
                                                               tree_builder builder,
                                                               std::shared_ptr<graph::pending_state>& state) {
  auto reader = bundle_reader::open(path, opts);
  if (!reader) return std::move(reader).error();
  return restore_deferred(*reader, builder, state);
}

TFCKPT_DEF result<restore_status> attach_pending(graph::pending_state& state, tree_builder builder) {
  auto tree = builder.build(builder.context);
  if (!tree) return std::move(tree).error();
  return graph::restore_round(state, *tree);
}

TFCKPT_DEF result<restore_status> restore_by_names(const std::string& path, const read_options& opts,
                                                    graph::live_tree& tree, const graph::name_map& names) {
  auto reader = bundle_reader::open(path, opts);
  if (!reader) return std::move(reader).error();
  return graph::restore_by_names(tree, *reader, names);
}

}  // namespace TFCKPT_MODE_NAMESPACE
}  // namespace tfckpt::core
