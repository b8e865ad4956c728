#!/usr/bin/env python3
"""Writes src/dataset/unicode_tables.inc: the code point classes of Python's
`re` \\w and \\s on str patterns, which the text cleaning of
src/dataset/prompt.cc must match exactly, once per Unicode database the
PythonUnicode option offers (include/mimicit/prompt.h).

    python3 scripts/gen_unicode_tables.py            # rewrite the file
    python3 scripts/gen_unicode_tables.py --check    # exit 1 if it differs
    python3 scripts/gen_unicode_tables.py --python 3.12=/opt/py/bin/python3

Each version's classes come from that Python itself: the script runs itself
with --dump under python3.9, python3.10, python3.11, ... (found on PATH or
under pyenv's versions/; --python names one elsewhere), and merges their
answers into one table of runs shared by the versions (4 bytes a run; the
databases differ in a few dozen runs). 3.9 and 3.10 ship the same database
(Unicode 13.0.0): either gives the option "3.9", and when both are found
they must answer alike. Writing needs one interpreter of each version;
--check compares each version whose interpreter it finds with the file and
skips, saying so, the others.

Under each interpreter the dump also checks the identities the C++ code
relies on: \\w == str.isalnum() or "_", \\s == str.isspace(), which is also
what str.strip() without arguments strips.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "dataset" / "unicode_tables.inc"
MAX_CODE_POINT = 0x10FFFF
CLASSES = ("word", "space")
TABLE_NAMES = {"word": "kWordRuns", "space": "kSpaceRuns"}

# The PythonUnicode values in enum order (bit i of a run is value i), each
# with the interpreters that give its tables: the first is the one named in
# the file, the others must agree with it.
TARGETS = (("3.9", ("3.9", "3.10")), ("3.11", ("3.11",)), ("3.12", ("3.12",)), ("3.13", ("3.13",)))

Ranges = list  # of (first, last) inclusive code point ranges, sorted


# --- under each interpreter ----------------------------------------------------

def ranges(predicate) -> Ranges:
    out = []
    start = None
    for cp in range(MAX_CODE_POINT + 2):
        inside = cp <= MAX_CODE_POINT and predicate(cp)
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            out.append((start, cp - 1))
            start = None
    return out


def dump() -> dict:
    """This Python's \\w and \\s classes, after checking the identities."""
    import unicodedata

    word = re.compile(r"\w")
    space = re.compile(r"\s")
    for cp in range(MAX_CODE_POINT + 1):
        ch = chr(cp)
        if (word.match(ch) is not None) != (ch.isalnum() or ch == "_"):
            sys.exit(f"U+{cp:04X}: re \\w disagrees with isalnum() or '_'")
        if (space.match(ch) is not None) != ch.isspace():
            sys.exit(f"U+{cp:04X}: re \\s disagrees with isspace()")
        if (ch + "a" + ch).strip() != ("a" if ch.isspace() else ch + "a" + ch):
            sys.exit(f"U+{cp:04X}: str.strip() disagrees with isspace()")
    return {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "unicode": unicodedata.unidata_version,
        "word": ranges(lambda cp: word.match(chr(cp)) is not None),
        "space": ranges(lambda cp: space.match(chr(cp)) is not None),
    }


# --- finding and running the interpreters --------------------------------------------

def find_interpreter(version: str, given: dict[str, str]) -> str | None:
    """An interpreter that reports itself as `version` (pyenv's shims answer
    only for the versions pyenv selects, so its versions/ folder is tried
    too)."""
    if version in given:
        candidates = [given[version]]
    else:
        pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
        candidates = [f"python{version}"] + sorted(str(p) for p in pyenv.glob(f"{version}.*/bin/python{version}"))
    for candidate in candidates:
        path = shutil.which(candidate)
        if path is None:
            continue
        try:
            result = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                    capture_output=True, text=True, timeout=60, check=False)
        except OSError:
            continue
        if result.returncode == 0 and result.stdout.strip() == version:
            return path
    if version in given:
        sys.exit(f"--python {version}={given[version]}: not a Python {version}")
    return None


def dump_all(interpreters: dict[str, str]) -> dict[str, dict]:
    """Runs --dump under each interpreter (side by side), by version."""
    running = {version: subprocess.Popen([path, str(Path(__file__).resolve()), "--dump"], stdout=subprocess.PIPE)
               for version, path in interpreters.items()}
    dumps = {}
    for version, process in running.items():
        out, _ = process.communicate()
        if process.returncode != 0:
            sys.exit(f"{interpreters[version]} --dump failed (exit {process.returncode})")
        dumps[version] = json.loads(out)
    return dumps


def target_dumps(given: dict[str, str]) -> tuple[dict[str, dict], dict[str, str]]:
    """The dump of each target one of whose interpreters is found (when
    several are, they must agree), and why each other target is missing."""
    interpreters = {}
    for _, versions in TARGETS:
        for version in versions:
            path = find_interpreter(version, given)
            if path is not None:
                interpreters[version] = path
    dumps = dump_all(interpreters)
    out = {}
    missing = {}
    for target, versions in TARGETS:
        found = [v for v in versions if v in dumps]
        if not found:
            missing[target] = (f"no {' or '.join('python' + v for v in versions)} found (on PATH or under pyenv; "
                               f"give --python {versions[0]}=PATH)")
            continue
        first = dumps[found[0]]
        for other in found[1:]:
            if any(dumps[other][k] != first[k] for k in ("unicode",) + CLASSES):
                sys.exit(f"python{other} (Unicode {dumps[other]['unicode']}) disagrees with python{found[0]} "
                         f"(Unicode {first['unicode']}): {target} can no longer stand for both")
        out[target] = dict(first, found=found)
    return out, missing


