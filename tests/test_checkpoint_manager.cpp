// checkpoint_manager: numbering, max_to_keep deletion, keep_checkpoint_every_n_hours, the state
// file's history, and recovery of a directory written by tf.train.CheckpointManager
// (tests/fixtures/manager) exactly as TF's __init__ recovers it.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "tfckpt/checkpoint_manager.hpp"

#ifndef TFCKPT_FIXTURES_DIR
#define TFCKPT_FIXTURES_DIR "tests/fixtures"
#endif

namespace cm {

struct state {  // tf.train.Checkpoint(step=..., w=...) as in tests/fixtures/manager
  std::int64_t step = 0;
  std::array<float, 2> w{};
};

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  const std::string d = "checkpoint_manager_test/" + name;
  std::error_code ec;
  fs::remove_all(d, ec);
  fs::create_directories(d, ec);
  return d;
}

bool exists(const std::string& p) { return tfckpt::detail::file_exists(p); }

// Names in `dir` that start with `stem` ("ckpt-3." matches ckpt-3.index and its data files).
std::vector<std::string> files_of(const std::string& dir, const std::string& stem) {
  std::vector<std::string> out;
  auto names = tfckpt::detail::list_directory(dir);
  if (!names) return out;
  for (const auto& n : *names)
    if (n.rfind(stem, 0) == 0) out.push_back(n);
  return out;
}

double fake_now = 0;
double fake_clock() { return fake_now; }

std::string msg(const tfckpt::result<std::string>& r) { return r ? *r : r.error().to_string(); }

}  // namespace cm

TEST_CASE("checkpoint manager: five saves with max_to_keep 3 keep ckpt-3..5 and list them with timestamps") {
  const std::string dir = cm::fresh_dir("five");
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 3});
  REQUIRE(mgr.status());
  CHECK(!mgr.latest_checkpoint());
  cm::state s;
  for (int i = 1; i <= 5; ++i) {
    s.step = i;
    auto p = mgr.save(s);
    REQUIRE_MESSAGE(p, cm::msg(p));
    CHECK(*p == dir + "/ckpt-" + std::to_string(i));
  }
  CHECK(mgr.save_counter() == 5);
  CHECK(mgr.checkpoints() == std::vector<std::string>{dir + "/ckpt-3", dir + "/ckpt-4", dir + "/ckpt-5"});
  REQUIRE(mgr.latest_checkpoint());
  CHECK(*mgr.latest_checkpoint() == dir + "/ckpt-5");
  CHECK(cm::files_of(dir, "ckpt-1.").empty());
  CHECK(cm::files_of(dir, "ckpt-2.").empty());
  CHECK(cm::files_of(dir, "ckpt-3.").size() == 2);
  CHECK(cm::exists(dir + "/ckpt-5.data-00000-of-00001"));

  auto text = tfckpt::detail::read_file(dir + "/checkpoint");
  REQUIRE(text);
  auto st = tfckpt::parse_checkpoint_state(*text);
  REQUIRE(st);
  CHECK(st->model_checkpoint_path == "ckpt-5");  // relative, as TF writes it
  CHECK(st->all_model_checkpoint_paths == std::vector<std::string>{"ckpt-3", "ckpt-4", "ckpt-5"});
  REQUIRE(st->all_model_checkpoint_timestamps.size() == 3);
  CHECK(st->all_model_checkpoint_timestamps[0] <= st->all_model_checkpoint_timestamps[2]);
  CHECK(st->last_preserved_timestamp > 0);
  CHECK(st->last_preserved_timestamp < st->all_model_checkpoint_timestamps[0]);

  auto latest = tfckpt::latest_checkpoint(dir);
  REQUIRE(latest);
  CHECK(*latest == dir + "/ckpt-5");
}

TEST_CASE("checkpoint manager: a new manager recovers the list and restore_or_initialize resumes the counter") {
  const std::string dir = cm::fresh_dir("resume");
  {
    tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 2});
    cm::state s;
    for (int i = 1; i <= 3; ++i) {
      s.step = 10 * i;
      REQUIRE(mgr.save(s));
    }
  }
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 2});
  CHECK(mgr.checkpoints() == std::vector<std::string>{dir + "/ckpt-2", dir + "/ckpt-3"});
  cm::state s;
  auto st = mgr.restore_or_initialize(s);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  REQUIRE(!st->nothing_restored);
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(s.step == 30);
  CHECK(mgr.save_counter() == 3);
  auto p = mgr.save(s);
  REQUIRE(p);
  CHECK(*p == dir + "/ckpt-4");
  CHECK(mgr.checkpoints() == std::vector<std::string>{dir + "/ckpt-3", dir + "/ckpt-4"});
  CHECK(!cm::exists(dir + "/ckpt-2.index"));
}

