// result<T> (a tagged union since the std::variant was dropped for compile time), std::complex
// dtypes matched without <complex> in the headers, and the type-erased parallel_for.
#include <doctest/doctest.h>

#include <atomic>
#include <complex>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <tfckpt/bundle/parallel.hpp>
#include <tfckpt/bundle/tensor.hpp>
#include <tfckpt/format/error.hpp>

using tfckpt::errc;
using tfckpt::result;

static_assert(tfckpt::dtype_of<std::complex<float>> == tfckpt::dtype::complex64);
static_assert(tfckpt::dtype_of<std::complex<double>> == tfckpt::dtype::complex128);
static_assert(tfckpt::dtype_of<std::complex<long double>> == tfckpt::dtype::invalid);
static_assert(tfckpt::dtype_of<std::vector<float>> == tfckpt::dtype::invalid);
static_assert(!std::is_copy_constructible_v<result<std::unique_ptr<int>>>);
static_assert(std::is_nothrow_move_constructible_v<result<std::string>>);

TEST_CASE("result: copies and moves keep the value or the error") {
  result<std::string> v = std::string(100, 'v');
  result<std::string> e = tfckpt::make_error(errc::not_found, "no such key").at_key("k");
  const result<std::string> v2 = v;
  const result<std::string> e2 = e;
  REQUIRE(v2);
  CHECK(*v2 == std::string(100, 'v'));
  CHECK(*v == *v2);  // the copy left the source alone
  REQUIRE(!e2);
  CHECK(e2.error().code == errc::not_found);
  CHECK(e2.error().key == "k");
  result<std::string> v3 = std::move(v);
  CHECK(*v3 == std::string(100, 'v'));
  result<std::unique_ptr<int>> p = std::make_unique<int>(7);
  result<std::unique_ptr<int>> p2 = std::move(p);
  REQUIRE(p2);
  CHECK(**p2 == 7);
}

TEST_CASE("result: assignment switches between value and error") {
  result<std::vector<int>> r = std::vector<int>{1, 2, 3};
  r = tfckpt::make_error(errc::corruption, "bad block");
  REQUIRE(!r);
  CHECK(r.error().message == "bad block");
  const result<std::vector<int>> ok = std::vector<int>{4, 5};
  r = ok;
  REQUIRE(r);
  CHECK(*r == std::vector<int>{4, 5});
  r = result<std::vector<int>>(std::vector<int>{6});
  CHECK(r->size() == 1);
  auto& same = r;
  r = same;  // self-assignment keeps the value
  CHECK((*r)[0] == 6);
  result<const int*> ptr = static_cast<const int*>(nullptr);
  CHECK(ptr);
  CHECK(*ptr == nullptr);
#if TFCKPT_HAS_EXCEPTIONS
  const result<int> bad = tfckpt::make_error(errc::io_error, "disk gone");
  CHECK_THROWS_AS((void)bad.value(), tfckpt::bad_result);
#endif
}

#if TFCKPT_HAS_EXCEPTIONS
namespace {
struct throwing_move {  // its move throws for the value 13
  int v = 0;
  explicit throwing_move(int x) : v(x) {}
  throwing_move(const throwing_move&) = default;
  throwing_move(throwing_move&& o) : v(o.v) {
    if (v == 13) throw std::runtime_error("move of 13");
  }
};
}  // namespace

TEST_CASE("result: a move assignment whose move throws leaves an error, not a destroyed object") {
  result<throwing_move> d = tfckpt::make_error(errc::io_error, "old");
  result<throwing_move> src = throwing_move(1);
  src->v = 13;
  CHECK_THROWS_AS(d = std::move(src), std::runtime_error);
  CHECK(!d);
  CHECK(d.error().code == errc::ok);  // the empty error left behind
  CHECK(src->v == 13);                // the source still holds its value
  d = result<throwing_move>(throwing_move(2));
  REQUIRE(d);
  CHECK(d->v == 2);
}
#endif

TEST_CASE("parallel_for: every index runs exactly once, with or without threads") {
  for (unsigned threads : {0u, 1u, 2u, 5u}) {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
      std::vector<std::atomic<int>> hits(n);
      tfckpt::detail::parallel_for(n, threads, [&](std::size_t i) { hits[i].fetch_add(1); });
      for (std::size_t i = 0; i < n; ++i) CHECK_MESSAGE(hits[i].load() == 1, "threads " << threads << " n " << n);
    }
  }
  const auto sum_of = [](std::size_t i) { return static_cast<int>(i); };  // a const callable
  std::atomic<int> sum{0};
  const auto add = [&](std::size_t i) { sum += sum_of(i); };
  tfckpt::detail::parallel_for(100, 3, add);
  CHECK(sum.load() == 4950);
}
