"""A real public project's checkpoint, end to end (issue #13: checkpoints nobody here wrote).

basic-pitch 0.4.0 (Spotify's audio-to-MIDI model, on PyPI) ships its Keras 2 model as a SavedModel;
its variables/variables.{index,data-*} is a TF2 object-graph bundle that TensorFlow wrote, with
Keras 2's shared-node graph (keras_api, layer_with_weights-N, Adam slots, metrics).
scripts/install-deps.sh fetches the wheel from PyPI and extracts the SavedModel into
.venv/public/basic_pitch_nmp. Then:
  1. `tfckpt struct` generates a header for the bundle (no save_counter in a SavedModel, so the
     header says tfckpt::read);
  2. a C++ driver built with that header reads the bundle with assert_consumed() and writes it to a
     new prefix;
  3. every stored value of the C++ output equals the original bit for bit, and the object graph
     has the same nodes, edges, attributes and slots (has_checkpoint_values aside: that TF
     predates it);
  4. TensorFlow loads the SavedModel, zeroes its variables, reads the C++ output through
     tf.train.Checkpoint(loaded) with assert_consumed(), and every variable equals the original.
Last line: "N passed, M failed".

usage: public_checkpoint.py TFCKPT_BIN CXX SOURCE_DIR [WORKDIR]
"""
import os
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True
import interop_check  # noqa: E402
from interop_check import check, same_bits  # noqa: E402

DRIVER = r"""
#include "public_state.hpp"
#include <cstdio>
int main(int argc, char** argv) {
  if (argc != 3) return 2;
  public_state r;
  auto st = tfckpt::read(argv[1], r);
  if (!st) { std::fprintf(stderr, "read: %s\n", st.error().message.c_str()); return 1; }
  if (auto c = st->assert_consumed(); !c) { std::fprintf(stderr, "%s\n", c.error().message.c_str()); return 1; }
  if (auto w = tfckpt::write(argv[2], r); !w) { std::fprintf(stderr, "write: %s\n", w.error().message.c_str()); return 1; }
  std::puts("read and written");
  return 0;
}
"""


def main():
    tfckpt, cxx, src, work = interop_check.args(__doc__, 3, 1)
    tf = interop_check.tensorflow()
    work = interop_check.workdir(work, "tfckpt_public_")
    saved_model = os.path.join(src, ".venv", "public", "basic_pitch_nmp")
    prefix = os.path.join(saved_model, "variables", "variables")
    if not os.path.exists(prefix + ".index"):
        print(f"# {prefix}.index is missing: run bash scripts/install-deps.sh (it fetches basic-pitch from PyPI)",
              file=sys.stderr)
        sys.exit(1 if interop_check.is_ci() else 77)

    gen = subprocess.run([tfckpt, "struct", prefix, "--name", "public_state"], capture_output=True, text=True)
    if not check(gen.returncode == 0, f"tfckpt struct failed: {gen.stderr}"):
        sys.exit(interop_check.summary())
    check("tfckpt::read(" in gen.stdout, "a bundle without save_counter should be read with tfckpt::read")
    with open(os.path.join(work, "public_state.hpp"), "w") as f:
        f.write(gen.stdout)
    with open(os.path.join(work, "driver.cpp"), "w") as f:
        f.write(DRIVER)
    binary, cc = interop_check.compile_driver(cxx, src, work)
    if not check(cc.returncode == 0, f"the generated header does not compile:\n{cc.stderr[:4000]}"):
        sys.exit(interop_check.summary())
    ours = os.path.join(work, "out", "ckpt")
    run = subprocess.run([binary, prefix, ours], capture_output=True, text=True)
    if not check(run.returncode == 0, f"C++ read/write failed: {run.stderr}"):
        sys.exit(interop_check.summary())

    interop_check.check_same_tensors(prefix, ours, "basic-pitch")
    theirs_graph, ours_graph = interop_check.graph_of(prefix), interop_check.graph_of(ours)
    # The TensorFlow that wrote basic-pitch predates has_checkpoint_values, which current TF and
    # tfckpt write: compare everything else.
    for x, y in zip(theirs_graph.nodes, ours_graph.nodes):
        if not x.HasField("has_checkpoint_values"):
            y.ClearField("has_checkpoint_values")
    diff = interop_check.first_graph_difference(theirs_graph, ours_graph)
    check(not diff, f"object graph differs: {diff}")

    loaded = tf.saved_model.load(saved_model)
    original = [v.numpy() for v in loaded.variables]
    check(len(original) > 20, f"only {len(original)} variables in the SavedModel")
    for v in loaded.variables:
        v.assign(tf.zeros_like(v))
    interop_check.check_consumed(tf.train.Checkpoint(loaded).read(ours), "basic-pitch")
    for v, want in zip(loaded.variables, original):
        check(same_bits(v.numpy(), want), f"{v.name} differs after TF read the C++ output")
    check(any(np.any(w != 0) for w in original), "all original values are zero: nothing was compared")
    sys.exit(interop_check.summary())


if __name__ == "__main__":
    main()