TEST_CASE("checkpoint manager: restore_or_initialize on an empty directory calls init and restores nothing") {
  const std::string dir = cm::fresh_dir("empty");
  tfckpt::checkpoint_manager mgr(dir, {});
  cm::state s;
  bool called = false;
  auto st = mgr.restore_or_initialize(s, [&] { called = true; s.step = 7; });
  REQUIRE(st);
  CHECK(st->nothing_restored);
  CHECK(called);
  CHECK(s.step == 7);
  // TF's InitializationOnlyStatus: nothing was restored, so no check passes.
  auto consumed = st->assert_consumed();
  REQUIRE(!consumed);
  CHECK(consumed.error().code == tfckpt::errc::not_found);
  CHECK(consumed.error().to_string().find("no checkpoint was restored") != std::string::npos);
  CHECK(!st->assert_existing_objects_matched());
  CHECK(!st->assert_nontrivial_match());
}

TEST_CASE("checkpoint manager: restore_or_initialize(state, read_options) takes the options, not an initializer") {
  const std::string dir = cm::fresh_dir("with_options");
  {
    tfckpt::checkpoint_manager mgr(dir, {});
    cm::state s;
    s.step = 11;
    s.w = {1.5f, -2.5f};
    REQUIRE(mgr.save(s));
  }
  tfckpt::checkpoint_manager mgr(dir, {});
  tfckpt::read_options ro;  // a non-const lvalue: once captured by the initializer overload
  ro.verify_checksums = true;
  cm::state s;
  auto st = mgr.restore_or_initialize(s, ro);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(!st->nothing_restored);
  CHECK(st->assert_consumed());
  CHECK(s.step == 11);
  CHECK(s.w[1] == -2.5f);
  CHECK(mgr.save_counter() == 1);

  const tfckpt::read_options cro;
  cm::state c;
  auto cst = mgr.restore_or_initialize(c, cro);
  REQUIRE(cst);
  CHECK(c.step == 11);

  // Options that make the restore fail prove they are used: a limit below the checkpoint's size.
  tfckpt::read_options tiny;
  tiny.max_index_bytes = 16;
  cm::state t;
  auto failed = mgr.restore_or_initialize(t, tiny);
  REQUIRE(!failed);
  CHECK(failed.error().code == tfckpt::errc::limit_exceeded);
  CHECK(t.step == 0);

  // An initializer and options together; with a checkpoint the initializer is not called.
  bool called = false;
  cm::state u;
  auto ust = mgr.restore_or_initialize(u, [&] { called = true; }, ro);
  REQUIRE(ust);
  CHECK(!called);
  CHECK(u.step == 11);

  // The same through a checkpoint handle.
  cm::state v;
  tfckpt::checkpoint ck(v);
  auto vst = mgr.restore_or_initialize(ck, ro);
  REQUIRE(vst);
  CHECK(v.step == 11);
  CHECK(ck.save_counter() == 1);
}

