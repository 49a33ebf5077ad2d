// Collective error cases of tfckpt/mpi.hpp, run under mpirun by `scripts/test.sh mpi` (any
// number of ranks >= 2): every failure must reach every rank as the same error, publish nothing
// and leave the previous checkpoint the latest; collective checks agree on every rank.
//   mpirun -np N mpi_cases DIR     exit 0 when every case passed on every rank
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <boost/describe.hpp>
#include <tfckpt/checkpoint.hpp>
#include <tfckpt/checkpoint_manager.hpp>
#include <tfckpt/mpi.hpp>

struct state {
  tfckpt::mpi::sharded_rows<float> embedding;
  std::array<float, 8> dense{};
  std::int64_t step = 0;
};
BOOST_DESCRIBE_STRUCT(state, (), (embedding, dense, step))

struct bigger {  // state plus one value: restoring it into `state` leaves `extra` unconsumed
  tfckpt::mpi::sharded_rows<float> embedding;
  std::array<float, 8> dense{};
  std::int64_t extra = 7;
  std::int64_t step = 0;
};
BOOST_DESCRIBE_STRUCT(bigger, (), (embedding, dense, extra, step))

struct plain {  // what a single process saves: the whole embedding as one record
  tfckpt::tensor_of<float> embedding;
  std::array<float, 8> dense{};
  std::int64_t step = 0;
};
BOOST_DESCRIBE_STRUCT(plain, (), (embedding, dense, step))

