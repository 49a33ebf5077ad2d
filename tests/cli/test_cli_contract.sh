#!/usr/bin/env bash
# The CLI's contract (docs/cli.md), end to end:
#   tests/cli/test_cli_contract.sh <path/to/tfckpt> <repo root>
# - every command's --help (and `help CMD`) exits 0 with its usage line; --version;
# - every command's --json output is one valid JSON object with json_version, tool_version,
#   command, errors and ok, on success and on each error class (usage, not_found, corruption,
#   checksum_mismatch, invalid_argument), errors as {code, message, file, key, offset};
# - verify reports every bad record; print --json lists unreadable records in errors;
# - ls/print/stats/export --filter and --no-optimizer; merge, filter, rename, stats on fixtures
#   (TensorFlow checks of those are in tests/interop/test_cli_edit_interop.py).
# Needs python3 (standard library only). Last line: "N passed, M failed".
set -u
if [ $# -ne 2 ]; then
  echo "usage: $0 <tfckpt binary> <repo root>" >&2
  exit 2
fi
CLI="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
exec python3 - "$CLI" "$ROOT/tests/fixtures" "$TMP" <<'EOF'
import json, os, shutil, subprocess, sys

cli, fix, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)
    return cond


def run(*args, want=0):
    p = subprocess.run([cli, *args], capture_output=True, timeout=300)
    check(p.returncode == want, f"tfckpt {' '.join(args)}: exit {p.returncode}, want {want}; "
          f"stderr {p.stderr[:300]!r}")
    return p


ERROR_FIELDS = {"code", "message", "file", "key", "offset"}


def run_json(*args, want=0, command=None, codes=None):
    """Runs with --json; checks the envelope; returns the document (or {})."""
    p = run(*args, "--json", want=want)
    what = f"tfckpt {' '.join(args)} --json"
    try:
        j = json.loads(p.stdout)
    except ValueError as e:
        check(False, f"{what}: stdout is not one JSON document ({e}): {p.stdout[:300]!r}")
        return {}
    if not check(isinstance(j, dict), f"{what}: not an object"):
        return {}
    check(j.get("json_version") == 1 and isinstance(j.get("tool_version"), str), f"{what}: version fields {j}")
    check(j.get("command") == (command if command is not None else args[0]), f"{what}: command {j.get('command')!r}")
    errs = j.get("errors")
    check(isinstance(errs, list) and all(isinstance(e, dict) and set(e) >= ERROR_FIELDS for e in errs),
          f"{what}: errors are objects with {sorted(ERROR_FIELDS)}: {errs}")
    check(j.get("ok") is (not errs), f"{what}: ok is {j.get('ok')} with {len(errs or [])} errors")
    if want == 0 or (want == 1 and args[0] == "diff"):
        check(not errs, f"{what}: errors on success: {errs}")
    elif codes is not None:
        got = [e["code"] for e in errs or []]
        check(bool(got) and set(got) <= set(codes), f"{what}: error codes {got}, want {codes}")
    return j


def prefix_of(name):
    with open(os.path.join(fix, name, "expected.json")) as f:
        return os.path.join(fix, name, json.load(f)["prefix"])


ALL, STRINGS, ADAM = prefix_of("all_dtypes"), prefix_of("strings"), prefix_of("keras_adam_legacy")
NEW_ADAM, PART = prefix_of("keras_adam"), prefix_of("partitioned")
COMMANDS = ["ls", "print", "verify", "graph", "latest", "schema", "export", "import", "diff", "merge",
            "filter", "rename", "stats", "help"]

# ---- help and version ------------------------------------------------------------------------
for c in COMMANDS:
    p = run(c, "--help")
    check(f"Usage: tfckpt {c} ".encode() in p.stdout, f"{c} --help shows its usage: {p.stdout[:200]!r}")
    check(b"--json" in p.stdout or c in ("help",), f"{c} --help lists --json")
for c in ("ls", "print", "stats", "export", "diff"):
    p = run(c, "--help")
    check(b"--filter" in p.stdout and b"--no-optimizer" in p.stdout, f"{c} --help lists --filter and --no-optimizer")
check(b"--no-optimizer" in run("filter", "--help").stdout, "filter --help lists --no-optimizer")
check(run("--version").stdout.startswith(b"tfckpt "), "--version")

# ---- success: one JSON document per command --------------------------------------------------
j = run_json("ls", ALL)
check(len(j.get("tensors", [])) > 5, "ls --json tensors")
j = run_json("print", STRINGS)
check(all({"key", "dtype", "shape", "values"} <= set(t) for t in j.get("tensors", [])), "print --json tensors")
j = run_json("print", STRINGS, "utf8/.ATTRIBUTES/VARIABLE_VALUE")
check(len(j.get("tensors", [])) == 1, "print KEY --json: one tensor")
j = run_json("verify", ALL)
check(j.get("tensors", 0) > 0 and "bytes" in j and "blocks" in j, "verify --json counts")
j = run_json("graph", ADAM)
check(len(j.get("nodes", [])) > 3 and j.get("name_based") is False, "graph --json")
j = run_json("latest", os.path.join(fix, "manager"))
check(j.get("prefix", "").endswith("ckpt-5"), "latest --json prefix")
j = run_json("schema", ADAM)
check("constexpr" in j.get("header", ""), "schema --json header")
j = run_json("stats", ALL)
check(j.get("tensors") and all({"key", "dtype", "shape", "min", "max", "mean", "std", "nan", "inf", "zero_fraction"}
                               <= set(t) for t in j["tensors"]), "stats --json fields")
