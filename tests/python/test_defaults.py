"""One home for each default and each option name: the C++ option structs
and the name tables beside the enums. ``_core._defaults()`` reports the
structs' defaults; the Python API passes only what the caller gave, so an
omitted argument behaves as that default, checked here against what each
object does when opened with no options and with the defaults spelled out.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from PIL import Image

import mimicit
from mimicit import _core, _options
from mimicit import dask as mimicit_dask
from test_loader import digest, write_data

DEFAULTS = _core._defaults()
NAMES = _core._names()


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict:
    return write_data(tmp_path_factory.mktemp("defaults_data"), image_records=6, text_records=3, video_records=2)


def test_defaults_are_the_documented_ones():
    # Independent sources: Pillow's decompression-bomb limit, the reference's
    # normalisation, sizes and seeds (spec 2.3), the writer's codec.
    assert DEFAULTS["decode"]["max_pixels"] == Image.MAX_IMAGE_PIXELS
    assert DEFAULTS["dataset"]["max_pixels"] == 1_000_000_000  # the reference's training limit
    assert DEFAULTS["validate"]["max_pixels"] == DEFAULTS["dataset"]["max_pixels"]
    assert DEFAULTS["normalization"]["otter"] == {"mean": [0.481, 0.458, 0.408], "std": [0.269, 0.261, 0.276]}
    assert _options.MODEL_NORMALIZATION["otter"] == ((0.481, 0.458, 0.408), (0.269, 0.261, 0.276))
    assert DEFAULTS["dataset"]["mean"] == DEFAULTS["normalization"]["otter"]["mean"]
    dataset = DEFAULTS["dataset"]
    assert (dataset["instruction_format"], dataset["image_size"], dataset["python_unicode"]) == ("simple", 224, "3.9")
    assert (dataset["resample_frames"], dataset["seed"], dataset["dtype"]) == (32, 42, "float32")
    assert DEFAULTS["loader"]["seed"] == 42 and DEFAULTS["loader"]["on_error"] == "skip"
    assert DEFAULTS["writer"]["codec"] == "snappy" and DEFAULTS["convert"]["compression"] == "snappy"
    assert DEFAULTS["convert"]["png_level"] == "fast"


def test_names_come_from_the_core():
    assert NAMES["group"] == ["IMAGE_TEXT", "TEXT_ONLY", "VIDEO_TEXT", "IMAGE_TEXT_IN_CONTEXT"]
    assert _options.GROUPS == tuple(NAMES["group"])
    assert NAMES["instruction_format"] == ["simple", "llama2", "idefics", "fuyu"]
    from mimicit.validate import KINDS
    assert list(KINDS) == NAMES["problem_kind"]
    for option in ("compression", "reencode", "payload", "dtype", "on_error", "python_unicode"):
        assert DEFAULTS_BY_OPTION[option] in NAMES[option], option


DEFAULTS_BY_OPTION = {
    "compression": DEFAULTS["convert"]["compression"],
    "reencode": DEFAULTS["convert"]["reencode"],
    "payload": DEFAULTS["convert"]["payload"],
    "dtype": DEFAULTS["dataset"]["dtype"],
    "on_error": DEFAULTS["loader"]["on_error"],
    "python_unicode": DEFAULTS["dataset"]["python_unicode"],
}


@pytest.mark.parametrize("function, topics", [
    (mimicit.Dataset.__init__, ("dataset",)),
    (mimicit.Loader.__init__, ("dataset", "loader")),
    (mimicit.ImageStore.__init__, ("image_store",)),
    (mimicit.validate, ("validate",)),
    (mimicit.parquet.write, ("writer",)),
    (mimicit_dask.convert, ("convert",)),
])
def test_python_signatures_leave_the_defaults_to_the_core(function, topics):
    """No keyword argument that a C++ option struct has repeats its default:
    each is None (the struct's), required, or an argument the struct does
    not have."""
    keys = set().union(*(DEFAULTS[topic] for topic in topics))
    # dask.convert runs one C++ thread per task by design (the workers'
    # threads run tasks side by side): its own default, not the struct's.
    own = {"threads"} if function is mimicit_dask.convert else set()
    for name, parameter in inspect.signature(function).parameters.items():
        if name in keys and name not in own and parameter.default is not inspect.Parameter.empty:
            assert parameter.default is None, f"{function.__qualname__}({name}={parameter.default!r})"


def test_docstrings_show_the_core_defaults():
    assert "image_size=224" in mimicit.Dataset.__doc__
    assert "max_error_reports=10000" in mimicit.Loader.__doc__
    assert "max_problems=1000" in mimicit.validate.__doc__


def test_omitted_options_are_passed_as_nothing():
    assert _options.data_options() == {}
    assert _options.data_options(model="idefics")["mean"] == list(_options.MODEL_NORMALIZATION["idefics"][0])


def spelled_out(topic: str, *, skip=()) -> dict:
    return {k: v for k, v in DEFAULTS[topic].items() if k not in skip}


def test_dataset_without_options_is_the_dataset_with_the_defaults(data):
    plain = mimicit.Dataset(data["yaml"], "IMAGE_TEXT")
    explicit = mimicit.Dataset(data["yaml"], "IMAGE_TEXT", **spelled_out("dataset", skip=("groups",)))
    size = DEFAULTS["dataset"]["image_size"]
    for i in (0, 1, len(plain) - 1):
        a, b = plain[i], explicit[i]
        assert a["full_text"] == b["full_text"] and a["image_ids"] == b["image_ids"]
        assert a["patch_images"].dtype == np.dtype(DEFAULTS["dataset"]["dtype"])
        assert a["patch_images"].shape[-3:] == (3, size, size)
        np.testing.assert_array_equal(a["patch_images"], b["patch_images"])
    assert plain[0]["full_text"].startswith("<image>User:")  # "simple"


def test_loader_without_options_is_the_loader_with_the_defaults(data):
    fixed = {"rank": 0, "world_size": 1, "return_tensors": "numpy", "image_size": 16}
    loader_defaults = spelled_out("loader", skip=("batch_size", "rank", "world_size", "threads", "prefetch"))
    plain = mimicit.Loader(data["yaml"], 2, **fixed)
    explicit = mimicit.Loader(data["yaml"], 2, **fixed, **loader_defaults,
                              **spelled_out("dataset", skip=("image_size", "seed", "epoch")))
    state = plain.state_dict()
    assert (state["seed"], state["epoch"]) == (DEFAULTS["loader"]["seed"], DEFAULTS["loader"]["epoch"])
    assert [digest(b) for b in plain] == [digest(b) for b in explicit]


def test_image_store_and_validate_defaults(data, tmp_path):
    store = data["yaml"].parent / "images.parquet"
    a = mimicit.ImageStore(store, cache_dir=tmp_path)
    b = mimicit.ImageStore(store, cache_dir=tmp_path, **spelled_out("image_store", skip=("cache_dir",)))
    assert a.ids() == b.ids()
    plain = mimicit.validate(data["yaml"])
    # threads: 0 means all cores in the struct; Python spells that None.
    explicit = mimicit.validate(data["yaml"], **spelled_out("validate", skip=("base_dir", "cache_dir", "threads",
                                                                           "max_pixels")))
    for report in (plain, explicit):
        report["summary"].pop("seconds")
    assert plain == explicit and not plain["summary"]["decoded"]


def test_unknown_names_list_the_choices(data):
    with pytest.raises(ValueError, match="unknown dtype 'int8' \\(expected float32, uint8\\)"):
        mimicit.Dataset(data["yaml"], "IMAGE_TEXT", dtype="int8")
    with pytest.raises(ValueError, match="unknown on_error 'ignore' \\(expected skip, raise\\)"):
        mimicit.Loader(data["yaml"], 2, on_error="ignore", rank=0, world_size=1)
    with pytest.raises(ValueError, match="unknown codec 'lzma' \\(expected none, uncompressed, snappy"):
        mimicit.parquet.write("never.parquet", {"a": [1]}, codec="lzma")


def test_cli_help_shows_the_struct_defaults_and_names(run_cli):
    text = run_cli("convert", "--help").stdout.decode()
    for name in NAMES["compression"] + NAMES["reencode"] + NAMES["payload"]:
        assert name in text
    assert "1.5 GiB" in text and "95" in text
    sample = run_cli("sample", "--help").stdout.decode()
    for name in NAMES["instruction_format"] + NAMES["group"] + NAMES["python_unicode"]:
        assert name in sample
    bad = run_cli("convert", "in.json", "-o", "out", "--compression", "lzma")
    assert bad.returncode == 2
    assert "unknown codec 'lzma' (expected none, uncompressed, snappy" in bad.stderr.decode()
