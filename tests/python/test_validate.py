"""`mimicit validate` and mimicit.validate on a generated dataset.

The dataset (built here, deterministically) has all four groups, a pandas
Parquet store shared by two groups, a second Parquet store, a legacy
images.json store, train configs and task descriptions. The seeded variant
adds exactly one instance of every problem kind; the clean variant none.
Validation must find exactly the seeded problems (no false positives on
the clean part), in text and JSON modes, with the documented exit codes.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
Image = pytest.importorskip("PIL.Image")

ALL_KINDS = ["bad_config", "missing_file", "bad_file", "bad_record", "duplicate_instruction", "missing_instruction",
             "missing_related", "empty_text", "no_images", "missing_image", "duplicate_image",
             "bad_base64", "undecodable_image", "tiny_image", "lenient_base64"]
DECODE_KINDS = {"bad_base64", "undecodable_image", "tiny_image", "lenient_base64"}
NOTICE_KINDS = {"lenient_base64"}

# (kind, group, dataset, instruction id, image id) of each seeded problem.
SEEDED = {
    ("bad_config", "IMAGE_TEXT", "B", "", ""),
    ("missing_file", "VIDEO_TEXT", "V", "", ""),
    ("bad_file", "TEXT_ONLY", "T", "", ""),
    ("bad_record", "IMAGE_TEXT_IN_CONTEXT", "C", "C_BAD", ""),
    ("duplicate_instruction", "IMAGE_TEXT", "A", "A_2", ""),
    ("missing_instruction", "IMAGE_TEXT", "A", "A_GONE", ""),
    ("missing_related", "IMAGE_TEXT_IN_CONTEXT", "C", "C_3", ""),
    ("empty_text", "TEXT_ONLY", "T", "T_3", ""),
    ("no_images", "VIDEO_TEXT", "V", "V_2", ""),
    ("missing_image", "IMAGE_TEXT", "A", "A_5", "IMG_MISSING"),
    ("duplicate_image", "IMAGE_TEXT_IN_CONTEXT", "C", "C_3", "IMG_3"),
    ("bad_base64", "VIDEO_TEXT", "V", "V_1", "V_BAD"),
    ("undecodable_image", "IMAGE_TEXT", "A", "A_4", "BAD_DECODE"),
    ("tiny_image", "IMAGE_TEXT", "A", "A_3", "TINY"),
    ("lenient_base64", "IMAGE_TEXT", "A", "A_0", "LAX"),
}


def image_b64(width: int, height: int, seed: int, fmt: str = "PNG") -> str:
    image = Image.new("RGB", (width, height), ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    for x in range(width):
        image.putpixel((x, (x * seed) % height), (255 - x % 256, x % 256, seed % 256))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return base64.b64encode(out.getvalue()).decode()


def parquet_store(path: Path, images: dict[str, str]) -> None:
    pd.DataFrame.from_dict(images, orient="index", columns=["base64"]).to_parquet(path)


def instructions(path: Path, records: dict[str, dict]) -> None:
    data = {}
    for key, record in records.items():
        data[key] = {"instruction": record.get("q", f"What is in {key}?"),
                     "answer": record.get("a", f"The answer to {key}."),
                     "image_ids": record.get("images", []),
                     "rel_ins_ids": record.get("rel", []),
                     "extra": {"kept": True}}
    path.write_text(json.dumps({"meta": {"version": "0.0.1", "author": "test"}, "data": data},
                               ensure_ascii=False), encoding="utf-8")


def build(root: Path, seeded: bool) -> Path:
    """Writes the dataset under `root`; returns the YAML's path."""
    root.mkdir(parents=True, exist_ok=True)
    p_images = {f"IMG_{i}": image_b64(32 + i, 24, i, "PNG" if i % 2 else "JPEG") for i in range(8)}
    q_images = {f"Q_{i}": image_b64(16, 16 + i, 10 + i) for i in range(4)}
    v_images = {f"V_{i}": image_b64(20, 12, 20 + i, "JPEG") for i in range(6)}
    if seeded:
        p_images["BAD_DECODE"] = base64.b64encode(b"this is not an image file at all").decode()
        p_images["TINY"] = image_b64(4, 4, 99)
        # Quotes and a NUL inside, padding gone: urlsafe_b64decode skips the
        # former but fails on the latter; mimicit decodes it and says so.
        lax = image_b64(10, 10, 98)
        assert lax.endswith("=")
        p_images["LAX"] = (lax[:20] + '"\0' + lax[20:]).rstrip("=")
        q_images["IMG_3"] = image_b64(9, 9, 3)
        v_images["V_BAD"] = "@@@@ not base64 @@@@"
    parquet_store(root / "P.parquet", p_images)
    parquet_store(root / "Q.parquet", q_images)
    # The legacy format, one value as a list whose first element is the base64.
    legacy = {key: ([value] if key == "V_1" else value) for key, value in v_images.items()}
    (root / "V_images.json").write_text(json.dumps(legacy))

    a = {f"A_{i}": {"images": [f"IMG_{i}"], "rel": [f"A_{(i + 1) % 6}"]} for i in range(6)}
    a["A_0"]["q"] = "  Ça va? Décris l'image 你好 !!  "
    a["A_1"]["images"] = ["IMG_1", "IMG_6", "IMG_1"]
    if seeded:
        a["A_5"]["images"] = ["IMG_5", "IMG_MISSING"]
        a["A_4"]["images"] = ["IMG_4", "BAD_DECODE"]
        a["A_3"]["images"] = ["TINY", "IMG_3"]
        a["A_0"]["images"] = ["IMG_0", "LAX"]
    instructions(root / "A_instructions.json", a)
    train = {f"A_{i}": [f"A_{(i + 2) % 6}"] for i in range(5)}
    if seeded:
        train["A_GONE"] = ["A_1"]
    (root / "A_train.json").write_text(json.dumps(train))
    b = {"B_0": {"images": ["IMG_7"]}, "B_1": {"images": ["IMG_0"], "rel": ["A_0"]}}
    if seeded:
        b["A_2"] = {"images": ["IMG_2"]}
    instructions(root / "B_instructions.json", b)

    t = {f"T_{i}": {"a": f"Answer number {i}, with (symbols) and 'quotes'."} for i in range(4)}
    t["T_1"]["rel"] = ["T_0"]
    t["T_2"]["q"] = "###\n  question with symbols @@ ###  \n"
    if seeded:
        t["T_3"]["a"] = "### @@@ $$$"  # symbols the cleaning deletes (it keeps . , ? ! ( ) " ')
    instructions(root / "T_instructions.json", t)
    (root / "T_train.json").write_text('{"T_0": ["T_1"' if seeded else '{"T_0": ["T_1"], "T_2": []}')

    v = {"V_0": {"images": ["V_0", "V_1", "V_2", "V_3"]}, "V_1": {"images": ["V_4", "V_5"]},
         "V_2": {"images": ["V_0"]}}
    if seeded:
        v["V_1"]["images"] = ["V_4", "V_BAD"]
        v["V_2"]["images"] = []
    instructions(root / "V_instructions.json", v)

    c = {f"C_{i}": {"images": [f"Q_{i}", f"IMG_{i}"], "rel": [f"C_{(i + 1) % 4}"]} for i in range(4)}
    c["C_0"]["images"] = ["Q_0"]
    if seeded:
        c["C_3"]["rel"] = ["C_0", "C_NOPE"]
        c["C_BAD"] = {"q": 42, "images": ["Q_0"]}  # an instruction of the wrong type: dropped
    instructions(root / "C_instructions.json", c)

    yaml = f"""# generated by tests/python/test_validate.py
IMAGE_TEXT:
  A:
    mimicit_path: {root}/A_instructions.json
    images_path: {root}/P.parquet
    train_config_path: {root}/A_train.json
    num_samples: 10
    task_description: ["Describe.", "Answer."]
  B:
    mimicit_path: {root}/B_instructions.json
    images_path: {root}/P.parquet
{"    foo: 1" if seeded else ""}
TEXT_ONLY:
  T: {{mimicit_path: {root}/T_instructions.json, train_config_path: {root}/T_train.json, num_samples: 2}}
VIDEO_TEXT:
  V:
    mimicit_path: {root}/V_instructions.json
    images_path: {root}/V_images.json
{f"    train_config_path: {root}/V_train_missing.json" if seeded else ""}
IMAGE_TEXT_IN_CONTEXT:
  C:
    mimicit_path: {root}/C_instructions.json
    images_path:
      - {root}/P.parquet
      - {root}/Q.parquet
"""
    path = root / "data.yaml"
    path.write_text(yaml)
    return path


