"""The read side of object storage end to end, in this process (the C++
client, not the CLI), against moto's S3 server on loopback:

* prefixes and globs: an s3:// "folder" (with or without its '/') and
  globs expand as the same local folder or glob does (ListObjectsV2 with
  continuation tokens; hidden and `_` names skipped; natural order), in
  `images_path`, `mimicit_path` and ImageStore; http(s) folders fail clearly;
* mimicit.Dataset / Loader / ImageStore over a data YAML whose paths are
  s3:// URLs (the YAML itself an object) give exactly the batches, samples
  and bytes of the same data on local disk, also unpickled under spawn;
* a sample whose fetch finally fails (the object deleted after open,
  persistent 5xx) is dropped and reported like a corrupt image;
* processes sharing a cache folder fetch each byte once (counted by a proxy);
* what a get costs (mimicit.remote_stats()) on a pandas-written store.

The data are written by pandas, pyarrow and `datasets` with their defaults.
"""

from __future__ import annotations

import base64
import hashlib
import multiprocessing
import os
import pickle
import shutil
from pathlib import Path

import pytest

import mimicit
from object_servers import FaultProxy, MotoS3, Nginx
from test_hf_layout import write_task, write_yaml
from test_loader import digest, write_data

pytest.importorskip("moto")
pytest.importorskip("boto3")

BUCKET = "data"


def upload_tree(s3: MotoS3, root: Path, prefix: str) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            s3.client.upload_file(str(path), BUCKET, f"{prefix}/{path.relative_to(root)}")


def point_at(monkeypatch, env: dict, cache: Path) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MIMICIT_CACHE_DIR", str(cache))
    monkeypatch.setenv("MIMICIT_REMOTE_BASE_DELAY", "0.01")


@pytest.fixture(scope="module")
def s3():
    server = MotoS3()
    server.client.create_bucket(Bucket=BUCKET)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tree(s3, tmp_path_factory) -> dict:
    """The same data at `local` and at s3://data/tree: Otter JSON
    instructions and a pandas store, the Hugging Face configurations
    (folders of `datasets` shards), junk a folder listing must skip, and
    two data YAMLs naming the same things locally and remotely."""
    root = tmp_path_factory.mktemp("tree")
    local = root / "local"
    (local / "otter").mkdir(parents=True)
    otter = write_data(local / "otter")
    hf = local / "hf"
    for group, task in {"IMAGE_TEXT": "LA", "TEXT_ONLY": "LIMA", "VIDEO_TEXT": "DC"}.items():
        write_task(hf, task, otter["records"][group], otter["images"])
    for junk in ("_SUCCESS", ".hidden.parquet", "_tmp/part-9.parquet", "notes.txt"):
        (hf / "LA_Images" / junk).parent.mkdir(parents=True, exist_ok=True)
        (hf / "LA_Images" / junk).write_bytes(b"not a parquet file")
    upload_tree(s3, local, "tree")
    url = f"s3://{BUCKET}/tree"

    def paths(base: str) -> dict:
        return {
            "IMAGE_TEXT": {"LA": {"mimicit_path": f"{base}/hf/LA_Instructions",      # a folder, no '/'
                                  "images_path": f"{base}/hf/LA_Images/"}},          # a folder
            "TEXT_ONLY": {"LIMA": {"mimicit_path": f"{base}/hf/LIMA_Instructions/train-*-of-*.parquet"}},
            "VIDEO_TEXT": {"DC": {"mimicit_path": f"{base}/otter/DC_instructions.json",
                                  "images_path": f"{base}/hf/DC_Images/train-*.parquet"}},  # a glob
        }

    local_yaml = write_yaml(root / "local.yaml", paths(str(local)))
    remote_yaml = write_yaml(root / "remote.yaml", paths(url))
    s3.client.upload_file(str(remote_yaml), BUCKET, "yamls/remote.yaml")
    return {"local": local, "url": url, "otter": otter, "local_yaml": str(local_yaml),
            "remote_yaml": f"s3://{BUCKET}/yamls/remote.yaml", "remote_yaml_file": str(remote_yaml)}


@pytest.fixture
def remote(s3, tmp_path, monkeypatch):
    point_at(monkeypatch, s3.env, tmp_path / "cache")
    mimicit.remote_stats(reset=True)
    return s3


def loader_digests(yaml: str) -> list:
    loader = mimicit.Loader(yaml, 3, image_size=24, num_threads=2, seed=7, drop_last=False,
                            return_tensors="numpy", rank=0, world_size=1)
    return [(digest(batch), batch["image_ids"], batch["errors"]) for batch in loader]


