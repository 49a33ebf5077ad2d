#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need on Debian 12:
#   - apt packages (compilers, build systems, header-only deps, snappy, benchmark),
#   - a Python virtualenv in <repo>/.venv with TensorFlow for the interop tests.
# Idempotent: when everything is present it only runs a few dpkg/python queries (~1 s),
# no apt-get update and no pip. Works as root; uses sudo only when not root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

APT_PACKAGES=(
  libboost1.81-dev nlohmann-json3-dev doctest-dev libbenchmark-dev libsnappy-dev
  cmake meson ninja-build g++ clang libclang-rt-14-dev python3-venv python3-pip
  libcli11-dev
  libopenmpi-dev openmpi-bin
)
# python module to import -> PyPI distribution providing it
PY_MODULES=(tensorflow tf_keras pytest numpy safetensors)
PY_PACKAGES=(tensorflow-cpu tf-keras pytest numpy safetensors)

log() { printf '[install-deps] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    log "ERROR: need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

# ---- apt ---------------------------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt: installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  log "apt: all ${#APT_PACKAGES[@]} packages present"
fi

# ---- python venv -------------------------------------------------------------------
# Prefer Debian's interpreter (python3-venv makes it venv-capable); fall back to PATH.
BASE_PY="${TFCKPT_BASE_PYTHON:-}"
if [ -z "$BASE_PY" ]; then
  if [ -x /usr/bin/python3 ]; then BASE_PY=/usr/bin/python3; else BASE_PY="$(command -v python3)"; fi
fi

if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  log "venv: $VENV/bin/python is broken; recreating the venv"
  "$BASE_PY" -m venv --clear "$VENV"
elif [ ! -x "$VENV/bin/python" ]; then
  log "venv: creating $VENV with $BASE_PY"
  "$BASE_PY" -m venv "$VENV"
fi

# find_spec checks importability without paying TensorFlow's multi-second import.
importable() {
  "$VENV/bin/python" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$1') is None)" 2>/dev/null
}
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off)

need=()
need_tf_keras=0
for i in "${!PY_MODULES[@]}"; do
  importable "${PY_MODULES[$i]}" && continue
  if [ "${PY_MODULES[$i]}" = tf_keras ]; then need_tf_keras=1; else need+=("${PY_PACKAGES[$i]}"); fi
done
if [ "${#need[@]}" -gt 0 ]; then
  log "venv: pip installing ${need[*]}"
  "${PIP[@]}" "${need[@]}"
fi
if [ "$need_tf_keras" -eq 1 ]; then
  # tf-keras declares a dependency on `tensorflow` (the 570 MB full wheel), which would be
  # installed next to tensorflow-cpu (same import package). Install the tf-keras release
  # matching the installed TensorFlow without its dependencies instead; fall back to the
  # plain install if no matching release exists.
  tf_ver="$("$VENV/bin/python" -c "
import importlib.metadata as m
for d in ('tensorflow-cpu', 'tensorflow'):
    try:
        v = m.version(d).split('.'); print(v[0] + '.' + v[1] + '.0'); break
    except m.PackageNotFoundError:
        pass")"
  log "venv: pip installing tf-keras~=${tf_ver:-?} (matching TensorFlow, --no-deps)"
  if [ -z "$tf_ver" ] || ! "${PIP[@]}" --no-deps "tf-keras~=$tf_ver"; then
    log "venv: no matching tf-keras; installing tf-keras with its dependencies"
    "${PIP[@]}" tf-keras
  fi
fi
if [ "${#need[@]}" -eq 0 ] && [ "$need_tf_keras" -eq 0 ]; then
  log "venv: ${PY_MODULES[*]} importable"
fi

# ---- TF 2.15.1 venv (Keras 2 as tf.keras) ------------------------------------------
# The interop tests also run the Keras 2 both-direction tests against TF 2.15.1, whose tf.keras
# is Keras 2 (tensorflow-cpu 2.15.1 has wheels for Python <= 3.11). Skipped quickly when the
# venv already has it; TFCKPT_NO_TF215=1 skips it altogether.
VENV215="$ROOT/.venv-tf215"
if [ "${TFCKPT_NO_TF215:-0}" != 1 ]; then
  tf215_ok() {
    "$VENV215/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('tensorflow-cpu') != '2.15.1')" \
      >/dev/null 2>&1
  }
  if tf215_ok; then
    log "venv-tf215: tensorflow-cpu 2.15.1 present"
  elif ! "$BASE_PY" -c 'import sys; sys.exit(sys.version_info[:2] > (3, 11))'; then
    log "venv-tf215: $BASE_PY is newer than 3.11, which tensorflow-cpu 2.15.1 needs; set TFCKPT_BASE_PYTHON"
  else
    [ -x "$VENV215/bin/python" ] || "$BASE_PY" -m venv --clear "$VENV215"
    log "venv-tf215: pip installing tensorflow-cpu==2.15.1"
    "$VENV215/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
      tensorflow-cpu==2.15.1
  fi
fi

# ---- a public project's checkpoint (tests/interop/public_checkpoint.py) ---------------
# basic-pitch (PyPI) ships its Keras model as a SavedModel, whose variables/ bundle is a TF2
# checkpoint nobody here wrote. Only the wheel is fetched (pinned by hash, no dependencies, never
# installed); the SavedModel is extracted into .venv/public/basic_pitch_nmp.
PUBLIC="$VENV/public/basic_pitch_nmp"
if [ -f "$PUBLIC/variables/variables.index" ]; then
  log "public: basic-pitch SavedModel present"
else
  log "public: fetching the basic-pitch 0.4.0 wheel (its SavedModel is a test's checkpoint)"
  tmp="$(mktemp -d)"
  echo "basic-pitch==0.4.0 --hash=sha256:738adb503aae7fdfc7d1e1511aa0ce35052315f260a19531ef4c356708425db0" \
    > "$tmp/requirements.txt"
  "$VENV/bin/python" -m pip download --disable-pip-version-check --no-input --progress-bar off \
    --no-deps --require-hashes -r "$tmp/requirements.txt" -d "$tmp"
  rm -rf "$PUBLIC.tmp"
  "$VENV/bin/python" - "$tmp" "$PUBLIC.tmp" <<'PY'
import glob, os, sys, zipfile
(whl,) = glob.glob(os.path.join(sys.argv[1], "basic_pitch-0.4.0-*.whl"))
inner = "basic_pitch/saved_models/icassp_2022/nmp/"
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.startswith(inner) and not name.endswith("/"):
            dst = os.path.join(sys.argv[2], name[len(inner):])
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with z.open(name) as s, open(dst, "wb") as d:
                d.write(s.read())
PY
  mv "$PUBLIC.tmp" "$PUBLIC"
  rm -rf "$tmp"
fi
