#!/usr/bin/env python3
"""Compiles every ```cpp block of README.md and docs/*.md (README snippets compiled as tests).

usage: check_snippets.py CXX [FILE.md ...]      (default files: README.md docs/*.md)

A block is compiled with -std=c++20 -Wall -Wextra -Wpedantic -Werror -Iinclude. An HTML comment
on the line right before the opening fence says how (default: `full`):

  <!-- snippet: full -->         a whole translation unit; with a main() it is linked and run
                                 (in a scratch directory, must exit 0), else -fsyntax-only
  <!-- snippet: decls -->        namespace-scope declarations: <tfckpt/tfckpt.hpp> and the usual
                                 standard headers are included first
  <!-- snippet: fragment -->     statements: as `decls`, then wrapped in a function body
  <!-- snippet: fails "TEXT" --> a whole translation unit that must NOT compile, with TEXT in
                                 the compiler's output (documents a static_assert)
  <!-- snippet: skip -->         not compiled (use sparingly)

Options after the mode: `name=N` names a block; `uses=N[,M]` prepends the named blocks (in that
order, from the same file) to this one, e.g. a fragment using structs declared in an earlier block;
`run` builds and runs a `fragment` (called from a generated main(), must not crash) instead of
only compiling it. `decls` and `fragment` blocks share a precompiled header of the prelude.
Prints one line per block and `N passed, M failed` last; exit status 1 if any failed.
Environment: JOBS (parallel compiles, default 2), KEEP=1 keeps the scratch directory.
"""
import concurrent.futures
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FLAGS = ["-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I" + os.path.join(ROOT, "include")]
PRELUDE = """#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <boost/describe.hpp>
#include <tfckpt/tfckpt.hpp>
"""
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
MARK = re.compile(r"^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$")


class Block:
    def __init__(self, path, line, code, spec):
        self.path, self.line, self.code = path, line, code
        self.mode, self.name, self.uses, self.expect, self.run = "full", None, [], None, False
        words = shlex.split(spec) if spec else []
        if words:
            self.mode = words.pop(0)
        if self.mode not in ("full", "decls", "fragment", "fails", "skip"):
            raise SystemExit(f"{path}:{line}: unknown snippet mode '{self.mode}'")
        if self.mode == "fails":
            if not words:
                raise SystemExit(f'{path}:{line}: `fails` needs the expected text: fails "..."')
            self.expect = words.pop(0)
        for w in words:
            if w.startswith("name="):
                self.name = w[5:]
            elif w.startswith("uses="):
                self.uses = [u for u in w[5:].split(",") if u]
            elif w == "run" and self.mode == "fragment":
                self.run = True
            else:
                raise SystemExit(f"{path}:{line}: unknown snippet option '{w}'")

    @property
    def label(self):
        return f"{os.path.relpath(self.path, ROOT)}:{self.line}"


def extract(path):
    blocks, lines = [], open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m.group(2):
            i += 1
            continue
        lang, start, indent = m.group(2), i, m.group(1)
        j = i + 1
        while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
            j += 1
        if lang in ("cpp", "c++"):
            k = start - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            spec = MARK.match(lines[k]).group(1) if k >= 0 and MARK.match(lines[k]) else ""
            code = "\n".join(l[len(indent):] if l.startswith(indent) else l for l in lines[start + 1:j])
            blocks.append(Block(path, start + 1, code + "\n", spec))
        i = j + 1
    return blocks


def source_of(block, by_name):
    parts = []
    for u in block.uses:
        if u not in by_name:
            raise SystemExit(f"{block.label}: uses={u}: no earlier block named {u} in this file")
        parts.append(source_of(by_name[u], by_name) if by_name[u].uses else body_of(by_name[u]))
    parts.append(body_of(block))
    text = "\n".join(parts)
    if block.run:
        text += f"\nint main() {{ tfckpt_snippet_line_{block.line}(); }}\n"
    return text


def needs_prelude(block, by_name):
    return block.mode in ("decls", "fragment") or any(by_name[u].mode in ("decls", "fragment") for u in block.uses)


def body_of(block):
    if block.mode == "fragment":
        return f"[[maybe_unused]] void tfckpt_snippet_line_{block.line}() {{\n{block.code}}}\n"
    return block.code


