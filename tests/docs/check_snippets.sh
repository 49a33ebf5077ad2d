#!/usr/bin/env bash
# Compiles (and, when they have a main(), runs) every ```cpp block of README.md and docs/*.md.
# usage: tests/docs/check_snippets.sh CXX [FILE.md ...]   -- see check_snippets.py for the markers
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/check_snippets.py" "$@"
