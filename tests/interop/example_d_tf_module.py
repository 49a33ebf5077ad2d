"""Example (d): a tf.Module both ways.

Python builds a tf.Module with scalar/vector variables of several dtypes, a nested submodule and
a list of variables, saves tf.train.Checkpoint(module=m) to WORK/in; examples/tf_module_roundtrip
restores it with assert_consumed (exit 3 otherwise), modifies every value exactly and saves to
WORK/out; Python restores that into a fresh module with assert_consumed() and checks every
value is bit-identical to the modification recomputed in numpy.
Last line: "N passed, M failed"; exit status 1 if anything failed.

usage: example_d_tf_module.py EXAMPLE_BINARY [WORKDIR]
"""
import os
import shutil
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import interop_check  # noqa: E402  (the shared prologue; this directory is on sys.path)
from interop_check import check, same_bits  # noqa: E402

tf = interop_check.tensorflow()


class Encoder(tf.Module):
    def __init__(self, rng):
        super().__init__()
        self.w = tf.Variable(rng.normal(size=(2, 3)).astype(np.float32))
        self.b = tf.Variable(rng.normal(size=(3,)).astype(np.float32))


class Net(tf.Module):
    def __init__(self, seed):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.scale = tf.Variable(np.float32(rng.normal()))
        self.count = tf.Variable(np.int64(rng.integers(0, 1 << 40)))
        self.offsets = tf.Variable(rng.normal(size=(4,)))  # float64
        self.encoder = Encoder(rng)
        self.taps = [tf.Variable(rng.normal(size=(3,)).astype(np.float32)),
                     tf.Variable(rng.normal(size=(2, 2)).astype(np.float32))]


def values(m):
    return {"scale": m.scale.numpy(), "count": m.count.numpy(), "offsets": m.offsets.numpy(),
            "encoder.w": m.encoder.w.numpy(), "encoder.b": m.encoder.b.numpy(),
            "taps.0": m.taps[0].numpy(), "taps.1": m.taps[1].numpy()}


def modified(v):
    """Mirror of example::modify in tf_module_roundtrip.cpp (all exact)."""
    return {"scale": v["scale"] * np.float32(2), "count": v["count"] + 1, "offsets": -v["offsets"],
            "encoder.w": v["encoder.w"] + np.float32(1), "encoder.b": v["encoder.b"] * np.float32(0.5),
            "taps.0": -v["taps.0"], "taps.1": -v["taps.1"]}


def main():
    binary, work = interop_check.args(__doc__, 1, 1)
    work = interop_check.workdir(work, "tfckpt_example_d_")
    work = os.path.join(work, "example_d")
    shutil.rmtree(work, ignore_errors=True)
    in_dir, out_dir = os.path.join(work, "in"), os.path.join(work, "out")

    m = Net(seed=7)
    before = values(m)
    path = tf.train.Checkpoint(module=m).save(os.path.join(in_dir, "ckpt"))

    r = subprocess.run([binary, in_dir, out_dir], capture_output=True, text=True)
    print(r.stdout + r.stderr)
    check(r.returncode == 0, f"C++ exit status {r.returncode} (3 = assert_consumed failed)")
    check("assert_consumed ok" in r.stdout, "C++ reported assert_consumed ok")
    check(path in r.stdout, f"C++ restored the latest checkpoint {path}")

    fresh = Net(seed=99)  # different values everywhere
    ckpt = tf.train.Checkpoint(module=fresh)
    latest = tf.train.latest_checkpoint(out_dir)
    check(latest == os.path.join(out_dir, "ckpt-2"), f"latest in out: {latest} (save_counter continues)")
    status = ckpt.restore(latest)
    try:
        status.assert_consumed()
        check(True, "")
    except AssertionError as e:
        check(False, f"assert_consumed: {e}")
    got, want = values(fresh), modified(before)
    for name in want:
        check(same_bits(got[name], want[name]), f"{name}: got {got[name]!r}, want {want[name]!r}")
    check(int(ckpt.save_counter.numpy()) == 2, f"save_counter {int(ckpt.save_counter.numpy())}")

    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
