// A program that uses tfckpt the way a downstream project does: built by every consumer route in
// tests/consumers/ (find_package, add_subdirectory, FetchContent, Meson subproject, pkg-config)
// and against single_include/tfckpt/tfckpt.hpp.
//
//   consumer WORK_DIR
//
// 1. Format layer: writes a bundle with tfckpt::bundle_writer (float32 [2,3], int64 scalar,
//    string [2]), reads it back with tfckpt::bundle_reader and checks dtypes, shapes and values.
// 2. Reflection API: saves a Boost.Describe'd struct with tfckpt::checkpoint, checks the
//    TensorFlow key layout in the written bundle, restores into a fresh struct with
//    assert_consumed and compares every field.
// Exit status 0 when everything matches, 1 otherwise (each mismatch is printed). Works without
// exceptions.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <boost/describe/class.hpp>

#include <tfckpt/tfckpt.hpp>

namespace consumer {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what);
    ++failures;
  }
}

template <class R>
bool ok_or_report(const R& r, const char* what) {
  if (r) return true;
  std::fprintf(stderr, "FAIL: %s: %s\n", what, r.error().to_string().c_str());
  ++failures;
  return false;
}

void bundle_roundtrip(const std::string& dir) {
  const std::string prefix = dir + "/bundle/model";
  const std::array<float, 6> w{1.5f, -2.0f, 0.25f, 3.0f, -0.125f, 1e-3f};
  const std::int64_t step = 1234567890123;
  const std::vector<std::string> names{"alpha", std::string("b\0ta", 4)};

  auto writer = tfckpt::bundle_writer::create(prefix);
  if (!ok_or_report(writer, "bundle_writer::create")) return;
  ok_or_report(writer->add<float>("dense/w", tfckpt::shape_t{2, 3}, std::span<const float>(w)), "add dense/w");
  ok_or_report(writer->add<std::int64_t>("step", tfckpt::shape_t{}, std::span<const std::int64_t>(&step, 1)),
               "add step");
  ok_or_report(writer->add_strings("names", tfckpt::shape_t{2}, std::span<const std::string>(names)), "add names");
  if (!ok_or_report(writer->finish(), "bundle_writer::finish")) return;

  auto reader = tfckpt::bundle_reader::open(prefix);
  if (!ok_or_report(reader, "bundle_reader::open")) return;

  auto tw = reader->read("dense/w");
  if (ok_or_report(tw, "read dense/w")) {
    check(tw->dtype() == tfckpt::dtype::float32, "dense/w dtype is float32");
    check(tw->shape() == tfckpt::shape_t{2, 3}, "dense/w shape is [2,3]");
    const auto v = tw->values<float>();
    if (ok_or_report(v, "dense/w as float"))
      check(v->size() == w.size() && std::equal(v->begin(), v->end(), w.begin()), "dense/w values round-trip");
  }
  std::int64_t step_back = 0;
  if (ok_or_report(reader->read_into<std::int64_t>("step", std::span<std::int64_t>(&step_back, 1)), "read step"))
    check(step_back == step, "step round-trips");
  auto tn = reader->read("names");
  if (ok_or_report(tn, "read names")) {
    check(tn->dtype() == tfckpt::dtype::string, "names dtype is string");
    check(tn->strings() == names, "names round-trip (including an embedded NUL)");
  }
  check(!reader->read("missing"), "reading a missing key fails");
  ok_or_report(reader->verify(), "bundle_reader::verify");
}

// The reflection API over Boost.Describe'd structs.
struct dense {
  std::vector<float> kernel;
  std::array<float, 3> bias{};
};
BOOST_DESCRIBE_STRUCT(dense, (), (kernel, bias))

struct train_state {
  dense layer;
  std::int64_t step = 0;
  double learning_rate = 0;
};
BOOST_DESCRIBE_STRUCT(train_state, (), (layer, step, learning_rate))

void reflect_roundtrip(const std::string& dir) {
  train_state s;
  s.layer.kernel = {0.5f, -1.5f, 2.5f, 4.0f};
  s.layer.bias = {0.1f, 0.2f, 0.3f};
  s.step = 42;
  s.learning_rate = 0.001;

  tfckpt::checkpoint ck(s);
  auto path = ck.save(dir + "/reflect/ckpt");
  if (!ok_or_report(path, "checkpoint::save")) return;
  check(*path == dir + "/reflect/ckpt-1", "the first save is numbered ckpt-1");

  // The bundle holds the values under TensorFlow's object-graph keys.
  auto reader = tfckpt::bundle_reader::open(*path);
  if (ok_or_report(reader, "bundle_reader::open on the saved checkpoint")) {
    auto k = reader->read("layer/kernel/.ATTRIBUTES/VARIABLE_VALUE");
    if (ok_or_report(k, "read layer/kernel")) {
      const auto kv = k->values<float>();
      if (ok_or_report(kv, "layer/kernel as float"))
        check(std::vector<float>(kv->begin(), kv->end()) == s.layer.kernel, "layer/kernel stored under its TF key");
    }
    auto st = reader->read("step/.ATTRIBUTES/VARIABLE_VALUE");
    if (ok_or_report(st, "read step")) {
      const auto sv = st->values<std::int64_t>();
      if (ok_or_report(sv, "step as int64")) check(sv->size() == 1 && (*sv)[0] == 42, "step stored");
    }
    ok_or_report(reader->read("_CHECKPOINTABLE_OBJECT_GRAPH"), "object graph present");
  }

  train_state back;
  auto status = tfckpt::restore(dir + "/reflect", back);  // latest via the state file
  if (!ok_or_report(status, "tfckpt::restore")) return;
  ok_or_report(status->assert_consumed(), "assert_consumed");
  check(back.layer.kernel == s.layer.kernel, "kernel restored");
  check(back.layer.bias == s.layer.bias, "bias restored");
  check(back.step == s.step, "step restored");
  check(back.learning_rate == s.learning_rate, "learning_rate restored");
}

}  // namespace consumer

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s WORK_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  consumer::bundle_roundtrip(dir);
  consumer::reflect_roundtrip(dir);
  if (consumer::failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", consumer::failures);
    return 1;
  }
  std::printf("consumer: bundle and reflection round-trips OK (tfckpt)\n");
  return 0;
}
