// tfckpt graph layer: the calls from code generated per struct (reflect/leaf.hpp's save and restore
// functions, the templates of checkpoint.hpp) into the non-generic core: bundle reader and
// writer, object graph, state file. A header-only build defines them inline, as function
// templates so that a unit compiles them only when it calls them (core_io_impl.hpp, included
// below; format/config.hpp, TFCKPT_LAZY). With TFCKPT_SEPARATE_COMPILATION they are compiled
// once, in the translation unit that includes <tfckpt/core_impl.hpp>, and a unit using the
// checkpoint API needs none of the format layer's definitions: it parses and compiles only the
// reflection of its own structs.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "../format/config.hpp"
#include "../format/dtype.hpp"
#include "../format/error.hpp"
#include "../format/options.hpp"
#include "../bundle/tensor.hpp"
#include "live_tree.hpp"
#include "restore_status.hpp"

namespace tfckpt {

class bundle_reader;
class bundle_writer;

// Object path -> TF1 variable name (graph/name_map.hpp).
using name_map = std::map<std::string, std::string>;
namespace detail {
using tfckpt::name_map;
struct pending_state;  // graph/pending.hpp: what a deferred restore keeps between rounds
}  // namespace detail

namespace core {

// Builds the live tree of the objects being restored. A restore may call it again: containers
// take their size from the checkpoint, and growing one moves its elements.
struct tree_builder {
  result<graph::live_tree> (*build)(void* context) = nullptr;
  void* context = nullptr;
};

// The functions below are in the mode's inline namespace (format/config.hpp: modes cannot mix).
inline namespace TFCKPT_MODE_NAMESPACE {

// What a leaf's save and restore functions do with the writer and reader.
TFCKPT_DECL result<void> write_bytes(bundle_writer& w, std::string_view key, dtype t, const shape_t& shape,
                                     std::string_view bytes);
TFCKPT_DECL result<void> write_tensor(bundle_writer& w, std::string_view key, const tensor& t);
TFCKPT_DECL result<void> write_strings(bundle_writer& w, std::string_view key, const shape_t& shape,
                                       std::span<const std::string> values);
TFCKPT_DECL result<void> read_bytes_into(const bundle_reader& r, std::string_view key, dtype t,
                                         std::span<std::byte> dst);
TFCKPT_DECL result<tensor> read_tensor(const bundle_reader& r, std::string_view key);
// Limits and data-file bounds of a record, before its size is trusted for an allocation.
TFCKPT_DECL result<void> check_readable(const bundle_reader& r, std::string_view key);
// Faults in newly allocated, untouched destination memory [p, p + n) at once, on the reader's
// threads, before it is filled (bundle/fresh_pages.hpp).
TFCKPT_DECL void populate_destination(const bundle_reader& r, void* p, std::size_t n) noexcept;


// Sorts the root's dependencies by name, as tf.train.Checkpoint sorts its keyword arguments
// (std::sort on bytes == Python's sorted() on str for UTF-8). With `save_counter`, checks that no
// field takes the name tf.train.Checkpoint reserves for it.
TFCKPT_DECL result<void> order_root_dependencies(graph::live_tree& tree, bool save_counter);

// The bundle at `prefix`: the tree's values and its object graph.
TFCKPT_DECL result<void> write_checkpoint(const std::string& prefix, const graph::live_tree& tree,
                                          const write_options& opts);
// The state file in `prefix`'s directory names `path` as the latest (and only) checkpoint.
TFCKPT_DECL result<void> record_checkpoint(const std::string& prefix, const std::string& path);
// Object-based restore: from a checkpoint path (directory, prefix or .index) or an open reader.
TFCKPT_DECL result<restore_status> restore_checkpoint(const std::string& path, const read_options& opts,
                                                      tree_builder builder);
TFCKPT_DECL result<restore_status> restore_from_reader(const bundle_reader& r, tree_builder builder);
// Deferred restore (graph/pending.hpp): the first round, no container growth; `state` receives
// what later rounds need (also when some values wait). attach_pending runs a later round.
TFCKPT_DECL result<restore_status> restore_deferred(const bundle_reader& r, tree_builder builder,
                                                    std::shared_ptr<graph::pending_state>& state);
TFCKPT_DECL result<restore_status> restore_deferred_checkpoint(const std::string& path, const read_options& opts,
                                                               tree_builder builder,
                                                               std::shared_ptr<graph::pending_state>& state);
TFCKPT_DECL result<restore_status> attach_pending(graph::pending_state& state, tree_builder builder);
// Name-based restore of a TF1 checkpoint.
TFCKPT_DECL result<restore_status> restore_by_names(const std::string& path, const read_options& opts,
                                                    graph::live_tree& tree, const graph::name_map& names);

#if !TFCKPT_DEFINE_CORE
// A separately compiled unit that uses the checkpoint API needs the core unit even when the
// functions it calls are also defined, inline, by a header-only unit of the same program (the
// linker may keep either copy of a template instantiated in both): every such unit refers to
// this object, which only the unit including <tfckpt/core_impl.hpp> defines. Without that unit
// the link fails naming it: "undefined reference to
// `tfckpt::core::separate_compilation::core_impl_hpp_must_be_compiled_in_one_unit'".
extern const char core_impl_hpp_must_be_compiled_in_one_unit;
#if defined(__GNUC__) || defined(__clang__)
[[gnu::used]]
#endif
static const char* const require_core_unit = &core_impl_hpp_must_be_compiled_in_one_unit;
#endif

}  // namespace TFCKPT_MODE_NAMESPACE
}  // namespace core
}  // namespace tfckpt

#if TFCKPT_DEFINE_CORE
#include "core_io_impl.hpp"
#endif