def dataset_items(yaml: str, group: str) -> list:
    ds = mimicit.Dataset(yaml, group, image_size=24, dtype="uint8")
    return [(item["id"], item["full_text"], item["patch_images"].tobytes()) for item in ds]


# ---------------------------------------------------------------------------
# Prefixes and globs

def test_store_prefix_lists_as_the_local_folder(tree, remote):
    local = mimicit.ImageStore(tree["local"] / "hf" / "LA_Images")
    for given in (f"{tree['url']}/hf/LA_Images/", f"{tree['url']}/hf/LA_Images"):
        store = mimicit.ImageStore(given)
        base = f"{tree['url']}/hf/LA_Images/"
        assert store.files() == [base + os.path.relpath(f, tree["local"] / "hf" / "LA_Images")
                                 for f in local.files()]
        assert store.ids() == local.ids()
        for image_id in local.ids():
            assert store.get_bytes(image_id) == local.get_bytes(image_id)


def test_store_glob_matches_as_the_local_glob(tree, remote):
    local = mimicit.ImageStore(str(tree["local"] / "hf" / "*_Images" / "train-*-of-*.parquet"))
    store = mimicit.ImageStore(f"{tree['url']}/hf/*_Images/train-*-of-*.parquet")
    assert store.files() == [f.replace(str(tree["local"]), tree["url"]) for f in local.files()]
    assert store.ids() == local.ids()
    # A glob matching folders takes the shards inside them.
    folders = mimicit.ImageStore(f"{tree['url']}/hf/[LD][AC]_Images")
    assert folders.ids() == local.ids()
    with pytest.raises(mimicit.NotFoundError, match="matches no"):
        mimicit.ImageStore(f"{tree['url']}/hf/*_Nothing/*.parquet")


def test_listing_follows_continuation_tokens_in_natural_order(s3, remote, tmp_path):
    import pandas as pd

    from concurrent.futures import ThreadPoolExecutor

    # 1100 objects under the prefix: two ListObjectsV2 pages.
    # Keys XML-escaped in the listing (&) and percent-encoded when signed (space).
    names = [f"part.{n}.parquet" for n in (1, 2, 10)] + ["sub/part.0.parquet", "sub/a&b c.parquet"]
    folder = tmp_path / "shards"
    images = {}
    for k, name in enumerate(names):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        ids = [f"IMG_{k}_{i}" for i in range(5)]
        images.update({i: os.urandom(200) for i in ids})
        pd.DataFrame({"base64": [base64.b64encode(images[i]).decode() for i in ids]},
                     index=pd.Index(ids, name="id")).to_parquet(folder / name)
        s3.client.upload_file(str(folder / name), BUCKET, f"many/{name}")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: s3.client.put_object(Bucket=BUCKET, Key=f"many/logs/{n:04d}.txt", Body=b"x"),
                      range(1100)))
    mimicit.remote_stats(reset=True)
    store = mimicit.ImageStore(f"s3://{BUCKET}/many/")
    assert mimicit.remote_stats()["lists"] == 2
    local = mimicit.ImageStore(folder)
    assert [f.replace(str(folder) + "/", "") for f in local.files()] == \
        ["part.1.parquet", "part.2.parquet", "part.10.parquet", "sub/a&b c.parquet", "sub/part.0.parquet"]
    assert store.files() == [f"s3://{BUCKET}/many/" + f.replace(str(folder) + "/", "") for f in local.files()]
    assert all(store.get_bytes(i) == b for i, b in images.items())


def test_http_folders_fail_clearly(tree, tmp_path, monkeypatch):
    try:
        server = Nginx(tree["local"], tmp_path / "nginx")
    except FileNotFoundError as e:
        pytest.skip(str(e))
    try:
        monkeypatch.setenv("MIMICIT_CACHE_DIR", str(tmp_path / "cache"))
        for given in (f"{server.url}/hf/LA_Images/", f"{server.url}/hf/LA_Images/*.parquet"):
            with pytest.raises(mimicit.InvalidArgumentError, match="cannot be listed"):
                mimicit.ImageStore(given)
        # One object over plain HTTP still opens.
        shard = sorted((tree["local"] / "hf" / "DC_Images").glob("train-*.parquet"))[0]
        store = mimicit.ImageStore(f"{server.url}/hf/DC_Images/{shard.name}")
        assert store.ids() == mimicit.ImageStore(shard).ids()
    finally:
        server.stop()


