"""TIFF, PPM/PGM/PBM, TGA, ICO, PCX, JPEG 2000 and AVIF against Pillow, pixel
for pixel: `mimicit._core.decode_rgb(data)` must equal
`numpy.asarray(Image.open(f).convert("RGB"))` with
`ImageFile.LOAD_TRUNCATED_IMAGES = True`, and fail with a MimicitError where
Pillow cannot open or load the file (test_png_decode.check).

Inputs, written in the test: every mode Pillow saves in each format (1, L,
LA, P, RGB, RGBA, I;16, I, F, CMYK, YCbCr as the format allows) at odd sizes,
with each format's options (compressions, RLE, origins, tiles, layers,
subsampling, ...); the layouts Pillow does not write, built by hand (PPM
maxvals and comments, 16-bit and color-mapped TGA, planar PCX, ICO
directories) or by tifffile (tiled, planar, big-endian, 16-bit, signed,
float, predictor, orientation, multi-page TIFFs); and most of them cut at
many offsets. Then the same images through the store, the Dataset and
`mimicit images stats`.

Not covered here: 10- and 12-bit AVIF, which Pillow cannot write (decoded by
Debian's libavif 0.11, they differ from Pillow 13's libavif 1.4 by a few
levels: docs/reliability.md).
"""

from __future__ import annotations

import base64
import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from test_png_decode import check, load_truncated_images  # noqa: F401 - an autouse fixture

Image = pytest.importorskip("PIL.Image")
from PIL import features  # noqa: E402

import conftest  # noqa: E402

core = pytest.importorskip("mimicit._core")


# ---------------------------------------------------------------------------
# Helpers

def save(im: "Image.Image", fmt: str, **options) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def cut_offsets(data: bytes, count: int = 60) -> list[int]:
    """Every offset in the first 64 bytes (headers), then `count` spread
    over the rest, and the last few."""
    step = max(1, len(data) // count)
    return sorted(set(range(min(64, len(data)))) | set(range(64, len(data), step))
                  | set(range(max(0, len(data) - 3), len(data))))


def check_cuts(data: bytes, count: int = 60) -> None:
    for n in cut_offsets(data, count):
        check(data[:n])


@pytest.fixture(scope="module")
def picture() -> "Image.Image":
    """A natural picture at an odd size."""
    path = conftest.testdata_dir() / "images" / "pillow" / "hopper.png"
    if path.exists():
        return Image.open(path).convert("RGB").resize((67, 45), Image.BICUBIC)
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (45, 67, 3), dtype=np.uint8))


def with_alpha(im: "Image.Image") -> "Image.Image":
    a = np.asarray(im.convert("RGBA")).copy()
    a[..., 3] = np.random.default_rng(1).integers(0, 256, a.shape[:2])
    return Image.fromarray(a)


def grey(im: "Image.Image") -> np.ndarray:
    return np.asarray(im.convert("L"))


MODES = {
    "1": lambda im: im.convert("1"),
    "L": lambda im: im.convert("L"),
    "LA": lambda im: with_alpha(im).convert("LA"),
    "P": lambda im: im.convert("P", palette=Image.ADAPTIVE, colors=200),
    "P16": lambda im: im.convert("P", palette=Image.ADAPTIVE, colors=16),
    "RGB": lambda im: im,
    "RGBA": with_alpha,
    "I;16": lambda im: Image.fromarray(grey(im).astype(np.uint16) * 257),
    "I;16_small": lambda im: Image.fromarray(grey(im).astype(np.uint16)),
    "I": lambda im: Image.fromarray(grey(im).astype(np.int32) * 3 - 200),
    "F": lambda im: Image.fromarray(grey(im).astype(np.float32) * 1.3 - 20.5),
    "CMYK": lambda im: im.convert("CMYK"),
    "YCbCr": lambda im: im.convert("YCbCr"),
}


# ---------------------------------------------------------------------------
# PPM, PGM, PBM

@pytest.mark.parametrize("mode", ["1", "L", "RGB", "RGBA", "I;16", "I;16_small", "I"])
def test_ppm_pillow_written(mode: str, picture) -> None:
    data = save(MODES[mode](picture), "PPM")
    check(data)
    check_cuts(data)


