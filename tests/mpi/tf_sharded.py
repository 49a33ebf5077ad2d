"""TensorFlow's side of the `mpi` test section (scripts/test.sh mpi).

Several DIR SHARDS pairs may follow the mode (one TensorFlow import for all).

  tf_sharded.py write DIR SHARDS   TF saves the mpi_checkpoint state with `embedding` a
                                   ShardedVariable of SHARDS shards (tf.train.Checkpoint.save)
  tf_sharded.py check DIR SHARDS   TF reads DIR's latest checkpoint (written by mpi_checkpoint
                                   save with any number of ranks): load_checkpoint gives the full
                                   embedding, and it restores into a ShardedVariable of SHARDS
                                   shards with assert_consumed(); every value must be exact.
The state (examples/mpi_checkpoint.cpp): embedding float32 [1000, 64] = row*64+col, dense
float32 [64, 10] element i = i*0.5, step int64 42.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.distribute import sharded_variable  # noqa: E402

ROWS, COLS = 1000, 64
EMBEDDING = np.arange(ROWS * COLS, dtype=np.float32).reshape(ROWS, COLS)
DENSE = (np.arange(640, dtype=np.float32) * 0.5).reshape(64, 10)


def sharded(values, shards):
    # TensorFlow's own split of rows over shards (the first rows % shards get one more).
    parts = np.array_split(values, shards, axis=0)
    return sharded_variable.ShardedVariable([tf.Variable(p, name="shard_%d" % i) for i, p in enumerate(parts)])


def fail(msg):
    print("tf_sharded.py: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def write(directory, shards):
    ck = tf.train.Checkpoint(embedding=sharded(EMBEDDING, shards), dense=tf.Variable(DENSE),
                             step=tf.Variable(42, dtype=tf.int64))
    print("TF wrote", ck.save(os.path.join(directory, "ckpt")), "with", shards, "shards")


def check(directory, shards):
    path = tf.train.latest_checkpoint(directory)
    if path is None:
        fail("no checkpoint in " + directory)
    r = tf.train.load_checkpoint(path)
    if not np.array_equal(r.get_tensor("embedding/.ATTRIBUTES/VARIABLE_VALUE"), EMBEDDING):
        fail("load_checkpoint: embedding differs in " + path)
    if not np.array_equal(r.get_tensor("dense/.ATTRIBUTES/VARIABLE_VALUE"), DENSE):
        fail("load_checkpoint: dense differs in " + path)
    if r.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE") != 42:
        fail("load_checkpoint: step differs in " + path)
    emb = sharded(np.zeros_like(EMBEDDING), shards)
    dense = tf.Variable(np.zeros_like(DENSE))
    step = tf.Variable(0, dtype=tf.int64)
    ck = tf.train.Checkpoint(embedding=emb, dense=dense, step=step)
    ck.restore(path).assert_consumed()
    got = np.concatenate([v.numpy() for v in emb.variables], axis=0)
    if not np.array_equal(got, EMBEDDING):
        fail("restore of %s into %d shards: embedding differs" % (path, shards))
    if not np.array_equal(dense.numpy(), DENSE) or int(step.numpy()) != 42:
        fail("restore of %s: dense or step differs" % path)
    print("TF read %s (load_checkpoint: full embedding) and restored it into a %d-shard ShardedVariable "
          "with assert_consumed(): every value exact" % (path, shards))


def main():
    mode, pairs = sys.argv[1], sys.argv[2:]
    if mode not in ("write", "check") or not pairs or len(pairs) % 2:
        fail("usage: tf_sharded.py write|check DIR SHARDS [DIR SHARDS ...]")
    for i in range(0, len(pairs), 2):
        (write if mode == "write" else check)(pairs[i], int(pairs[i + 1]))


if __name__ == "__main__":
    main()
