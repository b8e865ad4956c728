"""`mimicit images ls|get|stats` on stores written by pandas."""

from __future__ import annotations

import json
from pathlib import Path

from test_convert import b64, make_images, write_pandas_store


def test_ls_get_and_not_found(tmp_path: Path, run_cli) -> None:
    images = make_images(30)
    store = tmp_path / "store.parquet"
    write_pandas_store(store, images)

    listed = run_cli("images", "ls", str(store))
    assert listed.returncode == 0, listed.stderr.decode()
    assert listed.stdout.decode().splitlines() == sorted(images)
    limited = run_cli("images", "ls", str(store), "--limit", "5")
    assert limited.stdout.decode().splitlines() == sorted(images)[:5]

    some_id = sorted(images)[17]
    got = run_cli("images", "get", str(store), some_id)
    assert got.returncode == 0 and got.stdout == images[some_id]
    target = tmp_path / "image.bin"
    assert run_cli("images", "get", str(store), some_id, "-o", str(target)).returncode == 0
    assert target.read_bytes() == images[some_id]

    missing = run_cli("images", "get", str(store), "LA_IMG_nope")
    assert missing.returncode == 1
    assert "LA_IMG_nope" in missing.stderr.decode() and "not found" in missing.stderr.decode()


def test_stats_counts_formats_sizes_unreadable_and_duplicates(tmp_path: Path, run_cli) -> None:
    images = make_images(40)
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_pandas_store(first, images)
    duplicated = dict(list(images.items())[:3])
    duplicated["LA_IMG_garbage"] = b"this is not an image"
    write_pandas_store(second, duplicated)

    result = run_cli("images", "stats", "--json", str(first), str(second))
    assert result.returncode == 0, result.stderr.decode()
    stats = json.loads(result.stdout)
    assert stats["images"] == 41
    assert stats["bytes"] == sum(map(len, images.values())) + len(b"this is not an image")
    pngs = sum(1 for data in images.values() if data.startswith(b"\x89PNG"))
    assert stats["formats"] == {"png": pngs, "jpeg": 40 - pngs}
    assert sum(stats["width"].values()) == sum(stats["height"].values()) == 40
    assert set(stats["width"]) <= {"16-31", "32-63"}
    assert stats["unreadable"] == 1
    assert stats["unreadable_examples"][0]["id"] == "LA_IMG_garbage"
    assert stats["duplicates"] == 3
    assert {d["id"] for d in stats["duplicate_examples"]} == set(list(images)[:3])

    text = run_cli("images", "stats", str(first))
    assert text.returncode == 0 and "images:      40" in text.stdout.decode()
