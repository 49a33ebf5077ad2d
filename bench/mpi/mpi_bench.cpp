// Throughput of tfckpt/mpi.hpp's collective save and restore (bench/run_mpi runs it with 1, 2
// and 4 ranks). Not a test: it prints figures.
//   mpirun -np N mpi_bench DIR [EMBEDDING_MIB]
// State: a float32 embedding [rows, 256] sharded by rows (EMBEDDING_MIB, default 128) and eight
// replicated float32 [512, 1024] tensors (16 MiB). Lines printed by rank 0:
//   save     collective save, fsync included, max over ranks, best of 3
//   restore  collective restore, page cache warm, best of 3
//   bcast    the replicated tensors: read by every rank vs read by rank 0 + MPI_Bcast
//   gather   index entries gathered to rank 0 and written as the .index, per entry
// With 1 rank it also prints the baselines: the single-process tfckpt::write of the same state,
// and POSIX write()+fsync of the same number of bytes.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <boost/describe.hpp>
#include <tfckpt/checkpoint.hpp>
#include <tfckpt/mpi.hpp>

struct state {
  tfckpt::mpi::sharded_rows<float> embedding;
  tfckpt::tensor_of<float> w0, w1, w2, w3, w4, w5, w6, w7;
};
BOOST_DESCRIBE_STRUCT(state, (), (embedding, w0, w1, w2, w3, w4, w5, w6, w7))

struct single {
  tfckpt::tensor_of<float> embedding, w0, w1, w2, w3, w4, w5, w6, w7;
};
BOOST_DESCRIBE_STRUCT(single, (), (embedding, w0, w1, w2, w3, w4, w5, w6, w7))

namespace {

int rank = 0, size = 1;
constexpr std::int64_t cols = 256;

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Seconds of `f` on the slowest rank, best of `reps`.
template <class F>
double timed(int reps, F&& f) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = now();
    f();
    double dt = now() - t0, worst = 0;
    MPI_Allreduce(&dt, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    best = std::min(best, worst);
  }
  return best;
}

void die(const std::string& what, const tfckpt::error& e) {
  std::fprintf(stderr, "rank %d: %s: %s\n", rank, what.c_str(), e.to_string().c_str());
  MPI_Abort(MPI_COMM_WORLD, 1);
}

