"""Bad records never stop the rest (issue 13, section 3).

An instruction record that is not an object, or whose instruction, answer,
image_ids or rel_ins_ids has the wrong type, is dropped when its file is
opened and reported (file, id, byte offset or shard row, field, what it
is): the reference's MimicitDataset would crash on it with a TypeError in
__getitem__. What is left must be exactly the dataset without those
records: the same training lists, texts and pixels. The instruction files
are written by CPython's json and by orjson (bad record first, in the
middle, last); the Hugging Face shards by pyarrow, with null cells.
`mimicit sample` prints every good row and reports the bad ones (exit 1);
`mimicit validate` lists them; every loader error names its instruction id.
"""
from __future__ import annotations

import base64
import io
import json
import subprocess
import warnings
from pathlib import Path

import pytest

import mimicit

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
Image = pytest.importorskip("PIL.Image")
orjson = pytest.importorskip("orjson")

WRITERS = {
    "json": lambda obj: json.dumps(obj, indent=1).encode(),
    "orjson": lambda obj: orjson.dumps(obj),
}

# (bad record, the field reported, what it is) -- each breaks a field the
# IMAGE_TEXT and TEXT_ONLY samples read.
BAD = {
    "instruction_number": ({"instruction": 7, "answer": "a", "image_ids": ["IMG_0"]}, "instruction", "a number"),
    "answer_object": ({"instruction": "q", "answer": {"text": "a"}, "image_ids": ["IMG_0"]}, "answer", "an object"),
    "instruction_null": ({"instruction": None, "answer": "a", "image_ids": ["IMG_0"]}, "instruction", "null"),
    "record_list": (["q", "a"], None, "an array"),
    "record_string": ("q", None, "a string"),
}
# Wrong only in fields the group's samples read in some settings.
BAD_IMAGE_IDS = {"instruction": "q", "answer": "a", "image_ids": "IMG_0"}
BAD_IMAGE_ID_ITEM = {"instruction": "q", "answer": "a", "image_ids": ["IMG_0", 3]}
BAD_REL_INS = {"instruction": "q", "answer": "a", "image_ids": ["IMG_0"], "rel_ins_ids": 5}


def png(seed: int) -> bytes:
    image = Image.new("RGB", (20 + seed, 16), (seed * 40 % 256, 90, 200 - seed * 10))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def good_records(n: int = 6) -> dict:
    return {f"INS_{i}": {"instruction": f"What is shown in picture {i}?", "answer": f"Picture {i}.",
                         "image_ids": [f"IMG_{i % 3}"], "rel_ins_ids": [f"INS_{(i + 1) % n}"]}
            for i in range(n)}