# ---------------------------------------------------------------------------
# Dataset, Loader, ImageStore: the same as local

def test_loader_batches_from_s3_equal_local(tree, remote):
    local = loader_digests(tree["local_yaml"])
    assert len(local) > 5 and not any(errors for _, _, errors in local)
    assert loader_digests(tree["remote_yaml"]) == local       # the YAML itself an object
    assert loader_digests(tree["remote_yaml_file"]) == local  # a local YAML of URLs


@pytest.mark.parametrize("group", ["IMAGE_TEXT", "TEXT_ONLY", "VIDEO_TEXT"])
def test_dataset_samples_from_s3_equal_local(tree, remote, group):
    assert dataset_items(tree["remote_yaml"], group) == dataset_items(tree["local_yaml"], group)


def spawned_results(payload: bytes) -> list:
    """Run in a spawned process: unpickles (store, dataset, loader) and uses them."""
    store, dataset, loader = pickle.loads(payload)
    return [sorted(store.ids())[:3], store.get_bytes(sorted(store.ids())[0]),
            [(item["id"], item["patch_images"].tobytes()) for item in dataset],
            [digest(batch) for batch in loader]]


def test_pickled_with_urls_work_under_spawn(tree, remote):
    store = mimicit.ImageStore(f"{tree['url']}/hf/LA_Images/")
    dataset = mimicit.Dataset(tree["remote_yaml"], "VIDEO_TEXT", image_size=24, dtype="uint8")
    loader = mimicit.Loader(tree["remote_yaml"], 3, image_size=24, num_threads=1, seed=7, drop_last=False,
                            groups=["IMAGE_TEXT"], return_tensors="numpy", rank=0, world_size=1)
    here = spawned_results(pickle.dumps((store, dataset, loader)))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        there = pool.apply(spawned_results, (pickle.dumps((store, dataset, loader)),))
    assert there == here


# ---------------------------------------------------------------------------
# A fetch that finally fails drops its sample

def test_object_deleted_after_open_drops_its_samples(s3, remote, tmp_path):
    (tmp_path / "data").mkdir()
    data = write_data(tmp_path / "data")
    for name in ("images.parquet", "LA_instructions.json", "LIMA_instructions.json", "DC_instructions.json"):
        s3.client.upload_file(str(tmp_path / "data" / name), BUCKET, f"deleted/{name}")
    yaml = Path(data["yaml"]).read_text().replace(str(tmp_path / "data"), f"s3://{BUCKET}/deleted")
    (tmp_path / "remote.yaml").write_text(yaml)
    loader = mimicit.Loader(tmp_path / "remote.yaml", 4, image_size=16, num_threads=2, drop_last=False,
                            replacement=False, return_tensors="numpy", rank=0, world_size=1)
    s3.client.delete_object(Bucket=BUCKET, Key="deleted/images.parquet")
    seen, dropped = set(), []
    for batch in loader:
        seen.update(batch["id"])
        dropped.extend(batch["errors"])
    assert dropped and dropped == loader.errors()
    for error in dropped:
        assert error["task_group"] in ("IMAGE_TEXT", "VIDEO_TEXT")
        assert f"s3://{BUCKET}/deleted/images.parquet" in error["message"]
        assert error["code"] in ("not found", "io")
    # Training went on: every sample was served or reported, text-only ones all served.
    everything = {i for records in data["records"].values() for i in records}
    assert seen | {e["id"] for e in dropped} == everything
    assert set(data["records"]["TEXT_ONLY"]) <= seen


