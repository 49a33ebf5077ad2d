// bench_crc32c (Google Benchmark): CRC32C throughput of each path on a cache-resident buffer
// and on one larger than the caches. bench/run prints the hardware and portable figures.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include <tfckpt/format/crc32c.hpp>

namespace {

std::vector<unsigned char> random_bytes(std::size_t n) {
  std::vector<unsigned char> v(n);
  std::mt19937 rng(7);
  for (auto& c : v) c = static_cast<unsigned char>(rng());
  return v;
}

void crc_dispatched(benchmark::State& state) {
  const auto buf = random_bytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(tfckpt::detail::crc32c(buf.data(), buf.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void crc_portable(benchmark::State& state) {
  const auto buf = random_bytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(tfckpt::detail::crc32c_extend_portable(0, buf.data(), buf.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void crc_combine(benchmark::State& state) {
  std::uint32_t a = 0x12345678u;
  for (auto _ : state) benchmark::DoNotOptimize(a = tfckpt::detail::crc32c_combine(a, 0x9abcdef0u, 4u << 20));
}

}  // namespace

BENCHMARK(crc_dispatched)->Arg(256 << 10)->Arg(64 << 20);
BENCHMARK(crc_portable)->Arg(256 << 10);
BENCHMARK(crc_combine);
BENCHMARK_MAIN();
