"""`mimicit convert --to hf|otter|llava`: whole datasets from one layout into
another, checked against the real peers. The Hugging Face inputs are written
by `datasets` (Dataset.from_dict(...).cast_column(...), to_parquet per
shard: test_hf_layout.write_task); mimicit's HF output must read in
`datasets` with Image features and in pyarrow as the same values; both
round trips (Otter -> HF -> Otter, HF -> Otter -> HF) keep every id, text
and byte; and `mimicit sample` and Dataset give the same texts and pixels
from either layout. Also the nested columns of mimicit.parquet.write, read
back by pyarrow.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import mimicit
from test_hf_layout import run_sample, write_task, write_yaml
from test_loader import write_data

datasets = pytest.importorskip("datasets")
yaml = pytest.importorskip("yaml")

IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
TASKS = {"IMAGE_TEXT": "LA", "TEXT_ONLY": "LIMA", "VIDEO_TEXT": "DC"}


def convert(*args) -> str:
    return subprocess.run([os.environ.get("MIMICIT_BIN", "mimicit"), "convert", *map(str, args)],
                          capture_output=True, text=True, check=True).stdout


def read_config(folder: Path) -> pa.Table:
    """A configuration's shards, in order, as pyarrow reads them."""
    shards = sorted(folder.glob("train-*.parquet"))
    assert shards, folder
    return pa.concat_tables([pq.read_table(s) for s in shards])


