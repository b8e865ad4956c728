"""mimicit's BICUBIC resize against Pillow's, the reference pipeline's.

`mimicit._core.resize_rgb` must equal
`numpy.asarray(im.resize((w, h), Image.BICUBIC))` exactly (max abs diff 0)
on the photos of $MIMICIT_TESTDATA/photos (cut to 640x480, the training
case, and whole), on every image of $MIMICIT_TESTDATA/images/pillow that
Pillow decodes, and on random noise (the hardest case for rounding), for the
training size, tiny and non-square targets, one-axis resizes and upscales.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import conftest

Image = pytest.importorskip("PIL.Image")
core = pytest.importorskip("mimicit._core")
if not hasattr(core, "resize_rgb"):
    pytest.skip("the installed mimicit._core predates resize_rgb: reinstall the module",
                allow_module_level=True)

TARGETS = [(224, 224), (32, 32), (1, 1), (500, 300), (300, 500), (7, 333), (333, 7)]


def _sources() -> dict[str, "Image.Image"]:
    root = conftest.testdata_dir()
    images: dict[str, Image.Image] = {}
    photos = root / "photos"
    for path in sorted(photos.iterdir()) if photos.is_dir() else []:
        if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
            photo = Image.open(path).convert("RGB")
            images[path.name] = photo
            images[path.name + "[640x480]"] = photo.crop((0, 0, 640, 480))
    pillow = root / "images" / "pillow"
    for path in sorted(pillow.iterdir()) if pillow.is_dir() else []:
        try:
            with Image.open(path) as im:
                images["pillow/" + path.name] = im.convert("RGB")
        except Exception:  # not an image Pillow decodes (broken files, the licence)
            continue
    rng = np.random.default_rng(0)
    images["noise"] = Image.fromarray(rng.integers(0, 256, (97, 131, 3), dtype=np.uint8))
    return images


SOURCES = _sources()


def resize(im: "Image.Image", size: tuple[int, int]) -> np.ndarray:
    a = np.asarray(im)
    height, width, data = core.resize_rgb(a.shape[0], a.shape[1], a.tobytes(), *size)
    assert (width, height) == size
    return np.frombuffer(data, np.uint8).reshape(height, width, 3)


def targets(im: "Image.Image") -> list[tuple[int, int]]:
    w, h = im.size
    return TARGETS + [(w, h), (w * 2 + 1, h), (w, h * 3 - 1), (w * 3, h * 2), (w // 2 + 1, h * 2)]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_equals_pillow_exactly(name: str) -> None:
    im = SOURCES[name]
    worst = {}
    for size in targets(im):
        expected = np.asarray(im.resize(size, Image.BICUBIC), dtype=np.int16)
        worst[size] = int(np.abs(resize(im, size).astype(np.int16) - expected).max())
    assert all(d == 0 for d in worst.values()), f"{name} {im.size}: max abs diff {worst}"


def test_sources_were_found() -> None:
    if not (conftest.testdata_dir() / "photos").is_dir():
        pytest.skip("no $MIMICIT_TESTDATA/photos")
    assert sum("[640x480]" in name for name in SOURCES) >= 5


def test_bad_arguments_raise() -> None:
    with pytest.raises(core.MimicitError, match="resize"):
        core.resize_rgb(2, 2, bytes(12), 0, 3)
    with pytest.raises(core.MimicitError, match="resize"):
        core.resize_rgb(2, 2, bytes(11), 3, 3)
