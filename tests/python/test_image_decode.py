"""mimicit's image decoding against Pillow, the reference pipeline's decoder.

For every image of $MIMICIT_TESTDATA/images and for synthetic images written
here with Pillow (every PNG color type and bit depth, CMYK/grey/progressive
JPEG, WebP lossy/lossless/alpha/animated, GIF interlaced/transparent/animated,
BMP variants, cut files), `mimicit._core.decode_rgb` must equal
`numpy.asarray(Image.open(f).convert("RGB"))` with
`ImageFile.LOAD_TRUNCATED_IMAGES = True` exactly, and fail with a MimicitError
where Pillow cannot open the file.

The one known inexact case (KNOWN_DIFFERENCES): a progressive JPEG cut in the
middle of a scan differs by a few levels in the MCU row where the data stops;
Pillow bundles libjpeg-turbo 3.x, mimicit links Debian's 2.1, and they smooth
partially received progressive blocks differently.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

import conftest

Image = pytest.importorskip("PIL.Image")
from PIL import ImageFile, ImageOps  # noqa: E402

core = pytest.importorskip("mimicit._core")
if not hasattr(core, "decode_rgb"):
    pytest.skip("the installed mimicit._core predates decode_rgb: reinstall the module",
                allow_module_level=True)

# name -> largest per-channel difference allowed, with the reason above.
KNOWN_DIFFERENCES = {"progressive_cut.jpg": 8}


def real_images() -> list[Path]:
    root = conftest.testdata_dir() / "images"
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".txt")


# ---------------------------------------------------------------------------
# Synthetic images, each built from hopper.png (or random data) by Pillow or
# by a minimal PNG writer for the layouts Pillow does not write.

def _hopper() -> "Image.Image":
    path = conftest.testdata_dir() / "images" / "pillow" / "hopper.png"
    if path.exists():
        return Image.open(path).convert("RGB")
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))


def _rgba(im: "Image.Image") -> "Image.Image":
    a = np.asarray(im.convert("RGBA")).copy()
    a[..., 3] = np.random.default_rng(1).integers(0, 256, a.shape[:2])
    return Image.fromarray(a)


def _save(im: "Image.Image", fmt: str, **options) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, depth: int, color_type: int, rows: list[bytes],
         extra: bytes = b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    idat = zlib.compress(b"".join(b"\0" + row for row in rows))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b""))


def _png16(color_type: int, channels: int) -> bytes:
    a = np.random.default_rng(2).integers(0, 65536, (20, 30, channels), dtype=np.uint16)
    return _png(30, 20, 16, color_type, [a[y].astype(">u2").tobytes() for y in range(20)])


def _png_packed_grey(depth: int) -> bytes:
    rows = [bytes(np.random.default_rng(y).integers(0, 256, 32 * depth // 8, dtype=np.uint8))
            for y in range(4)]
    return _png(32, 4, depth, 0, rows)


def _png_short_palette() -> bytes:
    plte = _chunk(b"PLTE", bytes([255, 0, 0, 0, 255, 0, 0, 0, 255]))
    return _png(16, 16, 8, 3, [bytes(range(16 * y, 16 * y + 16)) for y in range(16)], plte)


def _cut(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


def _top_down_bmp(im: "Image.Image") -> bytes:
    data = bytearray(_save(im, "BMP"))
    height = struct.unpack_from("<i", data, 22)[0]
    struct.pack_into("<i", data, 22, -height)
    return bytes(data)


def _animated(im: "Image.Image", fmt: str) -> bytes:
    frames = [im, im.rotate(90), im.rotate(180)]
    return _save(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)


SYNTHETIC: dict[str, Callable[["Image.Image"], bytes]] = {
    "baseline.jpg": lambda im: _save(im, "JPEG", quality=90),
    "progressive.jpg": lambda im: _save(im, "JPEG", progressive=True, quality=80),
    "s444.jpg": lambda im: _save(im, "JPEG", subsampling=0),
    "s422.jpg": lambda im: _save(im, "JPEG", subsampling=1),
    "odd_size.jpg": lambda im: _save(im.resize((97, 61)), "JPEG"),
    "odd_size_progressive.jpg": lambda im: _save(im.resize((97, 61)), "JPEG", progressive=True),
    "grey.jpg": lambda im: _save(im.convert("L"), "JPEG"),
    "cmyk.jpg": lambda im: _save(im.convert("CMYK"), "JPEG"),
    "baseline_cut.jpg": lambda im: _cut(_save(im, "JPEG", quality=90), 0.33),
    "progressive_cut.jpg": lambda im: _cut(_save(im, "JPEG", progressive=True, quality=80), 0.5),
    "rgb.png": lambda im: _save(im, "PNG"),
    "rgba.png": lambda im: _save(_rgba(im), "PNG"),
    "l.png": lambda im: _save(im.convert("L"), "PNG"),
    "la.png": lambda im: _save(_rgba(im).convert("LA"), "PNG"),
    "1bit.png": lambda im: _save(im.convert("1"), "PNG"),
    "p.png": lambda im: _save(im.convert("P"), "PNG"),
    "p_2bit.png": lambda im: _save(im.convert("P", palette=Image.ADAPTIVE, colors=4), "PNG", bits=2),
    "p_4bit.png": lambda im: _save(im.convert("P", palette=Image.ADAPTIVE, colors=16), "PNG", bits=4),
    "p_4bit_trns.png": lambda im: _save(im.convert("P", palette=Image.ADAPTIVE, colors=16), "PNG",
                                        transparency=3),
    "p_short_palette.png": lambda im: _png_short_palette(),
    "i16_large_values.png": lambda im: _save(
        Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * 300), "PNG"),
    "grey16.png": lambda im: _png16(0, 1),
    "grey_alpha16.png": lambda im: _png16(4, 2),
    "rgb16.png": lambda im: _png16(2, 3),
    "rgba16.png": lambda im: _png16(6, 4),
    "grey2.png": lambda im: _png_packed_grey(2),
    "grey4.png": lambda im: _png_packed_grey(4),
    "rgb_cut.png": lambda im: _cut(_save(im, "PNG"), 0.5),
    "p_cut.png": lambda im: _cut(_save(im.convert("P"), "PNG"), 0.66),
    "lossy.webp": lambda im: _save(im, "WEBP", quality=80),
    "lossless.webp": lambda im: _save(im, "WEBP", lossless=True),
    "alpha_lossy.webp": lambda im: _save(_rgba(im), "WEBP", quality=70),
    "alpha_lossless.webp": lambda im: _save(_rgba(im), "WEBP", lossless=True),
    "animated.webp": lambda im: _animated(im, "WEBP"),
    "animated_alpha.webp": lambda im: _animated(_rgba(im), "WEBP"),
    "cut.webp": lambda im: _cut(_save(im, "WEBP"), 0.5),
    "plain.gif": lambda im: _save(im, "GIF", interlace=False),
    "interlaced.gif": lambda im: _save(im, "GIF", interlace=True),
    "transparent.gif": lambda im: _save(im.convert("P"), "GIF", transparency=7),
    "grey.gif": lambda im: _save(im.convert("L"), "GIF"),
    "animated.gif": lambda im: _animated(im, "GIF"),
    "interlaced_cut.gif": lambda im: _cut(_save(im, "GIF", interlace=True), 0.5),
    "plain_cut.gif": lambda im: _cut(_save(im, "GIF", interlace=False), 0.3),
    "rgb.bmp": lambda im: _save(im, "BMP"),
    "p.bmp": lambda im: _save(im.convert("P"), "BMP"),
    "l.bmp": lambda im: _save(im.convert("L"), "BMP"),
    "1bit.bmp": lambda im: _save(im.convert("1"), "BMP"),
    "rgba.bmp": lambda im: _save(_rgba(im), "BMP"),
    "top_down.bmp": _top_down_bmp,
    "rgb_cut.bmp": lambda im: _cut(_save(im, "BMP"), 0.5),
}


@pytest.fixture(scope="module")
def hopper() -> "Image.Image":
    return _hopper()


@pytest.fixture(autouse=True)
def load_truncated_images():
    """The reference pipeline accepts truncated images."""
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    yield
    ImageFile.LOAD_TRUNCATED_IMAGES = saved


def pillow_rgb(data: bytes, exif: bool = False):
    """Pillow's RGB array, or the exception Pillow raises."""
    try:
        im = Image.open(io.BytesIO(data))
        if exif:
            im = ImageOps.exif_transpose(im)
        return np.asarray(im.convert("RGB"))
    except Exception as error:  # noqa: BLE001 - any Pillow failure counts
        return error


