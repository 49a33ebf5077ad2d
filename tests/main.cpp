// Unit tests write scratch checkpoints into relative directories. Each run gets a fresh
// directory of its own under $TMPDIR (removed when every test passed, kept and named otherwise),
// so parallel runs cannot collide and running the binary from the source tree leaves nothing.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/tfckpt_tests.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr || ::chdir(dir.c_str()) != 0) {
    std::perror(("tfckpt_tests: cannot make and enter " + dir).c_str());
    return 2;
  }
  doctest::Context context(argc, argv);
  const int failed = context.run();
  std::error_code ec;
  if (failed == 0) std::filesystem::remove_all(dir, ec);
  else std::fprintf(stderr, "tfckpt_tests: scratch files kept in %s\n", dir.c_str());
  return failed;
}
