"""TensorFlow's side of bench/run: one case per process, so each peak RSS is its own.

  tf_cases.py save    <prefix> <count> <elements>   tf.train.Checkpoint(v=[...]).write(prefix)
  tf_cases.py save_sharded <prefix> <count> <elements>   the same, in 2 shards (MaxShardSizePolicy)
  tf_cases.py get     <prefix> <count> <elements>   load_checkpoint(prefix).get_tensor(k) for every key
  tf_cases.py restore <prefix> <count> <elements>   Checkpoint(v=[...]).restore(prefix) into tf.Variables
  tf_cases.py save_ops / restore_ops ...            one SaveV2 / RestoreV2 op over every name: the
                                                    index-bound case, where creating and tracking
                                                    100,000 tf.Variables would take minutes

Prints one JSON object: best seconds over the repetitions, bytes, peak RSS (KiB). `save` also
leaves the checkpoint at <prefix> for the other cases (and for ours to read).
"""
import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

REPS = int(os.environ.get("BENCH_REPS", "3"))


def values(count, elements):
    # The fill bench/ckpt.cpp's save uses: tensor i holds i * 0.5 everywhere.
    return [np.full((elements,), float(i) * 0.5, dtype=np.float32) for i in range(count)]


def keys(count):
    # What tf.train.Checkpoint(v=[...]) names them, so every case reads the same keys.
    return ["v/%d/.ATTRIBUTES/VARIABLE_VALUE" % i for i in range(count)]


def make_vars(count, elements):
    return [tf.Variable(v) for v in values(count, elements)]


def main():
    case, prefix, count, elements = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    nbytes = count * elements * 4
    best = float("inf")
    shards = 1
    if case == "save":
        ckpt = tf.train.Checkpoint(v=make_vars(count, elements))
        for _ in range(REPS):
            t = time.perf_counter()
            ckpt.write(prefix)
            best = min(best, time.perf_counter() - t)
    elif case == "save_sharded":
        # TF's own way to split a save across files (TF >= 2.16): shards of at most half the bytes
        # (+ 1 MiB for the object graph and save_counter), so two, as our 2-shard save.
        policy = tf.train.experimental.MaxShardSizePolicy(max_shard_size=nbytes // 2 + (1 << 20))
        opts = tf.train.CheckpointOptions(experimental_sharding_callback=policy)
        ckpt = tf.train.Checkpoint(v=make_vars(count, elements))
        for _ in range(REPS):
            t = time.perf_counter()
            ckpt.write(prefix, options=opts)
            best = min(best, time.perf_counter() - t)
        shards = len([f for f in os.listdir(os.path.dirname(prefix)) if ".data-" in f])
    elif case == "get":
        for _ in range(REPS):
            t = time.perf_counter()
            r = tf.train.load_checkpoint(prefix)
            got = 0
            for k in r.get_variable_to_shape_map():
                if k.startswith("v/"):
                    got += r.get_tensor(k).nbytes
            best = min(best, time.perf_counter() - t)
            del r
            assert got == nbytes, (got, nbytes)
    elif case == "restore":
        vs = make_vars(count, elements)  # preallocated destinations, as ours
        ckpt = tf.train.Checkpoint(v=vs)
        for _ in range(REPS):
            t = time.perf_counter()
            # Checkpoint.restore, as the issue names it; it also wants a save_counter, which a
            # write() output has not, hence expect_partial (the values are checked below).
            ckpt.restore(prefix).expect_partial()
            best = min(best, time.perf_counter() - t)
        assert all(float(v[0]) == i * 0.5 for i, v in enumerate(vs))
    elif case == "save_ops":
        names = tf.constant(keys(count))
        slices = tf.constant([""] * count)
        tensors = [tf.constant(v) for v in values(count, elements)]
        for _ in range(REPS):
            t = time.perf_counter()
            tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=slices, tensors=tensors)
            best = min(best, time.perf_counter() - t)
    elif case == "restore_ops":
        names = tf.constant(keys(count))
        slices = tf.constant([""] * count)
        for _ in range(REPS):
            t = time.perf_counter()
            out = tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=names, shape_and_slices=slices,
                                       dtypes=[tf.float32] * count)
            best = min(best, time.perf_counter() - t)
        assert float(out[-1][0]) == (count - 1) * 0.5
    else:
        sys.exit("unknown case " + case)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"case": "tf_" + case, "seconds": best, "bytes": nbytes, "rss_kib": rss}
    if case == "save_sharded":
        out["shards"] = shards  # two at bench/run's sizes; one if the tensors are tiny
    print(json.dumps(out))


if __name__ == "__main__":
    main()
