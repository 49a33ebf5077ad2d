// tfckpt: checkpoint_manager, shaped like tf.train.CheckpointManager (docs/format.md §11.2,
// tensorflow/python/checkpoint/checkpoint_management.py). It numbers checkpoints
// `<directory>/<checkpoint_name>-<N>`, keeps the newest `max_to_keep` of them (older ones are
// deleted unless `keep_checkpoint_every_n_hours` preserves them) and records its state --
// managed paths, their timestamps, last_preserved_timestamp -- in `<directory>/checkpoint`, so
// a later manager (ours or TensorFlow's) in the same directory carries on where it stopped:
//
//   tfckpt::checkpoint_manager mgr("runs/exp1", {.max_to_keep = 3});
//   state s;
//   auto st = mgr.restore_or_initialize(s);      // resumes from the latest, if any
//   if (st && !st->nothing_restored) ...         // st->assert_consumed() etc.
//   for (...) { train_step(s); if (s.step % 1000 == 0) mgr.save(s, s.step); }
//
// Errors are values; nothing throws. A manager whose construction failed (max_to_keep <= 0, a
// state file naming no checkpoint) reports that error from status() and from every save().
#pragma once

#include <time.h>

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checkpoint.hpp"
#include "format/file_io.hpp"
#include "format/error.hpp"
#include "format/state_file.hpp"

namespace tfckpt {

struct checkpoint_manager_options {
  // Newest checkpoints kept; std::nullopt keeps (and lists) all. <= 0 is an error, as in TF.
  std::optional<int> max_to_keep = 3;
  // Upon leaving the kept set, a checkpoint is preserved (never deleted, no longer listed) if it
  // is at least this many hours newer than the last preserved one.
  std::optional<double> keep_checkpoint_every_n_hours = std::nullopt;
  std::string checkpoint_name = "ckpt";
  // Seconds since the epoch (time.time()); null = the system clock. For tests.
  double (*clock)() = nullptr;
};

class checkpoint_manager {
 public:
  struct managed_checkpoint {
    std::string path;  // directory joined with the relative name, as TF's manager keeps it
    double timestamp = 0;
  };

  explicit checkpoint_manager(std::string directory, checkpoint_manager_options opts = {})
      : directory_(std::move(directory)), opts_(std::move(opts)) {
    prefix_ = detail::path_join(directory_, opts_.checkpoint_name);
    if (opts_.max_to_keep && *opts_.max_to_keep <= 0) {
      init_error_ = make_error(errc::invalid_argument, "checkpoint_manager: max_to_keep must be positive or "
                                                       "std::nullopt, got " + std::to_string(*opts_.max_to_keep));
      return;
    }
    recover();
  }

  // Like the constructor, but a failed construction is the error.
  TFCKPT_LAZY static result<checkpoint_manager> open(std::string directory, checkpoint_manager_options opts = {}) {
    checkpoint_manager m(std::move(directory), std::move(opts));
    if (m.init_error_) return *m.init_error_;
    return m;
  }

  TFCKPT_LAZY result<void> status() const {
    if (init_error_) return *init_error_;
    return {};
  }
  // Why an existing state file was ignored (unreadable or unparsable: TF logs and ignores it).
  const std::optional<error>& recovery_warning() const noexcept { return recovery_warning_; }

  const std::string& directory() const noexcept { return directory_; }
  const std::string& prefix() const noexcept { return prefix_; }
  // The recovered or last saved checkpoint, if any (TF: `latest_checkpoint`).
  const std::optional<std::string>& latest_checkpoint() const noexcept { return latest_; }
  // Managed checkpoints, oldest first (TF: `checkpoints`). Preserved ones are not listed.
  TFCKPT_LAZY std::vector<std::string> checkpoints() const {
    std::vector<std::string> out;
    for (const auto& m : managed_) out.push_back(m.path);
    return out;
  }
  const std::vector<managed_checkpoint>& managed() const noexcept { return managed_; }
  double last_preserved_timestamp() const noexcept { return last_preserved_; }
  // The counter used when save() is given a plain root (a checkpoint<Root> keeps its own).
  std::int64_t save_counter() const noexcept { return save_counter_; }

