// bench_ckpt: one measurement per process, driven by bench/run (which also runs TensorFlow's
// side and prints the table). Every case repeats its timed section BENCH_REPS times (default 3)
// and prints one JSON line: the best time, the bytes it moved and the process's peak RSS, so a
// case's RSS is its own. Destinations and sources are allocated and touched before timing.
//
//   bench_ckpt read     <file>                    read() of the whole file (baseline)
//   bench_ckpt read_new <file>                    open + new buffer + read() + free (baseline)
//   bench_ckpt memcpy   <bytes>                   memcpy of as many bytes (baseline)
//   bench_ckpt write    <file> <bytes> [files]    write() of as many bytes (baseline); split
//                                                 evenly into `files` files, one thread each
//   bench_ckpt restore  <prefix> <threads> <verify 0|1>   open + read_many_into every tensor
//   bench_ckpt view     <prefix> <verify 0|1>     open + zero-copy views of every tensor
//   bench_ckpt save     <prefix> <count> <elements> <threads> <alignment>   bundle_writer::add
//                                                 per tensor, one shard
//   bench_ckpt save_many <prefix> <count> <elements> <threads> <alignment> <shards>
//                                                 one bundle_writer::add_many of every tensor
//   bench_ckpt object_save <prefix> <count> <elements> <threads> <shards>   tfckpt::write of a
//                                                 struct holding what Checkpoint(v=[...]) tracks
//   bench_ckpt object_read <prefix> <threads>     tfckpt::read of TF's checkpoint into that
//                                                 struct, its vectors preallocated
//   bench_ckpt object_read_fresh <prefix> <threads>   tfckpt::read into a struct constructed
//                                                 empty in each repetition (fresh memory, as users)
//   bench_ckpt cold_read <file> <mode> [threads]  read of the whole file after dropping the page
//                                                 cache: mode plain (read(), 16 MiB), threads
//                                                 (pread of 16 MiB pieces, `threads` at a time),
//                                                 direct (O_DIRECT, aligned 16 MiB); touched buffer
//   bench_ckpt cold_restore <prefix> <threads>    restore (crc) after dropping the page cache
//   bench_ckpt list     <prefix>                  list_entries: every key, dtype and shape
//   bench_ckpt open     <prefix>                  bundle_reader::open + entries()
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/describe/class.hpp>
#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/bundle/writer.hpp>
#include <tfckpt/checkpoint.hpp>
#include <tfckpt/bundle/listing.hpp>

namespace {

using clock_type = std::chrono::steady_clock;

// Seconds on the steady clock, or, with BENCH_CLOCK=thread, CPU seconds of the calling thread:
// on a shared machine the single-threaded cases' wall time measures the other jobs too.
double now_s() {
  static const bool thread_clock = [] {
    const char* c = std::getenv("BENCH_CLOCK");
    return c && std::strcmp(c, "thread") == 0;
  }();
  if (thread_clock) {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  return std::chrono::duration<double>(clock_type::now().time_since_epoch()).count();
}

int reps() {
  const char* r = std::getenv("BENCH_REPS");
  return r ? std::max(1, std::atoi(r)) : 3;
}

// Runs `body` reps() times; returns the best wall time in seconds, or a negative value if the
// body failed (it prints why).
// Cases of a few milliseconds (on the index) pass min_reps: a burst of noise on this shared
// machine lasts longer than three of them, so they get more chances at a quiet moment.
template <class F>
double best_of(F&& body, int min_reps = 0) {
  double best = 1e300;
  for (int i = 0, n = std::max(reps(), min_reps); i < n; ++i) {
    const double t = now_s();
    if (!body()) return -1;
    best = std::min(best, now_s() - t);
  }
  return best;
}

int report(const char* name, double seconds, std::uint64_t bytes, std::uint64_t items = 0) {
  if (seconds < 0) return 1;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"case\": \"%s\", \"seconds\": %.6f, \"bytes\": %llu, \"items\": %llu, \"rss_kib\": %ld}\n", name,
              seconds, static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(items), ru.ru_maxrss);
  return 0;
}

bool fail(const tfckpt::error& e) {
  std::fprintf(stderr, "bench_ckpt: %s\n", e.to_string().c_str());
  return false;
}

// Page-aligned, touched: what a caller's preallocated tensor memory looks like.
std::vector<char> touched(std::size_t n, char fill = 0) {
  std::vector<char> v(n, fill);
  return v;
}

constexpr std::size_t io_chunk = std::size_t{16} << 20;

int run_read(const std::string& file) {
  auto size = tfckpt::detail::file_size(file);
  if (!size) return fail(size.error()), 1;
  auto buf = touched(static_cast<std::size_t>(*size));
  const double s = best_of([&] {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::size_t done = 0;
    while (done < buf.size()) {
      const ssize_t r = ::read(fd, buf.data() + done, std::min(io_chunk, buf.size() - done));
      if (r <= 0) break;
      done += static_cast<std::size_t>(r);
    }
    ::close(fd);
    return done == buf.size();
  }, *size < (std::uint64_t{64} << 20) ? 20 : 0);
  return report("read", s, *size);
}

// Reading a file the way a program that has no buffer yet does: open, size it, get fresh memory
// (anonymous mmap, as malloc does for large sizes; mapped here explicitly so that every
// repetition gets new pages rather than glibc's recycled ones), read, release. The baseline for
// listing, which also starts from nothing but the path.
int run_read_new(const std::string& file) {
  std::size_t size = 0;
  const double s = best_of([&] {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return ::close(fd), false;
    size = static_cast<std::size_t>(st.st_size);
    void* mem = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return ::close(fd), false;
    char* buf = static_cast<char*>(mem);
    std::size_t done = 0;
    while (done < size) {
      const ssize_t r = ::read(fd, buf + done, std::min(io_chunk, size - done));
      if (r <= 0) break;
      done += static_cast<std::size_t>(r);
    }
    ::close(fd);
    ::munmap(mem, size);
    return done == size;
  }, 20);
  return report("read_new", s, size);
}

int run_memcpy(std::uint64_t bytes) {
  auto src = touched(bytes, 1), dst = touched(bytes);
  const double s = best_of([&] {
    std::memcpy(dst.data(), src.data(), src.size());
    return dst[bytes / 2] == 1;
  });
  return report("memcpy", s, bytes);
}

bool write_file(const std::string& file, const char* src, std::size_t size) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  for (std::size_t done = 0; done < size;) {
    const ssize_t w = ::write(fd, src + done, std::min(io_chunk, size - done));
    if (w <= 0) return ::close(fd), false;
    done += static_cast<std::size_t>(w);
  }
  return ::close(fd) == 0;
}

