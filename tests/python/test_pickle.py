"""mimicit.ImageStore, Dataset and Loader pickle by what they were opened
with: the copies re-open the data and give what the originals give (the
Loader continues from its position), and torch DataLoader workers started
with fork, spawn or forkserver load the same samples as the main process."""

from __future__ import annotations

import multiprocessing
import os
import pickle

import numpy as np
import pytest

import mimicit
from test_loader import ByteTokenizer, write_data


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    return write_data(tmp_path_factory.mktemp("pickle_data"), image_records=6, text_records=3,
                      video_records=2, size=(40, 30))


def round_trip(value):
    return pickle.loads(pickle.dumps(value))


def same_sample(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if key == "patch_images":
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))
        else:
            assert a[key] == b[key], key


def test_image_store_round_trip_reopens_lazily(data):
    store = mimicit.ImageStore(data["yaml"].parent / "images.parquet", save_index=True)
    copy = round_trip(store)
    assert "not open" in repr(copy)  # nothing opened until used
    assert len(copy) == len(store) == len(data["images"])
    assert copy.ids() == store.ids()
    for image_id in ("LA_IMG_0000_0", "DC_IMG_v001_04"):
        assert copy.get_bytes(image_id) == store.get_bytes(image_id) == data["images"][image_id]
    assert copy.index_info()["used_saved_index"]  # the worker maps the index the original saved
    assert round_trip(copy).files() == store.files()  # a re-pickled copy too


def test_relative_paths_mean_what_they_meant_where_opened(data, monkeypatch, tmp_path):
    monkeypatch.chdir(data["yaml"].parent)
    store = mimicit.ImageStore("images.parquet")
    ds = mimicit.Dataset("data.yaml", "IMAGE_TEXT", image_size=16)
    pickled_store, pickled_ds = pickle.dumps(store), pickle.dumps(ds)
    monkeypatch.chdir(tmp_path)  # elsewhere, as a worker on another working directory
    assert pickle.loads(pickled_store).get_bytes("LA_IMG_0001_0") == data["images"]["LA_IMG_0001_0"]
    same_sample(pickle.loads(pickled_ds)[2], ds[2])


def test_dataset_round_trip_keeps_options(data):
    ds = mimicit.Dataset(data["yaml"], "VIDEO_TEXT", image_size=24, dtype="uint8", resample_frames=4,
                         seed=7, instruction_format="llama2")
    copy = round_trip(ds)
    assert len(copy) == len(ds) and copy.ids() == ds.ids() and copy.task_group == "VIDEO_TEXT"
    for i in range(len(ds)):
        same_sample(copy[i], ds[i])
    assert copy[0]["patch_images"].shape == (1, 4, 24, 24, 3)


def test_dataset_is_a_torch_dataset(data):
    torch = pytest.importorskip("torch")
    ds = mimicit.Dataset(data["yaml"], "IMAGE_TEXT", image_size=16)
    assert isinstance(ds, torch.utils.data.Dataset)


def test_loader_round_trip_continues_from_its_position(data):
    def make():
        return mimicit.Loader(data["yaml"], 2, seed=3, epoch=1, num_threads=1, image_size=16,
                              tokenizer=ByteTokenizer(), max_seq_len=32, return_tensors="numpy",
                              rank=0, world_size=1)

    expected = list(make())
    loader = make()
    head = [next(iter(loader)) for _ in range(2)]
    copy = round_trip(loader)
    assert copy.state_dict() == loader.state_dict()
    assert copy.batch_size == 2 and copy.epoch == 1 and copy.position == 2
    rest = list(copy)
    assert len(head) + len(rest) == len(expected)
    for got, want in zip(head + rest, expected):
        assert got["id"] == want["id"] and got["step"] == want["step"]
        np.testing.assert_array_equal(got["net_input"]["input_ids"], want["net_input"]["input_ids"])
        np.testing.assert_array_equal(got["net_input"]["patch_images"], want["net_input"]["patch_images"])
    # An unpickled loader not used yet pickles with the position it was given.
    assert round_trip(round_trip(loader)).position == 2


START_METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.mark.parametrize("start_method", START_METHODS)
def test_torch_dataloader_workers_load_the_same_samples(data, start_method):
    torch = pytest.importorskip("torch")
    ds = mimicit.Dataset(data["yaml"], "IMAGE_TEXT", image_size=16)
    expected = [ds[i] for i in range(len(ds))]
    loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=2,
                                         multiprocessing_context=start_method)
    got = list(loader)
    assert len(got) == len(expected)
    for sample, want in zip(got, expected):
        assert isinstance(sample["patch_images"], torch.Tensor)  # DataLoader's conversion
        same_sample(sample, want)


def image_lengths(store: "mimicit.ImageStore", ids: list[str]) -> tuple[int, list[int]]:
    return os.getpid(), [len(store.get_bytes(i)) for i in ids]


def test_image_store_in_a_spawned_process(data):
    store = mimicit.ImageStore(data["yaml"].parent / "images.parquet")
    ids = ["LA_IMG_0002_0", "LA_IMG_0002_2"]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pid, lengths = pool.apply(image_lengths, (store, ids))
    assert pid != os.getpid()
    assert lengths == [len(data["images"][i]) for i in ids]