def test_persistent_5xx_drops_its_samples(s3, tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    # Pictures large enough that the store spans blocks the open does not fetch.
    data = write_data(tmp_path / "data", image_records=6, text_records=2, video_records=0, size=(400, 300))
    for name in ("images.parquet", "LA_instructions.json", "LIMA_instructions.json"):
        s3.client.upload_file(str(tmp_path / "data" / name), BUCKET, f"flaky/{name}")
    (tmp_path / "remote.yaml").write_text(
        "IMAGE_TEXT:\n"
        f"  LA:\n    mimicit_path: s3://{BUCKET}/flaky/LA_instructions.json\n"
        f"    images_path: s3://{BUCKET}/flaky/images.parquet\n"
        "TEXT_ONLY:\n"
        f"  LIMA:\n    mimicit_path: s3://{BUCKET}/flaky/LIMA_instructions.json\n")
    proxy = FaultProxy(f"127.0.0.1:{s3.port}")
    try:
        env = dict(s3.env, AWS_ENDPOINT_URL=proxy.endpoint, MIMICIT_REMOTE_ATTEMPTS="3")
        point_at(monkeypatch, env, tmp_path / "cache")
        loader = mimicit.Loader(tmp_path / "remote.yaml", 2, image_size=16, num_threads=1, drop_last=False,
                                replacement=False, return_tensors="numpy", rank=0, world_size=1)
        opened = len(proxy.log)
        proxy.faults = ["503"] * 10_000  # from here on the server fails every request
        seen, dropped = set(), []
        for batch in loader:
            seen.update(batch["id"])
            dropped.extend(batch["errors"])
        assert set(data["records"]["TEXT_ONLY"]) <= seen
        assert {e["id"] for e in dropped} == set(data["records"]["IMAGE_TEXT"]) - seen
        assert dropped, "some image was not yet cached when the server began failing"
        for error in dropped:
            assert error["code"] == "io"
            assert "503" in error["message"] and "after 3 attempts" in error["message"]
        # Each failed fetch made 3 attempts, then gave up.
        assert (len(proxy.log) - opened) % 3 == 0
    finally:
        proxy.stop()


# ---------------------------------------------------------------------------
# Processes sharing a cache folder fetch each byte once

def read_whole_store(url: str) -> str:
    store = mimicit.ImageStore(url)
    digest_ = hashlib.sha256()
    for image_id in store.ids():
        digest_.update(store.get_bytes(image_id))
    return digest_.hexdigest()


def test_processes_sharing_the_cache_fetch_each_byte_once(s3, tmp_path, monkeypatch):
    import pandas as pd

    images = {f"IMG_{i:04d}": os.urandom(3000 + 7 * i) for i in range(400)}
    store = tmp_path / "shared.parquet"
    pd.DataFrame({"base64": [base64.b64encode(b).decode() for b in images.values()]},
                 index=pd.Index(list(images), name="id")).to_parquet(store)
    s3.client.upload_file(str(store), BUCKET, "shared/store.parquet")
    size = store.stat().st_size
    proxy = FaultProxy(f"127.0.0.1:{s3.port}")
    try:
        point_at(monkeypatch, dict(s3.env, AWS_ENDPOINT_URL=proxy.endpoint), tmp_path / "cache")
        with multiprocessing.get_context("spawn").Pool(4) as pool:
            digests = pool.map(read_whole_store, [f"s3://{BUCKET}/shared/store.parquet"] * 4)
        assert len(set(digests)) == 1
        assert digests[0] == read_whole_store(str(store))
        gets = [entry for entry in proxy.log if entry[0] == "GET"]
        # Every byte fetched once (whole blocks of the object, so at most its
        # size), not 4 times; one HEAD per process.
        assert proxy.body_bytes <= size, (proxy.body_bytes, size)
        assert proxy.body_bytes >= size // 2  # the whole store was read
        # One HEAD per process for the store, and one for its published
        # index (absent here) in each process that found none in the cache.
        heads = [entry[1] for entry in proxy.log if entry[0] == "HEAD"]
        assert sum(1 for p in heads if "mimicit-index" not in p) == 4, heads
        assert sum(1 for p in heads if "mimicit-index" in p) <= 4, heads
        assert len(gets) <= size // (256 * 1024) + 2
    finally:
        proxy.stop()


# ---------------------------------------------------------------------------
# What a get costs

def test_store_get_costs_at_most_two_bounded_requests(s3, remote, tmp_path):
    import pandas as pd

    images = {f"LA_IMG_{i:05d}": os.urandom(20_000 + 13 * i) for i in range(600)}
    path = tmp_path / "LA.parquet"
    pd.DataFrame({"base64": [base64.b64encode(b).decode() for b in images.values()]},
                 index=pd.Index(list(images), name="id")).to_parquet(path)  # pandas' defaults
    s3.client.upload_file(str(path), BUCKET, "cost/LA.parquet")
    size = path.stat().st_size
    url = f"s3://{BUCKET}/cost/LA.parquet"
    # The first open on a node reads the ids and walks the payload page once
    # for its restart points (seek tables), saved with the index in the cache.
    first = mimicit.ImageStore(url)
    assert first.index_info()["saved_index"] and first.index_info()["seek_table_bytes"] > 0
    # The stamp reuses the open's version: one HEAD for the store, and one
    # looking for an index published beside it (none here).
    assert mimicit.remote_stats(reset=True)["heads"] == 2
    # A node whose object cache is empty but holds that index: the open maps
    # it (a HEAD and the footer's block), and each get fetches at most 2
    # ranges: from the restart point before the image (at most a restart
    # interval, 1 MiB) to the image's end, rounded out to blocks.
    shutil.rmtree(tmp_path / "cache" / "objects")
    store = mimicit.ImageStore(url)
    assert store.index_info()["used_saved_index"]
    opened = mimicit.remote_stats(reset=True)
    block = 256 * 1024
    assert opened["heads"] == 1 and opened["requests"] <= 3 and opened["bytes"] <= 2 * block, opened
    bound = 1024 * 1024 + 2 * 40_000 + 2 * block
    assert size > 8 * bound
    for image_id in ["LA_IMG_00000", "LA_IMG_00300", "LA_IMG_00599", "LA_IMG_00150", "LA_IMG_00451"]:
        assert store.get_bytes(image_id) == images[image_id]
        cost = mimicit.remote_stats(reset=True)
        assert cost["requests"] <= 2 and cost["heads"] == 0 and cost["lists"] == 0, (image_id, cost)
        assert cost["bytes"] <= bound, (image_id, cost)
    # A second get of the same image is served by the node cache.
    assert store.get_bytes("LA_IMG_00300") == images["LA_IMG_00300"]
    again = mimicit.remote_stats(reset=True)
    assert again["requests"] == 0 and again["cache_hits"] >= 1 and again["cache_misses"] == 0


# ---------------------------------------------------------------------------
# convert sources

@pytest.mark.parametrize("source, task", [("hf/LA_Instructions", None), ("hf/LA_Instructions/", None),
                                          ("hf/DC/train-*.parquet", "Video")],
                         ids=["prefix", "prefix-slash", "glob"])
def test_convert_reads_s3_sources_as_local(tree, remote, run_cli, tmp_path, source, task):
    extra = ["--task", task] if task else []
    outputs = {}
    for name, base in (("local", str(tree["local"])), ("s3", tree["url"])):
        out = tmp_path / name
        result = run_cli("convert", f"{base}/{source}", "--to", "otter", "-o", out, *extra, timeout=120)
        assert result.returncode == 0, result.stderr.decode()
        outputs[name] = out
    files = sorted(p.name for p in outputs["local"].iterdir())
    assert sorted(p.name for p in outputs["s3"].iterdir()) == files
    for name in files:
        if name.endswith(".json"):  # the same records (meta.source names the source as given)
            import json
            local_doc, s3_doc = (json.loads((outputs[k] / name).read_text()) for k in ("local", "s3"))
            assert s3_doc["data"] == local_doc["data"]
            assert list(s3_doc["data"]) == list(local_doc["data"])
            assert s3_doc["meta"]["source"] == f"{tree['url']}/{source}"
        elif name.endswith("_images"):  # X_Images found beside X_Instructions, also on S3
            local, remote_store = mimicit.ImageStore(outputs["local"] / name), mimicit.ImageStore(outputs["s3"] / name)
            assert remote_store.ids() == local.ids() and len(local) > 0
            assert all(remote_store.get_bytes(i) == local.get_bytes(i) for i in local.ids())


def test_validate_reads_a_yaml_of_urls(tree, remote, s3, tmp_path):
    assert mimicit.validate(tree["remote_yaml"])["problems"] == []
    # A missing object is a problem of its dataset, naming the URL.
    text = Path(tree["remote_yaml_file"]).read_text().replace("hf/DC_Images/train-*.parquet", "hf/nothing.parquet")
    (tmp_path / "missing.yaml").write_text(text)
    problems = mimicit.validate(tmp_path / "missing.yaml")["problems"]
    assert problems and all(p["dataset"] == "DC" for p in problems)
    assert any(f"{tree['url']}/hf/nothing.parquet" in p["file"] + p["detail"] for p in problems)


def test_dask_validate_reads_a_yaml_at_a_url(tree, remote):
    """mimicit.dask.validate of the YAML in the bucket (decoding every image
    on the cluster) reports what mimicit.validate of the local YAML does."""
    distributed = pytest.importorskip("distributed")
    import mimicit.dask

    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=":0") as client:
        remote_report = mimicit.dask.validate(tree["remote_yaml"], client=client, decode=True)
    local_report = mimicit.validate(tree["local_yaml"], decode=True)
    assert remote_report["problems"] == local_report["problems"] == []
    assert remote_report["summary"]["images"] == local_report["summary"]["images"] > 0
