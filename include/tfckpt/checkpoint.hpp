// tfckpt: the public checkpoint API, shaped like tf.train.Checkpoint (docs/format.md §9.4, §11.1).
// The fields of a root struct are the checkpoint's dependencies, as the keyword arguments of
// tf.train.Checkpoint(model=..., optimizer=..., step=...) are:
//
//   struct state { mlp model; adam optimizer; std::int64_t step = 0; };
//   state s;
//   tfckpt::checkpoint ck(s);
//   auto path = ck.save("runs/exp1/ckpt");        // runs/exp1/ckpt-1, state file updated
//   auto st = tfckpt::restore("runs/exp1", s);    // latest via the state file
//   if (!st) ...; if (auto ok = st->assert_consumed(); !ok) puts(ok.error().to_string().c_str());
//
// save() numbers and counts (save_counter, stored as TF does under the root), write() neither
// numbers, counts nor touches the state file, read() restores without save_counter, restore()
// with it. Errors are values; nothing throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "graph/core_io.hpp"
#include "graph/live_tree.hpp"
#include "graph/restore_status.hpp"
#include "format/options.hpp"
#include "reflect/visit.hpp"

namespace tfckpt {

namespace detail {

// A root type that mirrors a root TF does not sort (a Keras model saved by save_weights, a
// SavedModel's root object) says `static constexpr bool tfckpt_keep_root_order = true;`: its
// children keep their declared order, so saved paths (first breadth-first edge) equal the source's.
template <class Root>
inline constexpr bool keeps_root_order = requires { requires Root::tfckpt_keep_root_order; };

// The root's dependencies in TF's order: kwargs sorted by name (std::sort on bytes == Python's
// sorted() on str for UTF-8), then save_counter, which TF creates lazily and therefore last.
template <class Root>
result<graph::live_tree> checkpoint_tree(Root& root, std::int64_t* save_counter) {
  graph::live_tree tree = reflect::make_tree(root);
  if constexpr (keeps_root_order<Root>) {
    auto declared = tree.node(graph::live_tree::root).children;
    TFCKPT_TRY(core::order_root_dependencies(tree, save_counter != nullptr));  // its save_counter check
    tree.node(graph::live_tree::root).children = std::move(declared);
  } else {
    TFCKPT_TRY(core::order_root_dependencies(tree, save_counter != nullptr));
  }
  if (save_counter) {
    const std::size_t idx = reflect::add_object(tree, *save_counter);
    tree.node(idx).value->full_name = "save_counter";
    tree.add_edge(graph::live_tree::root, "save_counter", idx);
  }
  return tree;
}

template <class Root>
struct tree_context {
  Root* root;
  std::int64_t* save_counter;
};

template <class Root>
result<graph::live_tree> build_checkpoint_tree(void* context) {
  auto* c = static_cast<tree_context<Root>*>(context);
  return checkpoint_tree(*c->root, c->save_counter);
}

template <class Root>
result<void> write_checkpoint(const std::string& prefix, Root& root, std::int64_t* save_counter,
                              const write_options& opts) {
  auto tree = checkpoint_tree(root, save_counter);
  if (!tree) return std::move(tree).error();
  return core::write_checkpoint(prefix, *tree, opts);
}

// The object-based restore proper, from an open reader (a file-based one, or
// bundle_reader::open_memory for a checkpoint held in memory, e.g. by the fuzz_restore target).
template <class Root>
result<restore_status> restore_from_reader(const bundle_reader& reader, Root& root, std::int64_t* save_counter) {
  tree_context<Root> c{&root, save_counter};
  return core::restore_from_reader(reader, {&build_checkpoint_tree<Root>, &c});
}

template <class Root>
result<restore_status> restore_checkpoint(const std::string& path, Root& root, std::int64_t* save_counter,
                                          const read_options& opts) {
  tree_context<Root> c{&root, save_counter};
  return core::restore_checkpoint(path, opts, {&build_checkpoint_tree<Root>, &c});
}

}  // namespace detail

class pending_restore;

namespace detail {
template <class Root>
result<pending_restore> make_pending(Root& root, std::int64_t* save_counter, const std::string* path,
                                     const read_options& opts, const bundle_reader* reader);

}  // namespace detail

// A deferred restore (TF's "restore, then create the variables"): what restore_deferred() could
// not restore yet because its objects do not exist (optimizer slots created on the first step, a
// layer built later). Create them, then attach(root): the root's tree is rebuilt and bound again,
// and only the values no earlier round read are read, so values set in between are kept. It
// holds no pointer into the root (copy or move the root freely; attach the object you keep) and
// shares the open checkpoint files (the reader it came from may go). Move-only.
//
//   state s;                                          // optimizer slot lists still empty
//   auto p = tfckpt::restore_deferred("runs/exp1", s);
//   if (!p) ...;                                      // p->status(): what was restored now
//   create_slots(s);                                  // zeros, shaped like the model's variables
//   auto st = p->attach(s);                           // the slots' values from the checkpoint
//   if (st) auto ok = st->assert_consumed();          // accounts for both rounds
class pending_restore {
 public:
  pending_restore(pending_restore&&) noexcept = default;
  pending_restore& operator=(pending_restore&&) noexcept = default;
  pending_restore(const pending_restore&) = delete;
  pending_restore& operator=(const pending_restore&) = delete;

