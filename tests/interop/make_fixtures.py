#!/usr/bin/env python3
"""Regenerate tests/fixtures/ from scratch with real TensorFlow ("TensorFlow is the judge").

Usage:  .venv/bin/python tests/interop/make_fixtures.py [OUTPUT_DIR]   (default: tests/fixtures)
The output directory is deleted and rebuilt (it must be named "fixtures" if it already exists).

Each fixture is a directory <name>/ holding the checkpoint files exactly as TF wrote them plus an
expected.json whose entries are what tf.train.list_variables reports, with dtypes from
CheckpointReader.get_variable_to_dtype_map and values from CheckpointReader.get_tensor. The C++ tests
compare our reader against these files, so expected values always come from TF's reader, never from
the values we meant to write.

Seeds are fixed, Keras name counters are reset and op determinism is enabled; with TF 2.21 two runs
give byte-identical files except the timestamps in manager/checkpoint (listed under
"nondeterministic" in VERSIONS.json, next to the TF / tf_keras versions).

After writing each fixture the script cross-checks TF's view against an independent pure-Python
parse of the .index (bundle_index.py): numeric records in the data files must be exactly the bytes
TF returns, and structural claims (several index blocks, >= 3 shards, slices) are asserted.
"""

import json
import os
import platform
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, HERE)

import interop_check  # noqa: E402,F401  (the shared prologue, before TensorFlow is imported)
import tf_values  # noqa: E402
from tf_values import np, tf  # noqa: E402
tf.get_logger().setLevel("ERROR")  # e.g. "Saver is deprecated" warnings
import bundle_index  # noqa: E402

tf_keras = interop_check.require_module("tf_keras")

SEED = 20240601
FIXTURES = {}  # name -> function(dir) -> (prefix relative to dir, writer description, notes)


def fixture(fn):
    FIXTURES[fn.__name__.removeprefix("fx_")] = fn
    return fn


def reseed():
    """Called before every fixture so each one is reproducible on its own."""
    tf_keras.backend.clear_session()  # reset layer-name counters (dense, dense_1, ... in full_name)
    tf_keras.utils.set_random_seed(SEED)  # python, numpy and TF global seeds


def bits(np_uint_dtype, values, tf_dtype):
    """A tensor with exactly the given bit patterns (used for NaN payloads, -0.0, subnormals)."""
    return tf.bitcast(tf.constant(np.array(values, dtype=np_uint_dtype)), tf_dtype)


# ------------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------------

@fixture
def fx_all_dtypes(d):
    """Every dtype a tf.Variable can hold, as a scalar and as [2,3], with edge values."""
    u16, u32, u64 = np.uint16, np.uint32, np.uint64
    # Bit patterns, row-major [[nan, -0.0, +inf], [-inf, smallest subnormal, negative NaN w/ payload]]
    specials = {
        "float16": bits(u16, [0x7E00, 0x8000, 0x7C00, 0xFC00, 0x0001, 0xFE01], tf.float16),
        "bfloat16": bits(u16, [0x7FC0, 0x8000, 0x7F80, 0xFF80, 0x0001, 0xFFC1], tf.bfloat16),
        "float32": bits(u32, [0x7FC00000, 0x80000000, 0x7F800000, 0xFF800000, 0x00000001,
                              0xFFC00123], tf.float32),
        "float64": bits(u64, [0x7FF8000000000000, 0x8000000000000000, 0x7FF0000000000000,
                              0xFFF0000000000000, 0x0000000000000001, 0xFFF8000000000123],
                        tf.float64),
    }
    vars_ = {}
    for name, t in specials.items():
        vars_[f"{name}_matrix"] = tf.Variable(tf.reshape(t, [2, 3]))
        vars_[f"{name}_scalar"] = tf.Variable(tf.constant(-1.5, dtype=t.dtype))
    for name in ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]:
        info = np.iinfo(name)
        m = np.array([[info.min, info.max, 0], [1, 42, info.max - 1]], dtype=name)
        vars_[f"{name}_matrix"] = tf.Variable(tf.constant(m))
        vars_[f"{name}_scalar"] = tf.Variable(tf.constant(info.min if info.min else info.max, dtype=name))
    vars_["bool_matrix"] = tf.Variable(tf.constant([[True, False, True], [False, False, True]]))
    vars_["bool_scalar"] = tf.Variable(True)
    nan, inf = float("nan"), float("inf")
    for name in ["complex64", "complex128"]:
        c = np.array([[complex(nan, -0.0), complex(inf, -inf), complex(1e-45 if name == "complex64" else 5e-324, 1)],
                      [complex(1.5, -2.5), complex(-0.0, nan), complex(0, 0)]], dtype=name)
        vars_[f"{name}_matrix"] = tf.Variable(tf.constant(c))
        vars_[f"{name}_scalar"] = tf.Variable(tf.constant(complex(3.25, -7.5), dtype=name))
    vars_["string_matrix"] = tf.Variable(tf.constant([[b"a", b"", b"xyz"], [b"\x00\xff", b"hello", b"!"]]))
    vars_["string_scalar"] = tf.Variable(tf.constant(b"scalar string"))
    prefix = tf.train.Checkpoint(**vars_).write(os.path.join(d, "ckpt"))
    return prefix, "tf.train.Checkpoint.write", None


