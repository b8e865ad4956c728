"""MIMIC-IT as Hugging Face publishes it: per task, Parquet shards in three
configurations (`X_Images`: id + Image; `X_Instructions`: records with image
ids; `X`: records with their pictures embedded), written here by the real
`datasets` library (Dataset.from_dict(...).cast_column(...), then
to_parquet per shard). Each configuration must give exactly what the Otter
layout (instruction JSON + image Parquet) of the same data gives: the same
training lists, texts, image ids and pixels, through Dataset, Loader and
`mimicit sample`; and the Parquet reader's point reads inside lists of
structs must return the bytes pyarrow sees, in large pages of every codec.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import mimicit
from test_loader import digest, jpeg_bytes, write_data

datasets = pytest.importorskip("datasets")

NUM_SHARDS = 2


def write_shards(ds, folder: Path) -> None:
    folder.mkdir(parents=True)
    for k in range(NUM_SHARDS):
        ds.shard(num_shards=NUM_SHARDS, index=k, contiguous=True).to_parquet(
            str(folder / f"train-{k:05d}-of-{NUM_SHARDS:05d}.parquet"))


def write_task(root: Path, task: str, records: dict, images: dict, *, paths: bool = True) -> None:
    """The three configurations of one task, as the MIMIC-IT release has them."""
    ids = list(records)
    texts = {
        "id": ids,
        "instruction": [records[i]["instruction"] for i in ids],
        "answer": [records[i]["answer"] for i in ids],
    }
    related = [records[i]["rel_ins_ids"] for i in ids]
    instructions = datasets.Dataset.from_dict({**texts, "images": [records[i]["image_ids"] for i in ids],
                                               "related instructions": related})
    write_shards(instructions, root / f"{task}_Instructions")
    used = sorted({image for i in ids for image in records[i]["image_ids"] if image in images})
    if not used:
        return
    store = datasets.Dataset.from_dict({"id": used, "image": [{"bytes": images[i], "path": None} for i in used]})
    write_shards(store.cast_column("image", datasets.Image()), root / f"{task}_Images")
    embedded = [[{"bytes": images[image], "path": image if paths else None} for image in records[i]["image_ids"]]
                for i in ids]
    full = datasets.Dataset.from_dict({**texts, "images": embedded, "related instructions": related})
    write_shards(full.cast_column("images", datasets.Sequence(datasets.Image())), root / task)


def write_yaml(path: Path, groups: dict) -> Path:
    text = ""
    for group, entries in groups.items():
        text += f"{group}:\n"
        for name, keys in entries.items():
            text += f"  {name}:\n" + "".join(f"    {k}: {v}\n" for k, v in keys.items())
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hf_layout")
    (root / "otter").mkdir()
    otter = write_data(root / "otter")
    hf = root / "hf"
    tasks = {"IMAGE_TEXT": "LA", "TEXT_ONLY": "LIMA", "VIDEO_TEXT": "DC"}
    for group, task in tasks.items():
        write_task(hf, task, otter["records"][group], otter["images"])
    no_paths = root / "hf_no_paths"
    write_task(no_paths, "LA", otter["records"]["IMAGE_TEXT"], otter["images"], paths=False)
    text_only = {"TEXT_ONLY": {"LIMA": {"mimicit_path": hf / "LIMA_Instructions"}}}
    instructions = write_yaml(root / "instructions.yaml", {
        "IMAGE_TEXT": {"LA": {"mimicit_path": hf / "LA_Instructions", "images_path": hf / "LA_Images"}},
        **text_only,
        "VIDEO_TEXT": {"DC": {"mimicit_path": hf / "DC_Instructions", "images_path": hf / "DC_Images"}},
    })
    full = write_yaml(root / "full.yaml", {
        "IMAGE_TEXT": {"LA": {"mimicit_path": f"{hf}/LA/train-*.parquet"}},
        **text_only,
        "VIDEO_TEXT": {"DC": {"mimicit_path": hf / "DC"}},
    })
    unnamed = write_yaml(root / "unnamed.yaml", {"IMAGE_TEXT": {"LA": {"mimicit_path": no_paths / "LA"}}})
    return {"otter": otter, "yamls": {"otter": otter["yaml"], "instructions": instructions, "full": full},
            "unnamed": unnamed, "hf": hf}


def loader_digests(yaml: Path) -> list:
    loader = mimicit.Loader(yaml, 3, image_size=24, num_threads=2, seed=7, drop_last=False,
                            return_tensors="numpy", rank=0, world_size=1)
    return [(digest(batch), batch["image_ids"]) for batch in loader]


def dataset_items(yaml: Path, group: str) -> list[dict]:
    return list(mimicit.Dataset(yaml, group, image_size=24, dtype="uint8"))


def test_the_shards_are_what_datasets_writes(layouts):
    schema = pq.read_schema(next((layouts["hf"] / "LA").glob("*.parquet")))
    assert schema.field("images").type == pa.list_(pa.struct([("bytes", pa.binary()), ("path", pa.string())]))
    assert b"huggingface" in schema.metadata
    assert pq.read_schema(next((layouts["hf"] / "LA_Images").glob("*.parquet"))).field("image").type == \
        pa.struct([("bytes", pa.binary()), ("path", pa.string())])


@pytest.mark.parametrize("layout", ["instructions", "full"])
def test_loader_batches_equal_the_otter_layout(layouts, layout):
    assert loader_digests(layouts["yamls"][layout]) == loader_digests(layouts["yamls"]["otter"])


@pytest.mark.parametrize("layout", ["instructions", "full"])
@pytest.mark.parametrize("group", ["IMAGE_TEXT", "TEXT_ONLY", "VIDEO_TEXT"])
def test_dataset_samples_equal_the_otter_layout(layouts, layout, group):
    expected = dataset_items(layouts["yamls"]["otter"], group)
    got = dataset_items(layouts["yamls"][layout], group)
    assert len(got) == len(expected) > 0
    for a, b in zip(got, expected):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), err_msg=key)


def test_pictures_without_a_path_are_named_by_row_and_position(layouts):
    items = dataset_items(layouts["unnamed"], "IMAGE_TEXT")
    expected = {item["id"]: item for item in dataset_items(layouts["yamls"]["otter"], "IMAGE_TEXT")}
    assert len(items) == len(expected)
    for item in items:
        reference = expected[item["id"]]
        assert item["image_ids"] == [f"{item['id']}#{k}" for k in range(len(reference["image_ids"]))]
        np.testing.assert_array_equal(np.asarray(item["patch_images"]), np.asarray(reference["patch_images"]))
        assert item["full_text"] == reference["full_text"]


def run_sample(yaml: Path, group: str) -> list[dict]:
    out = subprocess.run([os.environ.get("MIMICIT_BIN", "mimicit"), "sample", str(yaml), "--group", group,
                          "--limit", "100"], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize("layout", ["instructions", "full"])
def test_cli_sample_prints_the_same_rows(layouts, layout):
    for group in ("IMAGE_TEXT", "TEXT_ONLY", "VIDEO_TEXT"):
        assert run_sample(layouts["yamls"][layout], group) == run_sample(layouts["yamls"]["otter"], group)


def test_image_store_opens_each_configuration(layouts):
    images = layouts["otter"]["images"]
    hf = layouts["hf"]
    for path in (hf / "LA_Images", hf / "LA", f"{hf}/LA/train-*.parquet"):
        store = mimicit.ImageStore(path)
        la_images = {k: v for k, v in images.items() if k.startswith("LA_")}
        assert sorted(store.ids()) == sorted(la_images)
        for image_id, data in la_images.items():
            assert store.get_bytes(image_id) == data


# ---------------------------------------------------------------------------
# Point reads inside lists of structs: large pages, every codec, v1 and v2.

def picture_rows(rng: np.random.Generator, rows: int) -> tuple[list, dict]:
    """Rows of 0-3 pictures (some rows null or empty, some structs null,
    some paths null); returns the column and {id: bytes} of named pictures."""
    column, named = [], {}
    for r in range(rows):
        if r % 11 == 4:
            column.append(None)
            continue
        pictures = []
        for k in range(r % 4):
            if (r + k) % 13 == 7:
                pictures.append(None)
                continue
            data = rng.bytes(int(rng.integers(50_000, 400_000)))
            path = None if (r + k) % 5 == 2 else f"pic-{r}-{k}"
            named[path or f"row{r}#{k}"] = data
            pictures.append({"bytes": data, "path": path})
        column.append(pictures)
    return column, named


@pytest.mark.parametrize("codec", ["snappy", "zstd", "gzip", "lz4", "none"])
@pytest.mark.parametrize("page_version", ["1.0", "2.0"])
def test_point_reads_in_large_pages_of_pictures(tmp_path, codec, page_version):
    rng = np.random.default_rng(hash((codec, page_version)) % 2**32)
    column, named = picture_rows(rng, 90)
    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    table = pa.table({"id": [f"row{r}" for r in range(90)], "images": pa.array(column, pa.list_(image))})
    path = tmp_path / "full.parquet"
    pq.write_table(table, path, compression=codec, data_page_version=page_version,
                   row_group_size=60, data_page_size=64 << 20, use_dictionary=False)
    assert max(pq.ParquetFile(path).metadata.row_group(0).column(1).total_uncompressed_size, 0) > 4 << 20
    for index_pages in (True, False):
        store = mimicit.ImageStore(path, index_pages=index_pages, cache_dir=tmp_path / f"cache{index_pages}")
        null_pictures = {f"row{r}#{k}" for r, row in enumerate(column) if row
                         for k, p in enumerate(row) if p is None}
        assert sorted(store.ids()) == sorted(set(named) | null_pictures)
        for picture_id in rng.permutation(sorted(named)):
            assert store.get_bytes(picture_id) == named[picture_id], picture_id
        for picture_id in null_pictures:
            with pytest.raises(mimicit.CorruptError):
                store.get_bytes(picture_id)


def test_parquet_cat_prints_lists_of_structs_leaf_by_leaf(tmp_path):
    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    rows = [[{"bytes": b"ab", "path": "x"}, None, {"bytes": None, "path": None}], [], None]
    pq.write_table(pa.table({"id": ["a", "b", "c"], "images": pa.array(rows, pa.list_(image))}), tmp_path / "f.parquet")
    out = subprocess.run([os.environ.get("MIMICIT_BIN", "mimicit"), "parquet", "cat", str(tmp_path / "f.parquet")],
                         capture_output=True, text=True, check=True).stdout
    assert [json.loads(line) for line in out.splitlines()] == [
        {"id": "a", "images.bytes": ["YWI=", None, None], "images.path": ["x", None, None]},
        {"id": "b", "images.bytes": [], "images.path": []},
        {"id": "c", "images.bytes": None, "images.path": None},
    ]