def keys(report: dict) -> set:
    return {(p["kind"], p["group"], p["dataset"], p["id"], p["image_id"]) for p in report["problems"]}


def expected(decode: bool) -> set:
    return {p for p in SEEDED if decode or p[0] not in DECODE_KINDS}


@pytest.fixture(scope="module")
def seeded_yaml(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("validate_seeded"), seeded=True)


@pytest.fixture(scope="module")
def clean_yaml(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("validate_clean"), seeded=False)


def run_json(run_cli, yaml: Path, *args) -> tuple[int, dict]:
    result = run_cli("validate", yaml, "--json", "--threads", 2, *args)
    assert result.returncode in (0, 1), result.stderr.decode(errors="replace")
    return result.returncode, json.loads(result.stdout)


def check_report_shape(report: dict) -> None:
    problems = report["problems"]
    for p in problems:
        assert set(p) == {"kind", "group", "dataset", "id", "image_id", "file", "detail"}
        assert all(isinstance(v, str) for v in p.values())
        assert p["kind"] in ALL_KINDS and p["detail"]
    order = [(p["kind"], p["group"], p["dataset"], p["id"], p["image_id"], p["file"], p["detail"])
             for p in problems]
    assert order == sorted(order)
    summary = report["summary"]
    assert list(summary["counts"]) == ALL_KINDS
    notices = sum(n for kind, n in summary["counts"].items() if kind in NOTICE_KINDS)
    assert summary["problems"] == sum(summary["counts"].values()) - notices
    assert summary["notices"] == notices
    counted = {kind: sum(p["kind"] == kind for p in problems) for kind in ALL_KINDS}
    assert counted == summary["counts"]
    assert summary["seconds"] >= 0