namespace {

int rank = 0, size = 1, failures = 0, checks = 0;

// True on every rank when `s` is the same string on every rank.
bool same_everywhere(const std::string& s) {
  int len = static_cast<int>(s.size()), lo = 0, hi = 0;
  MPI_Allreduce(&len, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&len, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (lo != hi) return false;
  std::string ref = s;
  MPI_Bcast(ref.data(), len, MPI_CHAR, 0, MPI_COMM_WORLD);
  int differs = ref != s, any = 0;
  MPI_Allreduce(&differs, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any == 0;
}

void expect(bool ok, const char* what) {
  int bad = ok ? 0 : 1, any = 0;
  MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  ++checks;
  if (any) {
    ++failures;
    if (rank == 0) std::fprintf(stderr, "FAIL: %s\n", what);
  }
}

template <class T>
std::string error_text(const tfckpt::result<T>& r) {
  return r ? std::string("(success)") : r.error().to_string();
}

state make(std::int64_t rows = 12) {
  state s;
  s.embedding = tfckpt::mpi::sharded_rows<float>::even({rows, 3}, rank, size);
  for (std::int64_t i = 0; i < s.embedding.row_count * 3; ++i)
    s.embedding.values[static_cast<std::size_t>(i)] = static_cast<float>(s.embedding.row_begin * 3 + i);
  for (std::size_t i = 0; i < 8; ++i) s.dense[i] = static_cast<float>(i);
  s.step = 5;
  return s;
}

bool exact(const state& s) {
  for (std::int64_t i = 0; i < s.embedding.row_count * 3; ++i)
    if (s.embedding.values[static_cast<std::size_t>(i)] != static_cast<float>(s.embedding.row_begin * 3 + i)) return false;
  for (std::size_t i = 0; i < 8; ++i)
    if (s.dense[i] != static_cast<float>(i)) return false;
  return s.step == 5;
}

std::string latest(const std::string& dir) {
  auto l = tfckpt::latest_checkpoint(dir);
  return l ? *l : "(none)";
}

void run(const std::string& dir) {
  state good = make();
  tfckpt::mpi::checkpoint ck(MPI_COMM_WORLD, good);
  auto first = ck.save(dir + "/ckpt");
  expect(first.has_value(), "a good collective save succeeds");
  const std::string prev = first ? *first : "";
  expect(latest(dir) == prev, "the state file names the saved checkpoint");

  {  // One rank's struct differs: the same clear error on every rank, nothing published.
    state s = make(rank == size - 1 ? 13 : 12);
    tfckpt::mpi::checkpoint c(MPI_COMM_WORLD, s);
    c.set_save_counter(1);
    auto r = c.save(dir + "/ckpt");
    expect(!r, "mismatched structs: the save fails");
    expect(same_everywhere(error_text(r)), "mismatched structs: the same error on every rank");
    expect(error_text(r).find("disagree on the checkpoint's structure") != std::string::npos,
           "mismatched structs: the error says so");
    if (rank == 0 && !r) std::printf("mismatched structs -> %s\n", r.error().to_string().c_str());
    expect(latest(dir) == prev, "mismatched structs: the previous checkpoint stays the latest");
  }
  {  // Rows that do not tile the tensor.
    state s = make();
    if (rank == size - 1 && s.embedding.row_begin > 0) {
      s.embedding.row_begin -= 1;  // overlaps the previous rank
    }
    tfckpt::mpi::checkpoint c(MPI_COMM_WORLD, s);
    c.set_save_counter(1);
    auto r = c.save(dir + "/ckpt");
    expect(!r, "overlapping rows: the save fails");
    expect(same_everywhere(error_text(r)), "overlapping rows: the same error on every rank");
    expect(latest(dir) == prev, "overlapping rows: the previous checkpoint stays the latest");
  }
  {  // One rank fails while writing its data file: every rank errs, its files are removed.
    state s = make();
    if (rank == size - 1) s.embedding.values.pop_back();
    tfckpt::mpi::checkpoint c(MPI_COMM_WORLD, s);
    c.set_save_counter(1);
    auto r = c.save(dir + "/ckpt");
    expect(!r, "a failed write: the save fails");
    expect(same_everywhere(error_text(r)), "a failed write: the same error on every rank");
    expect(latest(dir) == prev, "a failed write: the previous checkpoint stays the latest");
    expect(!tfckpt::detail::file_exists(tfckpt::data_filename(dir + "/ckpt-2", rank, size)),
           "a failed write: no rank leaves its data file");
    expect(!tfckpt::detail::file_exists(dir + "/ckpt-2.index"), "a failed write: no index");
  }
  {  // The previous checkpoint still restores exactly.
    state s = make();
    for (auto& v : s.embedding.values) v = -1;
    s.step = 0;
    tfckpt::mpi::checkpoint c(MPI_COMM_WORLD, s);
    auto st = c.restore(dir);
    expect(st.has_value(), "the previous checkpoint restores");
    expect(st && st->assert_consumed().has_value(), "the previous checkpoint: assert_consumed");
    expect(exact(s), "the previous checkpoint: every value exact");
    expect(c.save_counter() == 1, "the previous checkpoint: save_counter restored");
  }
  {  // assert_consumed is collective: the same failure on every rank.
    bigger b;
    state s0 = make();
    b.embedding = s0.embedding;
    b.dense = s0.dense;
    b.step = s0.step;
    tfckpt::mpi::checkpoint cb(MPI_COMM_WORLD, b);
    auto w = cb.write(dir + "/bigger");
    expect(w.has_value(), "a bigger state writes");
    state s = make();
    tfckpt::mpi::checkpoint c(MPI_COMM_WORLD, s);
    auto st = c.read(dir + "/bigger");
    expect(st.has_value(), "a bigger checkpoint reads into a smaller struct");
    if (st) {
      auto ok = st->assert_consumed();
      expect(!ok, "assert_consumed fails when a value is left over");
      expect(same_everywhere(error_text(ok)), "assert_consumed: the same result on every rank");
      expect(st->assert_existing_objects_matched().has_value(), "assert_existing_objects_matched holds");
    }
  }
  {  // A single process's checkpoint (one plain record per value) restores into sharded rows.
    if (rank == 0) {
      plain p;
      std::vector<float> all(36);
      for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<float>(i);
      p.embedding = *tfckpt::tensor_of<float>::from_values({12, 3}, all);
      for (std::size_t i = 0; i < 8; ++i) p.dense[i] = static_cast<float>(i);
      p.step = 5;
      auto w = tfckpt::write(dir + "/plain", p);
      if (!w) std::fprintf(stderr, "plain write: %s\n", w.error().to_string().c_str());
    }
    MPI_Barrier(MPI_COMM_WORLD);
    state s = make();
    for (auto& v : s.embedding.values) v = -1;
    tfckpt::mpi::checkpoint c(MPI_COMM_WORLD, s);
    auto st = c.read(dir + "/plain");
    expect(st && st->assert_consumed().has_value(), "a single-process checkpoint restores collectively");
    expect(exact(s), "a single-process checkpoint: every value exact");
  }
  {  // checkpoint_manager collectively: rank 0 keeps max_to_keep, every rank's list follows.
    tfckpt::checkpoint_manager_options o;
    o.max_to_keep = 2;
    auto m = tfckpt::checkpoint_manager::open(dir + "/managed", o);
    expect(m.has_value(), "a manager opens on every rank");
    if (m) {
      state s = make();
      tfckpt::mpi::checkpoint c(MPI_COMM_WORLD, s);
      bool saved = true;
      for (int i = 0; i < 3; ++i) saved = saved && c.save(*m).has_value();
      expect(saved, "three managed collective saves succeed");
      expect(latest(dir + "/managed") == dir + "/managed/ckpt-3", "the state file names the third");
      expect(!tfckpt::detail::file_exists(dir + "/managed/ckpt-1.index") &&
                 !tfckpt::detail::file_exists(tfckpt::data_filename(dir + "/managed/ckpt-1", rank, size)),
             "max_to_keep=2: the first checkpoint's files are deleted");
      expect(tfckpt::detail::file_exists(dir + "/managed/ckpt-2.index"), "the second is kept");
      std::string list;
      for (const auto& p : m->checkpoints()) list += p + ";";
      expect(same_everywhere(list) && m->checkpoints().size() == 2, "every rank's manager lists the same two");
    }
  }
  {  // A sharded_rows holding part of the rows cannot be saved by the single-process API.
    state s = make();
    auto r = tfckpt::write(dir + "/single_" + std::to_string(rank), s);
    expect(size == 1 || !r, "the single-process save refuses a partial sharded_rows");
  }
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 2) {
    if (rank == 0) std::fprintf(stderr, "usage: mpirun -np N %s DIR\n", argv[0]);
    MPI_Finalize();
    return 2;
  }
  run(argv[1]);
  if (rank == 0) std::printf("mpi_cases: %d checks on %d ranks, %d failed\n", checks, size, failures);
  MPI_Finalize();
  return failures == 0 && checks > 0 ? 0 : 1;
}
