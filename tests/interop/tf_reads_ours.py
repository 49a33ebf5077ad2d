#!/usr/bin/env python3
"""Check checkpoints written by our C++ writer with real TensorFlow.

Usage:  .venv/bin/python tests/interop/tf_reads_ours.py MANIFEST_JSON

MANIFEST_JSON (written by the C++ writer test program):
  {"cases": [{"name": "...", "prefix": "/abs/prefix", "num_shards": 1, "tf_identical": true,
              "tensors": [{"key", "dtype", "shape", "data_hex" | "strings_hex"}, ...]}]}

For every case:
  1. the data files are exactly <prefix>.data-0000i-of-<num_shards> for i < num_shards;
  2. tf.train.load_checkpoint(prefix) opens it, and tf.train.list_variables lists exactly the
     manifest's keys with the manifest's shapes and dtypes;
  3. every value TF reads back is byte-for-byte the manifest's value;
  4. if "tf_identical": TF writes the same tensors with tf.raw_ops.SaveV2 (tensor_names in manifest
     order, since SaveV2 appends records to the data file in input order) and our .index and
     .data-00000-of-00001 must be byte-identical to TF's. SaveV2 is run twice first: if TF itself is
     not reproducible for these inputs the comparison would be meaningless, so that is reported.
Prints one PASS/FAIL line per case, then "N passed, M failed" as the last line; exit status 1 if
any case failed, 2 if the manifest itself is unusable.
"""

import glob
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_check  # noqa: E402  (the shared prologue, before TensorFlow is imported)
import tf_values  # noqa: E402,F401
from tf_values import tf  # noqa: E402

tf.get_logger().setLevel("ERROR")

DATA_FILE = "{prefix}.data-{shard:05d}-of-{num:05d}"


def first_diff(a, b):
    """Index of the first differing byte/element, or None if equal."""
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def compare_values(key, want, got, errors):
    """Compare one manifest tensor against TF's describe() output."""
    if want["dtype"] == "variant":
        return  # TF cannot hand variant values to Python
    if want["dtype"] == "string":
        w, g = want["strings_hex"], got["strings_hex"]
        i = first_diff(w, g)
        if i is not None:
            errors.append(f"{key!r}: string element {i} differs "
                          f"(ours {len(w)} elements, TF read {len(g)}; "
                          f"ours={w[i][:64] if i < len(w) else None!r} tf={g[i][:64] if i < len(g) else None!r})")
        return
    w, g = bytes.fromhex(want["data_hex"]), bytes.fromhex(got["data_hex"])
    i = first_diff(w, g)
    if i is not None:
        errors.append(f"{key!r}: value differs at byte {i} (manifest {len(w)} bytes, TF read {len(g)}; "
                      f"manifest {w[i:i + 8].hex()} vs TF {g[i:i + 8].hex()})")


def compare_files(ours, theirs, label, errors):
    try:
        with open(ours, "rb") as f:
            a = f.read()
    except OSError as e:
        errors.append(f"{label}: cannot read ours: {e}")
        return
    with open(theirs, "rb") as f:
        b = f.read()
    i = first_diff(a, b)
    if i is not None:
        errors.append(f"{label}: not byte-identical to TF's SaveV2 output: first difference at offset {i} "
                      f"(ours {len(a)} bytes, TF {len(b)} bytes; ours {a[i:i + 16].hex()} vs TF {b[i:i + 16].hex()})")


def save_v2(prefix, tensors):
    tf.raw_ops.SaveV2(prefix=prefix,
                      tensor_names=[t["key"] for t in tensors],
                      shape_and_slices=[""] * len(tensors),
                      tensors=[tf_values.make_tensor(t) for t in tensors])


