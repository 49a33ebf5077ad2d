"""Example (a): Keras trains, C++ infers.

Trains a small tf_keras MLP (4 -> 16 relu -> 3) with the legacy Adam for a few steps, saves
tf.train.Checkpoint(model=..., optimizer=...).save(WORK/ckpt), dumps inputs and Keras's outputs
(WORK/io.json), runs examples/keras_mlp_inference.cpp on them and checks:
  * the C++ program exits 0, i.e. its restore passed assert_consumed() (exit 3 otherwise)
  * its outputs equal Keras's within 1e-6
Last line: "N passed, M failed"; exit status 1 if anything failed.

usage: example_a_keras_to_cpp.py EXAMPLE_BINARY [WORKDIR]
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import interop_check  # noqa: E402  (the shared prologue; this directory is on sys.path)
from interop_check import check  # noqa: E402

tf = interop_check.tensorflow()
tf_keras = interop_check.keras2()


def main():
    binary, work = interop_check.args(__doc__, 1, 1)
    work = interop_check.workdir(work, "tfckpt_example_a_")
    work = os.path.join(work, "example_a")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    tf.random.set_seed(1234)
    rng = np.random.default_rng(1234)
    model = tf_keras.Sequential([
        tf_keras.Input(shape=(4,)),
        tf_keras.layers.Dense(16, activation="relu"),
        tf_keras.layers.Dense(3),
    ])
    opt = tf_keras.optimizers.legacy.Adam(learning_rate=0.01)
    x_train = rng.normal(size=(64, 4)).astype(np.float32)
    y_train = np.stack([x_train.sum(1), x_train[:, 0] - x_train[:, 1], np.abs(x_train[:, 2])], 1).astype(np.float32)
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x_train) - y_train))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
    path = ckpt.save(os.path.join(work, "ckpt"))

    x = rng.normal(size=(10, 4)).astype(np.float32)
    y = model(x).numpy()
    with open(os.path.join(work, "io.json"), "w") as f:
        json.dump({"checkpoint": path, "inputs": x.tolist(), "outputs": y.tolist()}, f)
    inputs_txt = os.path.join(work, "inputs.txt")
    with open(inputs_txt, "w") as f:  # hex floats: exact
        for row in x:
            f.write(" ".join(float(v).hex() for v in row) + "\n")

    for target in (path, work):  # a prefix, and a directory resolved through the state file
        r = subprocess.run([binary, target, inputs_txt], capture_output=True, text=True)
        check(r.returncode == 0, f"C++ exit status {r.returncode} for {target} (3 = assert_consumed failed)\n"
                                 f"{r.stdout}{r.stderr}")
        check("assert_consumed ok" in r.stdout, "C++ did not report assert_consumed ok")
        rows = [list(map(float, line.split()[1:])) for line in r.stdout.splitlines() if line.startswith("output ")]
        check(len(rows) == len(x), f"{len(rows)} output rows from C++, expected {len(x)}")
        if len(rows) == len(x):
            diff = float(np.max(np.abs(np.array(rows, np.float64) - y.astype(np.float64))))
            print(f"max |C++ - Keras| = {diff:.3g} ({target})")
            check(diff <= 1e-6, f"C++ outputs differ from Keras by {diff}")

    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