def make_prelude(cxx, scratch):
    """Writes the prelude header and tries to precompile it next to itself (g++ .gch, clang .pch:
    both compilers pick it up for -include). Without a PCH the header is simply parsed each time."""
    header = os.path.join(scratch, "prelude.hpp")
    for name in (header, os.path.join(scratch, "prelude_plain.hpp")):  # the plain one never gets a PCH
        with open(name, "w", encoding="utf-8") as f:
            f.write(PRELUDE)
    is_clang = "clang" in subprocess.run([cxx, "--version"], capture_output=True, text=True).stdout.lower()
    pch = header + (".pch" if is_clang else ".gch")
    p = subprocess.run([cxx, *FLAGS, "-x", "c++-header", header, "-o", pch], capture_output=True, text=True)
    if p.returncode != 0 and os.path.exists(pch):
        os.remove(pch)
    return header


def check(cxx, block, by_name, scratch, prelude):
    status, detail = check_once(cxx, block, by_name, scratch, prelude)
    if status == "fail" and prelude and needs_prelude(block, by_name):
        # A header edited while the run was going makes clang refuse the PCH (and could make
        # g++ use a stale one): never report a failure that only the PCH saw.
        status, detail = check_once(cxx, block, by_name, scratch, os.path.join(scratch, "prelude_plain.hpp"))
    return status, detail


def check_once(cxx, block, by_name, scratch, prelude):
    if block.mode == "skip":
        return "skip", ""
    src_text = source_of(block, by_name)
    flags = FLAGS + (["-include", prelude] if needs_prelude(block, by_name) else [])
    base = os.path.join(scratch, re.sub(r"[^A-Za-z0-9]+", "_", block.label))
    os.makedirs(base, exist_ok=True)
    src = os.path.join(base, "snippet.cpp")
    with open(src, "w", encoding="utf-8") as f:
        f.write(f'#line {block.line + 1} "{os.path.relpath(block.path, ROOT)}"\n' if block.mode in ("full", "fails") and not block.uses else "")
        f.write(src_text)
    has_main = re.search(r"\bint\s+main\s*\(", src_text) is not None
    if block.mode == "fails":
        p = subprocess.run([cxx, *flags, "-fsyntax-only", src], capture_output=True, text=True)
        out = p.stdout + p.stderr
        if p.returncode == 0:
            return "fail", "compiled, but the docs say it must not"
        if block.expect not in out:
            return "fail", f"did not fail with '{block.expect}':\n" + out[-3000:]
        return "pass", "fails as documented"
    if (has_main and block.mode == "full") or block.run:
        exe = os.path.join(base, "snippet")
        p = subprocess.run([cxx, *flags, src, "-o", exe], capture_output=True, text=True)
        if p.returncode != 0:
            return "fail", (p.stdout + p.stderr)[-4000:]
        run_dir = os.path.join(base, "run")
        os.makedirs(run_dir, exist_ok=True)
        try:
            r = subprocess.run([exe], cwd=run_dir, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return "fail", "timed out"
        if r.returncode != 0:
            return "fail", f"ran with exit status {r.returncode}:\n{(r.stdout + r.stderr)[-2000:]}"
        first = (r.stdout.strip().splitlines() or [""])[0][:100]
        return "pass", "built and ran" + (f": {first}" if first else "")
    p = subprocess.run([cxx, *flags, "-fsyntax-only", src], capture_output=True, text=True)
    if p.returncode != 0:
        return "fail", (p.stdout + p.stderr)[-4000:]
    return "pass", "compiles"


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    cxx = sys.argv[1]
    files = sys.argv[2:] or [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    jobs = []
    for path in files:
        by_name = {}
        for b in extract(path):
            jobs.append((b, dict(by_name)))
            if b.name:
                by_name[b.name] = b
    scratch = tempfile.mkdtemp(prefix="tfckpt_snippets_")
    passed = failed = skipped = 0
    try:
        prelude = make_prelude(cxx, scratch) if any(needs_prelude(b, n) for b, n in jobs) else None
        with concurrent.futures.ThreadPoolExecutor(max_workers=int(os.environ.get("JOBS", "2"))) as ex:
            futures = [ex.submit(check, cxx, b, names, scratch, prelude) for b, names in jobs]
            for (b, _), fut in zip(jobs, futures):
                status, detail = fut.result()
                if status == "skip":
                    skipped += 1
                    print(f"SKIP {b.label}")
                elif status == "pass":
                    passed += 1
                    print(f"PASS {b.label} ({b.mode}{' run' if b.run else ''}: {detail})")
                else:
                    failed += 1
                    print(f"FAIL {b.label} ({b.mode}):\n{detail}")
    finally:
        if os.environ.get("KEEP") == "1":
            print("scratch directory kept:", scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"{passed} passed, {failed} failed" + (f" ({skipped} skipped)" if skipped else ""))
    if passed == 0:
        print("FAIL: no snippet was checked")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