@fixture
def fx_strings(d):
    """String records: varint lengths of 1, 2 and 3 bytes, binary bytes, empty tensors."""
    binary = bytes(range(256))  # every byte value incl. \0 and \xff
    long_2 = bytes((i * 7 + 3) % 256 for i in range(200))  # 200 > 127: 2-byte varint length
    long_3 = (b"0123456789abcdef" * 1260)[:20000]  # 20000 > 16383: 3-byte varint length
    ck = tf.train.Checkpoint(
        empty=tf.Variable(tf.constant(b"")),
        utf8=tf.Variable(tf.constant("grüße, 日本語, emoji 😀".encode("utf-8"))),
        binary=tf.Variable(tf.constant(binary)),
        nul_only=tf.Variable(tf.constant(b"\x00")),
        len200=tf.Variable(tf.constant(long_2)),
        len20000=tf.Variable(tf.constant(long_3)),
        zero_elements=tf.Variable(tf.constant([], dtype=tf.string)),
        matrix_2x2=tf.Variable(tf.constant([[b"", b"\x00a\x00"], [long_2, "é".encode()]])),
        vector_mixed=tf.Variable(tf.constant([b"", b"x", long_2, b""])),
    )
    prefix = ck.write(os.path.join(d, "ckpt"))
    return prefix, "tf.train.Checkpoint.write", None


@fixture
def fx_zero_elements(d):
    """Tensors with a 0 dimension: numeric records of size 0 (entry CRC = Mask(0))."""
    ck = tf.train.Checkpoint(
        f32_0=tf.Variable(tf.zeros([0], tf.float32)),
        i32_3x0=tf.Variable(tf.zeros([3, 0], tf.int32)),
        f64_0x5=tf.Variable(tf.zeros([0, 5], tf.float64)),
        bool_2x0x3=tf.Variable(tf.zeros([2, 0, 3], tf.bool)),
        u8_0=tf.Variable(tf.zeros([0], tf.uint8)),
        bf16_3x0=tf.Variable(tf.zeros([3, 0], tf.bfloat16)),
        str_3x0=tf.Variable(tf.zeros([3, 0], tf.string)),
        nonempty=tf.Variable([1.0, 2.0]),  # so offsets after zero-size records are exercised
    )
    prefix = ck.write(os.path.join(d, "ckpt"))
    return prefix, "tf.train.Checkpoint.write", None


@fixture
def fx_large_tensor(d):
    """One float32 record of 280000 bytes (> 256 KiB, larger than an index block)."""
    n = 70000
    values = (np.arange(n, dtype=np.float32) * np.float32(0.25) - np.float32(1000.0)).astype(np.float32)
    ck = tf.train.Checkpoint(big=tf.Variable(values), small=tf.Variable([7, 8, 9]))
    prefix = ck.write(os.path.join(d, "ckpt"))
    return prefix, "tf.train.Checkpoint.write", None


