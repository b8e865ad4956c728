"""One rank of distributed mimicit.Loader runs, for
test_distributed_loader.py: started by torch.multiprocessing.spawn
(`run_rank`) or by torchrun (`python -m torch.distributed.run ... this file
CONFIG.json`: rank and world size from the environment).

The rank joins a gloo process group on 127.0.0.1, then runs the config's
`runs` one after the other. A run over the whole group takes the Loader's
rank and world size from torch.distributed; a run over fewer ranks
(`world_size` < the group's) uses a subgroup of the first ranks and passes
rank and world size explicitly. Each run builds a Loader (the run may set
its batch_size, drop_last and batching), optionally loads a saved state
(`state`: a file; `state_from`: the state rank 0 of an earlier run of the
same launch ended with, for elastic resume onto another world size), takes `steps` batches (all when 0), checking at every step
with an all_gather that its ranks are at the same step and group, and
writes <name>.rank<r>.json into `out`: its batches (step, group, ids, image
counts, image slots, a digest of the images), the final state, whether the store was mapped
before the first batch, and the rank's memory before the first batch and
after the first and the last (VmRSS, RssAnon, the resident pages of the
store file's mappings), and after each of `again` more epochs.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys


def memory(store: str) -> dict:
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                status[key] = int(value.split()[0]) * 1024
    store_rss, store_mapped, in_store = 0, 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            fields = line.split()
            if fields and "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
                in_store = len(fields) >= 6 and fields[5] == store
                if in_store:
                    low, high = (int(x, 16) for x in fields[0].split("-"))
                    store_mapped += high - low
            elif in_store and fields and fields[0] == "Rss:":
                store_rss += int(fields[1]) * 1024
    return {**status, "store_rss": store_rss, "store_mapped": store_mapped}


def store_is_mapped(store: str) -> bool:
    with open("/proc/self/maps") as f:
        return any(line.rstrip("\n").endswith(" " + store) for line in f)


GROUPS = ["", "IMAGE_TEXT", "TEXT_ONLY", "VIDEO_TEXT", "IMAGE_TEXT_IN_CONTEXT"]


def one_run(rank: int, world_size: int, group, run: dict, config: dict) -> None:
    import numpy as np
    import torch
    import torch.distributed as dist

    import mimicit

    explicit = {} if group is None else {"rank": rank, "world_size": world_size}
    loader = mimicit.Loader(config["yaml"], run.get("batch_size", config["batch_size"]),
                            image_size=config["image_size"], resample_frames=config["frames"], num_threads=1,
                            drop_last=run.get("drop_last", False), replacement=run["replacement"],
                            batching=run.get("batching"), epoch=config["epoch"], return_tensors="numpy",
                            **explicit)
    assert (loader.rank, loader.world_size) == (rank, world_size)
    if run.get("state"):
        with open(run["state"]) as f:
            loader.load_state_dict(json.load(f))
    if run.get("state_from"):  # the state an earlier run of this launch saved (rank 0's)
        with open(os.path.join(config["out"], f"{run['state_from']}.rank0.json")) as f:
            loader.load_state_dict(json.load(f)["state"])
    mapped_before = store_is_mapped(config["store"])
    before = memory(config["store"])
    batches = []
    warm = None
    for batch in loader:
        name = batch["task_group"][0] if batch["id"] else ""
        images = np.ascontiguousarray(batch["net_input"]["patch_images"])
        batches.append({"step": batch["step"], "group": name, "ids": list(batch["id"]),
                        "image_counts": [int(c) for c in batch["image_counts"]], "slots": int(images.shape[2]),
                        "digest": hashlib.sha1(images.tobytes()).hexdigest()})
        # What DDP relies on: every rank at the same step, on the same group
        # (a rank's batch may be empty, naming no group, at the end of a
        # by_shape unit or of an elastically resumed epoch).
        mine = torch.tensor([batch["step"], GROUPS.index(name)], dtype=torch.int64)
        seen = [torch.zeros_like(mine) for _ in range(world_size)]
        dist.all_gather(seen, mine, group=group)
        assert all(s[0] == mine[0] for s in seen), seen
        assert len({int(s[1]) for s in seen} - {0}) <= 1, seen
        if len(batches) == 1:
            warm = memory(config["store"])
        if run.get("steps") and len(batches) == run["steps"]:
            break
    record = {"rank": rank, "world_size": world_size, "batches": batches, "state": loader.state_dict(),
              "len": len(loader), "mapped_before": mapped_before, "memory_before": before,
              "memory_warm": warm, "memory": memory(config["store"]), "errors": loader.error_count}
    record["memory_again"] = []
    for epoch in range(config["epoch"] + 1, config["epoch"] + 1 + run.get("again", 0)):
        loader.set_epoch(epoch)  # more epochs, for the memory after each
        for _ in loader:
            pass
        record["memory_again"].append(memory(config["store"]))
    with open(os.path.join(config["out"], f"{run['name']}.rank{rank}.json"), "w") as f:
        json.dump(record, f)


def run_rank(rank: int, world_size: int, config: dict) -> None:
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{config['port']}", rank=rank,
                                world_size=world_size)
    try:
        for run in config["runs"]:
            size = run.get("world_size", world_size)
            # Every process takes part in creating a subgroup, members or not.
            group = None if size == world_size else dist.new_group(list(range(size)))
            if rank < size:
                one_run(rank, size, group, run, config)
            dist.barrier()
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":  # under torchrun: RANK, WORLD_SIZE, MASTER_ADDR/PORT from the environment
    import torch.distributed as dist
    with open(sys.argv[1]) as f:
        settings = json.load(f)
    dist.init_process_group("gloo")
    run_rank(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), settings)