# --- the file -----------------------------------------------------------------------

def merged_runs(classes: list[Ranges]) -> list[tuple[int, int]]:
    """One run list for several versions of a class: (first, versions) where
    code points from `first` to the next run's first - 1 belong to the class
    in the versions whose bit is set. Consecutive runs differ."""
    starts = sorted({0} | {a for table in classes for a, _ in table} |
                    {b + 1 for table in classes for _, b in table if b < MAX_CODE_POINT})
    firsts = [[a for a, _ in table] for table in classes]

    def contains(i: int, cp: int) -> bool:
        k = bisect.bisect_right(firsts[i], cp) - 1
        return k >= 0 and cp <= classes[i][k][1]

    runs: list[tuple[int, int]] = []
    for start in starts:
        mask = sum(1 << i for i in range(len(classes)) if contains(i, start))
        if not runs or runs[-1][1] != mask:
            runs.append((start, mask))
    return runs


def render(dumps: dict[str, dict]) -> str:
    width = len(TARGETS)
    lines = [
        "// Generated by scripts/gen_unicode_tables.py. Do not edit.",
        "// Python re's \\w (str.isalnum() or '_') and \\s (str.isspace(), what",
        "// str.strip() strips) on str patterns, for each PythonUnicode value i,",
        "// as the Python of that version answers:",
    ]
    for i, (target, versions) in enumerate(TARGETS):
        lines.append(f"//   bit {i}: Python {', '.join(versions)} (Unicode {dumps[target]['unicode']})")
    lines += [
        "// A run {first, versions}: the code points from first to the next run's",
        "// first - 1 are in the class for the versions whose bit is set (bit 0 is",
        "// the rightmost digit).",
        "inline constexpr const char* kUnicodeVersions[] = {"
        + ", ".join(f'"{dumps[t]["unicode"]}"' for t, _ in TARGETS) + "};",
    ]
    for name in CLASSES:
        lines.append(f"inline constexpr ClassRun {TABLE_NAMES[name]}[] = {{")
        for first, mask in merged_runs([dumps[t][name] for t, _ in TARGETS]):
            lines.append(f"    {{0x{first:04X}, 0b{mask:0{width}b}}},")
        lines.append("};")
    return "\n".join(lines) + "\n"


def parse(text: str) -> dict[str, dict]:
    """The classes and Unicode versions the file holds, by target."""
    versions = re.search(r"kUnicodeVersions\[\] = \{(.*)\};", text)
    if versions is None:
        return {}
    unicode = re.findall(r'"([^"]*)"', versions.group(1))
    out = {target: {"unicode": unicode[i] if i < len(unicode) else None} for i, (target, _) in enumerate(TARGETS)}
    for name in CLASSES:
        body = re.search(TABLE_NAMES[name] + r"\[\] = \{\n(.*?)\n\};", text, re.S)
        runs = [(int(a, 16), int(m, 2)) for a, m in re.findall(r"\{0x([0-9A-F]+), 0b([01]+)\}", body.group(1))] \
            if body else []
        for i, (target, _) in enumerate(TARGETS):
            table = []
            for k, (first, mask) in enumerate(runs):
                if mask >> i & 1:
                    last = runs[k + 1][0] - 1 if k + 1 < len(runs) else MAX_CODE_POINT
                    if table and table[-1][1] + 1 == first:
                        table[-1] = (table[-1][0], last)
                    else:
                        table.append((first, last))
            out[target][name] = table
    return out


def check(given: dict[str, str]) -> int:
    dumps, missing = target_dumps(given)
    text = OUT.read_text() if OUT.is_file() else ""
    held = parse(text)
    same = True
    for target, _ in TARGETS:
        if target in missing:
            print(f"{target}: skipped: {missing[target]}")
            continue
        d = dumps[target]
        ours = held.get(target, {})
        ok = ours.get("unicode") == d["unicode"] and all(
            [tuple(r) for r in d[name]] == ours.get(name) for name in CLASSES)
        same &= ok
        print(f"{target}: python{d['found'][0]} {d['python']} (Unicode {d['unicode']}): "
              f"{'up to date' if ok else 'differs'}")
    if not missing and same and render(dumps) != text:
        print(f"{OUT}: the classes agree but the text differs (regenerate it)")
        same = False
    return 0 if same else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--python", action="append", default=[], metavar="VERSION=PATH",
                        help="the interpreter of a version (default: pythonVERSION on PATH, then pyenv's)")
    parser.add_argument("--dump", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump:
        json.dump(dump(), sys.stdout)
        return 0
    given = {}
    for item in args.python:
        version, sep, path = item.partition("=")
        if not sep or version not in {v for _, vs in TARGETS for v in vs}:
            parser.error(f"--python {item}: expected VERSION=PATH, VERSION one of 3.9, 3.10, 3.11, 3.12, 3.13")
        given[version] = path
    if args.check:
        return check(given)
    dumps, missing = target_dumps(given)
    if missing:
        for target, why in missing.items():
            print(f"{target}: {why}", file=sys.stderr)
        print(f"{OUT} not written: every version's interpreter is needed", file=sys.stderr)
        return 1
    OUT.write_text(render(dumps))
    for target, _ in TARGETS:
        d = dumps[target]
        print(f"{target}: python{', python'.join(d['found'])} (Unicode {d['unicode']})")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
