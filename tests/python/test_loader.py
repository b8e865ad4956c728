"""mimicit.Dataset and mimicit.Loader on generated MIMIC-IT data (Pillow
JPEGs in a pandas-written Parquet store, instruction JSON, data YAML):
samples against the reference per-image path (Pillow + torch ops), the order
(determinism, ranks disjoint and covering each group's list, resume), bad
records reported and skipped, tokenisation and zero-copy tensors.
"""

from __future__ import annotations

from collections import Counter

import base64
import gc
import io
import json
from pathlib import Path

import numpy as np
import pytest

import mimicit

SEED = 20241125
OTTER_MEAN = (0.481, 0.458, 0.408)
OTTER_STD = (0.269, 0.261, 0.276)


# ---------------------------------------------------------------------------
# Generated data

def jpeg_bytes(rng: np.random.Generator, width: int, height: int) -> bytes:
    from PIL import Image
    # Smooth gradients plus noise: JPEG-like content, deterministic.
    y, x = np.mgrid[0:height, 0:width]
    base = rng.integers(0, 256, 3)
    pixels = np.stack([(x * (c + 1) + y * (3 - c) + base[c]) % 256 for c in range(3)], axis=-1)
    pixels = np.clip(pixels + rng.integers(-20, 21, pixels.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def write_data(root: Path, *, image_records: int = 24, text_records: int = 10, video_records: int = 6,
               corrupt: tuple[str, ...] = (), missing: tuple[str, ...] = (), size: tuple[int, int] = (96, 72),
               seed: int = SEED) -> dict:
    """Writes a data YAML with IMAGE_TEXT (1-3 images per record), TEXT_ONLY
    and VIDEO_TEXT (5-9 frames) groups. Image ids in `corrupt` hold bytes
    that are no image; ids in `missing` are referenced but not stored.
    Returns {"yaml": path, "images": {id: file bytes}, "records": {group: {id: record}}}."""
    import pandas as pd
    rng = np.random.default_rng(seed)
    images: dict[str, bytes] = {}
    records: dict[str, dict] = {"IMAGE_TEXT": {}, "TEXT_ONLY": {}, "VIDEO_TEXT": {}}

    def new_image(image_id: str) -> str:
        if image_id in missing:
            return image_id
        if image_id in corrupt:
            images[image_id] = b"\xff\xd8\xff\xe0 not really a JPEG" + bytes(rng.integers(0, 256, 40, np.uint8))
        else:
            images[image_id] = jpeg_bytes(rng, *size)
        return image_id

    for i in range(image_records):
        ids = [new_image(f"LA_IMG_{i:04d}_{k}") for k in range(1 + i % 3)]
        records["IMAGE_TEXT"][f"LA_INS_{i:05d}"] = {
            "instruction": f"What is in picture {i}?", "answer": f"Picture {i} shows colour {i * 7 % 11}.",
            "image_ids": ids, "rel_ins_ids": []}
    for i in range(text_records):
        records["TEXT_ONLY"][f"LIMA_INS_{i:05d}"] = {
            "instruction": f"Tell me fact {i}.", "answer": f"Fact {i} is true.", "image_ids": [], "rel_ins_ids": []}
    for i in range(video_records):
        frames = [new_image(f"DC_IMG_v{i:03d}_{f:02d}") for f in range(5 + i % 5)]
        records["VIDEO_TEXT"][f"DC_INS_{i:05d}"] = {
            "instruction": f"What happens in video {i}?", "answer": f"Video {i} has {len(frames)} frames.",
            "image_ids": frames, "rel_ins_ids": []}

    def write_json(name: str, data: dict) -> Path:
        path = root / name
        path.write_text(json.dumps({"meta": {"version": "0.0.1"}, "data": data}))
        return path

    store = root / "images.parquet"
    frame = pd.DataFrame.from_dict({k: base64.b64encode(v).decode() for k, v in images.items()},
                                   orient="index", columns=["base64"])
    frame.to_parquet(store)
    la = write_json("LA_instructions.json", records["IMAGE_TEXT"])
    lima = write_json("LIMA_instructions.json", records["TEXT_ONLY"])
    dc = write_json("DC_instructions.json", records["VIDEO_TEXT"])
    yaml = root / "data.yaml"
    yaml.write_text(
        "IMAGE_TEXT:\n"
        f"  LA:\n    mimicit_path: {la}\n    images_path: {store}\n    num_samples: -1\n"
        "TEXT_ONLY:\n"
        f"  LIMA:\n    mimicit_path: {lima}\n    num_samples: -1\n"
        "VIDEO_TEXT:\n"
        f"  DC:\n    mimicit_path: {dc}\n    images_path: {store}\n    num_samples: -1\n")
    return {"yaml": yaml, "images": images, "records": records}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    return write_data(tmp_path_factory.mktemp("loader_data"))


@pytest.fixture(scope="module")
def bad_data(tmp_path_factory) -> dict:
    return write_data(tmp_path_factory.mktemp("loader_bad"), corrupt=("LA_IMG_0004_1", "DC_IMG_v002_03"),
                      missing=("LA_IMG_0007_0",))


def reference_image(data: bytes, size: int, mean=OTTER_MEAN, std=OTTER_STD) -> np.ndarray:
    """The reference per-image path: Pillow open/convert/resize(BICUBIC),
    then torchvision's ToTensor and Normalize as torch operations."""
    import torch
    from PIL import Image
    image = Image.open(io.BytesIO(data)).convert("RGB").resize((size, size), Image.BICUBIC)
    tensor = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).float().div(255)
    mean_t = torch.as_tensor(mean, dtype=torch.float32)[:, None, None]
    std_t = torch.as_tensor(std, dtype=torch.float32)[:, None, None]
    return tensor.sub(mean_t).div(std_t).numpy()


def all_batches(loader) -> list[dict]:
    return list(loader)


def digest(batch: dict) -> tuple:
    images = np.asarray(batch["net_input"]["patch_images"])
    return (batch["step"], batch["task_group"][0], tuple(batch["id"]), images.shape, images.tobytes())


# ---------------------------------------------------------------------------
# Dataset

def test_dataset_samples_match_the_reference_path(data):
    ds = mimicit.Dataset(data["yaml"], "IMAGE_TEXT", image_size=48)
    records = data["records"]["IMAGE_TEXT"]
    assert len(ds) == len(records)
    assert ds.ids() == list(records)
    for i in (0, 1, 2, 5, len(ds) - 1):
        sample = ds[i]
        record = records[sample["id"]]
        assert sample["id"] == ds.ids()[i]
        assert sample["task_group"] == "IMAGE_TEXT"
        assert sample["dataset"] == "LA"
        assert sample["image_ids"] == record["image_ids"]
        assert sample["full_text"].startswith("<image>User:What is in picture")
        images = sample["patch_images"]
        assert images.dtype == np.float32
        assert images.shape == (1, len(record["image_ids"]), 3, 48, 48)
        for k, image_id in enumerate(record["image_ids"]):
            np.testing.assert_array_equal(images[0, k], reference_image(data["images"][image_id], 48))
    assert ds[-1]["id"] == ds.ids()[-1]
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_dataset_uint8_idefics_text_only_and_video(data):
    from PIL import Image
    ds = mimicit.Dataset(data["yaml"], "IMAGE_TEXT", image_size=40, dtype="uint8")
    sample = ds[3]
    image_id = sample["image_ids"][0]
    expected = Image.open(io.BytesIO(data["images"][image_id])).convert("RGB").resize((40, 40), Image.BICUBIC)
    assert sample["patch_images"].shape == (1, 1, 40, 40, 3)
    np.testing.assert_array_equal(sample["patch_images"][0, 0], np.asarray(expected))

    idefics = mimicit.Dataset(data["yaml"], "IMAGE_TEXT", image_size=32, model="idefics")
    mean = (0.48145466, 0.4578275, 0.40821073)
    std = (0.26862954, 0.26130258, 0.27577711)
    np.testing.assert_array_equal(idefics[3]["patch_images"][0, 0],
                                  reference_image(data["images"][image_id], 32, mean, std))

    text = mimicit.Dataset(data["yaml"], "TEXT_ONLY", image_size=64)
    sample = text[0]
    assert sample["patch_images"].shape == (1, 1, 3, 224, 224)  # 224 whatever the image size
    assert not sample["patch_images"].any()
    assert sample["full_text"] == "User:Tell me fact 0. GPT:<answer>Fact 0 is true.<|endofchunk|>"

    video = mimicit.Dataset(data["yaml"], "VIDEO_TEXT", image_size=32, resample_frames=4)
    for i in range(len(video)):
        sample = video[i]
        frames = data["records"]["VIDEO_TEXT"][sample["id"]]["image_ids"]
        chosen = [frames[j] for j in np.linspace(0, len(frames) - 1, 4, dtype=int)]
        assert sample["image_ids"] == chosen
        assert sample["patch_images"].shape == (1, 4, 3, 32, 32)
        np.testing.assert_array_equal(sample["patch_images"][0, 3],
                                      reference_image(data["images"][chosen[3]], 32))


def test_dataset_errors_name_the_sample(bad_data):
    ds = mimicit.Dataset(bad_data["yaml"], "IMAGE_TEXT", image_size=32)
    with pytest.raises(mimicit.CorruptError, match="LA_IMG_0004_1"):
        ds[4]
    with pytest.raises(mimicit.NotFoundError, match="LA_IMG_0007_0"):
        ds[7]
    assert ds[5]["patch_images"].shape == (1, 3, 3, 32, 32)  # the dataset stays usable
    with pytest.raises(ValueError, match="unknown group"):
        mimicit.Dataset(bad_data["yaml"], "IMAGES")
    with pytest.raises(ValueError, match="instruction_format"):
        mimicit.Dataset(bad_data["yaml"], "IMAGE_TEXT", instruction_format="chatml")


# ---------------------------------------------------------------------------
# Loader: batches and order

def test_loader_batches_like_the_reference_collate(data):
    loader = mimicit.Loader(data["yaml"], 4, image_size=32, num_threads=2, drop_last=False,
                            return_tensors="numpy", rank=0, world_size=1)
    sizes = dict(loader.groups())
    assert sizes == {"IMAGE_TEXT": 24, "TEXT_ONLY": 10, "VIDEO_TEXT": 6}
    batches = all_batches(loader)
    assert len(batches) == len(loader) == 6 + 3 + 2
    counted = {"IMAGE_TEXT": 0, "TEXT_ONLY": 0, "VIDEO_TEXT": 0}
    for step, batch in enumerate(batches):
        group = batch["task_group"][0]
        counted[group] += batch["nsentences"]
        assert batch["step"] == step
        assert set(batch["task_group"]) == {group}
        images = batch["net_input"]["patch_images"]
        assert images.shape[:2] == (batch["nsentences"], 1)
        if group == "TEXT_ONLY":
            assert images.shape[2:] == (1, 3, 224, 224) and not images.any()
        elif group == "VIDEO_TEXT":
            assert images.shape[2:] == (32, 3, 32, 32)
        else:
            counts = batch["image_counts"]
            assert images.shape[2] == counts.max()
            for j, sample_id in enumerate(batch["id"]):
                record = data["records"]["IMAGE_TEXT"][sample_id]
                assert counts[j] == len(record["image_ids"]) == len(batch["image_ids"][j])
                np.testing.assert_array_equal(images[j, 0, 0],
                                              reference_image(data["images"][record["image_ids"][0]], 32))
                assert not images[j, 0, counts[j]:].any()  # padding slots are zeros
    assert counted == sizes


def test_loader_same_seed_and_epoch_give_the_same_batches(data):
    def run(threads, epoch=0, seed=42):
        loader = mimicit.Loader(data["yaml"], 3, image_size=24, num_threads=threads, seed=seed,
                                epoch=epoch, return_tensors="numpy", rank=0, world_size=1)
        return [digest(b) for b in loader]
    first = run(1)
    assert run(2) == first
    assert run(2, epoch=1) != first
    assert run(2, seed=7) != first


@pytest.mark.parametrize("world_size", [2, 3, 4])
def test_loader_ranks_are_disjoint_and_cover_each_group(data, world_size):
    per_rank = []
    for rank in range(world_size):
        loader = mimicit.Loader(data["yaml"], 2, rank=rank, world_size=world_size, image_size=16,
                                replacement=False, drop_last=False, num_threads=1,
                                return_tensors="numpy")
        per_rank.append([(b["task_group"][0], b["id"]) for b in loader])
    # The same steps on every rank, the same group at each step.
    assert len({len(steps) for steps in per_rank}) == 1
    for step in zip(*per_rank):
        assert len({group for group, _ in step}) == 1
    for group, records in data["records"].items():
        ids = [i for steps in per_rank for g, batch in steps if g == group for i in batch]
        positions = -(-len(records) // world_size) * world_size
        assert len(ids) == positions  # each rank ceil(n / W), the padding wraps around
        assert set(ids) == set(records)  # every sample of the epoch
        assert positions - len(set(ids)) == positions - len(records)  # repeats: only the padding


def test_loader_with_replacement_interleaves_into_one_list(data):
    # The epoch's list of a group does not depend on the world size: rank r's
    # samples are positions r, r + W, ... of the single-process list.
    single = mimicit.Loader(data["yaml"], 1, groups=["VIDEO_TEXT"], rank=0, world_size=1,
                            image_size=8, resample_frames=1, drop_last=False, return_tensors="numpy")
    order = [b["id"][0] for b in single]
    assert len(order) == 6
    ranks = [[b["id"][0] for b in mimicit.Loader(data["yaml"], 1, groups=["VIDEO_TEXT"], rank=r,
                                                  world_size=3, image_size=8, resample_frames=1,
                                                  drop_last=False, return_tensors="numpy")]
             for r in range(3)]
    assert [ranks[p % 3][p // 3] for p in range(6)] == order


def test_loader_resume_equals_uninterrupted(data):
    def make():
        return mimicit.Loader(data["yaml"], 3, image_size=16, num_threads=2, epoch=2,
                              return_tensors="numpy", rank=0, world_size=1)
    expected = [digest(b) for b in make()]
    first = make()
    head = []
    for batch in first:
        head.append(digest(batch))
        if len(head) == 4:
            break
    state = first.state_dict()
    assert state["epoch"] == 2 and state["position"] == 4 and state["seed"] == 42
    del first
    resumed = make()
    resumed.set_epoch(0)
    resumed.load_state_dict(state)
    assert head + [digest(b) for b in resumed] == expected
    # A finished epoch starts over on the next iteration.
    assert [digest(b) for b in resumed] == expected
    # Other data options cannot resume it (another batch size can: elastic resume).
    other = mimicit.Loader(data["yaml"], 3, image_size=16, return_tensors="numpy", rank=0, world_size=1,
                           replacement=False)
    with pytest.raises(ValueError, match="another configuration"):
        other.load_state_dict(state)
    # A state saved before elastic resume (no world_size) needs the same batch size.
    old = {k: state[k] for k in ("seed", "epoch", "position", "fingerprint")}
    other = mimicit.Loader(data["yaml"], 5, image_size=16, return_tensors="numpy", rank=0, world_size=1)
    with pytest.raises(ValueError, match="another configuration"):
        other.load_state_dict(old)
    again = make()
    again.load_state_dict(old)  # with the same ones it resumes as before
    assert head + [digest(b) for b in again] == expected


def test_loader_set_epoch_changes_the_order(data):
    loader = mimicit.Loader(data["yaml"], 4, image_size=8, return_tensors="numpy", rank=0, world_size=1)
    epochs = []
    for epoch in range(3):
        loader.set_epoch(epoch)
        assert loader.epoch == epoch
        epochs.append([tuple(b["id"]) for b in loader])
    assert epochs[0] != epochs[1] != epochs[2]
    loader.set_epoch(1)
    assert [tuple(b["id"]) for b in loader] == epochs[1]


# ---------------------------------------------------------------------------
# Loader: bad records

def test_loader_reports_bad_images_and_goes_on(bad_data):
    loader = mimicit.Loader(bad_data["yaml"], 4, image_size=16, num_threads=2, drop_last=False,
                            replacement=False, return_tensors="numpy", rank=0, world_size=1)
    seen = set()
    dropped = []
    for batch in loader:
        seen.update(batch["id"])
        dropped.extend(batch["errors"])
    bad = {"LA_INS_00004": "LA_IMG_0004_1", "LA_INS_00007": "LA_IMG_0007_0", "DC_INS_00002": None}
    assert loader.error_count == 3
    errors = loader.errors()
    assert errors == dropped
    assert {e["id"] for e in errors} == set(bad)
    by_id = {e["id"]: e for e in errors}
    assert by_id["LA_INS_00004"]["code"] == "corrupt" and "LA_IMG_0004_1" in by_id["LA_INS_00004"]["message"]
    assert by_id["LA_INS_00007"]["code"] == "not found" and "LA_IMG_0007_0" in by_id["LA_INS_00007"]["message"]
    assert by_id["DC_INS_00002"]["task_group"] == "VIDEO_TEXT"
    # Every other sample came through.
    everything = {i for records in bad_data["records"].values() for i in records}
    assert seen == everything - set(bad)


def test_loader_raise_mode(bad_data):
    loader = mimicit.Loader(bad_data["yaml"], 24, groups=["IMAGE_TEXT"], image_size=16, on_error="raise",
                            replacement=False, return_tensors="numpy", rank=0, world_size=1)
    with pytest.raises(mimicit.MimicitError, match="LA_INS_0000[47]"):
        next(iter(loader))
    assert loader.position == 1


# ---------------------------------------------------------------------------
# Loader: tokens and tensors

class ByteTokenizer:
    """A byte-level tokenizer with the Hugging Face calling convention
    (tokenizer(texts, add_special_tokens, truncation, max_length) ->
    {"input_ids", "attention_mask"}) and special ids past the byte range."""
    bos_token_id = 256
    eos_token_id = 257
    pad_token_id = 258

    def __call__(self, texts, add_special_tokens=True, truncation=False, max_length=None):
        assert add_special_tokens is False and truncation is True
        ids = [list(t.encode())[:max_length] for t in texts]
        return {"input_ids": ids, "attention_mask": [[1] * len(i) for i in ids]}


def test_loader_tokenizes_like_the_reference(data):
    loader = mimicit.Loader(data["yaml"], 4, groups=["TEXT_ONLY"], tokenizer=ByteTokenizer(), max_seq_len=30,
                            image_size=8, return_tensors="numpy", rank=0, world_size=1)
    for batch in loader:
        ids = batch["net_input"]["input_ids"]
        masks = batch["net_input"]["attention_masks"]
        rows = [[256] + list(t.encode())[:30] + [257] for t in batch["full_text"]]
        assert ids.dtype == np.int64 and ids.shape == (len(rows), max(map(len, rows)))
        for row, got, mask in zip(rows, ids, masks):
            assert got[:len(row)].tolist() == row and (got[len(row):] == 258).all()
            assert mask.tolist() == [1] * len(row) + [0] * (ids.shape[1] - len(row))
    # A plain callable, with ids given explicitly.
    loader = mimicit.Loader(data["yaml"], 2, groups=["TEXT_ONLY"], tokenizer=lambda t: [len(t)], eos_token_id=2,
                            pad_token_id=0, image_size=8, return_tensors="numpy", rank=0, world_size=1)
    batch = next(iter(loader))
    assert batch["net_input"]["input_ids"].tolist() == [[len(t), 2] for t in batch["full_text"]]


class NoPadTokenizer(ByteTokenizer):
    """Like GPT-2's and LLaMA's tokenizers: no pad id."""
    pad_token_id = None


def test_tokenizer_without_pad_id_pads_with_eos_as_the_reference(data):
    from dataset_reference import collate_input_ids
    loader = mimicit.Loader(data["yaml"], 4, groups=["TEXT_ONLY"], tokenizer=NoPadTokenizer(), max_seq_len=30,
                            image_size=8, return_tensors="numpy", rank=0, world_size=1)
    for batch in loader:
        ids = batch["net_input"]["input_ids"]
        rows = [[256] + list(t.encode())[:30] + [257] for t in batch["full_text"]]
        assert ids.tolist() == collate_input_ids(rows, pad_token_id=None, eos_token_id=257)
        masks = batch["net_input"]["attention_masks"]
        assert masks.tolist() == [[1] * len(r) + [0] * (ids.shape[1] - len(r)) for r in rows]
    # A callable with EOS and no pad id, rows of different lengths.
    loader = mimicit.Loader(data["yaml"], 4, groups=["TEXT_ONLY"], tokenizer=lambda t: [5] * (sum(map(ord, t)) % 7),
                            eos_token_id=3, image_size=8, return_tensors="numpy", rank=0, world_size=1)
    padded = 0
    for batch in loader:
        rows = [[5] * (sum(map(ord, t)) % 7) + [3] for t in batch["full_text"]]
        assert batch["net_input"]["input_ids"].tolist() == collate_input_ids(rows, None, 3)
        padded += sum(max(map(len, rows)) - len(r) for r in rows)
    assert padded > 0
    # A pad id given explicitly still wins; a callable without EOS pads with 0.
    loader = mimicit.Loader(data["yaml"], 4, groups=["TEXT_ONLY"], tokenizer=NoPadTokenizer(), pad_token_id=7,
                            image_size=8, return_tensors="numpy", rank=0, world_size=1)
    batch = next(iter(loader))
    rows = [[256] + list(t.encode()) + [257] for t in batch["full_text"]]
    assert batch["net_input"]["input_ids"].tolist() == collate_input_ids(rows, 7, 257)
    loader = mimicit.Loader(data["yaml"], 4, groups=["TEXT_ONLY"], tokenizer=lambda t: [1] * (len(t) % 5),
                            image_size=8, return_tensors="numpy", rank=0, world_size=1)
    batch = next(iter(loader))
    rows = [[1] * (len(t) % 5) for t in batch["full_text"]]
    assert batch["net_input"]["input_ids"].tolist() == [r + [0] * (max(map(len, rows)) - len(r)) for r in rows]


def test_loader_tensors_are_torch_views_of_the_batch_buffer(data):
    import torch
    loader = mimicit.Loader(data["yaml"], 4, groups=["IMAGE_TEXT"], image_size=16, tokenizer=ByteTokenizer(),
                            rank=0, world_size=1)
    raw = loader._native.next()
    assert not raw["images"].flags.owndata  # a view of the C++ buffer
    batch = loader._collate(raw)
    images = batch["net_input"]["patch_images"]
    assert isinstance(images, torch.Tensor) and images.dtype == torch.float32
    assert images.data_ptr() == raw["images"].__array_interface__["data"][0]
    assert isinstance(batch["net_input"]["input_ids"], torch.Tensor)
    # The buffer outlives the loader and the numpy array.
    expected = images.clone()
    del raw, loader
    gc.collect()
    assert torch.equal(images, expected)
    # Iterating with the default settings gives torch tensors too.
    assert isinstance(next(iter(mimicit.Loader(data["yaml"], 2, image_size=8, rank=0, world_size=1)))
                      ["net_input"]["patch_images"], torch.Tensor)


def test_loader_rank_defaults_from_the_environment(data, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    loader = mimicit.Loader(data["yaml"], 2, image_size=8, return_tensors="numpy")
    assert (loader.rank, loader.world_size) == (1, 2)
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("WORLD_SIZE")
    loader = mimicit.Loader(data["yaml"], 2, image_size=8, return_tensors="numpy")
    assert (loader.rank, loader.world_size) == (0, 1)
    with pytest.raises(ValueError, match="rank 2 is out of range"):
        mimicit.Loader(data["yaml"], 2, rank=2, world_size=2)


# ---------------------------------------------------------------------------
# Batching modes and elastic resume (loader.h "Batching", "Elastic resume")

def shaped_run(data, world_size: int, batching: str, *, batch_size: int = 3, state=None, steps=None,
               drop_last: bool = False):
    """Every rank's batches (ids, image counts, patch_images shape) and its final state."""
    ranks = []
    for rank in range(world_size):
        loader = mimicit.Loader(data["yaml"], batch_size, rank=rank, world_size=world_size, image_size=8,
                                resample_frames=3, replacement=False, drop_last=drop_last, num_threads=1,
                                batching=batching, epoch=1, return_tensors="numpy")
        if state is not None:
            loader.load_state_dict(state)
        batches = []
        for batch in loader:
            batches.append((batch["step"], batch["task_group"][0] if batch["id"] else None, list(batch["id"]),
                            [int(c) for c in batch["image_counts"]], batch["net_input"]["patch_images"].shape))
            if steps is not None and len(batches) == steps:
                break
        ranks.append({"batches": batches, "state": loader.state_dict(), "len": len(loader)})
    return ranks


def same_steps(ranks) -> bool:
    """Every rank the same steps, and one group at each (an empty batch names none)."""
    steps = [[b[0] for b in r["batches"]] for r in ranks]
    groups = [{b[1] for b in batches if b[1] is not None} for batches in zip(*(r["batches"] for r in ranks))]
    return all(s == steps[0] for s in steps) and all(len(g) <= 1 for g in groups)


def ids_of(ranks) -> Counter:
    return Counter(i for r in ranks for b in r["batches"] for i in b[2])


@pytest.mark.parametrize("batching", ["by_shape", "by_length"])
@pytest.mark.parametrize("world_size", [1, 3])
def test_batching_covers_the_reference_epoch_on_every_rank_alike(data, batching, world_size):
    reference = shaped_run(data, world_size, "reference")
    ranks = shaped_run(data, world_size, batching)
    assert ids_of(ranks) == ids_of(reference)  # the same samples, as often
    assert same_steps(ranks)
    assert all(r["len"] == len(r["batches"]) for r in ranks)
    assert shaped_run(data, world_size, batching) == ranks  # deterministic
    if batching == "by_shape":
        padded = [c for r in reference for b in r["batches"] for c in b[3] if c < b[4][2]]
        assert padded  # the reference pads IMAGE_TEXT batches with zero images
        for r in ranks:
            for _, group, ids, counts, shape in r["batches"]:
                assert len(set(counts)) <= 1 and all(c == shape[2] for c in counts)  # no padding slot
                assert all(len(data["records"][group][i]["image_ids"]) == counts[0]
                           for i in ids if group == "IMAGE_TEXT")


def test_batching_names_and_default(data):
    from mimicit import _options
    assert _options.NAMES["batching"] == ["reference", "by_shape", "by_length"]
    assert _options.DEFAULTS["loader"]["batching"] == "reference"
    with pytest.raises(ValueError, match="unknown batching 'shape'"):
        mimicit.Loader(data["yaml"], 2, batching="shape", rank=0, world_size=1)


@pytest.mark.parametrize("batching", ["reference", "by_shape", "by_length"])
def test_batching_resumes_exactly_on_the_same_world(data, batching):
    whole = shaped_run(data, 2, batching)
    head = shaped_run(data, 2, batching, steps=4)
    assert head[0]["state"] == head[1]["state"] and head[0]["state"]["position"] == 4
    tail = shaped_run(data, 2, batching, state=head[0]["state"])
    for r in range(2):
        assert head[r]["batches"] + tail[r]["batches"] == whole[r]["batches"]


@pytest.mark.parametrize("batching", ["reference", "by_shape", "by_length"])
@pytest.mark.parametrize("world, new_world, batch_size, new_batch_size",
                         [(4, 2, 2, 2), (2, 3, 3, 3), (2, 1, 2, 2), (1, 2, 3, 3), (1, 4, 2, 1), (3, 2, 2, 5)])
def test_elastic_resume_covers_the_rest_exactly_once(data, batching, world, new_world, batch_size,
                                                     new_batch_size):
    whole = shaped_run(data, world, batching, batch_size=batch_size, drop_last=True)
    head = shaped_run(data, world, batching, batch_size=batch_size, steps=3, drop_last=True)
    state = head[0]["state"]
    assert (state["world_size"], state["batch_size"], state["position"]) == (world, batch_size, 3)
    tail = shaped_run(data, new_world, batching, batch_size=new_batch_size, state=state, drop_last=True)
    assert ids_of(head) + ids_of(tail) == ids_of(whole)
    assert same_steps(tail)
    assert all(len(b[2]) <= new_batch_size for r in tail for b in r["batches"])
    # The resumed epoch saves and resumes too, on yet another world.
    if tail[0]["len"] >= 2:
        mid = shaped_run(data, new_world, batching, batch_size=new_batch_size, state=state, steps=1,
                         drop_last=True)
        assert "begin" in mid[0]["state"]
        rest = shaped_run(data, world, batching, batch_size=batch_size, state=mid[0]["state"], drop_last=True)
        assert ids_of(head) + ids_of(mid) + ids_of(rest) == ids_of(whole)
