"""`mimicit sample` against the pure-Python reference (dataset_reference.py):
resampling with Python's own `random`, text cleaning with `re`, the four
instruction formats, in-context turns, task descriptions and video frames
with numpy, on generated datasets (fixed seeds) that cover up- and
down-sampling on both of random.sample's paths, train configs, rel_ins_ids,
ids repeated within a file and across datasets, text-only and video records,
Unicode text of many scripts, every code point, symbols, emoji, CR LF and
runs of (non-ASCII) whitespace. Also the data YAML's error messages.
mimicit runs with the Unicode tables of the Python running these tests
(--python-unicode, dataset_reference.PYTHON_UNICODE); each other version
is compared with its own interpreter in test_unicode_versions.py.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import orjson
import pytest

import dataset_reference as ref

SEED = 20240917

WORDS = ["photo", "of", "a", "gigantic", "hand", "What", "is", "the", "prompt", "for", "this", "picture",
         "don't", "it's", "A", "CAT", "x2", "snake_case", "e.g.", "Mr.", "3.14", "1,000", "(yes)", '"quoted"']
SCRIPTS = ["héllo", "naïve", "Ελληνικά", "Русский", "العربية", "עברית", "हिन्दी", "ไทย", "日本語", "中文字符",
           "한국어", "ᚠᛇᚻ", "ሰላም", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𐍈𐌰", "Ǆemal", "ﬁne", "Straße", "İstanbul", "ǅ"]
DIGITS = ["٣٤", "९८", "１２", "²³", "Ⅻ", "½", "௰", "〇", "𝟘𝟙", "¹", "൦", "፩", "𑁒"]
SYMBOLS = list("#$%&*+-/:;<=>@[\\]^`{|}~") + list("©®™°±×÷€£¥§¶•…–—‘’“”«»¿¡·")
PUNCT = list(".,?!()\"'")
EMOJI = ["🦜", "👍🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "🙂", "🦦"]
COMBINING = ["e\u0301", "a\u0308", "\u0915\u094d\u0937", "n\u0303", "\u20dd"]
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0",
          "\u1680", "\u2000", "\u2003", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", " \n ",
          "\n\n", "   \t\n", "\r\n\r\n", " \xa0 "]
NOT_SPACES = ["\u200b", "\ufeff", "\u180e", "\x00", "\x01", "\x7f", "\x08"]


def random_code_point(rng: random.Random) -> str:
    while True:
        cp = rng.randrange(0x110000)
        if not 0xD800 <= cp <= 0xDFFF:
            return chr(cp)


def make_text(rng: random.Random, tokens: int | None = None) -> str:
    """Words of many kinds joined by (mostly) single spaces, with whitespace
    and symbols at the ends now and then."""
    kinds = [WORDS] * 6 + [SCRIPTS] * 3 + [DIGITS, SYMBOLS, PUNCT, EMOJI, COMBINING, SPACES, NOT_SPACES]
    parts = []
    for _ in range(tokens if tokens is not None else rng.randrange(0, 14)):
        roll = rng.random()
        if roll < 0.04:
            parts.append(random_code_point(rng))
        else:
            parts.append(rng.choice(rng.choice(kinds)))
        parts.append(" " if rng.random() < 0.8 else rng.choice(SPACES + [""]))
    text = "".join(parts)
    if rng.random() < 0.3:
        text = rng.choice(SPACES + ["  ", "\n\n", " \n"]) + text
    if rng.random() < 0.3:
        text = text + rng.choice(SPACES + ["  ", "\n\n", " \n", "\n \n"])
    return text


# --- JSON writing with every kind of escape ------------------------------------

SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def encode_string(text: str, rng: random.Random, escape_rate: float) -> str:
    out = ['"']
    for ch in text:
        cp = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif cp < 0x20:
            if ch in SHORT_ESCAPES and rng.random() < 0.5:
                out.append(SHORT_ESCAPES[ch])
            else:
                out.append(f"\\u{cp:04x}" if rng.random() < 0.5 else f"\\u{cp:04X}")
        elif escape_rate and rng.random() < escape_rate:
            if ch == "/":
                out.append("\\/")
            elif cp > 0xFFFF:
                v = cp - 0x10000
                out.append(f"\\u{0xD800 + (v >> 10):04x}\\u{0xDC00 + (v & 0x3FF):04X}")
            else:
                out.append(f"\\u{cp:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def encode_value(value, rng: random.Random, escape_rate: float) -> str:
    if isinstance(value, str):
        return encode_string(value, rng, escape_rate)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{encode_string(k, rng, escape_rate)}: {encode_value(v, rng, escape_rate)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode_value(v, rng, escape_rate) for v in value) + "]"
    return json.dumps(value)


def write_json_object(path: Path, members: list[tuple[str, object]], rng: random.Random, *, top: dict | None = None,
                      escape_rate: float = 0.0) -> None:
    """Writes {key: value, ...} from a list of members (so ids may repeat);
    inside {"meta": ..., "data": <that>} when `top` is given."""
    sep = rng.choice([",", ",\n", ", ", ",\n    "])
    body = "{" + sep.join(f"{encode_string(k, rng, escape_rate)}:{rng.choice(['', ' '])}"
                          f"{encode_value(v, rng, escape_rate)}" for k, v in members) + "}"
    if top is not None:
        body = ('{"meta": ' + encode_value(top, rng, escape_rate) + ',\n "data": ' + body + "\n}\n")
    path.write_text(body, encoding="utf-8")
    loaded = orjson.loads(path.read_bytes())  # the file is what we meant
    data = loaded["data"] if top is not None else loaded
    assert data == dict(members)


# --- datasets ------------------------------------------------------------------

def make_records(rng: random.Random, prefix: str, n: int, kind: str, *, other_ids: list[str] = (),
                 frames: list[int] | None = None) -> list[tuple[str, dict]]:
    ids = [f"{prefix}_INS_{i:05d}" for i in range(n)]
    pool = ids + list(other_ids)
    records = []
    for i, record_id in enumerate(ids):
        record: dict = {"instruction": make_text(rng), "answer": make_text(rng)}
        if kind == "image":
            choice = rng.random()
            if choice < 0.08:
                pass  # no image_ids at all
            elif choice < 0.14:
                record["image_ids"] = None
            elif choice < 0.2:
                record["image_ids"] = []
            else:
                record["image_ids"] = [f"{prefix}_IMG_{i:05d}_{k}" for k in range(rng.randrange(1, 4))]
        elif kind == "video":
            count = frames[i % len(frames)]
            record["image_ids"] = [f"{prefix}_IMG_{i:05d}_F{k:04d}" for k in range(count)]
        elif rng.random() < 0.5:
            record["image_ids"] = rng.choice([None, []])
        roll = rng.random()
        if roll < 0.1:
            record["rel_ins_ids"] = None
        elif roll < 0.8:
            record["rel_ins_ids"] = rng.sample(pool, min(len(pool), rng.randrange(0, 4)))
        if rng.random() < 0.3:
            record["extra"] = {"source": make_text(rng, 3), "score": rng.random(), "tags": [1, True, None, "x"]}
        # Key order varies: the fields' order must not matter.
        items = list(record.items())
        rng.shuffle(items)
        records.append((record_id, dict(items)))
    return records


def make_train_config(rng: random.Random, ids: list[str], count: int, pool: list[str]) -> list[tuple[str, list]]:
    keys = rng.sample(ids, count)
    return [(key, rng.sample(pool, rng.randrange(0, 4))) for key in keys]


class Workspace:
    """Writes instruction files, train configs and a data YAML into a folder
    (paths in the YAML are relative to it: the CLI runs there)."""

    def __init__(self, root: Path, seed: int):
        self.root = root
        self.rng = random.Random(seed)
        self.groups: dict[str, dict] = {}

    def instructions(self, name: str, records: list[tuple[str, dict]], escape_rate: float = 0.0) -> str:
        path = self.root / f"{name}_instructions.json"
        write_json_object(path, records, self.rng, top={"version": "0.0.1", "author": name}, escape_rate=escape_rate)
        return path.name

    def train_config(self, name: str, entries: list[tuple[str, list]]) -> str:
        path = self.root / f"{name}_train.json"
        write_json_object(path, entries, self.rng)
        return path.name

    def add(self, group: str, name: str, **settings) -> None:
        self.groups.setdefault(group, {})[name] = settings

    def write_yaml(self, name: str = "data.yaml") -> Path:
        path = self.root / name
        path.write_text(json.dumps(self.groups, ensure_ascii=False, indent=2))  # JSON is YAML
        return path


def run_sample(run_cli, workspace: Path, yaml_path: Path, options: ref.Options, *extra) -> list[dict]:
    result = subprocess.run([str(run_cli.binary), "sample", str(yaml_path), *options.cli_args(), *map(str, extra)],
                            capture_output=True, cwd=workspace, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    # Split on b"\n" only: the text may hold U+2028 or U+0085, which
    # str.splitlines() would also split on.
    return [json.loads(line) for line in result.stdout.split(b"\n") if line]


@pytest.fixture(scope="module")
def cli(mimicit_bin):
    class Runner:
        binary = mimicit_bin
    return Runner


def assert_same(ours: list[dict], theirs: list[dict]) -> None:
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"sample {i} ({b['group']} {b['id']}) differs:\n ours:  {a!r}\n ref:   {b!r}"


# --- the main generated dataset --------------------------------------------------

@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("mixed")
    ws = Workspace(root, SEED)
    rng = ws.rng
    # IMAGE_TEXT: every branch of resample_data, both paths of random.sample.
    a = make_records(rng, "ITA", 50, "image")
    ws.add("IMAGE_TEXT", "IT_A", mimicit_path=ws.instructions("ita", a), images_path="ita_instructions.json",
           num_samples=-1, task_description=["Describe the image.", "Answer the question.", "Look closely."])
    b = make_records(rng, "ITB", 40, "image", other_ids=[k for k, _ in a])
    ws.add("IMAGE_TEXT", "IT_B", mimicit_path=ws.instructions("itb", b, escape_rate=0.3), num_samples=17,
           task_description="One single description")
    c = make_records(rng, "ITC", 300, "image")
    c_ids = [k for k, _ in c]
    ws.add("IMAGE_TEXT", "IT_C", mimicit_path=ws.instructions("itc", c), num_samples=20,
           train_config_path=ws.train_config("itc", make_train_config(rng, c_ids, 120, c_ids)),
           images_path=["ita_instructions.json", "itb_instructions.json"])
    d = make_records(rng, "ITD", 30, "image")
    ws.add("IMAGE_TEXT", "IT_D", mimicit_path=ws.instructions("itd", d), num_samples=4, task_description=[])
    e = make_records(rng, "ITE", 10, "image")
    ws.add("IMAGE_TEXT", "IT_E", mimicit_path=ws.instructions("ite", e, escape_rate=1.0), num_samples=3,
           task_description=["", "Non-empty"])
    f = make_records(rng, "ITF", 7, "image")
    ws.add("IMAGE_TEXT", "IT_F", mimicit_path=ws.instructions("itf", f), num_samples=23)
    g = make_records(rng, "ITG", 12, "image")
    # Ids repeated inside the file: the later record wins at the first place.
    g_repeated = g + [(g[3][0], {"instruction": "Replaced instruction", "answer": "Replaced answer",
                                 "image_ids": ["ITG_IMG_REPLACED"]})]
    ws.add("IMAGE_TEXT", "IT_G", mimicit_path=ws.instructions("itg", g_repeated), num_samples=12)
    h = make_records(rng, "ITH", 9, "image")
    ws.add("IMAGE_TEXT", "IT_H", mimicit_path=ws.instructions("ith", h), num_samples=0)
    # Records of IT_A again, different content: the group sees these.
    dup = [(key, {"instruction": f"Override {i} ⁂", "answer": f"Over {i}\r\nride", "image_ids": [f"DUP_{i}"],
                  "rel_ins_ids": [a[0][0]]}) for i, (key, _) in enumerate(a[5:25])]
    ws.add("IMAGE_TEXT", "IT_DUP", mimicit_path=ws.instructions("itdup", dup + make_records(rng, "IDP", 5, "image")),
           num_samples=6, task_description=["Dup description"])
    # The same file as another dataset of the group.
    ws.add("IMAGE_TEXT", "IT_E_AGAIN", mimicit_path="ite_instructions.json", num_samples=-1,
           task_description=["Again"])
    # TEXT_ONLY
    ta = make_records(rng, "TOA", 25, "text")
    ws.add("TEXT_ONLY", "TO_A", mimicit_path=ws.instructions("toa", ta), num_samples=60,
           task_description=["Chat."])
    tb = make_records(rng, "TOB", 80, "text")
    tb_ids = [k for k, _ in tb]
    ws.add("TEXT_ONLY", "TO_B", mimicit_path=ws.instructions("tob", tb), num_samples=30,
           train_config_path=ws.train_config("tob", make_train_config(rng, tb_ids, 50, tb_ids + [k for k, _ in ta])))
    # VIDEO_TEXT: frame counts around the default 32 and far from it.
    va = make_records(rng, "VTA", 30, "video", frames=[1, 2, 3, 5, 7, 31, 32, 33, 64, 100, 997, 1000])
    ws.add("VIDEO_TEXT", "VT_A", mimicit_path=ws.instructions("vta", va), images_path="vta_instructions.json")
    # IMAGE_TEXT_IN_CONTEXT: every turn carries the image.
    ia = make_records(rng, "ICA", 40, "image")
    ia_ids = [k for k, _ in ia]
    ws.add("IMAGE_TEXT_IN_CONTEXT", "IC_A", mimicit_path=ws.instructions("ica", ia),
           train_config_path=ws.train_config("ica", make_train_config(rng, ia_ids, 40, ia_ids)),
           task_description=["In context.", "Few shot."])
    ib = make_records(rng, "ICB", 20, "image", other_ids=ia_ids)
    ws.add("IMAGE_TEXT_IN_CONTEXT", "IC_B", mimicit_path=ws.instructions("icb", ib), num_samples=50)
    return root, ws.write_yaml()


OPTION_MATRIX = [
    ref.Options(instruction_format=fmt, keep_symbols=keep, populate_rel_ins=populate,
                with_task_description=(i % 2 == 0), seed=[42, 0, 7, 123456][i % 4], epoch=i % 3)
    for i, (fmt, keep, populate) in enumerate(
        (fmt, keep, populate) for fmt in ref.FORMATS for keep in (False, True) for populate in (False, True))
]


@pytest.mark.parametrize("options", OPTION_MATRIX,
                         ids=[f"{o.instruction_format}-keep{int(o.keep_symbols)}-rel{int(o.populate_rel_ins)}"
                              f"-desc{int(o.with_task_description)}" for o in OPTION_MATRIX])
def test_mixed_groups_match_reference(cli, mixed, options):
    root, yaml_path = mixed
    ours = run_sample(cli, root, yaml_path, options)
    theirs = ref.samples(yaml_path, options, base=root)
    assert_same(ours, theirs)


@pytest.mark.parametrize("frames", [1, 2, 7, 32, 33, 100])
def test_video_frames_match_numpy(cli, mixed, frames):
    root, yaml_path = mixed
    options = ref.Options(resample_frames=frames)
    ours = run_sample(cli, root, yaml_path, options, "--group", "VIDEO_TEXT")
    theirs = ref.samples(yaml_path, options, group_name="VIDEO_TEXT", base=root)
    assert_same(ours, theirs)
    assert all(len(s["image_ids"]) == frames for s in ours)


@pytest.mark.parametrize("seed,epoch", [(42, 0), (42, 1), (0, 0), (-5, 3), (2**40, 9), (123, -1)])
def test_task_description_choice(cli, mixed, seed, epoch):
    root, yaml_path = mixed
    options = ref.Options(with_task_description=True, seed=seed, epoch=epoch)
    ours = run_sample(cli, root, yaml_path, options)
    assert_same(ours, ref.samples(yaml_path, options, base=root))


def test_group_and_limit(cli, mixed):
    root, yaml_path = mixed
    options = ref.Options()
    ours = run_sample(cli, root, yaml_path, options, "--group", "TEXT_ONLY", "--limit", 7)
    assert_same(ours, ref.samples(yaml_path, options, group_name="TEXT_ONLY", limit=7, base=root))
    # --limit counts in all, across groups in YAML order (like head -n).
    everything = ref.samples(yaml_path, options, base=root)
    for limit in (3, len(everything) - 1, len(everything) + 5):
        ours = run_sample(cli, root, yaml_path, options, "--limit", limit)
        assert_same(ours, everything[:limit])


# --- resampling on many (n, N) -------------------------------------------------------

# n and N across random.sample's two paths (n <= setsize: Fisher-Yates on a
# copy; n > setsize: rejection against a set), k <= 5 and k > 5 (setsize 21
# vs 21 + 4**ceil(log(3k, 4))), exact multiples, and up-sampling remainders.
RESAMPLE_CASES = [(1, 5), (2, 1), (5, 3), (6, 5), (10, 9), (21, 5), (22, 5), (30, 6), (40, 6), (85, 17),
                  (86, 17), (100, 33), (341, 100), (342, 114), (1000, 999), (1000, 1), (5000, 100),
                  (5000, 2000), (3, 7), (7, 21), (10, 95), (13, 14), (1, 1), (64, 0), (64, -1), (64, 64)]


def test_resampling_matches_python_random(cli, tmp_path):
    ws = Workspace(tmp_path, SEED + 1)
    for index, (n, num_samples) in enumerate(RESAMPLE_CASES):
        records = [(f"R{index}_INS_{i:05d}", {"instruction": f"q{i}", "answer": f"a{i}"}) for i in range(n)]
        ws.add("TEXT_ONLY", f"R{index}", mimicit_path=ws.instructions(f"r{index}", records), num_samples=num_samples)
    yaml_path = ws.write_yaml()
    options = ref.Options()
    ours = run_sample(cli, tmp_path, yaml_path, options)
    theirs = ref.samples(yaml_path, options, base=tmp_path)
    assert [s["id"] for s in ours] == [s["id"] for s in theirs]
    assert_same(ours, theirs)


# --- text cleaning ---------------------------------------------------------------------

def test_every_code_point_is_cleaned_like_re(cli, tmp_path):
    """Each code point (surrogates aside) once, between letters, in questions
    and answers: the \\w and \\s tables of the running Python's version
    against that Python's."""
    code_points = [chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF]
    chunk = 4096
    records = []
    for i in range(0, len(code_points), chunk):
        text = "x".join(code_points[i:i + chunk])
        records.append((f"CP_INS_{i:07d}", {"instruction": text, "answer": " \t" + text[::-1] + "\u3000"}))
    ws = Workspace(tmp_path, SEED + 2)
    ws.add("TEXT_ONLY", "CP", mimicit_path=ws.instructions("cp", records))
    yaml_path = ws.write_yaml()
    for keep in (False, True):
        options = ref.Options(keep_symbols=keep)
        assert_same(run_sample(cli, tmp_path, yaml_path, options), ref.samples(yaml_path, options, base=tmp_path))


