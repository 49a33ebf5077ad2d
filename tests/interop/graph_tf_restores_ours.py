"""TensorFlow restores a checkpoint written by tfckpt's object-graph layer.

Runs the C++ writer (examples/keras_mlp_adam_export.cpp), rebuilds the same tf_keras model and
legacy Adam, and checks with TensorFlow as the judge:
  * tf.train.Checkpoint(model=..., optimizer=..., step=...).restore(path).assert_consumed()
  * every restored variable and Adam slot is bit-identical to the pattern the C++ side wrote
  * the state file written by save() leads tf.train.latest_checkpoint to the checkpoint
Last line: "N passed, M failed"; exit status 1 if anything failed.

usage: graph_tf_restores_ours.py WRITER_BINARY [WORKDIR]
"""
import os
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import interop_check  # noqa: E402  (the shared prologue; this directory is on sys.path)
from interop_check import check, pattern, same_bits  # noqa: E402

tf = interop_check.tensorflow()
tf_keras = interop_check.keras2()


def main():
    writer, work = interop_check.args(__doc__, 1, 1)
    work = interop_check.workdir(work, "tfckpt_graph_")
    out_dir = os.path.join(work, "keras_mlp_adam")
    subprocess.run([writer, out_dir], check=True)
    path = tf.train.latest_checkpoint(out_dir)
    check(path == os.path.join(out_dir, "ckpt-1"), f"latest_checkpoint gave {path}")

    model = tf_keras.Sequential([
        tf_keras.Input(shape=(4,)),
        tf_keras.layers.Dense(8, activation="relu"),
        tf_keras.layers.Dense(3),
    ])
    opt = tf_keras.optimizers.legacy.Adam(learning_rate=0.5)
    # optimizer_v2 creates `iter` and its hyper-parameter variables lazily (on the first step); a
    # restore can only bind variables that exist, so create them as a training step would.
    opt._create_all_weights(model.trainable_variables)
    step = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt, step=step)
    status = ckpt.restore(path)
    try:
        status.assert_consumed()
        check(True, "")
    except AssertionError as e:
        check(False, f"assert_consumed: {e}")
    try:
        status.assert_existing_objects_matched()
        status.assert_nontrivial_match()
        check(True, "")
    except AssertionError as e:
        check(False, f"assert_existing_objects_matched/nontrivial: {e}")

    weights = [model.layers[0].kernel, model.layers[0].bias, model.layers[1].kernel, model.layers[1].bias]
    for salt, var in enumerate(weights, start=1):
        check(same_bits(var.numpy(), pattern(salt, var.shape.as_list())), f"{var.name} value")
        m = opt.get_slot(var, "m")
        v = opt.get_slot(var, "v")
        check(same_bits(m.numpy(), pattern(salt + 100, var.shape.as_list())), f"{var.name} slot m")
        check(same_bits(v.numpy(), np.abs(pattern(salt + 200, var.shape.as_list()))), f"{var.name} slot v")
    check(int(opt.iterations.numpy()) == 5, "optimizer iterations")
    check(same_bits(opt._get_hyper("learning_rate").numpy(), np.float32(0.01)), "learning_rate")
    check(same_bits(opt._get_hyper("beta_2").numpy(), np.float32(0.999)), "beta_2")
    check(int(step.numpy()) == 11, "step")
    check(int(ckpt.save_counter.numpy()) == 1, "save_counter")

    # Training continues from the restored state.
    x = tf.constant(np.linspace(-1.0, 1.0, 32, dtype=np.float32).reshape(8, 4))
    y = tf.constant(np.linspace(0.0, 2.0, 24, dtype=np.float32).reshape(8, 3))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    check(int(opt.iterations.numpy()) == 6, "a training step after restore")

    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
