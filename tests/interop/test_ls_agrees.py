#!/usr/bin/env python3
"""Check that our CLI's `ls` agrees with TensorFlow on every fixture.

Usage:  .venv/bin/python tests/interop/test_ls_agrees.py CLI_PATH FIXTURES_DIR

For each FIXTURES_DIR/<name>/expected.json, runs `CLI_PATH ls <fixture prefix> --json`, which must print
a JSON array of objects {key, dtype, shape, shard, offset, size}, and compares:
  * the set of keys, and per key dtype and shape, with tf.train.list_variables and
    tf.train.load_checkpoint(prefix).get_variable_to_dtype_map() (so slice keys of partitioned
    tensors must be hidden, and _CHECKPOINTABLE_OBJECT_GRAPH must be listed, as TF does);
  * for entries that own a data record (everything except the full-tensor entry of a partitioned
    variable), shard/offset/size against an independent Python parse of the .index
    (bundle_index.py), since TF's Python API does not expose them.
Order is not compared (TF sorts by Python str order; an index walk gives bytewise order; the two
agree for ASCII keys).
Prints one PASS/FAIL line per fixture, then "N passed, M failed" as the last line; exit status 1 if any
fixture failed.
"""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_check  # noqa: E402  (the shared prologue, before TensorFlow is imported)
import tf_values  # noqa: E402,F401
from tf_values import tf  # noqa: E402
import bundle_index  # noqa: E402

FIELDS = ("key", "dtype", "shape", "shard", "offset", "size")


def run_cli(cli, prefix, errors):
    try:
        proc = subprocess.run([cli, "ls", prefix, "--json"], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        errors.append(f"cannot run {cli}: {e}")
        return None
    if proc.returncode != 0:
        errors.append(f"`ls` exited with {proc.returncode}: {proc.stderr.decode(errors='replace').strip()[:500]}")
        return None
    try:
        rows = json.loads(proc.stdout)["tensors"]
    except ValueError as e:
        errors.append(f"`ls --json` output is not JSON: {e}; starts with {proc.stdout[:200]!r}")
        return None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        errors.append("`ls --json` output is not a JSON array of objects")
        return None
    for r in rows:
        absent = [f for f in FIELDS if f not in r]
        if absent:
            errors.append(f"row {r.get('key', r)!r} lacks fields {absent}")
            return None
    return rows


def check_fixture(cli, fixture_dir):
    errors = []
    with open(os.path.join(fixture_dir, "expected.json")) as f:
        prefix = os.path.join(fixture_dir, json.load(f)["prefix"])
    rows = run_cli(cli, prefix, errors)
    if rows is None:
        return errors

    tf_shapes = {k: list(s) for k, s in tf.train.list_variables(prefix)}
    tf_dtypes = {k: v.name for k, v in tf.train.load_checkpoint(prefix).get_variable_to_dtype_map().items()}
    ours = {}
    for r in rows:
        if r["key"] in ours:
            errors.append(f"key listed twice: {r['key']!r}")
        ours[r["key"]] = r
    missing = sorted(set(tf_shapes) - set(ours))
    extra = sorted(set(ours) - set(tf_shapes))
    if missing:
        errors.append(f"not listed by ls: {missing[:10]}{' ...' if len(missing) > 10 else ''}")
    if extra:
        errors.append(f"listed by ls but not by TF: {extra[:10]}{' ...' if len(extra) > 10 else ''}")

    # Placement of records, from our independent index parse (keys that own data only).
    placement = {r["key"].decode("utf-8", "surrogateescape"): r
                 for r in bundle_index.data_records(prefix + ".index")}
    num_shards = max([p["shard_id"] for p in placement.values()] + [0]) + 1
    for key in sorted(set(tf_shapes) & set(ours)):
        r = ours[key]
        if r["dtype"] != tf_dtypes[key]:
            errors.append(f"{key!r}: dtype ls={r['dtype']} TF={tf_dtypes[key]}")
        if r["shape"] != tf_shapes[key]:
            errors.append(f"{key!r}: shape ls={r['shape']} TF={tf_shapes[key]}")
        p = placement.get(key)
        if p is None:
            continue  # partitioned tensor: its bytes live under the slice keys
        got = (r["shard"], r["offset"], r["size"])
        want = (p["shard_id"], p["offset"], p["size"])
        if got != want:
            errors.append(f"{key!r}: (shard, offset, size) ls={got} index={want}")
        if not 0 <= r["shard"] < num_shards:
            errors.append(f"{key!r}: shard {r['shard']} out of range")
    return errors


def main():
    cli, root = interop_check.args(__doc__, 2)
    fixtures = sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "expected.json")))
    interop_check.check(len(fixtures) >= 10, f"only {len(fixtures)} fixtures (*/expected.json) under {root}")
    for name in fixtures:
        try:
            errors = check_fixture(cli, os.path.join(root, name))
        except Exception as e:  # noqa: BLE001 - one broken fixture must not hide the others
            errors = [f"{type(e).__name__}: {e}"]
        if interop_check.check(not errors, name):
            print(f"PASS {name}")
        for e in errors[:20]:
            print(f"     {e}")
    sys.exit(interop_check.summary())


if __name__ == "__main__":
    main()