def ppm(magic: bytes, width: int, height: int, maxval: int | None, body: bytes, sep: bytes = b"\n") -> bytes:
    head = magic + sep + b"%d %d" % (width, height) + sep
    if maxval is not None:
        head += b"%d" % maxval + sep
    return head + body


@pytest.mark.parametrize("maxval", [1, 15, 100, 254, 255, 256, 1000, 4095, 65534, 65535])
@pytest.mark.parametrize("magic", [b"P5", b"P6"])
def test_ppm_binary_maxvals(magic: bytes, maxval: int) -> None:
    """Samples scale to round(v / maxval * 255), half to even; P5 above 255
    is Pillow's "I" (clipped to 255); values above maxval clip."""
    bands = 3 if magic == b"P6" else 1
    rng = np.random.default_rng(maxval)
    samples = rng.integers(0, min(maxval + 3, 65536), (9, 7, bands))
    body = samples.astype(">u2" if maxval > 255 else np.uint8).tobytes()
    data = ppm(magic, 7, 9, maxval, body)
    check(data)
    check_cuts(data, 20)


@pytest.mark.parametrize("maxval", [1, 7, 255, 300, 65535])
@pytest.mark.parametrize("magic", [b"P2", b"P3"])
def test_ppm_plain(magic: bytes, maxval: int) -> None:
    bands = 3 if magic == b"P3" else 1
    rng = np.random.default_rng(maxval)
    samples = rng.integers(0, maxval + 1, 5 * 4 * bands)
    body = b" ".join(b"%d" % v for v in samples) + b"\n"
    data = ppm(magic, 5, 4, maxval, body)
    check(data)
    check_cuts(data, 20)
    check(data.replace(b" ", b"\n# a comment\n", 3))
    check(data[:-1] + b" %d\n" % (maxval + 1))  # a sample above maxval after the image: ignored
    check(ppm(magic, 5, 4, maxval, b"%d " % (maxval + 1) + body))  # inside it: an error


def test_ppm_plain_bilevel() -> None:
    check(b"P1\n4 2\n0 1 0 1\n1 1 0 0\n")
    check(b"P1\n4 2\n01011100")  # tokens need no whitespace
    check(b"P1\n4 2\n0 1 0 1 1 1 0 0 x")  # anything else fails, even after the image
    check(b"P1\n4 2\n0 1 0")  # cut short: fails


@pytest.mark.parametrize("header", [
    b"P5\n4 2\n255\n", b"P5 4 2 255 ", b"P5\n# comment\n4 2\n255\n", b"P5\n4#c\n 2\n255\n",
    b"P5\n4 2#c\n0\n255\n", b"P5\n+4 2\n255\n", b"P5\n1_0 2\n255\n", b"P5\n4 2\n0\n", b"P5\n4 2\n65536\n",
    b"P5\n4 2\n25a\n", b"P5\n12345678901 2\n255\n", b"P6\n-4 2\n255\n", b"P5\n4 2\n255", b"P5",
])
def test_ppm_headers(header: bytes) -> None:
    """Header tokens as Pillow reads them: comments anywhere (even inside a
    token), Python's int(), maxval 1..65535, at most 10 characters."""
    check(header + bytes(range(200)))


# ---------------------------------------------------------------------------
# TGA

@pytest.mark.parametrize("orientation", [1, -1])
@pytest.mark.parametrize("rle", [False, True])
@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "P16", "RGB", "RGBA"])
def test_tga_pillow_written(mode: str, rle: bool, orientation: int, picture) -> None:
    if mode == "1" and rle:
        pytest.skip("Pillow cannot write 1-bit RLE TGA")
    data = save(MODES[mode](picture), "TGA", rle=rle, orientation=orientation)
    check(data)
    check_cuts(data, 30)


def tga(image_type: int, depth: int, width: int, height: int, body: bytes, *, flags: int = 0,
        colormap: bytes = b"", map_first: int = 0, map_depth: int = 0, ident: bytes = b"") -> bytes:
    map_length = len(colormap) // max(1, map_depth // 8) if colormap else 0
    head = struct.pack("<BBBHHBHHHHBB", len(ident), 1 if colormap else 0, image_type, map_first, map_length,
                       map_depth, 0, 0, width, height, depth, flags)
    return head + ident + colormap + body


