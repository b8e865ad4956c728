"""The text cleaning under each ``python_unicode`` option against that
Python itself. Every pythonX.Y found (on PATH or under pyenv, as
scripts/gen_unicode_tables.py finds them) prints, for every code point, its
``re`` \\w and \\s, str.isspace() and what str.strip() strips; `mimicit
sample --python-unicode X.Y` must then delete, keep, collapse and strip each
code point as those classes say. A version whose interpreter is missing
skips. Also: the generator's --check (the tables are those Pythons' own),
and the option's default and names in the CLI and Python.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "gen_unicode_tables.py"
VERSIONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
KEPT_PUNCTUATION = set(".,?!()\"'")  # kept by the symbol deletion besides \w and \s
CODE_POINTS = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]  # what UTF-8 can carry


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_unicode_tables", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Run under the interpreter being asked: its classes as sorted code point
# lists, with the Unicode version it ships.
DUMP = r"""
import json, re, sys, unicodedata
word, space = re.compile(r"\w"), re.compile(r"\s")
chars = [chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
json.dump({
    "unicode": unicodedata.unidata_version,
    "word": [ord(c) for c in chars if word.match(c)],
    "space": [ord(c) for c in chars if space.match(c)],
    "alnum_": [ord(c) for c in chars if c.isalnum() or c == "_"],
    "isspace": [ord(c) for c in chars if c.isspace()],
    "strip": [ord(c) for c in chars if (c + "a" + c).strip() == "a"],
}, sys.stdout)
"""


@pytest.fixture(scope="module")
def python_classes():
    """version -> that interpreter's classes (sets), or a skip reason."""
    generator = load_generator()
    cache: dict[str, dict] = {}

    def get(version: str) -> dict:
        if version not in cache:
            path = generator.find_interpreter(version, {})
            if path is None:
                cache[version] = {"skip": f"python{version} not found (on PATH or under pyenv)"}
            else:
                out = subprocess.run([path, "-c", DUMP], capture_output=True, check=True, timeout=300).stdout
                classes = json.loads(out)
                cache[version] = {k: set(v) if isinstance(v, list) else v for k, v in classes.items()}
        if "skip" in cache[version]:
            pytest.skip(cache[version]["skip"])
        return cache[version]

    return get


def sample(mimicit_bin: Path, root: Path, records: dict[str, dict], *args: str) -> dict[str, tuple[str, str]]:
    """id -> (cleaned question, cleaned answer) as `mimicit sample` builds
    them in a TEXT_ONLY dataset, simple format."""
    write_data(root, records)
    result = subprocess.run([str(mimicit_bin), "sample", "data.yaml", *args], capture_output=True, cwd=root,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    out = {}
    for line in result.stdout.split(b"\n"):
        if line:
            s = json.loads(line)
            question, _, rest = s["full_text"].removeprefix("User:").partition(" GPT:<answer>")
            out[s["id"]] = (question, rest.removesuffix("<|endofchunk|>"))
    return out


# The cleaning of "x" c c "x" (no symbols kept) by c's class: c c stays,
# the run of two whitespace characters becomes one space, or c is deleted.
PIECES = {"kept": "x{c}{c}x", "space": "x x", "deleted": "xx"}


def expected_class(cp: int, py: dict) -> str:
    if cp in py["space"]:
        return "space"
    return "kept" if cp in py["word"] or chr(cp) in KEPT_PUNCTUATION else "deleted"


def differences(text: str, code_points: list[int], py: dict) -> list[str]:
    """Reads the class of each c back from `text` (the cleaning of the
    pieces of `code_points`) and names the code points Python classes
    otherwise."""
    import unicodedata  # names of this interpreter, for the message only

    out = []
    i = 0
    for cp in code_points:
        cls = next((cls for cls, piece in PIECES.items() if text.startswith(piece.format(c=chr(cp)), i)), None)
        if cls is None:
            return out + [f"U+{cp:04X}: unexpected cleaning {text[i:i + 12]!r}"]
        i += len(PIECES[cls].format(c=chr(cp)))
        if cls != expected_class(cp, py):
            out.append(f"U+{cp:04X} {unicodedata.name(chr(cp), '?')}: mimicit {cls}, python {expected_class(cp, py)}")
    return out if i == len(text) else out + [f"unexpected end {text[i:i + 12]!r}"]


@pytest.mark.parametrize("version", VERSIONS)
def test_cleaning_follows_that_pythons_classes(mimicit_bin, tmp_path, python_classes, version):
    py = python_classes(version)
    # The identities the C++ code relies on, in this interpreter.
    assert py["word"] == py["alnum_"]
    assert py["space"] == py["isspace"] == py["strip"]
    chunk = 8192
    blocks = {f"CP_{i:07d}": CODE_POINTS[i:i + chunk] for i in range(0, len(CODE_POINTS), chunk)}
    records = {}
    expected = {}
    for key, block in blocks.items():
        text = "".join(f"x{chr(cp)}{chr(cp)}x" for cp in block)
        records[key] = {"instruction": text, "answer": text}
        expected[key] = "".join(PIECES[expected_class(cp, py)].format(c=chr(cp)) for cp in block)
    cleaned = sample(mimicit_bin, tmp_path, records, "--python-unicode", version)
    for key, block in blocks.items():
        for text in cleaned[key]:  # pre_question, pre_answer
            if text != expected[key]:
                assert differences(text, block, py) == [], key
    # str.strip() at both ends of an answer (kept symbols: nothing else goes).
    strip_probe = sorted(py["isspace"]) + [0x200B, 0xFEFF, 0x180E, 0x0870, 0x3164, 0x2800, ord("x")]
    records = {f"STRIP_{cp:06X}": {"instruction": "q", "answer": f"{chr(cp)}y{chr(cp)}"} for cp in strip_probe}
    kept = sample(mimicit_bin, tmp_path, records, "--python-unicode", version, "--keep-symbols")
    stripped = {cp for cp in strip_probe if kept[f"STRIP_{cp:06X}"][1] == "y"}
    assert stripped == py["strip"] & set(strip_probe)


def test_versions_differ_as_unicode_did(python_classes):
    """The option matters: each Unicode version adds \\w characters."""
    words = [python_classes(v)["word"] for v in ("3.9", "3.11", "3.12", "3.13")]
    for older, newer in zip(words, words[1:]):
        assert older < newer


def test_generator_check():
    """scripts/gen_unicode_tables.py --check: the tables are what each
    Python found answers (a version without its interpreter is skipped and
    says so)."""
    result = subprocess.run([sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for version in ("3.9", "3.11", "3.12", "3.13"):
        assert any(line.startswith(f"{version}: ") and ("up to date" in line or "skipped: " in line)
                   for line in result.stdout.splitlines()), result.stdout


def write_data(root: Path, records: dict[str, dict]) -> Path:
    (root / "cp_instructions.json").write_text(json.dumps({"meta": {}, "data": records}, ensure_ascii=False),
                                               encoding="utf-8")
    (root / "data.yaml").write_text(json.dumps({"TEXT_ONLY": {"CP": {"mimicit_path": "cp_instructions.json"}}}))
    return root / "data.yaml"


def test_cli_default_and_names(mimicit_bin, tmp_path):
    """The default is the reference's 3.9: U+0870 (new in Unicode 14.0) is a
    symbol there, a letter from 3.11 on; "3.10" is 3.9; others are refused.
    validate's empty_text cleans with the same tables."""
    records = {"A": {"instruction": "a\u0870b", "answer": "c\u0870d"}}
    assert sample(mimicit_bin, tmp_path, records)["A"] == ("ab", "cd")
    assert sample(mimicit_bin, tmp_path, records, "--python-unicode", "3.10")["A"] == ("ab", "cd")
    assert sample(mimicit_bin, tmp_path, records, "--python-unicode", "3.11")["A"] == ("a\u0870b", "c\u0870d")
    result = subprocess.run([str(mimicit_bin), "sample", "data.yaml", "--python-unicode", "3.8"], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "--python-unicode" in result.stderr and "3.8" in result.stderr
    help_text = subprocess.run([str(mimicit_bin), "sample", "--help"], capture_output=True, text=True,
                               check=True).stdout
    assert "--python-unicode" in help_text and "3.9" in help_text
    write_data(tmp_path, {"B": {"instruction": "\u0870", "answer": "ok"}})
    for args, expected in (((), 1), (("--python-unicode", "3.9"), 1), (("--python-unicode", "3.11"), 0)):
        result = subprocess.run([str(mimicit_bin), "validate", "data.yaml", "--json", *args], cwd=tmp_path,
                                capture_output=True, text=True, check=False)
        assert json.loads(result.stdout)["summary"]["counts"]["empty_text"] == expected, args


def test_python_option(tmp_path):
    mimicit = pytest.importorskip("mimicit")
    write_data(tmp_path, {"A": {"instruction": "a\u0870b", "answer": "c\u0870d"}})
    texts = {}
    for option in (None, "3.9", "3.10", "3.11", "3.13"):
        kwargs = {} if option is None else {"python_unicode": option}
        texts[option] = mimicit.Dataset(tmp_path / "data.yaml", "TEXT_ONLY", base_dir=tmp_path, **kwargs)[0]["full_text"]
        loader = mimicit.Loader(tmp_path / "data.yaml", 1, base_dir=tmp_path, return_tensors="numpy", rank=0,
                                world_size=1, **kwargs)
        assert next(iter(loader))["full_text"] == [texts[option]]
    assert texts[None] == texts["3.9"] == texts["3.10"] == "User:ab GPT:<answer>cd<|endofchunk|>"
    assert texts["3.11"] == texts["3.13"] == "User:a\u0870b GPT:<answer>c\u0870d<|endofchunk|>"
    with pytest.raises(ValueError, match=r"unknown Python Unicode version '3\.8' \(expected 3\.9, 3\.10"):
        mimicit.Dataset(tmp_path / "data.yaml", "TEXT_ONLY", base_dir=tmp_path, python_unicode="3.8")
    write_data(tmp_path, {"B": {"instruction": "\u0870", "answer": "ok"}})
    for option, expected in (("3.9", 1), ("3.10", 1), ("3.11", 0)):
        report = mimicit.validate(tmp_path / "data.yaml", base_dir=tmp_path, python_unicode=option)
        assert report["summary"]["counts"]["empty_text"] == expected, option
    assert mimicit.validate(tmp_path / "data.yaml", base_dir=tmp_path)["summary"]["counts"]["empty_text"] == 1