@fixture
def fx_many_variables(d):
    """5000 scalar variables so that the .index needs more than one 256 KiB data block.

    Written with the name-based Saver (eager, explicit var_list) rather than tf.train.Checkpoint:
    an object graph for 5000 variables would add ~1 MB (plus 2 MB of hex in expected.json) and
    the index structure, which is what this fixture is about, is the same.
    """
    n = 5000
    var_list = {f"model/block_{i:05d}/self_attention/query_projection/kernel_weights":
                tf.Variable(np.float32(i) * np.float32(0.5)) for i in range(n)}
    saver = tf.compat.v1.train.Saver(var_list=var_list, save_relative_paths=True)
    prefix = saver.save(None, os.path.join(d, "model.ckpt"), write_meta_graph=False)
    idx = bundle_index.read_index(prefix + ".index")
    assert len(idx["blocks"]) >= 2, f"expected >1 index data block, got {len(idx['blocks'])}"
    return prefix, "tf.compat.v1.train.Saver(var_list=dict).save (eager)", \
        f"{n} variables; index has {len(idx['blocks'])} data blocks"


def _mlp():
    return tf_keras.Sequential([
        tf_keras.Input(shape=(4,)),
        tf_keras.layers.Dense(8, activation="relu"),
        tf_keras.layers.Dense(3),
    ])


def _train(model, optimizer, steps=3):
    """A few deterministic training steps so optimizer slots exist and are non-zero."""
    x = tf.constant(np.linspace(-1.0, 1.0, 32, dtype=np.float32).reshape(8, 4))
    y = tf.constant(np.linspace(0.0, 2.0, 24, dtype=np.float32).reshape(8, 3))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))


def _keras_adam(d, optimizer):
    model = _mlp()
    _train(model, optimizer)
    ck = tf.train.Checkpoint(model=model, optimizer=optimizer, step=tf.Variable(3, dtype=tf.int64))
    return ck.save(os.path.join(d, "ckpt"))


@fixture
def fx_keras_adam_legacy(d):
    """tf_keras MLP + legacy (optimizer_v2) Adam: slot variables (.OPTIMIZER_SLOT keys)."""
    prefix = _keras_adam(d, tf_keras.optimizers.legacy.Adam(learning_rate=0.01))
    keys = [k for k, _ in tf.train.list_variables(prefix)]
    assert any("/.OPTIMIZER_SLOT/optimizer/m/" in k for k in keys), keys
    return prefix, "tf.train.Checkpoint(model=tf_keras.Sequential, optimizer=tf_keras.optimizers.legacy.Adam, step).save", None


@fixture
def fx_keras_adam(d):
    """tf_keras MLP + current tf_keras Adam: optimizer state under optimizer/_variables/N."""
    prefix = _keras_adam(d, tf_keras.optimizers.Adam(learning_rate=0.01))
    keys = [k for k, _ in tf.train.list_variables(prefix)]
    assert any(k.startswith("optimizer/_variables/") for k in keys), keys
    return prefix, "tf.train.Checkpoint(model=tf_keras.Sequential, optimizer=tf_keras.optimizers.Adam, step).save", None


@fixture
def fx_keras_sgd(d):
    """tf_keras MLP + current tf_keras SGD(momentum=0.9): _variables = [iterations, one momentum
    per trainable variable]; the optimizer's list attribute is `momentums` (no underscore)."""
    prefix = _keras_adam(d, tf_keras.optimizers.SGD(learning_rate=0.01, momentum=0.9))
    keys = [k for k, _ in tf.train.list_variables(prefix)]
    assert "optimizer/_variables/4/.ATTRIBUTES/VARIABLE_VALUE" in keys, keys
    return prefix, "tf.train.Checkpoint(model=tf_keras.Sequential, optimizer=tf_keras.optimizers.SGD(momentum=0.9), step).save", None


@fixture
def fx_keras_rmsprop(d):
    """tf_keras MLP + current tf_keras RMSprop(momentum=0.9, centered=True): _variables =
    [iterations, velocities..., momentums..., average_gradients...] (blocked, not interleaved)."""
    prefix = _keras_adam(d, tf_keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.9, centered=True))
    keys = [k for k, _ in tf.train.list_variables(prefix)]
    assert "optimizer/_variables/12/.ATTRIBUTES/VARIABLE_VALUE" in keys, keys
    return prefix, ("tf.train.Checkpoint(model=tf_keras.Sequential, "
                    "optimizer=tf_keras.optimizers.RMSprop(momentum=0.9, centered=True), step).save"), None


