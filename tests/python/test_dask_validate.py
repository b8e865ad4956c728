"""mimicit.dask.validate on a dask.distributed LocalCluster (2 worker
processes): the report equals mimicit.validate's (the time aside) with the
decode pass cut into many ranges: problem placement on the first
instruction using an image, across groups sharing a store, and the
per-kind caps (max_problems) all survive the split."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
distributed = pytest.importorskip("distributed")
Image = pytest.importorskip("PIL.Image")
mimicit = pytest.importorskip("mimicit")
mimicit_dask = pytest.importorskip("mimicit.dask")

from test_validate import build  # noqa: E402  (the seeded dataset: one problem of each kind)


@pytest.fixture(scope="module")
def client(dask_client):
    return dask_client


def without_time(report: dict) -> dict:
    report = json.loads(json.dumps(report))
    del report["summary"]["seconds"]
    return report


def png_b64(width: int, height: int, shade: int) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (shade % 256, 40, 200)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def many_problems(root: Path) -> Path:
    """Two stores (Parquet with small row groups, legacy JSON), one of them
    shared by two groups; dozens of bad images of each decode kind, some
    used by several instructions, some by none."""
    root.mkdir(parents=True, exist_ok=True)
    big: dict[str, str] = {}
    for i in range(60):
        kind = i % 5
        big[f"S_{i:03d}"] = (png_b64(12 + i % 7, 10 + i % 5, i) if kind < 2 else
                             "@@@ not base64 @@@" if kind == 2 else  # 9 characters: CPython fails too
                             base64.b64encode(b"not an image %d" % i).decode() if kind == 3 else
                             png_b64(3, 5, i))
    frame = pd.DataFrame.from_dict(big, orient="index", columns=["base64"])
    pq.write_table(pa.Table.from_pandas(frame), root / "S.parquet", row_group_size=7)
    legacy = {f"J_{i:03d}": (png_b64(9, 9 + i % 3, i) if i % 3 else "%%% bad64 %%%") for i in range(30)}
    (root / "J.json").write_text(json.dumps(legacy))

    def records(prefix: str, image_lists: list[list[str]]) -> dict:
        return {"meta": {}, "data": {f"{prefix}_{k}": {"instruction": f"Question {k}?", "answer": f"Answer {k}.",
                                                       "image_ids": ids, "rel_ins_ids": []}
                                     for k, ids in enumerate(image_lists)}}
    (root / "X.json").write_text(json.dumps(records("X", [[f"S_{(7 * k) % 60:03d}", f"S_{k:03d}"]
                                                          for k in range(25)])))
    (root / "Y.json").write_text(json.dumps(records("Y", [[f"S_{(k * 3) % 60:03d}", f"J_{k:03d}"]
                                                          for k in range(20)])))
    yaml = root / "data.yaml"
    yaml.write_text("IMAGE_TEXT:\n  X:\n    mimicit_path: X.json\n    images_path: S.parquet\n"
                    "VIDEO_TEXT:\n  Y:\n    mimicit_path: Y.json\n    images_path: [J.json, S.parquet]\n")
    return yaml


@pytest.mark.parametrize("decode", [False, True])
def test_seeded_dataset_same_report(tmp_path, client, decode):
    yaml = build(tmp_path / "seeded", seeded=True)
    local = mimicit.validate(yaml, decode=decode)
    remote = mimicit_dask.validate(yaml, client=client, decode=decode, range_images=2)
    assert without_time(remote) == without_time(local)
    assert remote["summary"]["problems"] > 0


@pytest.mark.parametrize("max_problems", [0, 2, 1000])
def test_split_decode_pass_keeps_placement_and_caps(tmp_path, client, monkeypatch, max_problems):
    yaml = many_problems(tmp_path / "many")
    # Relative paths in the YAML: the cluster resolves them against this
    # process's working directory (the workers' differs), and reports them
    # resolved, as mimicit.validate does with that base_dir.
    monkeypatch.chdir(yaml.parent)
    local = mimicit.validate("data.yaml", decode=True, max_problems=max_problems, base_dir=yaml.parent)
    counts = local["summary"]["counts"]
    assert counts["bad_base64"] >= 20 and counts["undecodable_image"] >= 10 and counts["tiny_image"] >= 10
    for range_images in (1, 5, 1000):
        remote = mimicit_dask.validate("data.yaml", client=client, decode=True, range_images=range_images,
                                       max_problems=max_problems)
        assert without_time(remote) == without_time(local), range_images
    assert without_time(mimicit_dask.validate("data.yaml", client=client, decode=True,
                                              max_problems=max_problems)) == without_time(local)


def test_unreadable_store_is_reported_not_raised(tmp_path, client):
    yaml = many_problems(tmp_path / "broken")
    (yaml.parent / "J.json").write_text("{ this is not json")
    local = mimicit.validate(yaml, decode=True, base_dir=yaml.parent)
    remote = mimicit_dask.validate(yaml, client=client, decode=True, base_dir=yaml.parent, range_images=4)
    assert without_time(remote) == without_time(local)
    assert local["summary"]["counts"]["bad_file"] == 1


def test_missing_yaml_raises(tmp_path, client):
    with pytest.raises(OSError, match="nothing.yaml"):
        mimicit_dask.validate(tmp_path / "nothing.yaml", client=client, decode=True, retries=0)
