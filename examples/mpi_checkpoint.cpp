// Collective save and restore over MPI (tfckpt/mpi.hpp), resharding on restore.
//
//   mpirun -np N mpi_checkpoint save DIR     # DIR/ckpt-1, state file DIR/checkpoint
//   mpirun -np M mpi_checkpoint restore DIR  # any M; also a TF ShardedVariable checkpoint
//
// The state is tf.train.Checkpoint(embedding=..., dense=..., step=...)-compatible:
//   embedding  float32 [1000, 64] sharded by rows over the ranks as evenly as possible
//              (TensorFlow's split: the first 1000 % N ranks get one row more), value row*64+col
//   dense      float32 [64, 10] replicated, element i (row-major) = i * 0.5
//   step       int64 42
// `restore` exits 0 only when every rank's values are exactly right (and assert_consumed holds).
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include <boost/describe.hpp>
#include <tfckpt/mpi.hpp>

struct state {
  tfckpt::mpi::sharded_rows<float> embedding;
  tfckpt::fixed<float, 64, 10> dense;
  std::int64_t step = 0;
};
BOOST_DESCRIBE_STRUCT(state, (), (embedding, dense, step))

namespace {

constexpr std::int64_t rows = 1000, cols = 64;

state make_state(int rank, int size) {
  state s;
  s.embedding = tfckpt::mpi::sharded_rows<float>::even({rows, cols}, rank, size);
  return s;
}

void fill(state& s) {
  for (std::int64_t r = 0; r < s.embedding.row_count; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      s.embedding.values[static_cast<std::size_t>(r * cols + c)] = static_cast<float>((s.embedding.row_begin + r) * cols + c);
  for (std::size_t i = 0; i < 640; ++i) s.dense[i] = static_cast<float>(i) * 0.5f;
  s.step = 42;
}

// The first wrong value on this rank, or "" when all are right.
std::string check(const state& s) {
  char buf[160];
  for (std::int64_t r = 0; r < s.embedding.row_count; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      const float want = static_cast<float>((s.embedding.row_begin + r) * cols + c);
      const float got = s.embedding.values[static_cast<std::size_t>(r * cols + c)];
      if (got != want) {
        std::snprintf(buf, sizeof buf, "embedding[%lld][%lld] = %g, want %g",
                      static_cast<long long>(s.embedding.row_begin + r), static_cast<long long>(c), got, want);
        return buf;
      }
    }
  for (std::size_t i = 0; i < 640; ++i)
    if (s.dense[i] != static_cast<float>(i) * 0.5f) {
      std::snprintf(buf, sizeof buf, "dense element %zu = %g, want %g", i, s.dense[i], static_cast<float>(i) * 0.5f);
      return buf;
    }
  if (s.step != 42) return "step = " + std::to_string(s.step) + ", want 42";
  return "";
}

int run(int argc, char** argv, int rank, int size) {
  if (argc != 3 || (std::strcmp(argv[1], "save") != 0 && std::strcmp(argv[1], "restore") != 0)) {
    if (rank == 0) std::fprintf(stderr, "usage: mpirun -np N %s save|restore DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[2];
  state s = make_state(rank, size);
  tfckpt::mpi::checkpoint ck(MPI_COMM_WORLD, s);
  if (std::strcmp(argv[1], "save") == 0) {
    fill(s);
    auto path = ck.save(dir + "/ckpt");
    if (!path) {
      std::fprintf(stderr, "rank %d: save failed: %s\n", rank, path.error().to_string().c_str());
      return 1;
    }
    if (rank == 0) std::printf("saved %s with %d rank(s)\n", path->c_str(), size);
    return 0;
  }
  auto st = ck.restore(dir);
  if (!st) {
    std::fprintf(stderr, "rank %d: restore failed: %s\n", rank, st.error().to_string().c_str());
    return 1;
  }
  int bad = 0;
  if (auto ok = st->assert_consumed(); !ok) {
    std::fprintf(stderr, "rank %d: %s\n", rank, ok.error().to_string().c_str());
    bad = 1;
  }
  if (const std::string why = check(s); !why.empty()) {
    std::fprintf(stderr, "rank %d (rows %lld..%lld): %s\n", rank, static_cast<long long>(s.embedding.row_begin),
                 static_cast<long long>(s.embedding.row_begin + s.embedding.row_count), why.c_str());
    bad = 1;
  }
  int any_bad = 1;
  MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0 && !any_bad) std::printf("restored %s with %d rank(s): every value exact\n", dir.c_str(), size);
  return any_bad;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int rc = run(argc, argv, rank, size);
  MPI_Finalize();
  return rc;
}