def test_whitespace_runs_and_strips(cli, tmp_path):
    """Dense mixes of whitespace, newlines, CR LF and letters: collapsing,
    strip(" "), strip("\\n") and strip() in their order."""
    rng = random.Random(SEED + 3)
    alphabet = SPACES + NOT_SPACES + ["a", "b", ".", "#", "é", "😀", "\n", "\r", "\r\n", " ", " "]
    records = []
    for i in range(600):
        question = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        answer = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        records.append((f"WS_INS_{i:05d}", {"instruction": question, "answer": answer}))
    ws = Workspace(tmp_path, SEED + 4)
    ws.add("TEXT_ONLY", "WS", mimicit_path=ws.instructions("ws", records, escape_rate=0.5))
    yaml_path = ws.write_yaml()
    for options in (ref.Options(), ref.Options(keep_symbols=True), ref.Options(instruction_format="llama2"),
                    ref.Options(instruction_format="idefics", keep_symbols=True)):
        assert_same(run_sample(cli, tmp_path, yaml_path, options), ref.samples(yaml_path, options, base=tmp_path))


# --- the data YAML's errors ------------------------------------------------------------

def yaml_error(cli, root: Path, text: str) -> str:
    path = root / "bad.yaml"
    path.write_text(text)
    result = subprocess.run([str(cli.binary), "sample", str(path)], capture_output=True, cwd=root, timeout=30,
                            check=False)
    assert result.returncode == 1, result
    assert result.stdout == b""
    return result.stderr.decode()


