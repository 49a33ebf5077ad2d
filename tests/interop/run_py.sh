#!/usr/bin/env bash
# Runs a Python interop script with the project's venv, after checking that TensorFlow is
# importable there. Used by the ctest tests labelled `interop`.
#   run_py.sh --check                 only the TensorFlow check
#   run_py.sh <script.py> [args...]   check, then exec the script
# Without TensorFlow: exit 77 (ctest SKIP_RETURN_CODE) with a loud message, or, when the
# CI environment variable is set, exit 1 -- CI must never skip interop silently.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${TFCKPT_PYTHON:-$HERE/../../.venv/bin/python}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

is_ci() { case "${CI:-}" in "" | 0 | false | False | FALSE | no) return 1 ;; *) return 0 ;; esac; }

if ! err="$("$PY" -c 'import tensorflow' 2>&1)"; then
  {
    echo "######################################################################"
    echo "# interop: TensorFlow is not importable with $PY"
    echo "#   $(printf '%s' "$err" | tail -n 1)"
    echo "#   Fix: bash scripts/install-deps.sh  (creates .venv with tensorflow-cpu)"
  } >&2
  if is_ci; then
    echo "# CI is set: FAILING instead of skipping." >&2
    echo "######################################################################" >&2
    exit 1
  fi
  echo "# SKIPPED (exit 77)." >&2
  echo "######################################################################" >&2
  exit 77
fi

if [ "${1:-}" = "--check" ]; then exit 0; fi
[ "$#" -ge 1 ] || { echo "usage: run_py.sh --check | <script.py> [args...]" >&2; exit 2; }
exec "$PY" "$@"