def test_tga_16_bit_truecolor_and_flags(picture) -> None:
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 65536, (13, 11), dtype=np.uint16).astype("<u2").tobytes()
    for flags in (0, 0x10, 0x20, 0x30):  # bottom-up, mirrored, top-down, both
        data = tga(2, 16, 11, 13, pixels, flags=flags, ident=b"made here")
        check(data)
        check_cuts(data, 20)


@pytest.mark.parametrize("map_depth", [16, 24, 32])
@pytest.mark.parametrize("map_first", [0, 5])
def test_tga_color_maps(map_depth: int, map_first: int) -> None:
    """Entries before the map's first index are black, as are indices past
    its end."""
    rng = np.random.default_rng(map_depth)
    colormap = bytes(rng.integers(0, 256, 40 * map_depth // 8, dtype=np.uint8))
    indices = bytes(rng.integers(0, 60, 9 * 7, dtype=np.uint8))
    data = tga(1, 8, 9, 7, indices, colormap=colormap, map_first=map_first, map_depth=map_depth)
    check(data)
    check_cuts(data, 20)
    check(tga(1, 8, 9, 7, indices))  # color-mapped without a map: grey
    check(tga(1, 8, 9, 7, indices, colormap=colormap[:30], map_first=250, map_depth=map_depth))  # > 256 entries


def test_tga_rle_packets() -> None:
    """Raw packets may cross rows; a run that crosses a row stops Pillow's
    decoder there (the rows before it are kept)."""
    raw = bytes([0x80 | 2, 10, 0x80 | 3, 20, 0x05, 1, 2, 3, 4, 5, 6, 0x80 | 1, 30])  # 4x3 grey
    check(tga(11, 8, 4, 3, raw))
    crossing_run = bytes([0x80 | 2, 10, 0x80 | 3, 20, 0x80 | 6, 40])
    check(tga(11, 8, 4, 3, crossing_run))
    check(tga(11, 1, 8, 2, bytes([0x80 | 3, 0xFF] * 4)))  # 1-bit RLE: no progress, black
    check(tga(10, 24, 3, 2, bytes([0x80 | 5, 1, 2, 3])))  # one run for the whole image: crosses a row


# ---------------------------------------------------------------------------
# PCX

@pytest.mark.parametrize("mode", ["1", "L", "P", "P16", "RGB"])
@pytest.mark.parametrize("size", [(67, 45), (8, 3), (1, 1), (33, 2)])
def test_pcx_pillow_written(mode: str, size, picture) -> None:
    data = save(MODES[mode](picture.resize(size)), "PCX")
    check(data)
    check_cuts(data, 30)


def pcx(bits: int, planes: int, width: int, height: int, body: bytes, *, version: int = 5,
        stride: int | None = None, palette16: bytes = bytes(range(48))) -> bytes:
    stride = stride if stride is not None else (width * bits + 7) // 8
    head = struct.pack("<BBBBHHHHHH", 10, version, 1, bits, 0, 0, width - 1, height - 1, 72, 72)
    head += palette16 + b"\0" + bytes([planes]) + struct.pack("<HH", stride, 1) + bytes(58)
    return head + body


def rle_pcx(rows: list[bytes]) -> bytes:
    out = bytearray()
    for row in rows:
        for value in row:
            out += bytes([0xC1, value]) if value >= 0xC0 else bytes([value])
    return bytes(out)


@pytest.mark.parametrize("planes", [2, 4])
def test_pcx_planar_16_colors(planes: int) -> None:
    rng = np.random.default_rng(planes)
    width, height = 13, 5
    stride = (width + 7) // 8 + 1  # odd widths are padded to an even stride
    rows = [bytes(rng.integers(0, 256, planes * stride, dtype=np.uint8)) for _ in range(height)]
    data = pcx(1, planes, width, height, rle_pcx(rows), stride=stride)
    check(data)
    check_cuts(data, 20)


def test_pcx_runs_and_grey_palette() -> None:
    width, height = 6, 3
    runs = bytes([0xC0 | 9, 7, 1, 2, 3]) + bytes([0xC0 | 3, 200, 0xC2, 5, 9, 9])  # a run overflowing a row
    grey_ramp = b"\x0c" + bytes(v for i in range(256) for v in (i, i, i))
    check(pcx(8, 1, width, height, runs + b"\0" * 20 + grey_ramp))  # identity palette: grey
    check(pcx(8, 1, width, height, runs + b"\0" * 20 + b"\x0c" + bytes(range(256)) * 3))  # a palette
    check(pcx(8, 4, width, height, runs))  # 32-bit: unknown mode
    check(pcx(8, 1, width, height, runs, version=3))  # 8-bit before version 5: unknown mode


# ---------------------------------------------------------------------------
# ICO

@pytest.mark.parametrize("bitmap_format", ["png", "bmp"])
@pytest.mark.parametrize("mode", ["1", "L", "P", "P16", "RGB", "RGBA", "LA"])
def test_ico_pillow_written(mode: str, bitmap_format: str, picture) -> None:
    if bitmap_format == "bmp" and mode == "LA":
        pytest.skip("Pillow cannot write LA as a BMP frame")
    data = save(MODES[mode](picture.resize((64, 64))), "ICO", sizes=[(16, 16), (48, 48), (32, 32)],
                bitmap_format=bitmap_format)
    check(data)
    check_cuts(data, 40)


def ico(frames: list[tuple[int, int, int, int, bytes]]) -> bytes:
    """An ICO of (width, height, colors, bpp, frame bytes) entries."""
    head = struct.pack("<HHH", 0, 1, len(frames))
    offset = 6 + 16 * len(frames)
    entries, body = b"", b""
    for width, height, colors, bpp, frame in frames:
        entries += struct.pack("<BBBBHHII", width % 256, height % 256, colors, 0, 1, bpp, len(frame),
                               offset + len(body))
        body += frame
    return head + entries + body


def dib(im: "Image.Image") -> bytes:
    """A DIB frame as Pillow writes it (BMP without its file header, the
    height doubled for the AND mask, the mask appended)."""
    bmp = save(im, "BMP")
    info = bytearray(bmp[14:])
    struct.pack_into("<i", info, 8, im.height * 2)
    mask = bytes(((im.width + 31) // 32 * 4) * im.height)
    return bytes(info) + mask


def test_ico_picks_the_largest_then_fewest_colors(picture) -> None:
    """Equal sizes: the entry of the lowest color depth wins, whatever the
    order in the file; a width or height byte of 0 means 256."""
    small, big = picture.resize((16, 16)), picture.resize((32, 32))
    frames = [(32, 32, 0, 24, dib(big)), (32, 32, 0, 8, dib(big.convert("P"))), (16, 16, 0, 32, dib(small))]
    check(ico(frames))
    check(ico(frames[::-1]))
    check(ico([(32, 32, 16, 0, dib(big.convert("P", palette=Image.ADAPTIVE, colors=16))),
               (32, 32, 0, 0, dib(big))]))  # depth from the color count, or 256
    check(ico([(0, 0, 0, 32, save(picture.resize((256, 256)), "PNG")), (48, 48, 0, 32, dib(big))]))
    check(ico([(32, 32, 0, 24, dib(big)[:100])]))  # a cut frame
    check(ico([(32, 32, 0, 24, dib(big)[:30])]))  # its header cut
    check(ico([]))  # no entries


# ---------------------------------------------------------------------------
# TIFF

TIFF_COMPRESSIONS = [None, "packbits", "tiff_lzw", "tiff_adobe_deflate", "jpeg", "group4"]


@pytest.mark.parametrize("compression", TIFF_COMPRESSIONS, ids=lambda c: c or "raw")
@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "P16", "RGB", "RGBA", "I;16", "I", "F", "CMYK", "YCbCr"])
def test_tiff_pillow_written(mode: str, compression, picture) -> None:
    if compression == "group4" and mode != "1":
        pytest.skip("group4 is for bilevel images")
    if compression == "jpeg" and mode not in ("L", "RGB", "CMYK", "YCbCr"):
        pytest.skip("libtiff's JPEG takes 8-bit grey and color")
    data = save(MODES[mode](picture), "TIFF", compression=compression)
    check(data)
    check_cuts(data, 30)


def test_tiff_pillow_options(picture) -> None:
    check(save(picture, "TIFF", compression="jpeg", quality=40))
    check(save(picture.resize((300, 250)), "TIFF", compression="tiff_lzw"))  # several strips
    check(save(MODES["I;16"](picture), "TIFF", compression="tiff_adobe_deflate"))
    frames = [picture, picture.rotate(90), MODES["L"](picture)]
    check(save(frames[0], "TIFF", save_all=True, append_images=frames[1:]))  # the first page


def tiff_via_tifffile(array: np.ndarray, **options) -> bytes:
    tf = pytest.importorskip("tifffile")
    out = io.BytesIO()
    tf.imwrite(out, array, **options)
    return out.getvalue()


def tifffile_cases(picture) -> dict[str, tuple[np.ndarray, dict]]:
    rng = np.random.default_rng(3)
    rgb = np.asarray(picture)
    rgba = np.dstack([rgb, rng.integers(0, 256, rgb.shape[:2], dtype=np.uint8)])
    g = grey(picture)
    planes = lambda a: np.moveaxis(a, -1, 0)  # noqa: E731 - tifffile takes planar data channel first
    return {
        "rgb_tiled": (rgb, {"tile": (16, 16), "photometric": "rgb"}),
        "rgb_planar": (planes(rgb), {"planarconfig": "separate", "photometric": "rgb"}),
        "rgb_planar_tiled_zlib": (planes(rgb), {"planarconfig": "separate", "tile": (16, 16), "compression": "zlib",
                                        "photometric": "rgb"}),
        "rgba_planar_zlib": (planes(rgba), {"planarconfig": "separate", "compression": "zlib", "photometric": "rgb",
                                    "extrasamples": ["unassalpha"]}),
        "rgba_premultiplied": (rgba, {"photometric": "rgb", "extrasamples": ["assocalpha"]}),
        "rgba_premultiplied_planar_zlib": (planes(rgba), {"planarconfig": "separate", "compression": "zlib",
                                                  "photometric": "rgb", "extrasamples": ["assocalpha"]}),
        "rgb_extra_unspecified": (rgba, {"photometric": "rgb", "extrasamples": ["unspecified"]}),
        "rgb16": (rgb.astype(np.uint16) * 257 + 3, {"photometric": "rgb"}),
        "rgb16_zlib": (rgb.astype(np.uint16) * 257 + 3, {"photometric": "rgb", "compression": "zlib"}),
        "rgba16": (rgba.astype(np.uint16) * 257, {"photometric": "rgb", "extrasamples": ["unassalpha"]}),
        "grey16": (g.astype(np.uint16) * 3, {"photometric": "minisblack"}),
        "grey16_predictor": (g.astype(np.uint16) * 3, {"photometric": "minisblack", "compression": "zlib",
                                                       "predictor": True}),
        "int16": (g.astype(np.int16) - 100, {"photometric": "minisblack"}),
        "int32": (g.astype(np.int32) * 2 - 100, {"photometric": "minisblack"}),
        "uint32": (g.astype(np.uint32) * 2, {"photometric": "minisblack"}),
        "float32": (g.astype(np.float32) * 1.7 - 20, {"photometric": "minisblack"}),
        "float32_zlib": (g.astype(np.float32) * 1.7 - 20, {"photometric": "minisblack", "compression": "zlib"}),
        "miniswhite": (g, {"photometric": "miniswhite"}),
        "grey_tiled_zlib": (g, {"photometric": "minisblack", "tile": (32, 16), "compression": "zlib"}),
        "rgb_rows_per_strip": (rgb, {"photometric": "rgb", "rowsperstrip": 7}),
        "rgb_rows_per_strip_predictor": (rgb, {"photometric": "rgb", "rowsperstrip": 7, "compression": "zlib",
                                               "predictor": True}),
        "multipage": (np.stack([rgb, rgb[::-1]]), {"photometric": "rgb"}),
        **{f"orientation_{o}": (rgb, {"photometric": "rgb", "extratags": [(274, "H", 1, o, True)]})
           for o in (2, 3, 4, 5, 6, 7, 8)},
    }


@pytest.mark.parametrize("byteorder", ["<", ">"])
@pytest.mark.parametrize("case", ["rgb_tiled", "rgb_planar", "rgb_planar_tiled_zlib", "rgba_planar_zlib",
                                  "rgba_premultiplied", "rgba_premultiplied_planar_zlib", "rgb_extra_unspecified",
                                  "rgb16", "rgb16_zlib", "rgba16", "grey16", "grey16_predictor", "int16", "int32",
                                  "uint32", "float32", "float32_zlib", "miniswhite", "grey_tiled_zlib",
                                  "rgb_rows_per_strip", "rgb_rows_per_strip_predictor", "multipage",
                                  "orientation_2", "orientation_3", "orientation_4", "orientation_5",
                                  "orientation_6", "orientation_7", "orientation_8"])
def test_tiff_layouts_pillow_does_not_write(case: str, byteorder: str, picture) -> None:
    array, options = tifffile_cases(picture)[case]
    data = tiff_via_tifffile(array, byteorder=byteorder, **options)
    check(data)
    check_cuts(data, 25)


# ---------------------------------------------------------------------------
# JPEG 2000

J2K_OPTIONS = {
    "default": {},
    "j2k": {"no_jp2": True},
    "irreversible": {"irreversible": True},
    "tiles": {"tile_size": (32, 32)},
    "tiles_j2k": {"tile_size": (32, 16), "no_jp2": True},
    "layers": {"quality_mode": "rates", "quality_layers": [40, 10]},
    "resolutions_rlcp": {"num_resolutions": 3, "progression": "RLCP"},
    "comment": {"comment": "made by the test"},
}


@pytest.mark.parametrize("options", sorted(J2K_OPTIONS))
@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "I;16", "I;16_small"])
def test_jpeg2000_pillow_written(mode: str, options: str, picture) -> None:
    data = save(MODES[mode](picture), "JPEG2000", **J2K_OPTIONS[options])
    check(data)
    check_cuts(data, 30)