@pytest.fixture
def small(tmp_path) -> Path:
    ws = Workspace(tmp_path, SEED + 5)
    ws.instructions("ok", [("OK_INS_1", {"instruction": "q", "answer": "a", "image_ids": ["OK_IMG_1"]})])
    (tmp_path / "store.parquet").write_bytes(b"")
    return tmp_path


def test_yaml_unknown_group(cli, small):
    message = yaml_error(cli, small, "IMAGES:\n  D:\n    mimicit_path: ok_instructions.json\n")
    assert "bad.yaml" in message and "unknown group 'IMAGES'" in message
    for allowed in ref.GROUPS:
        assert allowed in message


def test_yaml_missing_mimicit_path(cli, small):
    message = yaml_error(cli, small, "IMAGE_TEXT:\n  LADD:\n    images_path: store.parquet\n")
    assert "group IMAGE_TEXT, dataset LADD" in message and "missing required key 'mimicit_path'" in message


@pytest.mark.parametrize("key,text", [
    ("mimicit_path", "IMAGE_TEXT:\n  LADD:\n    mimicit_path: nowhere/LADD_instructions.json\n"),
    ("images_path", "IMAGE_TEXT:\n  LADD:\n    mimicit_path: ok_instructions.json\n    images_path: gone.parquet\n"),
    ("images_path[1]", "VIDEO_TEXT:\n  V:\n    mimicit_path: ok_instructions.json\n"
                       "    images_path: [store.parquet, gone.parquet]\n"),
    ("train_config_path", "TEXT_ONLY:\n  T:\n    mimicit_path: ok_instructions.json\n"
                          "    train_config_path: gone_train.json\n"),
    ("extra_path", "TEXT_ONLY:\n  T:\n    mimicit_path: ok_instructions.json\n    extra_path: gone.bin\n"),
])
def test_yaml_missing_path(cli, small, key, text):
    message = yaml_error(cli, small, text)
    group, dataset = text.split(":")[0], text.split("\n")[1].strip().rstrip(":")
    path = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.strip().startswith(key.split("[")[0])]
    assert f"group {group}, dataset {dataset}" in message
    assert key in message and "does not exist" in message
    assert ("gone" in message) or ("nowhere" in message), (message, path)


