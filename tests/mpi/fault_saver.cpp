// The SIGKILL fault test's program (tests/mpi/fault_test.sh, `scripts/test.sh mpi`).
//   mpirun -np N mpi_fault_saver loop DIR     saves ckpt-<n> collectively, forever, numbering on
//                                             from the state file; each rank logs "b n" before
//                                             and "e n" after each save to DIR/log.<rank>
//   mpirun -np M mpi_fault_saver verify DIR   the checkpoint the state file names: every checksum
//                                             (bundle_reader::verify) and a collective restore with
//                                             every value exact for its number; prints "ok <n>",
//                                             or "empty" before the first state file
// Values of ckpt-<n>: embedding [rows, 64] = row*64 + col + n, dense [256, 256] element i =
// i*0.5 + n, step = n.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include <unistd.h>

#include <boost/describe.hpp>
#include <tfckpt/mpi.hpp>

struct state {
  tfckpt::mpi::sharded_rows<float> embedding;
  tfckpt::fixed<float, 256, 256> dense;
  std::int64_t step = 0;
};
BOOST_DESCRIBE_STRUCT(state, (), (embedding, dense, step))

namespace {

constexpr std::int64_t rows = 40000, cols = 64;

void fill(state& s, std::int64_t n) {
  for (std::int64_t i = 0; i < s.embedding.row_count * cols; ++i)
    s.embedding.values[static_cast<std::size_t>(i)] = static_cast<float>(s.embedding.row_begin * cols + i + n);
  for (std::size_t i = 0; i < 256 * 256; ++i) s.dense[i] = static_cast<float>(i) * 0.5f + static_cast<float>(n);
  s.step = n;
}

bool exact(const state& s) {
  const std::int64_t n = s.step;
  for (std::int64_t i = 0; i < s.embedding.row_count * cols; ++i)
    if (s.embedding.values[static_cast<std::size_t>(i)] != static_cast<float>(s.embedding.row_begin * cols + i + n))
      return false;
  for (std::size_t i = 0; i < 256 * 256; ++i)
    if (s.dense[i] != static_cast<float>(i) * 0.5f + static_cast<float>(n)) return false;
  return true;
}

// The number of the checkpoint the state file names, 0 when there is none.
std::int64_t latest_number(const std::string& dir) {
  auto l = tfckpt::latest_checkpoint(dir);
  if (!l) return 0;
  return std::stoll(l->substr(l->rfind('-') + 1));
}

int loop(const std::string& dir, int rank, int size) {
  static state s;  // 256 KiB of dense: not on the stack
  s.embedding = tfckpt::mpi::sharded_rows<float>::even({rows, cols}, rank, size);
  std::int64_t n = rank == 0 ? latest_number(dir) : 0;
  MPI_Bcast(&n, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  tfckpt::mpi::checkpoint ck(MPI_COMM_WORLD, s);
  ck.set_save_counter(n);
  std::FILE* log = std::fopen((dir + "/log." + std::to_string(rank)).c_str(), "a");
  if (!log) return 1;
  std::fprintf(log, "p %ld\n", static_cast<long>(::getpid()));  // lets the test find the victim's log
  std::fflush(log);
  for (;;) {
    ++n;
    fill(s, n);
    std::fprintf(log, "b %lld\n", static_cast<long long>(n));
    std::fflush(log);
    auto p = ck.save(dir + "/ckpt");
    if (!p) {
      std::fprintf(stderr, "rank %d: save %lld failed: %s\n", rank, static_cast<long long>(n),
                   p.error().to_string().c_str());
      return 1;
    }
    std::fprintf(log, "e %lld\n", static_cast<long long>(n));
    std::fflush(log);
    if (rank == 0 && n > 2) {  // keep the last two
      const std::string old = dir + "/ckpt-" + std::to_string(n - 2);
      (void)tfckpt::detail::remove_file(old + ".index");
      for (int r = 0; r < size; ++r) (void)tfckpt::detail::remove_file(tfckpt::data_filename(old, r, size));
    }
  }
}

int verify(const std::string& dir, int rank, int size) {
  int has = rank == 0 ? tfckpt::detail::file_exists(dir + "/checkpoint") : 0;
  MPI_Bcast(&has, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!has) {
    if (rank == 0) std::printf("empty\n");
    return 0;
  }
  auto path = tfckpt::latest_checkpoint(dir);
  if (!path) {
    std::fprintf(stderr, "rank %d: %s\n", rank, path.error().to_string().c_str());
    return 1;
  }
  if (rank == 0) {
    auto r = tfckpt::bundle_reader::open(*path);
    auto v = r ? r->verify() : tfckpt::result<tfckpt::verify_summary>(r.error());
    if (!v) {
      std::fprintf(stderr, "verify %s: %s\n", path->c_str(), v.error().to_string().c_str());
      return 1;
    }
  }
  static state s;
  s.embedding = tfckpt::mpi::sharded_rows<float>::even({rows, cols}, rank, size);
  tfckpt::mpi::checkpoint ck(MPI_COMM_WORLD, s);
  auto st = ck.restore(*path);
  int bad = 0;
  if (!st) {
    std::fprintf(stderr, "rank %d: restore %s: %s\n", rank, path->c_str(), st.error().to_string().c_str());
    bad = 1;
  } else if (auto ok = st->assert_consumed(); !ok) {
    std::fprintf(stderr, "rank %d: %s\n", rank, ok.error().to_string().c_str());
    bad = 1;
  } else if (!exact(s) || s.step != latest_number(dir) || ck.save_counter() != s.step) {
    std::fprintf(stderr, "rank %d: values of %s are not those of save %lld\n", rank, path->c_str(),
                 static_cast<long long>(s.step));
    bad = 1;
  }
  int any = 1;
  MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0 && !any) std::printf("ok %lld\n", static_cast<long long>(s.step));
  return any;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int rc = 2;
  if (argc == 3 && std::strcmp(argv[1], "loop") == 0) rc = loop(argv[2], rank, size);
  else if (argc == 3 && std::strcmp(argv[1], "verify") == 0) rc = verify(argv[2], rank, size);
  else if (rank == 0) std::fprintf(stderr, "usage: %s loop|verify DIR\n", argv[0]);
  MPI_Finalize();
  return rc;
}