st = os.path.join(tmp, "all.safetensors")
j = run_json("export", ALL, "--to", "safetensors", st)
check(j.get("tensors", 0) > 0 and j.get("skipped"), "export --json lists skipped tensors")
j = run_json("import", st, "--to", os.path.join(tmp, "imp", "ckpt"))
check(j.get("tensors", 0) > 0, "import --json")
j = run_json("diff", ADAM, ADAM)
check(j.get("identical") is True, "diff --json identical")
j = run_json("diff", ADAM, NEW_ADAM, want=1)
check(j.get("identical") is False, "diff --json different (exit 1, ok)")

# ---- error classes -----------------------------------------------------------------------------
missing = os.path.join(tmp, "no", "such")
for args in (["ls", missing], ["print", missing], ["verify", missing], ["graph", missing], ["stats", missing],
             ["schema", missing], ["export", missing, "--to", "npz", os.path.join(tmp, "x.npz")],
             ["filter", missing, os.path.join(tmp, "f")], ["rename", missing, os.path.join(tmp, "r"), "--map", "a=b"],
             ["merge", os.path.join(tmp, "m"), missing], ["latest", missing]):
    j = run_json(*args, want=1, codes=["not_found"])
    errs = j.get("errors") or [{}]
    check(errs[0].get("file") and "no/such" in errs[0]["file"], f"{args[0]}: error names the file {errs}")
run_json("diff", ADAM, missing, want=2, codes=["not_found"])
run_json("import", missing, "--to", os.path.join(tmp, "i"), want=1, codes=["not_found", "io_error"])
for args in (["ls", "--bogus", ALL], ["ls"], ["export", ALL, os.path.join(tmp, "x"), "--to", "hdf5"],
             ["ls", ALL, "--filter", "("], ["diff", "--atol", "-1", ADAM, ADAM],
             ["import", st, "--to", os.path.join(tmp, "y"), "--object-graph", "--name-based"],
             ["rename", ALL, os.path.join(tmp, "r"), "--map", "novalue"]):
    run_json(*args, want=2, codes=["usage"])
run_json("frobnicate", ALL, want=2, command="", codes=["usage"])

# Corrupted copies: truncated index (corruption); two flipped records (checksum_mismatch, both).
os.makedirs(os.path.join(tmp, "trunc"))
with open(ALL + ".index", "rb") as f:
    head = f.read(100)
with open(os.path.join(tmp, "trunc", "ckpt.index"), "wb") as f:
    f.write(head)
shutil.copy(ALL + ".data-00000-of-00001", os.path.join(tmp, "trunc"))
for c in ("ls", "verify", "stats"):
    j = run_json(c, os.path.join(tmp, "trunc", "ckpt"), want=1, codes=["corruption"])

os.makedirs(os.path.join(tmp, "flip"))
for f in os.listdir(os.path.dirname(ALL)):
    if f.startswith("ckpt."):
        shutil.copy(os.path.join(os.path.dirname(ALL), f), os.path.join(tmp, "flip"))
flip = os.path.join(tmp, "flip", "ckpt")
entries = [e for e in json.loads(run("ls", "--json", ALL).stdout)["tensors"] if e["size"] >= 8
           and e["key"] != "_CHECKPOINTABLE_OBJECT_GRAPH"]
