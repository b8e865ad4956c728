"""mimicit.Loader across torch.distributed ranks, in real processes (gloo on
127.0.0.1; torch.multiprocessing.spawn and torchrun): the ranks' shares are
disjoint and together cover each group's epoch list exactly as torch's
DistributedSampler shards it (the order documented in loader.h); every
rank takes the same group at the same step; a run resumed in new
processes from a saved state continues exactly; a state saved with W ranks
resumes on W' ranks covering the rest of the epoch exactly once (elastic
resume, every batching mode); stores are opened on first
use and read through the shared page cache (no per-rank copy)."""

from __future__ import annotations

import json
import os
from collections import Counter
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
import torch.distributed  # noqa: E402
import torch.multiprocessing  # noqa: E402

import mimicit  # noqa: E402

from distributed_loader_worker import run_rank  # noqa: E402
from test_loader import write_data  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.distributed.is_available() or
                                not torch.distributed.is_gloo_available(), reason="no gloo backend")

BATCH = 3
IMAGE_SIZE = 32
FRAMES = 4  # video frames per sample (the order does not depend on them)
EPOCH = 1
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    """The loader tests' data with 640 x 480 JPEGs saved at quality 100
    (4:4:4), in a store written by pyarrow in row groups of 8 rows without
    dictionary (a pandas-layout store of ~40 MB): large next to the few MB
    of buffers a rank sets up, and next to what it may hold of the store."""
    import base64
    import io

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image
    written = write_data(tmp_path_factory.mktemp("distributed"), image_records=30, text_records=11,
                         video_records=7, size=(640, 480))
    for image_id, data in written["images"].items():
        out = io.BytesIO()
        Image.open(io.BytesIO(data)).save(out, "JPEG", quality=100, subsampling=0)
        written["images"][image_id] = out.getvalue()
    frame = pd.DataFrame.from_dict({k: base64.b64encode(v).decode() for k, v in written["images"].items()},
                                   orient="index", columns=["base64"])
    pq.write_table(pa.Table.from_pandas(frame), written["yaml"].parent / "images.parquet", row_group_size=8,
                   use_dictionary=False)
    return written


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(data: dict, out: Path, runs: list[dict]) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    return {"yaml": str(data["yaml"]), "store": str(data["yaml"].parent / "images.parquet"),
            "out": str(out), "batch_size": BATCH, "image_size": IMAGE_SIZE, "frames": FRAMES, "epoch": EPOCH,
            "runs": runs, "port": free_port()}


def read_run(out: Path, name: str, world_size: int) -> list[dict]:
    return [json.loads((out / f"{name}.rank{r}.json").read_text()) for r in range(world_size)]


def spawn(world_size: int, settings: dict) -> None:
    torch.multiprocessing.spawn(run_rank, args=(world_size, settings), nprocs=world_size, join=True)


def torchrun(world_size: int, settings: dict) -> None:
    path = Path(settings["out"]) / "config.json"
    path.write_text(json.dumps(settings))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node",
                             str(world_size), "--master_addr", "127.0.0.1", "--master_port",
                             str(settings["port"]), str(HERE / "distributed_loader_worker.py"),
                             str(path)], capture_output=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]


# The runs of one 4-process launch, in order; runs of 2 and 3 ranks use a
# subgroup of the first ranks. "head" stops after HEAD_STEPS steps (its state
# resumes in new processes).
HEAD_STEPS = 4
RUNS = [{"name": "w2", "world_size": 2, "replacement": False, "again": 3},
        {"name": "w3", "world_size": 3, "replacement": False},
        {"name": "w4", "world_size": 4, "replacement": False},
        {"name": "w2r", "world_size": 2, "replacement": True},
        {"name": "head", "world_size": 2, "replacement": True, "steps": HEAD_STEPS}]


@pytest.fixture(scope="module")
def runs(data, tmp_path_factory) -> dict:
    """RUNS in one torch.multiprocessing.spawn of 4 ranks: {name: [rank records]}."""
    out = tmp_path_factory.mktemp("runs")
    spawn(4, config(data, out, RUNS))
    return {run["name"]: read_run(out, run["name"], run["world_size"]) for run in RUNS}