@fixture
def fx_manager(d):
    """CheckpointManager(max_to_keep=3) after 5 saves: ckpt-3..5 remain, state file has timestamps."""
    step = tf.Variable(0, dtype=tf.int64)
    w = tf.Variable([0.0, 0.0])
    ck = tf.train.Checkpoint(step=step, w=w)
    mgr = tf.train.CheckpointManager(ck, d, max_to_keep=3)
    for i in range(1, 6):
        step.assign(i)
        w.assign([float(i), -float(i)])
        mgr.save()
    present = sorted(f for f in os.listdir(d) if f.endswith(".index"))
    assert present == ["ckpt-3.index", "ckpt-4.index", "ckpt-5.index"], present
    assert mgr.latest_checkpoint == os.path.join(d, "ckpt-5")
    return mgr.latest_checkpoint, "tf.train.CheckpointManager(max_to_keep=3).save x5", \
        "state file lists ckpt-3, ckpt-4, ckpt-5 with timestamps (timestamps differ on every run)"


@fixture
def fx_tf1_saver(d):
    """TF1 name-based checkpoint: graph mode, ref variables, tf.compat.v1.train.Saver (+ .meta)."""
    with tf.Graph().as_default() as g:
        v1 = tf.compat.v1
        v1.get_variable("dense/kernel", initializer=np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
                        use_resource=False)
        v1.get_variable("dense/bias", initializer=np.array([0.5, -0.5, 1.0], np.float32), use_resource=False)
        v1.get_variable("counter", initializer=np.int64(123456789012), use_resource=False)
        v1.get_variable("label", initializer=tf.constant(b"tf1 string"), use_resource=False)
        gs = v1.train.get_or_create_global_step()
        saver = v1.train.Saver(save_relative_paths=True)  # relative paths: fixture is relocatable
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            sess.run(gs.assign(7))
            prefix = saver.save(sess, os.path.join(d, "model.ckpt"), global_step=gs)
    return prefix, "tf.compat.v1.train.Saver.save (graph mode, global_step=7)", \
        "no _CHECKPOINTABLE_OBJECT_GRAPH; also writes model.ckpt-7.meta and checkpoint"


def _partition_init(full):
    """get_variable initializer that returns this partition's slice of `full`."""
    def init(shape, dtype=None, partition_info=None):
        off = partition_info.var_offset if partition_info is not None else [0] * len(shape)
        sl = tuple(slice(o, o + s) for o, s in zip(off, shape))
        return tf.constant(full[sl], dtype=dtype)
    return init


@fixture
def fx_partitioned(d):
    """TF1 partitioned variables: the index holds full-tensor entries with `slices` plus one
    binary (OrderedCode) slice key per partition; list_variables shows only the full tensors."""
    emb = np.arange(40, dtype=np.float32).reshape(10, 4) * np.float32(1.5)
    ids = np.array([10, -20, 30, -40, 50, -60, 70], dtype=np.int64)
    with tf.Graph().as_default() as g:
        v1 = tf.compat.v1
        v1.get_variable("embedding", shape=[10, 4], dtype=tf.float32, initializer=_partition_init(emb),
                        partitioner=v1.fixed_size_partitioner(3), use_resource=False)
        v1.get_variable("ids", shape=[7], dtype=tf.int64, initializer=_partition_init(ids),
                        partitioner=v1.fixed_size_partitioner(2), use_resource=False)
        v1.get_variable("plain", initializer=np.float64(2.5), use_resource=False)
        saver = v1.train.Saver(save_relative_paths=True)
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(d, "model.ckpt"), write_meta_graph=False)
    nslices = sum(bundle_index.parse_entry(v)["num_slices"]
                  for _, v in bundle_index.read_index(prefix + ".index")["entries"][1:])
    assert nslices == 5, f"expected 5 slices (3 + 2), found {nslices}"
    return prefix, "tf.compat.v1.train.Saver.save (graph mode, fixed_size_partitioner 3 and 2)", \
        "embedding [10,4] in 3 slices (rows 4,3,3), ids [7] in 2 slices (4,3)"


def _max_shard_policy(max_bytes):
    return tf.train.CheckpointOptions(
        experimental_sharding_callback=tf.train.experimental.MaxShardSizePolicy(max_shard_size=max_bytes))