def instruction_json(path: Path) -> dict:
    return json.loads(path.read_text())["data"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hf_convert")
    (root / "otter").mkdir()
    otter = write_data(root / "otter")
    hf_in = root / "hf_in"  # written by `datasets`
    for group, task in TASKS.items():
        write_task(hf_in, task, otter["records"][group], otter["images"])
    hf_out = root / "hf_out"
    report = convert(otter["yaml"], "--to", "hf", "-o", hf_out, "--max-shard-size", "100KB")
    return {"root": root, "otter": otter, "hf_in": hf_in, "hf_out": hf_out, "report": report}


# ---------------------------------------------------------------------------
# Otter -> HF

def test_hf_output_has_the_three_configurations_in_shards_under_the_limit(data):
    out = data["hf_out"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["README.md", "LA", "LA_Images", "LA_Instructions", "DC", "DC_Images", "DC_Instructions",
         "LIMA", "LIMA_Instructions"])  # text only: no LIMA_Images
    shards = sorted((out / "LA_Images").iterdir())
    assert len(shards) > 1
    assert [s.name for s in shards] == [f"train-{k:05d}-of-{len(shards):05d}.parquet" for k in range(len(shards))]
    for shard in out.glob("*/*.parquet"):
        assert shard.stat().st_size <= 100_000, shard


def test_pyarrow_reads_the_columns_datasets_writes(data):
    out, otter = data["hf_out"], data["otter"]
    images = read_config(out / "LA_Images")
    assert images.schema.field("image").type == IMAGE
    assert images.schema.field("id").type == pa.string()
    # Every image of the dataset's store, bytes untouched (the store is shared by LA and DC).
    assert dict(zip(images["id"].to_pylist(), (i["bytes"] for i in images["image"].to_pylist()))) == otter["images"]
    records = otter["records"]["IMAGE_TEXT"]
    table = read_config(out / "LA_Instructions")
    assert table.column_names == ["id", "instruction", "answer", "images", "related instructions"]
    assert table.schema.field("images").type == pa.list_(pa.field("element", pa.string()))
    assert table.to_pylist() == [
        {"id": k, "instruction": r["instruction"], "answer": r["answer"], "images": r["image_ids"],
         "related instructions": r["rel_ins_ids"]} for k, r in records.items()]
    full = read_config(out / "LA")
    assert full.schema.field("images").type == pa.list_(pa.field("element", IMAGE))
    assert full.to_pylist() == [
        {"id": k, "instruction": r["instruction"], "answer": r["answer"],
         "images": [{"bytes": otter["images"][i], "path": i} for i in r["image_ids"]],
         "related instructions": r["rel_ins_ids"]} for k, r in records.items()]


def test_datasets_reads_image_features(data):
    out, otter = data["hf_out"], data["otter"]
    images = datasets.Dataset.from_parquet(str(out / "LA_Images" / "*.parquet"))
    assert images.features == datasets.Features({"id": datasets.Value("string"), "image": datasets.Image()})
    first = images[0]
    assert np.asarray(first["image"]).shape == (72, 96, 3)  # decoded by Pillow
    full = datasets.Dataset.from_parquet(str(out / "DC" / "*.parquet"))
    assert full.features["images"] == datasets.List(datasets.Image())
    assert full.features["related instructions"] == datasets.List(datasets.Value("string"))
    raw = full.cast_column("images", datasets.List(datasets.Image(decode=False)))
    for row, (key, record) in zip(raw, otter["records"]["VIDEO_TEXT"].items()):
        assert row["id"] == key and row["answer"] == record["answer"]
        assert [p["bytes"] for p in row["images"]] == [otter["images"][i] for i in record["image_ids"]]
    instructions = datasets.Dataset.from_parquet(str(out / "LA_Instructions" / "*.parquet"))
    assert instructions.features["images"] == datasets.List(datasets.Value("string"))


def test_the_dataset_card_loads_each_configuration(data):
    out = data["hf_out"]
    text = (out / "README.md").read_text()
    assert text.startswith("---\n")
    card = yaml.safe_load(text.split("---\n")[1])
    names = [c["config_name"] for c in card["configs"]]
    assert sorted(names) == sorted(["LA", "LA_Images", "LA_Instructions", "DC", "DC_Images", "DC_Instructions",
                                    "LIMA", "LIMA_Instructions"])
    assert {c["config_name"]: c["data_files"] for c in card["configs"]}["LA_Images"] == [
        {"split": "train", "path": "LA_Images/train-*"}]
    info = {c["config_name"]: c for c in card["dataset_info"]}
    assert info["LA_Images"]["features"] == [{"name": "id", "dtype": "string"}, {"name": "image", "dtype": "image"}]
    assert info["LA"]["splits"][0]["num_examples"] == len(data["otter"]["records"]["IMAGE_TEXT"])
    # `datasets` itself, from the folder as it would be pushed to the hub.
    for config, rows in (("LA", 24), ("LA_Instructions", 24), ("LIMA", 10)):
        ds = datasets.load_dataset(str(out), config, split="train")
        assert len(ds) == rows
    ds = datasets.load_dataset(str(out), "LA_Images", split="train")
    assert ds.features["image"] == datasets.Image()
    ds = datasets.load_dataset(str(out), "LA", split="train")
    assert ds.features["images"] == datasets.List(datasets.Image())


def hf_yamls(root: Path, hf: Path, name: str) -> dict:
    """Data YAMLs over an HF folder: the X_Instructions + X_Images and the X configurations."""
    return {
        "instructions": write_yaml(root / f"{name}_instructions.yaml", {
            "IMAGE_TEXT": {"LA": {"mimicit_path": hf / "LA_Instructions", "images_path": hf / "LA_Images"}},
            "TEXT_ONLY": {"LIMA": {"mimicit_path": hf / "LIMA_Instructions"}},
            "VIDEO_TEXT": {"DC": {"mimicit_path": hf / "DC_Instructions", "images_path": hf / "DC_Images"}}}),
        "full": write_yaml(root / f"{name}_full.yaml", {
            "IMAGE_TEXT": {"LA": {"mimicit_path": hf / "LA"}},
            "TEXT_ONLY": {"LIMA": {"mimicit_path": hf / "LIMA"}},
            "VIDEO_TEXT": {"DC": {"mimicit_path": hf / "DC"}}}),
    }


@pytest.mark.parametrize("layout", ["instructions", "full"])
def test_sample_and_dataset_agree_on_mimicits_hf_output(data, layout):
    yaml_path = hf_yamls(data["root"], data["hf_out"], "out")[layout]
    otter_yaml = data["otter"]["yaml"]
    for group in TASKS:
        assert run_sample(yaml_path, group) == run_sample(otter_yaml, group)
    for group in ("IMAGE_TEXT", "VIDEO_TEXT"):
        got = list(mimicit.Dataset(yaml_path, group, image_size=24, dtype="uint8"))
        expected = list(mimicit.Dataset(otter_yaml, group, image_size=24, dtype="uint8"))
        assert len(got) == len(expected) > 0
        for a, b in zip(got, expected):
            assert a["full_text"] == b["full_text"]
            np.testing.assert_array_equal(np.asarray(a["patch_images"]), np.asarray(b["patch_images"]))


# ---------------------------------------------------------------------------
# HF -> Otter, and the round trips

def otter_images(folder: Path) -> dict:
    store = mimicit.ImageStore(folder)
    return {i: store.get_bytes(i) for i in store.ids()}


@pytest.mark.parametrize("config", ["LA_Instructions", "LA"])
def test_hf_written_by_datasets_converts_to_otter(data, tmp_path, config):
    otter = data["otter"]
    out = tmp_path / "otter"
    convert(data["hf_in"] / config, "--to", "otter", "-o", out)
    assert sorted(p.name for p in out.iterdir()) == ["LA_images", "LA_instructions.json", "data.yaml"]
    document = json.loads((out / "LA_instructions.json").read_text())
    assert list(document["data"].items()) == list(otter["records"]["IMAGE_TEXT"].items())  # order kept
    la = {k: v for k, v in otter["images"].items() if k.startswith("LA_")}
    assert otter_images(out / "LA_images") == la
    # The store is the one the existing converter writes: pandas reads it, ids as the index.
    import pandas as pd
    frame = pd.read_parquet(out / "LA_images")
    assert sorted(frame.index) == sorted(la)
    assert run_sample(out / "data.yaml", "IMAGE_TEXT") == run_sample(otter["yaml"], "IMAGE_TEXT")


def test_a_glob_and_task_name_are_taken(data, tmp_path):
    out = tmp_path / "otter"
    convert(f"{data['hf_in']}/DC/train-*.parquet", "--to", "otter", "--task", "Video", "-o", out)
    assert json.loads((out / "Video_instructions.json").read_text())["data"] == \
        data["otter"]["records"]["VIDEO_TEXT"]


def test_otter_to_hf_to_otter_keeps_every_id_text_and_byte(data, tmp_path):
    otter = data["otter"]
    back = tmp_path / "back"
    # Every task from the HF folder, through a data YAML of it.
    yaml_path = hf_yamls(tmp_path, data["hf_out"], "rt")["instructions"]
    convert(yaml_path, "--to", "otter", "-o", back)
    for group, task in TASKS.items():
        assert list(instruction_json(back / f"{task}_instructions.json").items()) == \
            list(otter["records"][group].items())
    assert otter_images(back / "LA_images") == otter["images"]
    assert not (back / "LIMA_images").exists()
    for group in TASKS:
        assert run_sample(back / "data.yaml", group) == run_sample(otter["yaml"], group)
    # And from the X configurations, the pictures embedded in the rows.
    back_full = tmp_path / "back_full"
    convert(hf_yamls(tmp_path, data["hf_out"], "rt2")["full"], "--to", "otter", "-o", back_full)
    dc = {i for r in otter["records"]["VIDEO_TEXT"].values() for i in r["image_ids"]}
    assert otter_images(back_full / "DC_images") == {i: otter["images"][i] for i in dc}
    assert instruction_json(back_full / "DC_instructions.json") == otter["records"]["VIDEO_TEXT"]


def test_hf_to_otter_to_hf_keeps_every_id_text_and_byte(data, tmp_path):
    hf_in = data["hf_in"]
    otter = tmp_path / "otter"
    convert(hf_yamls(tmp_path, hf_in, "in")["instructions"], "--to", "otter", "-o", otter)
    hf = tmp_path / "hf"
    convert(otter / "data.yaml", "--to", "hf", "-o", hf)
    for task in TASKS.values():
        # (`datasets` wrote no X for the text-only LIMA: write_task skips a task without pictures.)
        for config in (task, f"{task}_Instructions") if task != "LIMA" else ("LIMA_Instructions",):
            assert read_config(hf / config).to_pylist() == read_config(hf_in / config).to_pylist(), config
    for task in ("LA", "DC"):
        def by_id(folder):
            t = read_config(folder).to_pylist()
            return {r["id"]: r["image"]["bytes"] for r in t}
        assert by_id(hf / f"{task}_Images") == by_id(hf_in / f"{task}_Images")


# ---------------------------------------------------------------------------
# LLaVA

def test_llava_json_and_image_files(data, tmp_path):
    otter = data["otter"]
    out = tmp_path / "llava"
    convert(data["otter"]["yaml"], "--to", "llava", "-o", out)
    entries = json.loads((out / "LA.json").read_text())
    records = otter["records"]["IMAGE_TEXT"]
    assert [e["id"] for e in entries] == list(records)
    for entry in entries:
        record = records[entry["id"]]
        files = entry["image"] if isinstance(entry["image"], list) else [entry["image"]]
        assert len(files) == len(record["image_ids"])
        for name, image_id in zip(files, record["image_ids"]):
            assert name == f"{image_id}.jpg"
            assert (out / "images" / name).read_bytes() == otter["images"][image_id]
        assert entry["conversations"] == [
            {"from": "human", "value": "<image>\n" * len(files) + record["instruction"]},
            {"from": "gpt", "value": record["answer"]}]
    lima = json.loads((out / "LIMA.json").read_text())
    assert "image" not in lima[0] and lima[0]["conversations"][0]["value"] == "Tell me fact 0."


# ---------------------------------------------------------------------------
# The CLI and the Python writer

def test_help_teaches_the_layouts():
    text = convert("--help")
    for name in ("--to", "hf", "otter", "llava", "--task", "--max-shard-size", "docs/layouts.md"):
        assert name in text


def test_unknown_layout_and_missing_task_name_are_refused(tmp_path):
    result = subprocess.run([os.environ.get("MIMICIT_BIN", "mimicit"), "convert", "x.json", "--to", "parquet",
                             "-o", str(tmp_path / "o")], capture_output=True, text=True)
    assert result.returncode != 0 and "parquet" in result.stderr


def test_python_writer_writes_nested_columns_pyarrow_reads(tmp_path):
    rows = {
        "id": ["a", "b", "c", "d"],
        "tags": [["x", None, "y"], [], None, ["z"]],
        "image": [{"bytes": b"\x89PNG", "path": "a.png"}, None, {"bytes": None, "path": "c"}, {"bytes": b"", "path": None}],
        "images": [[{"bytes": b"1", "path": "p"}, None], None, [], [{"bytes": b"2" * 100_000, "path": None}]],
    }
    types = {"tags": "list<string>", "image": "struct<bytes: binary, path: string>",
             "images": "list<struct<bytes: binary, path: string>>"}
    for version in (1, 2):
        path = tmp_path / f"nested{version}.parquet"
        mimicit.parquet.write(path, rows, types=types, data_page_version=version, page_rows=2)
        table = pq.read_table(path)
        assert table.schema.field("tags").type == pa.list_(pa.field("element", pa.string()))
        assert table.schema.field("image").type == IMAGE
        assert table.schema.field("images").type == pa.list_(pa.field("element", IMAGE))
        assert table.to_pydict() == rows
        import pandas as pd
        frame = pd.read_parquet(path)
        assert list(frame["tags"][0]) == ["x", None, "y"]
    with pytest.raises(ValueError, match="unknown type"):
        mimicit.parquet.write(tmp_path / "bad.parquet", {"a": [[1]]}, types={"a": "list<"})