def epoch_lists(data: dict, replacement: bool) -> dict[str, list[str]]:
    """Each group's epoch list (loader.h step 1): one process's samples of the
    group, in step order, with nothing dropped."""
    single = mimicit.Loader(data["yaml"], BATCH, rank=0, world_size=1, image_size=8, resample_frames=1,
                            epoch=EPOCH, replacement=replacement, drop_last=False, num_threads=1,
                            return_tensors="numpy")
    lists: dict[str, list[str]] = {}
    for batch in single:
        lists.setdefault(batch["task_group"][0], []).extend(batch["id"])
    return lists


def expected_batches(epoch_list: list[str], rank: int, world_size: int) -> list[list[str]]:
    """Rank `rank`'s batches of one group: torch's DistributedSampler over
    the epoch list (no shuffle: the list is already drawn; padded by wrapping
    around), cut into batches in order."""
    sampler = torch.utils.data.DistributedSampler(range(len(epoch_list)), num_replicas=world_size,
                                                  rank=rank, shuffle=False, drop_last=False)
    share = [epoch_list[i] for i in sampler]
    return [share[i:i + BATCH] for i in range(0, len(share), BATCH)]


def by_group(record: dict) -> dict[str, list[list[str]]]:
    groups: dict[str, list[list[str]]] = {}
    for batch in record["batches"]:
        groups.setdefault(batch["group"], []).append(batch["ids"])
    return groups


@pytest.mark.parametrize("name, world_size", [("w2", 2), ("w3", 3), ("w4", 4)])
def test_ranks_share_each_epoch_as_distributed_sampler(data, runs, name, world_size):
    ranks = runs[name]
    lists = epoch_lists(data, replacement=False)
    # Every rank has the same steps, with the same group at each (checked
    # live by the ranks too), and len() says how many.
    steps = [[(b["step"], b["group"]) for b in r["batches"]] for r in ranks]
    assert all(s == steps[0] for s in steps)
    assert [b["step"] for b in ranks[0]["batches"]] == list(range(ranks[0]["len"]))
    for group, epoch_list in lists.items():
        assert sorted(epoch_list) == sorted(data["records"][group])  # a permutation
        shares = [by_group(r)[group] for r in ranks]
        for rank, share in enumerate(shares):
            assert share == expected_batches(epoch_list, rank, world_size)
        # Disjoint and covering: every sample once, plus the wrap-around padding.
        taken = [i for share in shares for batch in share for i in batch]
        padding = -len(epoch_list) % world_size
        assert len(taken) == len(epoch_list) + padding
        assert set(taken) == set(epoch_list)
    assert all(r["errors"] == 0 for r in ranks)


@pytest.mark.parametrize("name, world_size", [("w2r", 2)])
def test_with_replacement_the_ranks_interleave_the_reference_draws(data, runs, name, world_size):
    for group, epoch_list in epoch_lists(data, replacement=True).items():
        for rank, record in enumerate(runs[name]):
            assert by_group(record)[group] == expected_batches(epoch_list, rank, world_size)


def test_stores_open_lazily_and_stay_in_the_shared_page_cache(data, runs):
    store_size = (data["yaml"].parent / "images.parquet").stat().st_size
    assert store_size > 32 << 20
    for records in runs.values():
        for record in records:
            assert record["mapped_before"] is False  # opened on the first batch, not at construction
    for record in runs["w2"]:  # each of the two ranks reads about half the store per epoch
        epochs = [record["memory"], *record["memory_again"]]
        # The store is a shared file mapping, read in place through the page
        # cache: what stays resident of it in a rank is a small part of it.
        assert epochs[0]["store_mapped"] >= store_size
        assert max(m["store_rss"] for m in epochs) < store_size // 8, epochs
        # Its own (anonymous) memory: buffers, decoder scratch and Parquet
        # cursors set up in the first epoch (~10 MB, whatever the store
        # size), far from a copy of what it read; three more epochs, reading
        # more images than the store holds, add only noise.
        grown = [m["RssAnon"] - record["memory_before"]["RssAnon"] for m in epochs]
        assert max(grown) < store_size // 2, grown
        assert max(grown[1:]) - grown[0] < store_size // 8, grown


def test_resume_in_new_processes_continues_exactly(data, runs, tmp_path):
    world_size = 2
    whole, head = runs["w2r"], runs["head"]
    states = [r["state"] for r in head]
    assert all(s == states[0] for s in states)  # one state for all ranks
    assert states[0]["position"] == HEAD_STEPS and states[0]["epoch"] == EPOCH
    saved = tmp_path / "state.json"
    saved.write_text(json.dumps(states[0]))
    # New processes, launched by torchrun: rank and world size from its environment.
    torchrun(world_size, config(data, tmp_path, [{"name": "tail", "replacement": True, "state": str(saved)}]))
    tail = read_run(tmp_path, "tail", world_size)
    for rank in range(world_size):
        assert len(whole[rank]["batches"]) > HEAD_STEPS
        assert head[rank]["batches"] + tail[rank]["batches"] == whole[rank]["batches"]