@fixture
def fx_three_shards(d):
    """>= 3 data shards via the TF2 sharding policy, without slices: the policy fills each shard
    greedily and splits a tensor that does not fit the remaining space, so the limit is exactly
    one variable (256 bytes) per shard."""
    ck = tf.train.Checkpoint(**{f"w{i}": tf.Variable(tf.range(i * 100, i * 100 + 64, dtype=tf.float32))
                                for i in range(3)})
    prefix = ck.write(os.path.join(d, "ckpt"), options=_max_shard_policy(256))
    shards = len([f for f in os.listdir(d) if ".data-" in f])
    assert shards >= 3, f"only {shards} shards"
    nslices = sum(bundle_index.parse_entry(v)["num_slices"]
                  for _, v in bundle_index.read_index(prefix + ".index")["entries"][1:])
    assert nslices == 0, f"unexpected slices: {nslices}"
    return prefix, "tf.train.Checkpoint.write(options=CheckpointOptions(MaxShardSizePolicy(256)))", \
        f"{shards} data shards"


@fixture
def fx_policy_slices(d):
    """TF2 sharding policy that must split a variable larger than the shard limit into slices."""
    m = np.arange(128, dtype=np.float32).reshape(16, 8) - np.float32(64)
    ck = tf.train.Checkpoint(matrix=tf.Variable(m), small=tf.Variable([1, 2, 3], dtype=tf.int64))
    prefix = ck.write(os.path.join(d, "ckpt"), options=_max_shard_policy(200))
    nslices = sum(bundle_index.parse_entry(v)["num_slices"]
                  for _, v in bundle_index.read_index(prefix + ".index")["entries"][1:])
    assert nslices >= 2, f"expected the matrix to be sliced, found {nslices} slices"
    shards = len([f for f in os.listdir(d) if ".data-" in f])
    return prefix, "tf.train.Checkpoint.write(options=CheckpointOptions(MaxShardSizePolicy(200)))", \
        f"matrix [16,8] stored as {nslices} slices; {shards} data shards"


@fixture
def fx_variant(d):
    """tf.data iterator state: a DT_VARIANT entry (.ATTRIBUTES/ITERATOR_STATE)."""
    # tf.data injects an autotuned prefetch by default; its buffer fill depends on thread timing,
    # which made the iterator state (and its shape) differ between runs. Turn it off.
    opts = tf.data.Options()
    opts.autotune.enabled = False
    opts.experimental_optimization.inject_prefetch = False
    it = iter(tf.data.Dataset.range(20).batch(3).with_options(opts))
    next(it)
    next(it)
    ck = tf.train.Checkpoint(iterator=it, step=tf.Variable(2, dtype=tf.int64))
    prefix = ck.write(os.path.join(d, "ckpt"))
    return prefix, "tf.train.Checkpoint(iterator=iter(tf.data.Dataset)).write", None


@fixture
def fx_save_weights(d):
    """tf_keras Model.save_weights in TF format: keys start at the model (no model/ prefix),
    no save_counter; also writes a `checkpoint` state file."""
    model = _mlp()
    model(tf.zeros([1, 4]))
    prefix = os.path.join(d, "weights")
    model.save_weights(prefix)  # no .h5 suffix -> TF checkpoint format
    keys = [k for k, _ in tf.train.list_variables(prefix)]
    assert not any(k.startswith("model/") or k.startswith("save_counter") for k in keys), keys
    return prefix, "tf_keras.Sequential.save_weights (TF format)", None


# ------------------------------------------------------------------------------------------------
# expected.json + self checks
# ------------------------------------------------------------------------------------------------

def expected_json(d, prefix, writer, notes):
    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    entries = [tf_values.describe(reader, key, dtypes[key].name, shape)
               for key, shape in tf.train.list_variables(prefix)]
    doc = {"tf_version": tf.__version__, "writer": writer, "prefix": os.path.relpath(prefix, d),
           "num_shards": len([f for f in os.listdir(d)
                              if f.startswith(os.path.basename(prefix) + ".data-")])}
    if notes:
        doc["notes"] = notes
    # One entry per line: diffable, and much smaller than indented JSON for many_variables.
    lines = ["{"] + [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in doc.items()]
    lines.append(' "entries": [')
    lines.append(",\n".join("  " + json.dumps(e) for e in entries))
    lines += [" ]", "}", ""]
    with open(os.path.join(d, "expected.json"), "w") as f:
        f.write("\n".join(lines))
    return entries