  // Writes `<prefix>-<N>`, N = the incremented save_counter unless `checkpoint_number` is given
  // (the counter is incremented anyway, as TF does). Returns the written prefix.
  template <class Root>
  result<std::string> save(checkpoint<Root>& ck, std::optional<std::int64_t> checkpoint_number = std::nullopt,
                           const write_options& wopts = {}) {
    std::int64_t counter = ck.save_counter();
    auto r = save_impl(ck.root(), counter, checkpoint_number, wopts);
    if (r) ck.set_save_counter(counter);
    return r;
  }
  template <class Root>
  result<std::string> save(Root& root, std::optional<std::int64_t> checkpoint_number = std::nullopt,
                           const write_options& wopts = {}) {
    std::int64_t counter = save_counter_;
    auto r = save_impl(root, counter, checkpoint_number, wopts);
    if (r) save_counter_ = counter;
    return r;
  }

  // Restores the latest checkpoint (with its save_counter) if there is one, else calls
  // `init_fn()` when given. The outcome is a restore_status like every restore's; when there was
  // nothing to restore, its nothing_restored is set and its checks fail (TF's
  // InitializationOnlyStatus), so the caller can tell the two cases apart and assert.
  template <class Root>
  result<restore_status> restore_or_initialize(checkpoint<Root>& ck, const read_options& ropts = {}) {
    if (init_error_) return *init_error_;
    if (!latest_) return nothing_restored();
    return ck.restore(*latest_, ropts);
  }
  template <class Root>
  result<restore_status> restore_or_initialize(Root& root, const read_options& ropts = {}) {
    if (init_error_) return *init_error_;
    if (!latest_) return nothing_restored();
    checkpoint<Root> ck(root);
    ck.set_save_counter(save_counter_);
    auto st = ck.restore(*latest_, ropts);
    if (st) save_counter_ = ck.save_counter();
    return st;
  }
  // Only a callable is an initializer: restore_or_initialize(state, read_options) is the overload
  // above, whatever the options' value category.
  template <class Root, class Init>
    requires std::invocable<Init&>
  result<restore_status> restore_or_initialize(Root& root, Init&& init_fn, const read_options& ropts = {}) {
    auto r = restore_or_initialize(root, ropts);
    if (r && r->nothing_restored) init_fn();
    return r;
  }

 private:
  TFCKPT_LAZY static restore_status nothing_restored() {
    restore_status st;
    st.nothing_restored = true;
    return st;
  }