TEST_CASE("checkpoint manager: recovers the state of a directory written by tf.train.CheckpointManager") {
  const std::string dir = cm::fresh_dir("from_tf");
  std::error_code ec;
  for (const auto& e : cm::fs::directory_iterator(TFCKPT_FIXTURES_DIR "/manager", ec))
    cm::fs::copy_file(e.path(), cm::fs::path(dir) / e.path().filename(), ec);
  REQUIRE(!ec);
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 3});
  REQUIRE(mgr.status());
  CHECK(!mgr.recovery_warning());
  CHECK(mgr.checkpoints() == std::vector<std::string>{dir + "/ckpt-3", dir + "/ckpt-4", dir + "/ckpt-5"});
  REQUIRE(mgr.latest_checkpoint());
  CHECK(*mgr.latest_checkpoint() == dir + "/ckpt-5");
  CHECK(mgr.last_preserved_timestamp() == 1795637036.1838686);

  cm::state s;
  tfckpt::checkpoint ck(s);
  auto st = mgr.restore_or_initialize(ck);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  REQUIRE(!st->nothing_restored);
  CHECK(st->assert_consumed());
  CHECK(s.step == 5);
  CHECK(s.w[0] == 5.0f);
  CHECK(s.w[1] == -5.0f);
  CHECK(ck.save_counter() == 5);

  auto p = mgr.save(ck);
  REQUIRE_MESSAGE(p, cm::msg(p));
  CHECK(*p == dir + "/ckpt-6");
  CHECK(ck.save_counter() == 6);
  CHECK(mgr.checkpoints() == std::vector<std::string>{dir + "/ckpt-4", dir + "/ckpt-5", dir + "/ckpt-6"});
  CHECK(!cm::exists(dir + "/ckpt-3.index"));
  CHECK(!cm::exists(dir + "/ckpt-3.data-00000-of-00001"));
  // TF's last_preserved_timestamp is carried over unchanged.
  auto state = tfckpt::get_checkpoint_state(dir);
  REQUIRE(state);
  CHECK(state->last_preserved_timestamp == 1795637036.1838686);
}

TEST_CASE("checkpoint manager: checkpoints listed without timestamps are not managed and never deleted") {
  const std::string dir = cm::fresh_dir("no_timestamps");
  cm::state s;
  tfckpt::checkpoint ck(s);
  REQUIRE(ck.save(dir + "/ckpt"));  // plain Checkpoint.save(): state file without timestamps
  REQUIRE(ck.save(dir + "/ckpt"));
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 1});
  CHECK(mgr.checkpoints().empty());
  REQUIRE(mgr.latest_checkpoint());
  CHECK(*mgr.latest_checkpoint() == dir + "/ckpt-2");
  REQUIRE(mgr.save(ck));  // ckpt-3
  REQUIRE(mgr.save(ck));  // ckpt-4: ckpt-3 is deleted, ckpt-1/2 are not
  CHECK(cm::exists(dir + "/ckpt-1.index"));
  CHECK(cm::exists(dir + "/ckpt-2.index"));
  CHECK(!cm::exists(dir + "/ckpt-3.index"));
  CHECK(mgr.checkpoints() == std::vector<std::string>{dir + "/ckpt-4"});
}

TEST_CASE("checkpoint manager: keep_checkpoint_every_n_hours preserves and unlists old checkpoints") {
  const std::string dir = cm::fresh_dir("every_n_hours");
  cm::fake_now = 1'000'000.0;
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 1, .keep_checkpoint_every_n_hours = 1.0, .clock = cm::fake_clock});
  CHECK(mgr.last_preserved_timestamp() == 999'999.0);  // no state file: now - 1
  cm::state s;
  const double times[] = {1'000'000.0, 1'000'600.0, 1'003'600.0, 1'003'700.0, 1'007'300.0};
  for (double t : times) {
    cm::fake_now = t;
    REQUIRE(mgr.save(s));
  }
  // ckpt-1 (t0, not an hour after now-1) deleted; ckpt-2 (t0+600 >= t0-1+3600? no) deleted;
  // ckpt-3 (t0+3600 - 3600 >= t0-1) preserved; ckpt-4 (t0+3700, < 1 h after ckpt-3) deleted.
  CHECK(!cm::exists(dir + "/ckpt-1.index"));
  CHECK(!cm::exists(dir + "/ckpt-2.index"));
  CHECK(cm::exists(dir + "/ckpt-3.index"));
  CHECK(!cm::exists(dir + "/ckpt-4.index"));
  CHECK(cm::exists(dir + "/ckpt-5.index"));
  CHECK(mgr.checkpoints() == std::vector<std::string>{dir + "/ckpt-5"});
  CHECK(mgr.last_preserved_timestamp() == 1'003'600.0);
  auto st = tfckpt::get_checkpoint_state(dir);
  REQUIRE(st);
  CHECK(st->all_model_checkpoint_paths == std::vector<std::string>{dir + "/ckpt-5"});
  CHECK(st->last_preserved_timestamp == 1'003'600.0);
  // A later manager does not manage (so never deletes) the preserved checkpoint.
  cm::fake_now = 1'010'000.0;
  tfckpt::checkpoint_manager again(dir, {.max_to_keep = 1, .clock = cm::fake_clock});
  CHECK(again.checkpoints() == std::vector<std::string>{dir + "/ckpt-5"});
  REQUIRE(again.save(s));
  CHECK(cm::exists(dir + "/ckpt-3.index"));
  CHECK(!cm::exists(dir + "/ckpt-5.index"));
  cm::fake_now = 0;
}