@pytest.mark.parametrize("decode", [False, True])
def test_json_finds_exactly_the_seeded_problems(run_cli, seeded_yaml, decode):
    code, report = run_json(run_cli, seeded_yaml, *(["--decode"] if decode else []))
    assert code == 1
    check_report_shape(report)
    assert keys(report) == expected(decode)
    summary = report["summary"]
    assert summary["decoded"] is decode
    assert summary["groups"] == 4 and summary["datasets"] == 5
    # Records of A, B, T, V, C (the broken train config does not hide T's records).
    assert summary["records"] == 6 + 3 + 4 + 3 + 4
    assert summary["stores"] == 3
    assert summary["images"] == (8 + 3) + (4 + 1) + (6 + 1)
    assert summary["images_decoded"] == (summary["images"] if decode else 0)


def test_problem_details(run_cli, seeded_yaml):
    _, report = run_json(run_cli, seeded_yaml, "--decode")
    by_kind = {p["kind"]: p for p in report["problems"]}
    root = seeded_yaml.parent
    assert "unknown key 'foo'" in by_kind["bad_config"]["detail"]
    foo_line = seeded_yaml.read_text().splitlines().index("    foo: 1") + 1
    assert f"line {foo_line}" in by_kind["bad_config"]["detail"]
    assert by_kind["missing_file"]["file"] == f"{root}/V_train_missing.json"
    assert "train_config_path" in by_kind["missing_file"]["detail"]
    assert by_kind["bad_file"]["file"] == f"{root}/T_train.json"
    assert "offset" in by_kind["bad_file"]["detail"]
    assert "dataset B" in by_kind["duplicate_instruction"]["detail"]
    assert "C_NOPE" in by_kind["missing_related"]["detail"]
    assert "answer" in by_kind["empty_text"]["detail"]
    assert by_kind["duplicate_image"]["file"] == f"{root}/P.parquet"
    assert f"{root}/Q.parquet" in by_kind["duplicate_image"]["detail"]
    assert by_kind["tiny_image"]["detail"].startswith("4x4 pixels")
    assert "used by 1 instruction" in by_kind["tiny_image"]["detail"]
    assert "base64" in by_kind["bad_base64"]["detail"]
    assert by_kind["undecodable_image"]["file"] == f"{root}/P.parquet"
    assert "skipped" in by_kind["lenient_base64"]["detail"]
    assert "Incorrect padding" in by_kind["lenient_base64"]["detail"]


def test_text_report(run_cli, seeded_yaml):
    result = run_cli("validate", seeded_yaml, "--threads", 2, "--decode")
    assert result.returncode == 1
    text = result.stdout.decode()
    assert text.startswith(f"{seeded_yaml}: {len(SEEDED) - 1} problems, 1 notice (")
    for kind in ALL_KINDS:
        assert f"\n{kind}: 1\n" in text
    assert "IMAGE_TEXT / A / A_5, image IMG_MISSING:" in text
    assert result.stderr == b""


def test_clean_dataset_exits_zero(run_cli, clean_yaml):
    for args in ([], ["--decode"]):
        code, report = run_json(run_cli, clean_yaml, *args)
        assert code == 0, report["problems"]
        assert report["problems"] == [] and report["summary"]["notes"] == []
        check_report_shape(report)
    result = run_cli("validate", clean_yaml, "--decode")
    assert result.returncode == 0
    assert b": no problems (" in result.stdout


def test_cannot_run_exits_two(run_cli, tmp_path):
    result = run_cli("validate", tmp_path / "absent.yaml")
    assert result.returncode == 2
    assert b"absent.yaml" in result.stderr and result.stdout == b""
    assert run_cli("validate").returncode == 2
    assert run_cli("validate", tmp_path / "absent.yaml", "--threads", 0).returncode == 2


def test_yaml_syntax_error_is_a_bad_file(run_cli, tmp_path):
    (tmp_path / "broken.yaml").write_text("IMAGE_TEXT:\n  A: {mimicit_path: [x\n")
    code, report = run_json(run_cli, tmp_path / "broken.yaml")
    assert code == 1
    [problem] = report["problems"]
    assert problem["kind"] == "bad_file" and "line 3" in problem["detail"]


def test_python_validate_matches_the_cli(run_cli, seeded_yaml):
    mimicit = pytest.importorskip("mimicit")
    if not hasattr(mimicit, "validate"):
        pytest.skip("the installed mimicit package predates validate")
    for decode in (False, True):
        report = mimicit.validate(seeded_yaml, decode=decode, threads=2)
        _, cli = run_json(run_cli, seeded_yaml, *(["--decode"] if decode else []))
        assert report["problems"] == cli["problems"]
        summary = {k: v for k, v in report["summary"].items() if k != "seconds"}
        assert summary == {k: v for k, v in cli["summary"].items() if k != "seconds"}
    with pytest.raises(OSError):
        mimicit.validate(seeded_yaml.parent / "absent.yaml")