def test_yaml_bad_values(cli, small):
    assert "num_samples" in yaml_error(cli, small, "TEXT_ONLY:\n  T:\n    mimicit_path: ok_instructions.json\n"
                                                   "    num_samples: lots\n")
    assert "line 2, column 1" in yaml_error(cli, small, "IMAGE_TEXT: [unclosed\n")
    assert "expected a mapping" in yaml_error(cli, small, "TEXT_ONLY:\n  - a\n  - b\n")


def test_unknown_dataset_keys_are_kept(cli, small):
    path = small / "extra.yaml"
    path.write_text("TEXT_ONLY:\n  T:\n    mimicit_path: ok_instructions.json\n    comment: hello\n")
    result = subprocess.run([str(cli.binary), "sample", str(path)], capture_output=True, cwd=small, timeout=30,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "OK_INS_1"


def test_group_not_in_yaml_is_usage_error(cli, small):
    path = small / "one.yaml"
    path.write_text("TEXT_ONLY:\n  T:\n    mimicit_path: ok_instructions.json\n")
    result = subprocess.run([str(cli.binary), "sample", str(path), "--group", "VIDEO_TEXT"], capture_output=True,
                            cwd=small, timeout=30, check=False)
    assert result.returncode == 2 and b"no group VIDEO_TEXT" in result.stderr


# --- instruction file errors ------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ('{"meta": {}, "data": {"A": {"instruction": "q", "answer": "a"},}}', "line 1"),
    ('{"meta": {}, "data": {"A": {"instruction": "q\\ud800", "answer": "a"}}}', "record 'A'"),
    ('{"meta": {}, "data": {"A": {"instruction": "q", "answer": "a"}}', "unexpected end of file"),
    ('{"meta": {}}', "no \"data\" object"),
    ('{"meta": {}, "data": {"A": {"instruction": "q", "answer": "a", "x": tru}}}', "record 'A'"),
    ('{"meta": {}, "data": {"A": {"instruction": "\xff", "answer": "a"}}}', "record 'A'"),
])
def test_instruction_file_errors(cli, tmp_path, text, expected):
    (tmp_path / "bad_instructions.json").write_bytes(text.encode("latin-1") if "\xff" in text else text.encode())
    (tmp_path / "d.yaml").write_text("TEXT_ONLY:\n  T:\n    mimicit_path: bad_instructions.json\n")
    result = subprocess.run([str(cli.binary), "sample", "d.yaml"], capture_output=True, cwd=tmp_path, timeout=30,
                            check=False)
    assert result.returncode == 1, result
    message = result.stderr.decode(errors="replace")
    assert "bad_instructions.json" in message and "group TEXT_ONLY, dataset T" in message
    assert expected in message, message