  double now() const {
    if (opts_.clock) return opts_.clock();
    timespec t{};  // the system clock as time.time() reads it (<chrono> costs every unit ~0.2 s)
    ::clock_gettime(CLOCK_REALTIME, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  }

  // TF's __init__: reload the managed list from the state file.
  TFCKPT_LAZY void recover() {
    const double clock = now();
    auto st = get_checkpoint_state(directory_);
    if (!st) {
      const errc c = st.error().code;
      if (c == errc::invalid_argument) {  // TF raises ValueError: model_checkpoint_path is empty
        init_error_ = std::move(st).error();
        return;
      }
      if (c != errc::not_found) recovery_warning_ = std::move(st).error();  // TF logs "Checkpoint ignored"
      last_preserved_ = clock - 1.0;
      return;
    }
    latest_ = st->model_checkpoint_path;
    last_preserved_ = st->last_preserved_timestamp;
    if (clock < last_preserved_) last_preserved_ = clock;  // clock went backwards
    const auto& paths = st->all_model_checkpoint_paths;
    std::vector<double> stamps = st->all_model_checkpoint_timestamps;
    // No timestamps (a plain Checkpoint.save() state file): none is managed, so none is ever deleted.
    if (stamps.empty()) stamps.assign(paths.size(), last_preserved_);
    for (std::size_t i = 0; i < paths.size() && i < stamps.size(); ++i) {  // Python's zip()
      const double t = std::min(stamps[i], clock);
      if (t > last_preserved_) put(paths[i], t);
    }
  }

  // OrderedDict semantics: re-adding a path moves it to the end.
  TFCKPT_LAZY void put(const std::string& path, double t) {
    erase(path);
    managed_.push_back({path, t});
  }
  TFCKPT_LAZY void erase(const std::string& path) {
    for (auto it = managed_.begin(); it != managed_.end(); ++it)
      if (it->path == path) {
        managed_.erase(it);
        return;
      }
  }

  TFCKPT_LAZY result<void> record_state() const {
    checkpoint_state st;
    st.model_checkpoint_path = *latest_;
    for (const auto& m : managed_) {
      st.all_model_checkpoint_paths.push_back(m.path);
      st.all_model_checkpoint_timestamps.push_back(m.timestamp);
    }
    st.last_preserved_timestamp = last_preserved_;
    return update_checkpoint_state(directory_, std::move(st), /*save_relative_paths=*/true);
  }

  // `<path>.index` and every `<path>.data-?????-of-?????` (TF's glob: '?' is any one character).
  TFCKPT_LAZY static result<void> delete_checkpoint_files(const std::string& path) {
    auto rm = [](const std::string& f) -> result<void> {
      auto r = detail::remove_file(f);
      if (!r && r.error().code != errc::not_found) return r;  // someone else deleted it: fine
      return {};
    };
    TFCKPT_TRY(rm(path + ".index"));
    const std::string dir = detail::path_dirname(path);
    const std::string stem = detail::path_basename(path) + ".data-";
    auto names = detail::list_directory(dir.empty() ? "." : dir);
    if (!names) return names.error().code == errc::not_found ? result<void>{} : std::move(names).error();
    for (const auto& n : *names) {
      if (n.size() != stem.size() + 14 || n.compare(0, stem.size(), stem) != 0) continue;
      std::string_view tail = std::string_view(n).substr(stem.size());  // "?????-of-?????"
      if (tail.substr(5, 4) != "-of-") continue;
      TFCKPT_TRY(rm(detail::path_join(dir, n)));
    }
    return {};
  }

  // REQUIRES: the directory lock (save_impl), so the state file read here stays current.
  // Without `delete_files` only this object's list is trimmed (record_written's other processes).
  TFCKPT_LAZY result<void> sweep(bool delete_files = true) {
    if (!opts_.max_to_keep) return {};
    // What the state file on disk names may be another process's checkpoint (two managers in one
    // directory, one of which recovered the other's list): never delete that one either.
    std::string named;
    if (delete_files) {
      if (auto st = get_checkpoint_state(directory_)) named = detail::normalize_path(st->model_checkpoint_path);
    }
    result<void> first_error;
    while (managed_.size() > static_cast<std::size_t>(*opts_.max_to_keep)) {
      managed_checkpoint oldest = std::move(managed_.front());
      managed_.erase(managed_.begin());
      if (opts_.keep_checkpoint_every_n_hours &&
          oldest.timestamp - *opts_.keep_checkpoint_every_n_hours * 3600.0 >= last_preserved_) {
        last_preserved_ = oldest.timestamp;
        continue;
      }
      if (latest_ && oldest.path == *latest_) continue;  // never delete what the state file names
      if (!named.empty() && detail::normalize_path(oldest.path) == named) continue;
      if (!delete_files) continue;
      // Stricter than TF: a state file listing "../x" or an absolute path elsewhere does not make
      // the manager delete files outside its directory (lexically: symlinks are not followed).
      const auto rel = detail::relative_path(oldest.path, directory_.empty() ? "." : directory_);
      if (!rel || *rel == "." || *rel == ".." || rel->compare(0, 3, "../") == 0) continue;
      if (auto r = delete_checkpoint_files(oldest.path); !r && first_error) first_error = std::move(r);
    }
    return first_error;
  }

  template <class Root>
  result<std::string> save_impl(Root& root, std::int64_t& counter, std::optional<std::int64_t> number,
                                const write_options& wopts) {
    if (init_error_) return *init_error_;
    const std::int64_t next = counter + 1;  // TF: save_counter.assign_add(1) before writing
    const std::string path = prefix_ + "-" + std::to_string(number ? *number : next);
    std::int64_t saved_counter = next;
    TFCKPT_TRY(detail::write_checkpoint(path, root, &saved_counter, wopts));
    counter = next;
    TFCKPT_TRY(record_written(path));
    return path;
  }

 public:
  // A checkpoint at `path` written by other means (tfckpt/mpi.hpp's collective save, once every
  // rank's data is durable) becomes the latest, as save() makes its own: with `own_files` the
  // state file names it and old checkpoints are deleted (one process of a group does this);
  // without, only this object's list follows (the group's other processes, same directory).
  TFCKPT_LAZY result<void> record_written(const std::string& path, bool own_files = true) {
    if (init_error_) return *init_error_;
    put(path, now());
    latest_ = path;
    if (!own_files) return sweep(false);
    // State-file update and deletions as one step with respect to other processes saving into
    // this directory (detail::directory_lock; the checkpoint itself was written without it).
    const auto lock = detail::directory_lock::acquire(directory_, detail::directory_lock::mode::exclusive);
    TFCKPT_TRY(record_state());
    auto swept = sweep();
    TFCKPT_TRY(record_state());
    if (!swept) return std::move(swept).error();
    return {};
  }

 private:
  std::string directory_, prefix_;
  checkpoint_manager_options opts_;
  std::optional<error> init_error_, recovery_warning_;
  std::optional<std::string> latest_;
  std::vector<managed_checkpoint> managed_;  // oldest first
  double last_preserved_ = 0;
  std::int64_t save_counter_ = 0;
};

}  // namespace tfckpt