  // The latest round's outcome: after restore_deferred(), its checks list what waits (as
  // unresolved checkpoint objects); after attach(), both rounds together.
  const restore_status& status() const noexcept { return status_; }
  // Checkpoint objects still waiting for a live object.
  const std::vector<std::string>& waiting() const noexcept { return status_.unresolved_nodes; }

  // Restores what the root's new objects match. Bad input is reported as restore() reports it
  // (every dtype/shape mismatch at once); a failed round restores nothing for later rounds.
  template <class Root>
  result<restore_status> attach(Root& root) {
    if (!state_)
      return error(errc::invalid_argument, "pending_restore::attach: this object was moved from; attach through "
                                           "the pending_restore it was moved to");
    if (root_type_ != &detail::type_tag<Root>)
      return error(errc::invalid_argument, "pending_restore::attach: the root is not of the type that "
                                           "restore_deferred() restored").in_file(status_.checkpoint);
    std::int64_t counter = 0;  // already restored by the first round; only bound again
    detail::tree_context<Root> c{&root, with_counter_ ? &counter : nullptr};
    auto st = core::attach_pending(*state_, {&detail::build_checkpoint_tree<Root>, &c});
    if (st) status_ = *st;
    return st;
  }

 private:
  template <class Root>
  friend result<pending_restore> detail::make_pending(Root&, std::int64_t*, const std::string*, const read_options&,
                                                      const bundle_reader*);
  pending_restore() = default;

  std::shared_ptr<detail::pending_state> state_;
  restore_status status_;
  const void* root_type_ = nullptr;
  bool with_counter_ = false;
};

// From a path (reader opened here) or an open reader (copied; it may be destroyed afterwards).
template <class Root>
result<pending_restore> detail::make_pending(Root& root, std::int64_t* save_counter, const std::string* path,
                                             const read_options& opts, const bundle_reader* reader) {
  pending_restore p;
  detail::tree_context<Root> c{&root, save_counter};
  const core::tree_builder b{&detail::build_checkpoint_tree<Root>, &c};
  auto st = path ? core::restore_deferred_checkpoint(*path, opts, b, p.state_)
                 : core::restore_deferred(*reader, b, p.state_);
  if (!st) return std::move(st).error();
  p.status_ = std::move(*st);
  p.root_type_ = &detail::type_tag<Root>;
  p.with_counter_ = save_counter != nullptr;
  return p;
}

// A checkpoint over a root struct, holding the save_counter tf.train.Checkpoint keeps.
template <class Root>
class checkpoint {
 public:
  explicit checkpoint(Root& root) : root_(&root) {}

  Root& root() noexcept { return *root_; }
  std::int64_t save_counter() const noexcept { return save_counter_; }
  // For writers that number checkpoints themselves (checkpoint_manager), as TF's manager
  // assign_add()s Checkpoint.save_counter before its internal write.
  void set_save_counter(std::int64_t n) noexcept { save_counter_ = n; }