# Elastic resume (loader.h, "Elastic resume"): (name, batching, W, per-rank
# batch, W', per-rank batch after, drop_last). Each case: the uninterrupted
# run on W ranks, its first ELASTIC_STEPS steps, and the rest resumed from
# that state on W' ranks (state_from: rank 0's saved state).
ELASTIC_STEPS = 2
ELASTIC = [("4to2", None, 4, 3, 2, 3, False), ("2to3", None, 2, 3, 3, 3, False),
           ("2to1", None, 2, 3, 1, 3, True), ("1to2", None, 1, 3, 2, 3, False),
           ("1to4", None, 1, 4, 4, 1, True), ("4to3", None, 4, 2, 3, 2, False),
           ("shape4to2", "by_shape", 4, 3, 2, 3, False), ("shape2to3", "by_shape", 2, 3, 3, 3, True),
           ("length2to3", "by_length", 2, 3, 3, 3, False)]


@pytest.fixture(scope="module")
def elastic(data, tmp_path_factory) -> dict:
    """ELASTIC in one torch.multiprocessing.spawn of 4 ranks:
    {name: (whole, head, tail)} of rank records."""
    out = tmp_path_factory.mktemp("elastic")
    runs = []
    for name, batching, world, batch, new_world, new_batch, drop_last in ELASTIC:
        common = {"replacement": False, "batching": batching, "drop_last": drop_last}
        runs += [{"name": f"{name}.whole", "world_size": world, "batch_size": batch, **common},
                 {"name": f"{name}.head", "world_size": world, "batch_size": batch, "steps": ELASTIC_STEPS,
                  **common},
                 {"name": f"{name}.tail", "world_size": new_world, "batch_size": new_batch,
                  "state_from": f"{name}.head", **common}]
    spawn(4, config(data, out, runs))
    return {case[0]: tuple(read_run(out, f"{case[0]}.{part}", world)
                           for part, world in (("whole", case[2]), ("head", case[2]), ("tail", case[4])))
            for case in ELASTIC}


def samples(records: list[dict]) -> Counter:
    return Counter(i for r in records for b in r["batches"] for i in b["ids"])


@pytest.mark.parametrize("case", ELASTIC, ids=[c[0] for c in ELASTIC])
def test_elastic_resume_on_another_world_size_covers_the_epoch_exactly_once(elastic, case):
    name, batching, world, batch, new_world, new_batch, _ = case
    whole, head, tail = elastic[name]
    state = head[0]["state"]
    assert all(r["state"] == state for r in head)
    assert (state["world_size"], state["batch_size"], state["position"]) == (world, batch, ELASTIC_STEPS)
    assert [len(r["batches"]) for r in head] == [ELASTIC_STEPS] * world
    assert len(tail) == new_world and tail[0]["batches"]
    # The rest on the new ranks: nothing seen before the state repeated,
    # nothing skipped: the head and the tail together are the whole epoch.
    assert samples(head) + samples(tail) == samples(whole)
    assert all(len(b["ids"]) <= new_batch for r in tail for b in r["batches"])
    # Every new rank the same steps (the live all_gather checked the group).
    assert len({len(r["batches"]) for r in tail}) == 1
    assert all(r["len"] == len(r["batches"]) for r in tail)
    assert all(r["errors"] == 0 for r in whole + head + tail)
    if batching == "by_shape":  # no image slot is padding, before and after the resume
        for r in whole + tail:
            assert all(c == b["slots"] for b in r["batches"] for c in b["image_counts"])


def test_elastic_resume_under_torchrun_in_new_processes(data, elastic, tmp_path):
    # The 4-rank head's state, resumed by 3 new processes that torchrun starts.
    whole, head, _ = elastic["4to3"]
    saved = tmp_path / "state.json"
    saved.write_text(json.dumps(head[0]["state"]))
    torchrun(3, config(data, tmp_path, [{"name": "tail", "replacement": False, "batch_size": 2,
                                         "state": str(saved)}]))
    tail = read_run(tmp_path, "tail", 3)
    assert samples(head) + samples(tail) == samples(whole)
    assert len({len(r["batches"]) for r in tail}) == 1