# Records of the wrong shape: the reference loads them and crashes on them
# with a TypeError in __getitem__; mimicit drops them, reports them (file,
# byte offset, record, problem) and goes on with the others (exit 1 at the
# end). A field the group never reads (image_ids in TEXT_ONLY) drops nothing.
@pytest.mark.parametrize("group,text,expected", [
    ("TEXT_ONLY", '{"meta": {}, "data": {"A": {"instruction": "q",\n "answer": 5}}}',
     "byte offset 27 (line 1): record 'A': field 'answer' is a number"),
    ("IMAGE_TEXT", '{"meta": {}, "data": {"A": {"instruction": "q", "answer": "a", "image_ids": "IMG"}}}',
     "byte offset 27 (line 1): record 'A': field 'image_ids' is a string"),
    ("TEXT_ONLY", '{"meta": {}, "data": {"A": ["not", "an", "object"]}}',
     "byte offset 27 (line 1): record 'A': the record is an array, expected an object"),
    ("TEXT_ONLY", '{"meta": {}, "data": {"A": {"instruction": "q", "answer": "a", "image_ids": "IMG"}}}', None),
])
def test_wrong_typed_records_are_dropped(cli, tmp_path, group, text, expected):
    (tmp_path / "bad_instructions.json").write_text(text)
    (tmp_path / "d.yaml").write_text(f"{group}:\n  T:\n    mimicit_path: bad_instructions.json\n")
    result = subprocess.run([str(cli.binary), "sample", "d.yaml"], capture_output=True, cwd=tmp_path, timeout=30,
                            check=False)
    if expected is None:
        assert result.returncode == 0 and json.loads(result.stdout)["id"] == "A"
        return
    assert result.returncode == 1 and result.stdout == b""
    assert f"dropped record: bad_instructions.json: {expected}" in result.stderr.decode(), result.stderr