int run_write(const std::string& file, std::uint64_t bytes, std::size_t files) {
  auto src = touched(bytes, 1);
  std::vector<std::string> names(files);
  for (std::size_t f = 0; f < files; ++f) names[f] = file + "." + std::to_string(f);
  const std::size_t part = src.size() / files;
  double best = 1e300;
  for (int i = 0, n = reps(); i < n; ++i) {
    for (const auto& f : names) ::unlink(f.c_str());  // freeing the previous copy's page cache is not part of a write
    const double t = now_s();
    std::vector<std::thread> pool;
    std::vector<char> ok(files, 0);
    for (std::size_t f = 0; f < files; ++f)
      pool.emplace_back([&, f] {
        const std::size_t size = f + 1 == files ? src.size() - part * f : part;
        ok[f] = write_file(names[f], src.data() + part * f, size);
      });
    for (auto& th : pool) th.join();
    for (char k : ok)
      if (!k) return 1;
    best = std::min(best, now_s() - t);
  }
  for (const auto& f : names) ::unlink(f.c_str());
  return report(files == 1 ? "write" : ("write_f" + std::to_string(files)).c_str(), best, bytes);
}

// Every fixed-size tensor of the bundle (TensorFlow's object graph string is not tensor data).
struct plan {
  std::vector<std::string> keys;
  std::vector<tfckpt::dtype> types;
  std::vector<std::vector<char>> buffers;
  std::uint64_t bytes = 0;
};

bool make_plan(const std::string& prefix, plan& p, bool allocate) {
  auto r = tfckpt::bundle_reader::open(prefix);
  if (!r) return fail(r.error());
  for (const auto& e : r->entries()) {
    if (!tfckpt::is_fixed_size(e.info.dtype) || e.key == "save_counter/.ATTRIBUTES/VARIABLE_VALUE") continue;
    p.keys.emplace_back(e.key);
    p.types.push_back(e.info.dtype);
    p.bytes += static_cast<std::uint64_t>(e.info.size);
    if (allocate) p.buffers.push_back(touched(static_cast<std::size_t>(e.info.size)));
  }
  return true;
}

// The read requests of a plan (one per record, into the plan's buffers) and one timed restore of
// them: open the bundle, read every record.
std::vector<tfckpt::bundle_reader::read_request> requests_of(plan& p) {
  std::vector<tfckpt::bundle_reader::read_request> req(p.keys.size());
  for (std::size_t i = 0; i < req.size(); ++i)
    req[i] = {p.keys[i], p.types[i], std::as_writable_bytes(std::span<char>(p.buffers[i]))};
  return req;
}