def check_tf_identical(case, errors):
    prefix, tensors = case["prefix"], case["tensors"]
    if case.get("num_shards", 1) != 1:
        errors.append("tf_identical requires num_shards == 1 (SaveV2 writes a single shard)")
        return
    if any(t["dtype"] == "variant" for t in tensors):
        errors.append("tf_identical impossible: variant tensors cannot be built from the manifest")
        return
    with tempfile.TemporaryDirectory() as tmp:
        runs = [os.path.join(tmp, f"run{i}", "ckpt") for i in (1, 2)]
        try:
            for p in runs:
                save_v2(p, tensors)
        except Exception as e:  # noqa: BLE001 - report whatever TF raises
            errors.append(f"TF's SaveV2 rejected the manifest tensors: {type(e).__name__}: {e}")
            return
        suffixes = [".index", ".data-00000-of-00001"]
        tf_unstable = []
        for s in suffixes:
            compare_files(runs[0] + s, runs[1] + s, f"TF determinism check {s}", tf_unstable)
        if tf_unstable:
            errors.extend(tf_unstable)
            errors.append("TF's own SaveV2 output is not reproducible for these inputs; cannot judge identity")
            return
        for s in suffixes:
            compare_files(prefix + s, runs[0] + s, os.path.basename(prefix) + s, errors)


def check_case(case):
    errors = []
    prefix = case["prefix"]
    num = case.get("num_shards", 1)
    want_files = {DATA_FILE.format(prefix=prefix, shard=i, num=num) for i in range(num)}
    have_files = set(glob.glob(glob.escape(prefix) + ".data-*"))
    if want_files != have_files:
        errors.append(f"data files: missing {sorted(want_files - have_files)}, "
                      f"unexpected {sorted(have_files - want_files)}")
    try:
        reader = tf.train.load_checkpoint(prefix)
        listed = dict(tf.train.list_variables(prefix))
        dtypes = {k: v.name for k, v in reader.get_variable_to_dtype_map().items()}
    except Exception as e:  # noqa: BLE001
        errors.append(f"TF cannot open the checkpoint: {type(e).__name__}: {e}")
        return errors

    manifest_keys = [t["key"] for t in case["tensors"]]
    if len(set(manifest_keys)) != len(manifest_keys):
        errors.append("manifest lists a key more than once")
    missing = [k for k in manifest_keys if k not in listed]
    extra = sorted(set(listed) - set(manifest_keys))
    if missing:
        errors.append(f"TF does not list: {missing}")
    if extra:
        errors.append(f"TF lists keys not in the manifest: {extra}")

    for t in case["tensors"]:
        key = t["key"]
        if key not in listed:
            continue
        if t["dtype"] not in tf_values.SUPPORTED_DTYPES | {"variant"}:
            errors.append(f"{key!r}: manifest dtype {t['dtype']!r} unknown to this script")
            continue
        if dtypes.get(key) != t["dtype"]:
            errors.append(f"{key!r}: dtype ours={t['dtype']} TF={dtypes.get(key)}")
            continue
        if list(listed[key]) != list(t["shape"]):
            errors.append(f"{key!r}: shape ours={t['shape']} TF={list(listed[key])}")
            continue
        try:
            got = tf_values.describe(reader, key, t["dtype"], t["shape"])
        except Exception as e:  # noqa: BLE001 - e.g. DataLoss: checksum mismatch
            errors.append(f"{key!r}: TF cannot read the value: {type(e).__name__}: {e}")
            continue
        compare_values(key, t, got, errors)

    if case.get("tf_identical"):
        check_tf_identical(case, errors)
    return errors


def main():
    (manifest,) = interop_check.args(__doc__, 1)
    try:
        with open(manifest) as f:
            cases = json.load(f)["cases"]
        for c in cases:
            for field in ("name", "prefix", "tensors"):
                if field not in c:
                    raise ValueError(f"case {c.get('name', '?')!r} lacks {field!r}")
    except (OSError, ValueError, KeyError) as e:
        print(f"unusable manifest {manifest}: {e}")
        print("0 passed, 1 failed")
        sys.exit(2)

    for case in cases:
        errors = check_case(case)
        if interop_check.check(not errors, f"{case['name']} ({case['prefix']})"):
            ident = " (byte-identical to TF SaveV2)" if case.get("tf_identical") else ""
            print(f"PASS {case['name']}{ident}")
        for e in errors:
            print(f"     {e}")
    sys.exit(interop_check.summary())


if __name__ == "__main__":
    main()