# --- task descriptions per epoch through the Python API ---------------------------

def test_loader_and_dataset_pick_task_descriptions_per_epoch(tmp_path):
    """The reference reseeds its description choice with (seed, epoch): after
    set_epoch(e) the loader's texts are the reference's texts of epoch e, and
    Dataset(epoch=e) gives the same."""
    mimicit = pytest.importorskip("mimicit")
    ws = Workspace(tmp_path, SEED + 7)
    descriptions = [f"Description number {k}." for k in range(7)]
    ws.add("TEXT_ONLY", "TO_DESC", mimicit_path=ws.instructions("todesc", make_records(ws.rng, "TDS", 12, "text")),
           num_samples=12, task_description=descriptions)
    yaml_path = ws.write_yaml()
    loader = mimicit.Loader(yaml_path, batch_size=4, with_task_description=True, seed=42, epoch=0,
                            num_threads=2, base_dir=tmp_path, return_tensors="numpy")
    seen_descriptions = set()
    for epoch in range(4):
        options = ref.Options(with_task_description=True, seed=42, epoch=epoch)
        expected = {s["id"]: s["full_text"] for s in ref.samples(yaml_path, options, base=tmp_path)}
        loader.set_epoch(epoch)
        texts = [(i, t) for batch in loader for i, t in zip(batch["id"], batch["full_text"])]
        assert texts and all(t == expected[i] for i, t in texts), f"epoch {epoch}"
        seen_descriptions.add(texts[0][1].split("\n", 1)[0])
        dataset = mimicit.Dataset(yaml_path, "TEXT_ONLY", with_task_description=True, seed=42, epoch=epoch,
                                  base_dir=tmp_path)
        assert all(dataset[i]["full_text"] == expected[dataset[i]["id"]] for i in range(len(dataset)))
    assert len(seen_descriptions) > 1  # the epochs really pick different descriptions