def with_bad(records: dict, bad: dict, where: str) -> dict:
    """`records` with the `bad` ones first, in the middle or last."""
    items = list(records.items())
    at = {"first": 0, "middle": len(items) // 2, "last": len(items)}[where]
    return dict(items[:at] + list(bad.items()) + items[at:])


def write_store(root: Path) -> Path:
    """The image store as the reference's converter writes it (pandas)."""
    store = {f"IMG_{k}": base64.b64encode(png(k)).decode() for k in range(3)}
    path = root / "images.parquet"
    pd.DataFrame.from_dict(store, orient="index", columns=["base64"]).to_parquet(path)
    return path


def write_yaml(root: Path, name: str, instructions: Path, store: Path, num_samples: int = -1) -> Path:
    yaml = root / f"{name}.yaml"
    yaml.write_text(f"IMAGE_TEXT:\n  D:\n    mimicit_path: {instructions}\n    images_path: {store}\n"
                    f"    num_samples: {num_samples}\n"
                    f"TEXT_ONLY:\n  T:\n    mimicit_path: {instructions}\n    num_samples: {num_samples}\n")
    return yaml


def write_pair(root: Path, bad: dict, where: str, writer: str, num_samples: int = -1) -> tuple[Path, Path, bytes]:
    """YAMLs over the file with the bad records and over the file without."""
    root.mkdir(parents=True, exist_ok=True)
    store = write_store(root)
    records = good_records()
    text = WRITERS[writer]({"meta": {"version": "0.0.1"}, "data": with_bad(records, bad, where)})
    (root / "bad_instructions.json").write_bytes(text)
    (root / "good_instructions.json").write_bytes(WRITERS[writer]({"meta": {"version": "0.0.1"}, "data": records}))
    return (write_yaml(root, "bad", root / "bad_instructions.json", store, num_samples),
            write_yaml(root, "good", root / "good_instructions.json", store, num_samples), text)


def samples(yaml: Path, group: str, **options) -> list[dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = mimicit.Dataset(yaml, group, **options)
    return [ds[i] for i in range(len(ds))]


def assert_same_samples(bad: list[dict], good: list[dict]) -> None:
    assert [s["id"] for s in bad] == [s["id"] for s in good]
    assert [s["full_text"] for s in bad] == [s["full_text"] for s in good]
    assert [s["image_ids"] for s in bad] == [s["image_ids"] for s in good]
    for b, g in zip(bad, good):
        assert b["patch_images"].shape == g["patch_images"].shape
        assert (b["patch_images"] == g["patch_images"]).all()


@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("kind", sorted(BAD))
def test_wrong_typed_record_is_dropped_and_reported(tmp_path: Path, kind: str, where: str, writer: str) -> None:
    value, field, found = BAD[kind]
    bad_yaml, good_yaml, text = write_pair(tmp_path, {"BAD_1": value}, where, writer)
    for group in ("IMAGE_TEXT", "TEXT_ONLY"):
        with pytest.warns(UserWarning, match="1 instruction record.*dropped.*'BAD_1'"):
            ds = mimicit.Dataset(bad_yaml, group)
        dropped = ds.dropped_records()
        assert len(dropped) == 1
        report = dropped[0]
        assert report["id"] == "BAD_1" and report["task_group"] == group
        assert report["file"] == str(tmp_path / "bad_instructions.json")
        assert report["field"] == field and report["found"] == found and report["row"] is None
        # The offset is the record's first byte: what CPython parses there is it.
        assert json.JSONDecoder().raw_decode(text.decode(), report["offset"])[0] == value
        assert report["message"].startswith(f"{report['file']}: byte offset {report['offset']} (line ")
        assert "record 'BAD_1'" in report["message"]
        assert_same_samples(samples(bad_yaml, group), samples(good_yaml, group))


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_resampled_lists_equal_those_without_the_bad_records(tmp_path: Path, writer: str) -> None:
    bad = {f"BAD_{k}": BAD[kind][0] for k, kind in enumerate(sorted(BAD))}
    for num_samples in (4, 9):
        bad_yaml, good_yaml, _ = write_pair(tmp_path / str(num_samples), bad, "middle", writer, num_samples)
        for group in ("IMAGE_TEXT", "TEXT_ONLY"):
            assert_same_samples(samples(bad_yaml, group), samples(good_yaml, group))


def test_fields_a_group_does_not_read_keep_the_record(tmp_path: Path) -> None:
    """TEXT_ONLY reads no image_ids, and rel_ins_ids only when it populates
    in-context examples from them: the reference trains on such records, so
    mimicit keeps them there and drops them where the field is read."""
    records = dict(good_records(), BAD_IDS=BAD_IMAGE_IDS, BAD_ITEM=BAD_IMAGE_ID_ITEM, BAD_REL=BAD_REL_INS)
    bad_yaml, _, _ = write_pair(tmp_path, {}, "last", "json")
    (tmp_path / "bad_instructions.json").write_text(json.dumps({"data": records}))
    text_only = samples(bad_yaml, "TEXT_ONLY")
    assert [s["id"] for s in text_only][-3:] == ["BAD_IDS", "BAD_ITEM", "BAD_REL"]
    assert text_only[-1]["full_text"] == "User:q GPT:<answer>a<|endofchunk|>"
    with pytest.warns(UserWarning):
        image_text = mimicit.Dataset(bad_yaml, "IMAGE_TEXT")
    assert {(r["id"], r["field"], r["found"]) for r in image_text.dropped_records()} == {
        ("BAD_IDS", "image_ids", "a string"), ("BAD_ITEM", "image_ids", "an array holding a number")}
    assert "BAD_REL" in image_text.ids()
    with pytest.warns(UserWarning):
        populated = mimicit.Dataset(bad_yaml, "TEXT_ONLY", populate_rel_ins=True)
    assert [(r["id"], r["field"]) for r in populated.dropped_records()] == [("BAD_REL", "rel_ins_ids")]


def write_hf_instructions(folder: Path, rows: list[dict]) -> list[Path]:
    """Two X_Instructions shards written by pyarrow (its defaults), a row per record."""
    folder.mkdir(parents=True)
    schema = pa.schema([("id", pa.string()), ("instruction", pa.string()), ("answer", pa.string()),
                        ("images", pa.list_(pa.string())), ("related instructions", pa.list_(pa.string()))])
    half = len(rows) // 2
    paths = []
    for k, part in enumerate((rows[:half], rows[half:])):
        path = folder / f"train-{k:05d}-of-00002.parquet"
        pq.write_table(pa.Table.from_pylist(part, schema=schema), path)
        paths.append(path)
    return paths


def hf_row(record_id: str, record: dict) -> dict:
    return {"id": record_id, "instruction": record["instruction"], "answer": record["answer"],
            "images": record["image_ids"], "related instructions": record["rel_ins_ids"]}


def test_hf_shards_with_null_cells(tmp_path: Path) -> None:
    store = write_store(tmp_path)
    records = good_records(8)
    rows = [hf_row(i, r) for i, r in records.items()]
    rows.insert(0, dict(hf_row("BAD_A", records["INS_0"]), instruction=None))   # shard 0, row 0
    rows.insert(7, dict(hf_row("BAD_B", records["INS_1"]), answer=None))        # shard 1, row 1
    rows.insert(8, dict(hf_row("BAD_C", records["INS_2"]), images=["IMG_1", None]))  # shard 1, row 2
    rows.append(dict(hf_row("NO_LISTS", records["INS_3"]), images=None, **{"related instructions": None}))
    shards = write_hf_instructions(tmp_path / "X_Instructions", rows)
    good = dict(records, NO_LISTS=dict(records["INS_3"], image_ids=None, rel_ins_ids=None))
    (tmp_path / "good.json").write_text(json.dumps({"data": good}))
    bad_yaml = write_yaml(tmp_path, "bad", tmp_path / "X_Instructions", store)
    good_yaml = write_yaml(tmp_path, "good", tmp_path / "good.json", store)

    with pytest.warns(UserWarning, match="3 instruction record"):
        ds = mimicit.Dataset(bad_yaml, "IMAGE_TEXT")
    got = {(r["id"], r["file"], r["row"], r["field"], r["found"]) for r in ds.dropped_records()}
    assert got == {("BAD_A", str(shards[0]), 0, "instruction", "null"),
                   ("BAD_B", str(shards[1]), 1, "answer", "null"),
                   ("BAD_C", str(shards[1]), 2, "image_ids", "an array holding null")}
    assert all(f"row {r['row']}: record '{r['id']}'" in r["message"] for r in ds.dropped_records())
    for group in ("IMAGE_TEXT", "TEXT_ONLY"):
        bad = samples(bad_yaml, group)
        if group == "TEXT_ONLY":  # BAD_C's image list is fine where no image is read
            assert bad.pop(6)["id"] == "BAD_C"
        assert_same_samples(bad, samples(good_yaml, group))
    # BAD_C's image list is fine where no image is read.
    with pytest.warns(UserWarning, match="2 instruction record"):
        assert "BAD_C" in mimicit.Dataset(bad_yaml, "TEXT_ONLY").ids()


def sample_cli(run_cli, yaml: Path, *args) -> subprocess.CompletedProcess:
    return run_cli("sample", yaml, *args)


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_sample_prints_every_good_row_and_reports_the_bad(run_cli, tmp_path: Path, where: str) -> None:
    bad = {"BAD_1": BAD["answer_object"][0], "BAD_2": BAD["record_list"][0]}
    bad_yaml, good_yaml, _ = write_pair(tmp_path, bad, where, "orjson")
    good = sample_cli(run_cli, good_yaml)
    assert good.returncode == 0 and good.stderr == b""
    result = sample_cli(run_cli, bad_yaml)
    assert result.returncode == 1
    assert result.stdout == good.stdout and result.stdout.count(b"\n") == 12
    stderr = result.stderr.decode()
    for bad_id in ("BAD_1", "BAD_2"):
        assert f"record '{bad_id}'" in stderr
    assert stderr.count("dropped record: ") == 4  # each bad record, in each group
    assert "12 samples written; 4 records dropped, 0 samples failed" in stderr


def test_sample_reports_samples_that_cannot_be_built(run_cli, tmp_path: Path) -> None:
    """A record without an answer (the reference: KeyError) fails its sample
    only: the rows after it are printed, the failure names the id."""
    records = {"NO_ANSWER": {"instruction": "q"}, **good_records(3)}
    (tmp_path / "i.json").write_text(json.dumps({"data": records}))
    yaml = tmp_path / "d.yaml"
    yaml.write_text(f"TEXT_ONLY:\n  T:\n    mimicit_path: {tmp_path / 'i.json'}\n")
    result = sample_cli(run_cli, yaml)
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["INS_0", "INS_1", "INS_2"]
    assert "group TEXT_ONLY, sample 0 (id 'NO_ANSWER'): " in result.stderr.decode()
    assert "has no \"answer\"" in result.stderr.decode()


def test_structural_json_errors_stay_fatal_and_name_file_and_offset(run_cli, tmp_path: Path) -> None:
    bad_yaml, _, text = write_pair(tmp_path, {}, "last", "json")
    broken = text.replace(b'"Picture 2."', b'"Picture 2."]', 1)
    (tmp_path / "bad_instructions.json").write_bytes(broken)
    result = sample_cli(run_cli, bad_yaml)
    assert result.returncode == 1 and result.stdout == b""
    assert str(tmp_path / "bad_instructions.json") in result.stderr.decode()
    assert "byte offset" in result.stderr.decode()


def test_validate_lists_dropped_records(run_cli, tmp_path: Path) -> None:
    bad = {"BAD_1": BAD["instruction_number"][0], "BAD_2": BAD_IMAGE_IDS}
    bad_yaml, _, _ = write_pair(tmp_path, bad, "middle", "json")
    report = mimicit.validate(bad_yaml)
    found = [p for p in report["problems"] if p["kind"] == "bad_record"]
    assert {(p["id"], p["file"]) for p in found} == {("BAD_1", str(tmp_path / "bad_instructions.json")),
                                                     ("BAD_2", str(tmp_path / "bad_instructions.json"))}
    assert report["summary"]["counts"]["bad_record"] == 2
    assert any("field 'instruction' is a number" in p["detail"] and "byte offset" in p["detail"] for p in found)
    result = run_cli("validate", bad_yaml)
    assert result.returncode == 1
    assert b"BAD_1" in result.stdout + result.stderr


def test_every_loader_error_names_the_instruction_id(tmp_path: Path) -> None:
    records = {"NO_ANSWER": {"instruction": "q"}, "NO_INSTRUCTION": {"answer": "a"},
               "CONTEXT_GONE": {"instruction": "q", "answer": "a"}, **good_records(3),
               "BAD_TYPE": {"instruction": ["q"], "answer": "a"}}
    (tmp_path / "i.json").write_text(json.dumps({"data": records}))
    train = {"NO_ANSWER": [], "NO_INSTRUCTION": [], "CONTEXT_GONE": ["GONE"], "INS_0": [], "INS_1": [],
             "INS_2": ["NO_ANSWER"], "BAD_TYPE": []}
    (tmp_path / "t.json").write_text(json.dumps(train))
    yaml = tmp_path / "d.yaml"
    yaml.write_text(f"TEXT_ONLY:\n  T:\n    mimicit_path: {tmp_path / 'i.json'}\n"
                    f"    train_config_path: {tmp_path / 't.json'}\n")
    with pytest.warns(UserWarning, match="'BAD_TYPE'"):
        loader = mimicit.Loader(yaml, batch_size=3, replacement=False, drop_last=False,
                                return_tensors="numpy")
    assert [r["id"] for r in loader.dropped_records()] == ["BAD_TYPE"]
    delivered = [i for batch in loader for i in batch["id"]]
    assert sorted(delivered) == ["INS_0", "INS_1"]
    errors = loader.errors()
    assert sorted(e["id"] for e in errors) == ["BAD_TYPE", "CONTEXT_GONE", "INS_2", "NO_ANSWER", "NO_INSTRUCTION"]
    assert all(e["id"] is not None and e["message"] for e in errors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = mimicit.Dataset(yaml, "TEXT_ONLY")
    with pytest.raises(mimicit.NotFoundError, match=r"sample \d+ \(id .{0,4}NO_ANSWER"):
        ds[ds.ids().index("NO_ANSWER")]
