"""TensorFlow restores a checkpoint tfckpt wrote in the TF >= 2.11 tf_keras optimizer layout.

Runs the C++ writer (tests/interop/write_keras_adam_new.cpp: tfckpt::keras::adam), rebuilds the
same tf_keras model with the current tf_keras.optimizers.Adam, and checks with TensorFlow as the
judge:
  * tf.train.Checkpoint(model=..., optimizer=..., step=...).restore(path).assert_consumed()
  * every model variable, m and v (optimizer._momentums/_velocities and optimizer.variables order)
    and the iteration counter / learning rate are bit-identical to what the C++ side wrote
  * the object graph we wrote equals the one TF writes for the restored objects
  * training continues from the restored state
Last line: "N passed, M failed"; exit status 1 if anything failed.

usage: graph_tf_restores_ours_new_adam.py WRITER_BINARY [WORKDIR]
"""
import os
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import interop_check  # noqa: E402  (the shared prologue; this directory is on sys.path)
from interop_check import check, first_graph_difference, graph_of, pattern, same_bits  # noqa: E402

tf = interop_check.tensorflow()
tf_keras = interop_check.keras2()


def main():
    writer, work = interop_check.args(__doc__, 1, 1)
    work = interop_check.workdir(work, "tfckpt_new_adam_")
    out_dir = os.path.join(work, "keras_adam_new")
    subprocess.run([writer, out_dir], check=True)
    path = tf.train.latest_checkpoint(out_dir)
    check(path == os.path.join(out_dir, "ckpt-1"), f"latest_checkpoint gave {path}")

    model = tf_keras.Sequential([
        tf_keras.Input(shape=(4,)),
        tf_keras.layers.Dense(8, activation="relu"),
        tf_keras.layers.Dense(3),
    ])
    opt = tf_keras.optimizers.Adam(learning_rate=0.5)
    check(not isinstance(opt, tf_keras.optimizers.legacy.Optimizer), "current (not legacy) optimizer")
    # The optimizer creates m and v in build() (normally on the first apply_gradients); a restore
    # binds only variables that exist (later ones would be restored on creation instead).
    opt.build(model.trainable_variables)
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

    weights = model.trainable_variables
    check(len(weights) == 4, "4 trainable variables")
    for i, var in enumerate(weights):
        salt = i + 1
        shape = var.shape.as_list()
        check(same_bits(var.numpy(), pattern(salt, shape)), f"{var.name} value")
        check(same_bits(opt._momentums[i].numpy(), pattern(salt + 100, shape)), f"{var.name} m")
        check(same_bits(opt._velocities[i].numpy(), np.abs(pattern(salt + 200, shape))), f"{var.name} v")
        # optimizer.variables: [iterations, m0, v0, m1, v1, ...]
        check(opt.variables[1 + 2 * i] is opt._momentums[i], f"variables[{1 + 2 * i}] is m of {var.name}")
        check(opt.variables[2 + 2 * i] is opt._velocities[i], f"variables[{2 + 2 * i}] is v of {var.name}")
    check(int(opt.iterations.numpy()) == 5, "optimizer iterations")
    check(same_bits(opt._learning_rate.numpy(), np.float32(0.01)), "learning_rate")
    check(int(step.numpy()) == 11, "step")
    check(int(ckpt.save_counter.numpy()) == 1, "save_counter")

    # TF writing the restored objects gives the graph we wrote.
    tf_prefix = ckpt.write(os.path.join(work, "tf_rewrite", "ckpt-1"))
    diff = first_graph_difference(graph_of(path), graph_of(tf_prefix))
    check(diff == "", f"object graph differs from TF's: {diff}")
    ours = {k: s for k, s in tf.train.list_variables(path)}
    theirs = {k: s for k, s in tf.train.list_variables(tf_prefix)}
    check(ours == theirs, f"keys/shapes differ: {sorted(set(ours) ^ set(theirs))}")

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