def check_and_describe(prefix, entries):
    """Cross-check TF's values against the raw data files and collect facts for the report."""
    idx = bundle_index.read_index(prefix + ".index")
    records = bundle_index.data_records(prefix + ".index")
    by_key = {r["key"]: r for r in records}
    num_shards = max([r["shard_id"] for r in records] + [0]) + 1
    files = {s: open(f"{prefix}.data-{s:05d}-of-{num_shards:05d}", "rb").read() for s in range(num_shards)}
    for e in entries:
        r = by_key.get(e["key"].encode())
        if r is None or "data_hex" not in e:
            continue  # sliced tensor, string or variant
        raw = files[r["shard_id"]][r["offset"]:r["offset"] + r["size"]]
        assert raw.hex() == e["data_hex"], f"{e['key']}: TF's value differs from the raw record"
    # Record layout: contiguous (no alignment padding)? in key order or insertion order?
    packed, key_order = True, True
    for s, blob in files.items():
        # (offset, size): a zero-size record shares its offset with the record that follows it
        recs = sorted((r for r in records if r["shard_id"] == s), key=lambda r: (r["offset"], r["size"]))
        pos = 0
        for r in recs:
            packed &= r["offset"] == pos
            pos = r["offset"] + r["size"]
        packed &= pos == len(blob)
        nonzero = [r["key"] for r in recs if r["size"]]
        key_order &= nonzero == sorted(nonzero)
    og = by_key.get(b"_CHECKPOINTABLE_OBJECT_GRAPH")
    og_pos = None
    if og:
        end = max(r["offset"] + r["size"] for r in records if r["shard_id"] == og["shard_id"])
        last = og["offset"] + og["size"] == end
        og_pos = f"shard {og['shard_id']}, " + ("last record" if last else f"offset {og['offset']}")
    return {
        "shards": num_shards,
        "index_blocks": len(idx["blocks"]),
        "block_types": sorted({b["type"] for b in idx["blocks"]} | {idx["index_type"]}),
        "packed": packed,
        "data_in_key_order": key_order,
        "object_graph": og_pos,
    }


def assert_relocatable(out_dir):
    """State files / metagraphs must not embed the absolute generation path."""
    needle = os.path.abspath(out_dir).encode()
    for root, _, files in os.walk(out_dir):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                assert needle not in fh.read(), f"{os.path.join(root, f)} contains an absolute path"


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "fixtures"))
    if os.path.basename(out) != "fixtures" and os.path.exists(out):
        sys.exit(f"refusing to wipe {out}: output dir must be named 'fixtures' or not exist yet")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    tf.config.experimental.enable_op_determinism()

    facts = {}
    for name, fn in FIXTURES.items():
        d = os.path.join(out, name)
        os.makedirs(d)
        reseed()
        prefix, writer, notes = fn(d)
        entries = expected_json(d, prefix, writer, notes)
        facts[name] = check_and_describe(prefix, entries)
        facts[name]["entries"] = len(entries)
        facts[name]["bytes"] = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))

    assert_relocatable(out)
    import google.protobuf
    versions = {
        "tensorflow": tf.__version__,
        "tf_keras": tf_keras.__version__,
        "numpy": np.__version__,
        "protobuf": google.protobuf.__version__,
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "generator": "tests/interop/make_fixtures.py",
        "nondeterministic": ["manager/checkpoint (all_model_checkpoint_timestamps, last_preserved_timestamp)"],
    }
    with open(os.path.join(out, "VERSIONS.json"), "w") as f:
        json.dump(versions, f, indent=2)
        f.write("\n")

    print(f"TensorFlow {tf.__version__}, tf_keras {tf_keras.__version__} -> {out}")
    print(f"{'fixture':22} {'bytes':>9} {'entries':>7} {'shards':>6} {'idx blk':>7} {'types':>6} "
          f"{'packed':>6} {'keyord':>6}  object graph")
    total = 0
    for name, f in facts.items():
        total += f["bytes"]
        print(f"{name:22} {f['bytes']:9d} {f['entries']:7d} {f['shards']:6d} {f['index_blocks']:7d} "
              f"{','.join(map(str, f['block_types'])):>6} {str(f['packed']):>6} "
              f"{str(f['data_in_key_order']):>6}  {f['object_graph']}")
    print(f"total {total} bytes in {len(facts)} fixtures")


if __name__ == "__main__":
    main()