bool restore_requests(const std::string& prefix, std::span<const tfckpt::bundle_reader::read_request> req,
                      const tfckpt::read_options& o) {
  auto r = tfckpt::bundle_reader::open(prefix, o);
  if (!r) return fail(r.error());
  auto ok = r->read_many_into(req);
  return ok ? true : fail(ok.error());
}

int run_restore(const std::string& prefix, unsigned threads, bool verify) {
  plan p;
  if (!make_plan(prefix, p, true)) return 1;
  const auto req = requests_of(p);
  tfckpt::read_options o;
  o.threads = threads;
  o.verify_checksums = verify;
  const double s = best_of([&] { return restore_requests(prefix, req, o); });
  const std::string name = std::string("restore") + (verify ? "" : "_nocrc") + "_t" + std::to_string(threads);
  return report(name.c_str(), s, p.bytes, p.keys.size());
}

int run_view(const std::string& prefix, bool verify) {
  plan p;
  if (!make_plan(prefix, p, false)) return 1;
  tfckpt::read_options o;
  o.verify_checksums = verify;
  double sink = 0;
  const double s = best_of([&] {
    auto r = tfckpt::bundle_reader::open(prefix, o);
    if (!r) return fail(r.error());
    for (const auto& k : p.keys) {
      auto v = r->view<float>(k);
      if (!v) return fail(v.error());
      sink += v->empty() ? 0.0 : static_cast<double>((*v)[v->size() - 1]);
    }
    return true;
  });
  return report(verify ? "view" : "view_nocrc", sink < 0 ? -1 : s, p.bytes, p.keys.size());
}

// `shards` = 0: add() per tensor into one shard; else one add_many of every tensor.
int run_save(const std::string& prefix, std::size_t count, std::size_t elements, unsigned threads, std::size_t align,
             std::int32_t shards) {
  std::vector<std::vector<float>> src(count);
  for (std::size_t i = 0; i < count; ++i) src[i].assign(elements, static_cast<float>(i) * 0.5f);
  std::vector<std::string> keys(count);
  for (std::size_t i = 0; i < count; ++i) keys[i] = "v/" + std::to_string(i) + "/.ATTRIBUTES/VARIABLE_VALUE";
  std::vector<tfckpt::bundle_writer::request> batch(count);
  for (std::size_t i = 0; i < count; ++i)
    batch[i] = {keys[i], tfckpt::dtype::float32, {static_cast<std::int64_t>(elements)},
                std::string_view(reinterpret_cast<const char*>(src[i].data()), elements * sizeof(float))};
  tfckpt::write_options o;
  o.sync = false;  // as the write() baseline and TensorFlow: page cache, no fsync
  o.threads = threads;
  o.data_alignment = align;
  o.num_shards = std::max(1, shards);
  std::vector<std::string> files = {prefix + ".index"};
  for (std::int32_t s = 0; s < o.num_shards; ++s) files.push_back(tfckpt::data_filename(prefix, s, o.num_shards));
  double best = 1e300;
  for (int i = 0, n = reps(); i < n; ++i) {
    for (const auto& f : files) ::unlink(f.c_str());
    const double t = now_s();
    auto w = tfckpt::bundle_writer::create(prefix, o);
    if (!w) return fail(w.error()), 1;
    if (shards == 0) {
      for (std::size_t k = 0; k < count; ++k)
        if (auto r = w->add<float>(keys[k], {static_cast<std::int64_t>(elements)}, std::span<const float>(src[k])); !r)
          return fail(r.error()), 1;
    } else if (auto r = w->add_many(batch); !r) {
      return fail(r.error()), 1;
    }
    if (auto r = w->finish(); !r) return fail(r.error()), 1;
    best = std::min(best, now_s() - t);
  }
  std::string name = "save_t" + std::to_string(threads);
  if (shards > 0) name += "_many_s" + std::to_string(shards);
  return report(name.c_str(), best, count * elements * sizeof(float), count);
}

}  // namespace

// What tf.train.Checkpoint(v=[tf.Variable, ...]) tracks, as a user would declare it: the list
// `v`, each element one variable (keys v/<i>/.ATTRIBUTES/VARIABLE_VALUE).
namespace bench_objects {
struct state {
  std::vector<std::vector<float>> v;
};
BOOST_DESCRIBE_STRUCT(state, (), (v))
}  // namespace bench_objects