def test_jpeg2000_sizes_and_mct(picture) -> None:
    for size in ((1, 1), (3, 2), (129, 65)):
        check(save(picture.resize(size), "JPEG2000"))
    check(save(picture, "JPEG2000", mct=1, irreversible=True))
    check(save(picture, "JPEG2000", mct=0))


# ---------------------------------------------------------------------------
# AVIF

needs_avif = pytest.mark.skipif(not features.check("avif"), reason="this Pillow has no AVIF support")

AVIF_OPTIONS = {
    "default": {},
    "444": {"subsampling": "4:4:4"},
    "422": {"subsampling": "4:2:2"},
    "400": {"subsampling": "4:0:0"},
    "limited": {"range": "limited"},
    "q95": {"quality": 95},
    "premultiplied": {"alpha_premultiplied": True},
}


@needs_avif
@pytest.mark.parametrize("options", sorted(AVIF_OPTIONS))
@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_avif_pillow_written(mode: str, options: str, picture) -> None:
    data = save(MODES[mode](picture), "AVIF", **AVIF_OPTIONS[options])
    check(data)
    check_cuts(data, 20)


@needs_avif
def test_avif_sizes_tiles_and_animation(picture) -> None:
    for size in ((1, 1), (3, 2), (301, 203)):
        check(save(picture.resize(size), "AVIF"))
    check(save(picture.resize((301, 203)), "AVIF", tile_rows=1, tile_cols=1, autotiling=False))
    check(save(picture, "AVIF", save_all=True, append_images=[picture.rotate(90)]))  # the first frame