std::vector<tfckpt::tensor_of<float>*> replicated(state& s) { return {&s.w0, &s.w1, &s.w2, &s.w3, &s.w4, &s.w5, &s.w6, &s.w7}; }

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc < 2) {
    if (rank == 0) std::fprintf(stderr, "usage: mpirun -np N %s DIR [EMBEDDING_MIB]\n", argv[0]);
    MPI_Finalize();
    return 2;
  }
  const std::string dir = argv[1];
  const std::int64_t mib = argc > 2 ? std::stoll(argv[2]) : 128;
  const std::int64_t rows = mib * (1 << 20) / (cols * 4);
  static state s;
  s.embedding = tfckpt::mpi::sharded_rows<float>::even({rows, cols}, rank, size);
  for (std::size_t i = 0; i < s.embedding.values.size(); ++i) s.embedding.values[i] = static_cast<float>(i % 1000);
  for (auto* w : replicated(s)) {
    *w = *tfckpt::tensor_of<float>::zeros({512, 1024});
    for (std::size_t i = 0; i < w->size(); ++i) w->values()[i] = static_cast<float>(i % 77);
  }
  const double total_mib = static_cast<double>(mib) + 16.0;
  tfckpt::mpi::checkpoint ck(MPI_COMM_WORLD, s);
  int k = 0;
  const double t_save = timed(3, [&] {
    auto p = ck.write(dir + "/coll-" + std::to_string(k++));
    if (!p) die("save", p.error());
  });
  const double t_restore = timed(3, [&] {
    auto st = ck.read(dir + "/coll-0");
    if (!st) die("restore", st.error());
  });
  if (rank == 0)
    std::printf("ranks %d  state %.0f MiB  save %.3f s = %.0f MiB/s  restore %.3f s = %.0f MiB/s\n", size, total_mib,
                t_save, total_mib / t_save, t_restore, total_mib / t_restore);

  {  // Replicated tensors on restore: every rank reads them, or rank 0 reads and broadcasts.
    auto r = tfckpt::bundle_reader::open(dir + "/coll-0");
    if (!r) die("open", r.error());
    std::vector<float> buf(512 * 1024);
    const char* keys[] = {"w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7"};
    const double t_each = timed(3, [&] {
      for (const char* k2 : keys) {
        auto ok = r->read_into<float>(std::string(k2) + "/.ATTRIBUTES/VARIABLE_VALUE", buf);
        if (!ok) die("read", ok.error());
      }
    });
    const double t_bcast = timed(3, [&] {
      for (const char* k2 : keys) {
        if (rank == 0) {
          auto ok = r->read_into<float>(std::string(k2) + "/.ATTRIBUTES/VARIABLE_VALUE", buf);
          if (!ok) die("read", ok.error());
        }
        MPI_Bcast(buf.data(), static_cast<int>(buf.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
      }
    });
    if (rank == 0)
      std::printf("ranks %d  replicated 16 MiB: read by every rank %.4f s, read by rank 0 + MPI_Bcast %.4f s\n", size,
                  t_each, t_bcast);
  }

  {  // Index gather: E entries per rank encoded, gathered to rank 0 and written as the .index.
    constexpr int per_rank = 20000;
    std::map<std::string, tfckpt::bundle_entry> entries;
    for (int i = 0; i < per_rank; ++i) {
      tfckpt::bundle_entry e;
      e.dtype = tfckpt::dtype::float32;
      e.shape = {64, 64};
      e.shard_id = rank;
      e.offset = i * 16384;
      e.size = 16384;
      e.crc32c = static_cast<std::uint32_t>(i);
      char key[64];
      std::snprintf(key, sizeof key, "model/layer_%d/rank_%d/kernel/.ATTRIBUTES/VARIABLE_VALUE", i, rank);
      entries.emplace(key, e);
    }
    auto c = tfckpt::mpi::detail::comm::dup(MPI_COMM_WORLD);
    if (!c) die("comm", c.error());
    const double t_gather = timed(3, [&] {
      auto g = tfckpt::mpi::detail::gather_strings(*c, tfckpt::mpi::detail::encode_entries(entries));
      if (!g) die("gather", g.error());
      if (rank == 0)
        if (auto ok = tfckpt::mpi::detail::write_index(dir + "/gather", *g, true); !ok) die("index", ok.error());
    });
    if (rank == 0)
      std::printf("ranks %d  index of %d entries: gather + write %.4f s = %.2f us per entry\n", size, per_rank * size,
                  t_gather, t_gather * 1e6 / (per_rank * size));
  }

  if (size == 1) {  // Baselines: single-process save of the same state, write() of the same bytes.
    static single one;
    one.embedding = *tfckpt::tensor_of<float>::from_values({rows, cols}, s.embedding.values);
    one.w0 = s.w0, one.w1 = s.w1, one.w2 = s.w2, one.w3 = s.w3, one.w4 = s.w4, one.w5 = s.w5, one.w6 = s.w6, one.w7 = s.w7;
    int j = 0;
    const double t_single = timed(3, [&] {
      auto p = tfckpt::write(dir + "/single-" + std::to_string(j++), one);
      if (!p) die("single save", p.error());
    });
    const double t_write = timed(3, [&] {
      const std::string f = dir + "/raw-" + std::to_string(j++);
      const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const char* p = reinterpret_cast<const char*>(s.embedding.values.data());
      std::size_t left = s.embedding.values.size() * 4;
      while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n <= 0) break;
        p += n, left -= static_cast<std::size_t>(n);
      }
      for (auto* w : replicated(s)) {
        std::size_t l2 = w->size() * 4;
        const char* q = reinterpret_cast<const char*>(w->data());
        while (l2 > 0) {
          const ssize_t n = ::write(fd, q, l2);
          if (n <= 0) break;
          q += n, l2 -= static_cast<std::size_t>(n);
        }
      }
      ::fsync(fd);
      ::close(fd);
    });
    std::printf("baseline  single-process tfckpt::write %.3f s = %.0f MiB/s  write()+fsync of the same bytes %.3f s = %.0f MiB/s\n",
                t_single, total_mib / t_single, t_write, total_mib / t_write);
  }
  MPI_Finalize();
  return 0;
}