namespace {

int run_object_save(const std::string& prefix, std::size_t count, std::size_t elements, unsigned threads,
                    std::int32_t shards) {
  bench_objects::state s;
  s.v.resize(count);
  for (std::size_t i = 0; i < count; ++i) s.v[i].assign(elements, static_cast<float>(i) * 0.5f);
  tfckpt::write_options o;
  o.sync = false;  // as the write() baseline and TensorFlow: page cache, no fsync
  o.threads = threads;
  o.num_shards = shards;
  o.data_alignment = 64;
  std::vector<std::string> files = {prefix + ".index"};
  for (std::int32_t k = 0; k < shards; ++k) files.push_back(tfckpt::data_filename(prefix, k, shards));
  double best = 1e300;
  for (int i = 0, n = reps(); i < n; ++i) {
    for (const auto& f : files) ::unlink(f.c_str());
    const double t = now_s();
    if (auto w = tfckpt::write(prefix, s, o); !w) return fail(w.error()), 1;
    best = std::min(best, now_s() - t);
  }
  const std::string name = "object_save_t" + std::to_string(threads) + "_s" + std::to_string(shards);
  return report(name.c_str(), best, count * elements * sizeof(float), count);
}

int run_object_read(const std::string& prefix, unsigned threads) {
  plan p;
  if (!make_plan(prefix, p, false)) return 1;
  bench_objects::state s;
  s.v.resize(p.keys.size());
  for (std::size_t i = 0; i < p.keys.size(); ++i) s.v[i] = std::vector<float>(static_cast<std::size_t>(p.bytes / p.keys.size() / 4), -1.0f);
  tfckpt::read_options o;
  o.threads = threads;
  const double best = best_of([&] {
    auto st = tfckpt::read(prefix, s, o);
    if (!st) return fail(st.error());
    if (auto c = st->assert_consumed(); !c) return fail(c.error());
    return s.v.back()[0] == static_cast<float>(s.v.size() - 1) * 0.5f;
  });
  const std::string name = "object_read_t" + std::to_string(threads);
  return report(name.c_str(), best, p.bytes, p.keys.size());
}

// Fresh memory, as a program restoring at start-up has: the struct is built empty inside the
// timed section (its vectors get their length from the checkpoint) and freed outside it.
int run_object_read_fresh(const std::string& prefix, unsigned threads) {
  plan p;
  if (!make_plan(prefix, p, false)) return 1;
  tfckpt::read_options o;
  o.threads = threads;
  double best = 1e300;
  for (int i = 0, n = reps(); i < n; ++i) {
    const double t = now_s();
    auto s = std::make_unique<bench_objects::state>();
    auto st = tfckpt::read(prefix, *s, o);
    if (!st) return fail(st.error()), 1;
    if (auto c = st->assert_consumed(); !c) return fail(c.error()), 1;
    if (s->v.size() != p.keys.size() || s->v.back()[0] != static_cast<float>(s->v.size() - 1) * 0.5f) return 1;
    best = std::min(best, now_s() - t);
  }
  const std::string name = "object_read_fresh_t" + std::to_string(threads);
  return report(name.c_str(), best, p.bytes, p.keys.size());
}

// Cold cache: every repetition first writes back dirty pages and drops the page cache (root
// only; bench/run skips these cases otherwise).
bool drop_caches() {
  ::sync();
  const int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, "3", 1) == 1;
  ::close(fd);
  return ok;
}

template <class F>
double best_cold(F&& body) {
  double best = 1e300;
  for (int i = 0, n = reps(); i < n; ++i) {
    if (!drop_caches()) return std::fputs("bench_ckpt: cannot write /proc/sys/vm/drop_caches\n", stderr), -1;
    const double t = now_s();
    if (!body()) return -1;
    best = std::min(best, now_s() - t);
  }
  return best;
}

int run_cold_read(const std::string& file, const std::string& mode, unsigned threads) {
  auto size = tfckpt::detail::file_size(file);
  if (!size) return fail(size.error()), 1;
  const bool direct = mode == "direct";
  if (!direct && mode != "plain" && mode != "threads") return 2;
  // O_DIRECT needs buffer, offset and length aligned (4096 covers every common block size).
  const std::size_t n = static_cast<std::size_t>(*size), padded = (n + 4095) / 4096 * 4096;
  void* mem = ::mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 1;
  char* buf = static_cast<char*>(mem);
  std::memset(buf, 0, padded);  // touched, as the warm read() baseline's buffer
  const unsigned t = mode == "threads" ? std::max(1u, threads) : 1;
  const double s = best_cold([&] {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd < 0) return false;
    std::atomic<std::size_t> next{0}, done{0};
    auto worker = [&] {
      for (;;) {
        const std::size_t at = next.fetch_add(io_chunk);
        if (at >= n) return;
        const std::size_t want = std::min(io_chunk, (direct ? padded : n) - at);
        std::size_t got = 0;
        while (got < want) {
          const ssize_t r = ::pread(fd, buf + at + got, want - got, static_cast<off_t>(at + got));
          if (r <= 0) break;
          got += static_cast<std::size_t>(r);
        }
        done += std::min(got, n - at);
      }
    };
    std::vector<std::thread> pool;
    for (unsigned k = 1; k < t; ++k) pool.emplace_back(worker);
    worker();
    for (auto& th : pool) th.join();
    ::close(fd);
    return done.load() == n;
  });
  ::munmap(mem, padded);
  const std::string name = "cold_" + mode + (mode == "threads" ? "_t" + std::to_string(t) : "");
  return report(name.c_str(), s, n);
}