# ---------------------------------------------------------------------------
# Every format: probe, the pixel limit, the store, the Dataset, the CLI

def one_of_each(picture) -> dict[str, bytes]:
    files = {
        "tiff": save(picture, "TIFF", compression="tiff_lzw"),
        "ppm": save(picture, "PPM"),
        "tga": save(picture, "TGA", rle=True),
        "ico": save(picture.resize((48, 48)), "ICO", bitmap_format="bmp"),
        "pcx": save(picture, "PCX"),
        "jpeg2000": save(picture, "JPEG2000"),
    }
    if features.check("avif"):
        files["avif"] = save(picture, "AVIF")
    return files


EXTENSIONS = {"tiff": "tif", "ppm": "ppm", "tga": "tga", "ico": "ico", "pcx": "pcx", "jpeg2000": "jp2",
              "avif": "avif"}


def test_probe_agrees_with_pillow(picture) -> None:
    for fmt, data in one_of_each(picture).items():
        info = core.probe_image(data)
        with Image.open(io.BytesIO(data)) as im:
            assert (info["format"], info["width"], info["height"]) == (im.format.lower(), *im.size), fmt
        assert info["format"] == fmt


def test_pixel_limit_before_decoding(picture) -> None:
    for fmt, data in one_of_each(picture).items():
        w, h = core.probe_image(data)["width"], core.probe_image(data)["height"]
        with pytest.raises(core.LimitError, match="decompression bomb"):
            core.decode_rgb(data, max_pixels=w * h - 1)
        assert core.decode_rgb(data, max_pixels=w * h)[:2] == (h, w), fmt