  // `prefix-N` with N = the incremented save_counter (first save: -1). The state file next to
  // it then names only this checkpoint, as Checkpoint.save does. Returns the written prefix.
  result<std::string> save(const std::string& prefix, const write_options& opts = {}) {
    const std::int64_t n = save_counter_ + 1;
    std::int64_t counter = n;  // saved value equals N, as TF increments before writing
    const std::string path = prefix + "-" + std::to_string(n);
    TFCKPT_TRY(detail::write_checkpoint(path, *root_, &counter, opts));
    save_counter_ = n;
    TFCKPT_TRY(core::record_checkpoint(prefix, path));
    return path;
  }
  result<std::string> write(const std::string& prefix, const write_options& opts = {}) {
    TFCKPT_TRY(detail::write_checkpoint(prefix, *root_, nullptr, opts));
    return prefix;
  }
  result<restore_status> read(const std::string& path, const read_options& opts = {}) {
    return detail::restore_checkpoint(path, *root_, nullptr, opts);
  }
  // Also restores save_counter (and expects it: a write() output fails assert_consumed here).
  result<restore_status> restore(const std::string& path, const read_options& opts = {}) {
    std::int64_t counter = save_counter_;
    auto st = detail::restore_checkpoint(path, *root_, &counter, opts);
    if (st) save_counter_ = counter;
    return st;
  }
  // read() / restore() without creating objects: what has none yet waits in the pending_restore.
  result<pending_restore> read_deferred(const std::string& path, const read_options& opts = {}) {
    return detail::make_pending(*root_, nullptr, &path, opts, nullptr);
  }
  result<pending_restore> restore_deferred(const std::string& path, const read_options& opts = {}) {
    std::int64_t counter = save_counter_;
    auto p = detail::make_pending(*root_, &counter, &path, opts, nullptr);
    if (p) save_counter_ = counter;
    return p;
  }

 private:
  Root* root_;
  std::int64_t save_counter_ = 0;
};

template <class Root>
result<std::string> save(const std::string& prefix, checkpoint<Root>& ck, const write_options& opts = {}) {
  return ck.save(prefix, opts);
}
template <class Root>
result<std::string> write(const std::string& prefix, Root& root, const write_options& opts = {}) {
  return checkpoint<Root>(root).write(prefix, opts);
}
template <class Root>
result<restore_status> read(const std::string& path, Root& root, const read_options& opts = {}) {
  return checkpoint<Root>(root).read(path, opts);
}
// Without a handle the restored save_counter is discarded (it is still matched, so a save()
// output passes assert_consumed).
template <class Root>
result<restore_status> restore(const std::string& path, Root& root, const read_options& opts = {}) {
  return checkpoint<Root>(root).restore(path, opts);
}

// From an opened reader (source, root): a file's, or bundle_reader::open_memory's for a
// checkpoint held in memory (any struct; restore_from_memory is the allocation-free variant for
// fixed ones). read() ignores save_counter, restore() matches it, as above.
template <class Root>
result<restore_status> read(const bundle_reader& source, Root& root) {
  return detail::restore_from_reader(source, root, nullptr);
}
template <class Root>
result<restore_status> restore(const bundle_reader& source, Root& root) {
  std::int64_t counter = 0;
  return detail::restore_from_reader(source, root, &counter);
}

// restore() that creates nothing (no list is resized, no optional engaged): values whose objects
// do not exist yet wait in the returned pending_restore until attach(root). save_counter is
// matched (and discarded) as by restore(); read_deferred() leaves it, as read() does.
template <class Root>
result<pending_restore> read_deferred(const std::string& path, Root& root, const read_options& opts = {}) {
  return detail::make_pending(root, nullptr, &path, opts, nullptr);
}
template <class Root>
result<pending_restore> read_deferred(const bundle_reader& source, Root& root) {
  return detail::make_pending(root, nullptr, nullptr, read_options{}, &source);
}
template <class Root>
result<pending_restore> restore_deferred(const std::string& path, Root& root, const read_options& opts = {}) {
  std::int64_t counter = 0;
  return detail::make_pending(root, &counter, &path, opts, nullptr);
}
template <class Root>
result<pending_restore> restore_deferred(const bundle_reader& source, Root& root) {
  std::int64_t counter = 0;
  return detail::make_pending(root, &counter, nullptr, read_options{}, &source);
}

// TF1 name-based checkpoint: `names` maps object paths of `root` to TF1 variable names.
template <class Root>
result<restore_status> restore_by_names(const std::string& path, Root& root, const graph::name_map& names,
                                        const read_options& opts = {}) {
  auto tree = detail::checkpoint_tree(root, nullptr);
  if (!tree) return std::move(tree).error();
  return core::restore_by_names(path, opts, *tree, names);
}

}  // namespace tfckpt
