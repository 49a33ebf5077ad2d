"""Example (e), Keras 3 both ways: examples/keras3_regression.cpp against TF 2.21 Keras 3.

1. C++ -> Keras 3: the example trains y = 3x + 2 from scratch and saves; a Keras 3
   Sequential([Input(1), Dense(1)]) + Adam restores it with assert_consumed(), has the C++
   weights, iteration count and learning rate, and train_on_batch runs.
2. Keras 3 -> C++: Keras trains the same model and saves with tf.train.Checkpoint.save; the
   example resumes from it (restore + assert_consumed, exit status 3 otherwise), trains on and
   saves ckpt-2, which Keras restores again with assert_consumed().
Last line: "N passed, M failed"; exit status 1 if anything failed.

usage: example_e_keras3.py EXAMPLE_BINARY [WORKDIR]
"""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf
import keras

sys.dont_write_bytecode = True
import interop_check  # noqa: E402
from interop_check import check  # noqa: E402


def model_and_opt(lr):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    opt = keras.optimizers.Adam(lr)
    model.compile(optimizer=opt, loss="mse")
    opt.build(model.trainable_variables)
    return model, opt


def restore(path):
    model, opt = model_and_opt(0.5)
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
    status = ckpt.restore(path)
    try:
        status.assert_consumed()
        check(True, "")
    except AssertionError as e:
        check(False, f"Keras assert_consumed on {path}: {e}")
    return model, opt


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    print("$", " ".join(cmd), "->", p.returncode)
    check(p.returncode == 0, f"{' '.join(cmd)}: {p.stdout}{p.stderr}")
    return p.returncode == 0


def main():
    exe = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="tfckpt_example_e_")
    shutil.rmtree(work, ignore_errors=True)
    x = np.linspace(-1, 1, 5, dtype="float32").reshape(5, 1)
    y = 3 * x + 2

    # 1. C++ -> Keras 3.
    cpp = os.path.join(work, "cpp")
    if run([exe, "train", cpp, "300"]):
        model, opt = restore(tf.train.latest_checkpoint(cpp))
        k, b = model.layers[0].kernel.numpy(), model.layers[0].bias.numpy()
        check(abs(float(k[0, 0]) - 3) < 1e-3 and abs(float(b[0]) - 2) < 1e-3, f"C++ weights {k} {b}")
        check(int(opt.iterations.numpy()) == 300, "iterations from C++")
        check(np.float32(opt.learning_rate.numpy()) == np.float32(0.1), "learning rate from C++")
        model.train_on_batch(x, y)
        check(int(opt.iterations.numpy()) == 301, "train_on_batch after the restore")

    # 2. Keras 3 -> C++ (and back).
    py = os.path.join(work, "py")
    model, opt = model_and_opt(0.1)
    model.fit(x, y, epochs=40, batch_size=5, verbose=0)
    it = int(opt.iterations.numpy())
    tf.train.Checkpoint(model=model, optimizer=opt).save(os.path.join(py, "ckpt"))
    if run([exe, "resume", py, "50"]):
        path = tf.train.latest_checkpoint(py)
        check(path.endswith("ckpt-2"), f"the C++ save is the latest: {path}")
        model2, opt2 = restore(path)
        check(int(opt2.iterations.numpy()) == it + 50, "C++ trained 50 steps on Keras' state")
        model2.train_on_batch(x, y)
    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