def test_store_and_image_folder(tmp_path: Path, picture) -> None:
    import pandas as pd

    import mimicit
    files = {f"IMG_{fmt}": data for fmt, data in one_of_each(picture).items()}
    store_path = tmp_path / "images.parquet"
    pd.DataFrame.from_dict({k: base64.b64encode(v).decode() for k, v in files.items()},
                           orient="index", columns=["base64"]).to_parquet(store_path)
    folder = tmp_path / "folder"
    folder.mkdir()
    for image_id, data in files.items():
        (folder / f"{image_id}.{EXTENSIONS[image_id[4:]]}").write_bytes(data)
    for source in (store_path, folder):
        store = mimicit.ImageStore(source, cache_dir=tmp_path / "cache")
        assert store.ids() == sorted(files)
        for image_id, data in files.items():
            expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
            np.testing.assert_array_equal(store.get_image(image_id), expected, err_msg=image_id)


def test_dataset_samples_match_the_reference_path(tmp_path: Path, picture) -> None:
    import pandas as pd

    import mimicit
    from test_loader import reference_image
    files = {f"LA_IMG_{fmt}": data for fmt, data in one_of_each(picture).items()}
    store = tmp_path / "images.parquet"
    pd.DataFrame.from_dict({k: base64.b64encode(v).decode() for k, v in files.items()}, orient="index",
                           columns=["base64"]).to_parquet(store)
    records = {f"LA_INS_{i:05d}": {"instruction": f"What is in picture {i}?", "answer": "A picture.",
                                   "image_ids": [image_id], "rel_ins_ids": []}
               for i, image_id in enumerate(files)}
    instructions = tmp_path / "LA_instructions.json"
    instructions.write_text(json.dumps({"meta": {"version": "0.0.1"}, "data": records}))
    yaml = tmp_path / "data.yaml"
    yaml.write_text(f"IMAGE_TEXT:\n  LA:\n    mimicit_path: {instructions}\n    images_path: {store}\n"
                    "    num_samples: -1\n")
    ds = mimicit.Dataset(yaml, "IMAGE_TEXT", image_size=40)
    assert len(ds) == len(files)
    for i in range(len(ds)):
        sample = ds[i]
        image_id = records[sample["id"]]["image_ids"][0]
        np.testing.assert_array_equal(sample["patch_images"][0, 0], reference_image(files[image_id], 40),
                                      err_msg=image_id)


def test_images_stats_names_the_formats(tmp_path: Path, run_cli, picture) -> None:
    import pandas as pd
    files = {f"IMG_{fmt}": data for fmt, data in one_of_each(picture).items()}
    store = tmp_path / "images.parquet"
    pd.DataFrame.from_dict({k: base64.b64encode(v).decode() for k, v in files.items()}, orient="index",
                           columns=["base64"]).to_parquet(store)
    result = run_cli("images", "stats", "--json", str(store))
    assert result.returncode == 0, result.stderr.decode()
    stats = json.loads(result.stdout)
    assert stats["formats"] == {fmt: 1 for fmt in one_of_each(picture)}
    assert stats["unreadable"] == 0