bad = [entries[0], entries[len(entries) // 2]]
with open(flip + ".data-00000-of-00001", "r+b") as f:
    for e in bad:
        f.seek(e["offset"] + 1)
        b = f.read(1)
        f.seek(e["offset"] + 1)
        f.write(bytes([b[0] ^ 0x40]))
j = run_json("verify", flip, want=1, codes=["checksum_mismatch"])
keys = sorted(e.get("key") for e in j.get("errors", []))
check(keys == sorted(e["key"] for e in bad), f"verify reports every bad record: {keys}")
check(all(e.get("file", "").endswith("data-00000-of-00001") and isinstance(e.get("offset"), int)
          for e in j.get("errors", [])), f"verify errors carry file and offset: {j.get('errors')}")
p = run("verify", flip, want=1)
check(p.stderr.count(b"checksum_mismatch") == 2, "verify (text) prints both bad records")
j = run_json("print", flip, want=1, codes=["checksum_mismatch"])
check(len(j.get("errors", [])) == 2 and len(j.get("tensors", [])) == len(json.loads(run("ls", "--json", ALL).stdout)["tensors"]) - 2,
      "print --json: readable tensors listed, the two unreadable ones in errors")
j = run_json("stats", flip, want=1, codes=["checksum_mismatch"])
check(len(j.get("errors", [])) == 2, "stats --json: unreadable tensors in errors")

# ---- selection -------------------------------------------------------------------------------
def keys_of(*args):
    return [e["key"] for e in json.loads(run(*args, "--json").stdout).get("tensors", [])]


for fx in (ADAM, NEW_ADAM):
    ks = keys_of("ls", "--no-optimizer", fx)
    check(ks and not any("OPTIMIZER_SLOT" in k or k.startswith("optimizer/") or k.startswith("save_counter")
                         or k == "_CHECKPOINTABLE_OBJECT_GRAPH" for k in ks), f"ls --no-optimizer {fx}: {ks}")
    check(all(k.startswith("model/") or k.startswith("step") for k in ks), f"ls --no-optimizer keeps the model {ks}")
    check(keys_of("stats", "--no-optimizer", fx) == [k for k in ks], "stats --no-optimizer selects as ls")
ks = keys_of("ls", "--filter", "kernel", ADAM)
check(ks and all("kernel" in k for k in ks), "ls --filter")
check(keys_of("print", "--filter", "^model/.*bias", ADAM) == [k for k in keys_of("ls", ADAM)
                                                            if k.startswith("model/") and "bias" in k],
      "print --filter")

# ---- filter, rename, merge on fixtures ----------------------------------------------------------
out = os.path.join(tmp, "slim", "ckpt")
j = run_json("filter", ADAM, out, "--no-optimizer")
after = keys_of("ls", out)
check(after and not any("optimizer" in k.lower() for k in after), f"filter --no-optimizer: {after}")
check(run("verify", out).returncode == 0, "filter output verifies")
g = json.loads(run("graph", "--json", out).stdout)
check(all(c["local_name"] != "optimizer" for n in g["nodes"] for c in n["children"]) and
      all(not n["slot_variables"] for n in g["nodes"]), "filter --no-optimizer removes the optimizer objects")
ids = {i for i in range(len(g["nodes"]))}
check(all(c["node_id"] in ids for n in g["nodes"] for c in n["children"]), "filtered graph: node ids valid")
graph_keys = {a["checkpoint_key"] for n in g["nodes"] for a in n["attributes"]}
check(graph_keys == set(after) - {"_CHECKPOINTABLE_OBJECT_GRAPH"}, "filtered graph names exactly the kept keys")
run_json("filter", ADAM, os.path.join(tmp, "none"), "--keep", "^zzz", want=1, codes=["invalid_argument"])
run_json("filter", ADAM, ADAM, want=2, codes=["usage"])
# Every dtype survives filter (strings, complex, bf16, variant...): diff against the original is empty.
out = os.path.join(tmp, "alldt", "ckpt")
run("filter", ALL, out, "--drop", "^nothing$")
check(run("diff", ALL, out).returncode == 0, "filter keeps every dtype bit-exact (diff is empty)")
out = os.path.join(tmp, "part", "ckpt")
run("filter", PART, out)
check(run("diff", PART, out).returncode == 0, "filter of a partitioned checkpoint reads back equal")

out = os.path.join(tmp, "ren", "ckpt")
j = run_json("rename", ADAM, out, "--map", "^model/layer_with_weights-0=model/first")
ks = keys_of("ls", out)
check(any(k.startswith("model/first/kernel/.ATTRIBUTES") for k in ks) and
      not any(k.startswith("model/layer_with_weights-0/") for k in ks), f"rename: keys follow {ks[:6]}")
check(any("model/first/kernel/.OPTIMIZER_SLOT/" in k for k in ks), "rename: slot keys follow the variable path")
g = json.loads(run("graph", "--json", out).stdout)
check(any(c["local_name"] == "first" for n in g["nodes"] for c in n["children"]), "rename: graph edge renamed")
check(run("diff", "--filter", "layer_with_weights-1", ADAM, out).returncode == 0, "rename: other values unchanged")
run_json("rename", ADAM, os.path.join(tmp, "ren2", "ckpt"), "--map", "^model/layer_with_weights-0$=elsewhere/x",
         want=1, codes=["invalid_argument"])

a_out, b_out = os.path.join(tmp, "pa", "ckpt"), os.path.join(tmp, "pb", "ckpt")
run("filter", STRINGS, a_out, "--keep", "^(binary|empty)/")
run("import", st, "--to", b_out, "--name-based")
m = os.path.join(tmp, "merged", "ckpt")
j = run_json("merge", m, a_out, b_out)
na, nb = len(keys_of("ls", a_out)), len(keys_of("ls", b_out))
check(j.get("tensors") == na + nb == len(keys_of("ls", m)), f"merge: {j.get('tensors')} = {na} + {nb}")
check(run("verify", m).returncode == 0 and os.path.exists(a_out + ".index"), "merge: verifies; inputs kept")
check(run("diff", "--filter", "^(binary|empty)/", STRINGS, m).returncode == 0, "merge: values equal")
run_json("merge", os.path.join(tmp, "m2", "ckpt"), a_out, a_out, want=1, codes=["invalid_argument"])

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
EOF