def mimicit_rgb(data: bytes, **options) -> np.ndarray:
    height, width, pixels = core.decode_rgb(data, **options)
    return np.frombuffer(pixels, np.uint8).reshape(height, width, 3)


def check_against_pillow(name: str, data: bytes) -> None:
    expected = pillow_rgb(data)
    if isinstance(expected, Exception):
        with pytest.raises(core.MimicitError) as raised:
            core.decode_rgb(data)
        assert str(raised.value), f"{name}: empty error message"
        return
    got = mimicit_rgb(data)
    assert got.shape == expected.shape, name
    diff = int(np.abs(got.astype(int) - expected.astype(int)).max())
    assert diff <= KNOWN_DIFFERENCES.get(name, 0), f"{name}: max abs difference {diff}"


@pytest.mark.parametrize("path", real_images(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_image_matches_pillow(path: Path) -> None:
    check_against_pillow(path.name, path.read_bytes())


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_image_matches_pillow(name: str, hopper) -> None:
    check_against_pillow(name, SYNTHETIC[name](hopper))


@pytest.mark.parametrize("path", real_images(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_probe_agrees_with_pillow_size(path: Path) -> None:
    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as im:
            size, fmt = im.size, im.format.lower()
    except Exception:  # noqa: BLE001
        return  # probe may still succeed (header-only): nothing to compare
    info = core.probe_image(data)
    assert (info["width"], info["height"]) == size
    assert info["format"] == fmt


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_like_exif_transpose(orientation: int, hopper) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _save(hopper.resize((40, 24)), "JPEG", exif=exif.tobytes())
    expected = pillow_rgb(data, exif=True)
    assert np.array_equal(mimicit_rgb(data, apply_exif_orientation=True), expected)
    # Off by default, like the reference pipeline.
    assert np.array_equal(mimicit_rgb(data), pillow_rgb(data))


def test_pixel_limit_is_an_error_before_decoding(hopper) -> None:
    data = _save(hopper, "PNG")
    width, height = hopper.size
    with pytest.raises(core.MimicitError, match="decompression bomb"):
        core.decode_rgb(data, max_pixels=width * height - 1)
    assert mimicit_rgb(data, max_pixels=width * height).shape == (height, width, 3)