TEST_CASE("checkpoint manager: an explicit checkpoint number names the file; the counter still advances") {
  const std::string dir = cm::fresh_dir("numbered");
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 2, .checkpoint_name = "model"});
  cm::state s;
  auto p = mgr.save(s, 1000);
  REQUIRE(p);
  CHECK(*p == dir + "/model-1000");
  CHECK(mgr.save_counter() == 1);
  REQUIRE(mgr.save(s, 2000));
  auto again = mgr.save(s, 1000);  // re-saving a number moves it to the newest position
  REQUIRE(again);
  CHECK(mgr.checkpoints() == std::vector<std::string>{dir + "/model-2000", dir + "/model-1000"});
  REQUIRE(mgr.save(s));  // model-4 (the counter reached 4): model-2000 goes
  CHECK(mgr.checkpoints() == std::vector<std::string>{dir + "/model-1000", dir + "/model-4"});
  CHECK(!cm::exists(dir + "/model-2000.index"));
  CHECK(cm::exists(dir + "/model-1000.index"));
  // The saved save_counter equals the incremented counter, not the file number.
  cm::state r;
  tfckpt::checkpoint ck(r);
  auto st = ck.restore(dir + "/model-1000");
  REQUIRE(st);
  CHECK(ck.save_counter() == 3);
}

TEST_CASE("checkpoint manager: max_to_keep nullopt keeps and lists everything") {
  const std::string dir = cm::fresh_dir("keep_all");
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = std::nullopt});
  cm::state s;
  for (int i = 0; i < 5; ++i) REQUIRE(mgr.save(s));
  CHECK(mgr.checkpoints().size() == 5);
  CHECK(cm::exists(dir + "/ckpt-1.index"));
}

TEST_CASE("checkpoint manager: sweeping deletes every data shard of a removed checkpoint") {
  const std::string dir = cm::fresh_dir("shards");
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 1});
  cm::state s;
  tfckpt::write_options wo;
  wo.num_shards = 3;
  REQUIRE(mgr.save(s, std::nullopt, wo));
  CHECK(cm::files_of(dir, "ckpt-1.").size() == 4);
  REQUIRE(mgr.save(s));
  CHECK(cm::files_of(dir, "ckpt-1.").empty());
  CHECK(cm::files_of(dir, "ckpt-2.").size() == 2);
}

TEST_CASE("checkpoint manager: max_to_keep 0 is an error reported by status and save") {
  const std::string dir = cm::fresh_dir("bad_max");
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 0});
  CHECK(!mgr.status());
  CHECK(mgr.status().error().code == tfckpt::errc::invalid_argument);
  cm::state s;
  auto p = mgr.save(s);
  CHECK(!p);
  CHECK(!tfckpt::checkpoint_manager::open(dir, {.max_to_keep = -1}));
  CHECK(cm::files_of(dir, "ckpt").empty());
}

TEST_CASE("checkpoint manager: an unparsable state file is ignored with a warning, as TF does") {
  const std::string dir = cm::fresh_dir("garbage_state");
  REQUIRE(tfckpt::detail::atomic_write_file(dir + "/checkpoint", "this is { not a state file"));
  tfckpt::checkpoint_manager mgr(dir, {});
  CHECK(mgr.status());
  CHECK(mgr.recovery_warning());
  CHECK(!mgr.latest_checkpoint());
  cm::state s;
  REQUIRE(mgr.save(s));
  auto latest = tfckpt::latest_checkpoint(dir);
  REQUIRE(latest);
  CHECK(*latest == dir + "/ckpt-1");
}

TEST_CASE("checkpoint manager: a state file naming no checkpoint is an error, as TF raises") {
  const std::string dir = cm::fresh_dir("empty_path_state");
  REQUIRE(tfckpt::detail::atomic_write_file(dir + "/checkpoint", "all_model_checkpoint_paths: \"ckpt-1\"\n"));
  tfckpt::checkpoint_manager mgr(dir, {});
  CHECK(!mgr.status());
  cm::state s;
  CHECK(!mgr.save(s));
}