int run_cold_restore(const std::string& prefix, unsigned threads) {
  plan p;
  if (!make_plan(prefix, p, true)) return 1;
  const auto req = requests_of(p);
  tfckpt::read_options o;
  o.threads = threads;
  const double s = best_cold([&] { return restore_requests(prefix, req, o); });
  return report(("cold_restore_t" + std::to_string(threads)).c_str(), s, p.bytes, p.keys.size());
}

int run_list(const std::string& prefix) {
  std::uint64_t n = 0, dims = 0;
  const double s = best_of([&] {
    n = dims = 0;
    auto c = tfckpt::list_entries(prefix, [&](const tfckpt::listed_entry& e) {
      dims += e.info.shape.size() + static_cast<std::uint64_t>(e.info.dtype) + e.key.size();
      return true;
    });
    if (!c) return fail(c.error());
    n = *c;
    return true;
  }, 20);
  auto size = tfckpt::detail::file_size(prefix + ".index");
  return report("list", dims == 0 ? -1 : s, size ? *size : 0, n);
}

int run_open(const std::string& prefix) {
  std::uint64_t n = 0, dims = 0;
  const double s = best_of([&] {
    auto r = tfckpt::bundle_reader::open(prefix);
    if (!r) return fail(r.error());
    n = r->entries().size();
    for (const auto& e : r->entries()) dims += e.info.shape.size() + e.key.size();
    return true;
  }, 20);
  auto size = tfckpt::detail::file_size(prefix + ".index");
  return report("open", dims == 0 ? -1 : s, size ? *size : 0, n);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  auto num = [&](std::size_t i) { return static_cast<std::uint64_t>(std::strtoull(a[i].c_str(), nullptr, 10)); };
  if (a.size() == 2 && a[0] == "read") return run_read(a[1]);
  if (a.size() == 2 && a[0] == "read_new") return run_read_new(a[1]);
  if (a.size() == 2 && a[0] == "memcpy") return run_memcpy(num(1));
  if ((a.size() == 3 || a.size() == 4) && a[0] == "write")
    return run_write(a[1], num(2), a.size() == 4 ? std::max<std::size_t>(1, num(3)) : 1);
  if (a.size() == 4 && a[0] == "restore") return run_restore(a[1], static_cast<unsigned>(num(2)), num(3) != 0);
  if (a.size() == 3 && a[0] == "view") return run_view(a[1], num(2) != 0);
  if (a.size() == 6 && a[0] == "save")
    return run_save(a[1], num(2), num(3), static_cast<unsigned>(num(4)), num(5), 0);
  if (a.size() == 7 && a[0] == "save_many")
    return run_save(a[1], num(2), num(3), static_cast<unsigned>(num(4)), num(5),
                    static_cast<std::int32_t>(std::max<std::uint64_t>(1, num(6))));
  if (a.size() == 6 && a[0] == "object_save")
    return run_object_save(a[1], num(2), num(3), static_cast<unsigned>(num(4)),
                           static_cast<std::int32_t>(std::max<std::uint64_t>(1, num(5))));
  if (a.size() == 3 && a[0] == "object_read") return run_object_read(a[1], static_cast<unsigned>(num(2)));
  if (a.size() == 3 && a[0] == "object_read_fresh") return run_object_read_fresh(a[1], static_cast<unsigned>(num(2)));
  if ((a.size() == 3 || a.size() == 4) && a[0] == "cold_read")
    return run_cold_read(a[1], a[2], a.size() == 4 ? static_cast<unsigned>(num(3)) : 1);
  if (a.size() == 3 && a[0] == "cold_restore") return run_cold_restore(a[1], static_cast<unsigned>(num(2)));
  if (a.size() == 2 && a[0] == "list") return run_list(a[1]);
  if (a.size() == 2 && a[0] == "open") return run_open(a[1]);
  std::fputs("usage: see the comment at the top of bench/ckpt.cpp\n", stderr);
  return 2;
}
