"""PNG decoding (the libdeflate + SIMD fast path of src/image/png.cc and the
row-by-row path it falls back to, src/image/png_rowwise.cc) against Pillow, pixel for pixel:
`mimicit._core.decode_rgb(data)` must equal
`numpy.asarray(Image.open(f).convert("RGB"))` (LOAD_TRUNCATED_IMAGES on).

Inputs:
* PNGs Pillow writes of every mode it saves as PNG (1, L, LA, P with and
  without transparency at 1/2/4/8 bits, RGB, RGBA, I;16), at several
  compress levels and with optimize=True (which changes Pillow's filter
  choices), at odd sizes;
* PNGs written here for what Pillow does not write: 16-bit grey+alpha, RGB
  and RGBA, every filter type forced on every row, every color type and bit
  depth Adam7-interlaced, the zlib stream split over many IDAT chunks;
* natural photographs ($MIMICIT_TESTDATA/photos, and 640x480 crops of them
  saved by Pillow's default encoder, the benchmark's input), and every PNG
  under $MIMICIT_TESTDATA/images;
* damaged files (cut at many offsets, a bad filter byte, a wrong adler32,
  corrupt deflate data, a cut chunk after the image data) where the fast
  path hands over to the row-by-row path, which reads them as Pillow does.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import conftest

Image = pytest.importorskip("PIL.Image")
from PIL import ImageFile  # noqa: E402

core = pytest.importorskip("mimicit._core")


@pytest.fixture(autouse=True)
def load_truncated_images():
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    yield
    ImageFile.LOAD_TRUNCATED_IMAGES = saved


def check(data: bytes) -> None:
    try:
        expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    except Exception:  # noqa: BLE001 - Pillow cannot decode it: nor may we
        with pytest.raises(core.MimicitError):
            core.decode_rgb(data)
        return
    height, width, pixels = core.decode_rgb(data)
    got = np.frombuffer(pixels, np.uint8).reshape(height, width, 3)
    assert got.shape == expected.shape
    if not np.array_equal(got, expected):
        bad = np.argwhere(np.any(got != expected, axis=2))
        y, x = bad[0]
        pytest.fail(f"{len(bad)} pixels differ, first at ({x}, {y}): "
                    f"{got[y, x].tolist()} != Pillow {expected[y, x].tolist()}")


# ---------------------------------------------------------------------------
# Source pictures

def photo(name: str = "astronaut.png") -> "Image.Image":
    path = conftest.testdata_dir() / "photos" / name
    if path.exists():
        return Image.open(path).convert("RGB")
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8))


def crop_640x480(im: "Image.Image") -> "Image.Image":
    """The benchmark's input: scaled up to cover 640x480 if smaller, then the
    centre 640x480 (bench/png_decode_bench.py)."""
    w, h = im.size
    s = max(640 / w, 480 / h)
    if s > 1:
        im = im.resize((round(w * s + 0.5), round(h * s + 0.5)), Image.BICUBIC)
    w, h = im.size
    left, top = (w - 640) // 2, (h - 480) // 2
    return im.crop((left, top, left + 640, top + 480))


@pytest.fixture(scope="module")
def picture() -> "Image.Image":
    """A natural picture at an odd size (odd widths exercise row tails)."""
    return photo().resize((101, 67), Image.BICUBIC)


def save(im: "Image.Image", **options) -> bytes:
    out = io.BytesIO()
    im.save(out, "PNG", **options)
    return out.getvalue()


def with_alpha(im: "Image.Image") -> "Image.Image":
    a = np.asarray(im.convert("RGBA")).copy()
    a[..., 3] = np.random.default_rng(1).integers(0, 256, a.shape[:2])
    return Image.fromarray(a)


# ---------------------------------------------------------------------------
# Pillow-written PNGs

PILLOW_MODES = {
    "1": lambda im: im.convert("1"),
    "L": lambda im: im.convert("L"),
    "LA": lambda im: with_alpha(im).convert("LA"),
    "P": lambda im: im.convert("P"),
    "P_adaptive": lambda im: im.convert("P", palette=Image.ADAPTIVE, colors=256),
    "RGB": lambda im: im,
    "RGBA": lambda im: with_alpha(im),
    "I;16": lambda im: Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16) * 257),
    "I;16_small": lambda im: Image.fromarray(np.asarray(im.convert("L")).astype(np.uint16)),
}


@pytest.mark.parametrize("options", [{}, {"optimize": True}, {"compress_level": 0},
                                     {"compress_level": 1}, {"compress_level": 9}],
                         ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("mode", sorted(PILLOW_MODES))
def test_pillow_written(mode: str, options: dict, picture) -> None:
    check(save(PILLOW_MODES[mode](picture), **options))


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
@pytest.mark.parametrize("transparency", [None, 0, 3])
def test_pillow_palette_bits(bits: int, transparency, picture) -> None:
    im = picture.convert("P", palette=Image.ADAPTIVE, colors=1 << bits)
    options = {"bits": bits}
    if transparency is not None:
        options["transparency"] = transparency
    check(save(im, **options))


def test_pillow_rgb_transparency(picture) -> None:
    check(save(picture, transparency=(10, 20, 30)))
    check(save(picture.convert("L"), transparency=7))


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (7, 5), (640, 480), (641, 3)])
def test_pillow_sizes(size, picture) -> None:
    im = picture.resize(size, Image.BICUBIC)
    check(save(im))
    check(save(with_alpha(im)))


# ---------------------------------------------------------------------------
# PNGs written here: every filter, 16-bit color, Adam7

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]  # x0, y0, dx, dy per pass


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def filter_line(kind: int, line: np.ndarray, prev: np.ndarray, bpp: int) -> bytes:
    """Scanline `line` (uint8) filtered with `kind`, given the previous one."""
    x = line.astype(np.int32)
    b = prev.astype(np.int32)
    a = np.concatenate([np.zeros(bpp, np.int32), x[:-bpp]])
    c = np.concatenate([np.zeros(bpp, np.int32), b[:-bpp]])
    if kind == 0:
        pred = np.zeros_like(x)
    elif kind == 1:
        pred = a
    elif kind == 2:
        pred = b
    elif kind == 3:
        pred = (a + b) >> 1
    else:
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    return bytes([kind]) + ((x - pred) & 0xFF).astype(np.uint8).tobytes()


def pack_samples(samples: np.ndarray, depth: int) -> np.ndarray:
    """A (h, w, channels) array of samples -> scanline bytes (h, row_bytes)."""
    h = samples.shape[0]
    flat = samples.reshape(h, -1)
    if depth == 16:
        return flat.astype(">u2").view(np.uint8).reshape(h, -1)
    if depth == 8:
        return flat.astype(np.uint8)
    bits = np.unpackbits(flat.astype(np.uint8)[..., None], axis=-1)[..., 8 - depth:]
    return np.packbits(bits.reshape(h, -1), axis=-1)


def write_png(samples: np.ndarray, depth: int, color_type: int, filters=(4, 1, 3, 0, 2),
              interlaced: bool = False, idat_size: int = 0, palette: bytes = b"",
              extra: bytes = b"") -> bytes:
    """A PNG of `samples` (h, w, channels), each scanline filtered with the
    next type of `filters`, optionally Adam7-interlaced and with the zlib
    stream split into IDAT chunks of idat_size bytes."""
    h, w, channels = samples.shape
    bpp = max(1, channels * depth // 8)
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    raw = bytearray()
    k = 0
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        lines = pack_samples(sub, depth)
        prev = np.zeros(lines.shape[1], np.uint8)
        for line in lines:
            raw += filter_line(filters[k % len(filters)], line, prev, bpp)
            prev = line
            k += 1
    stream = zlib.compress(bytes(raw), 6)
    step = idat_size or len(stream)
    idat = b"".join(chunk(b"IDAT", stream[i:i + step]) for i in range(0, len(stream), step))
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlaced))
    plte = chunk(b"PLTE", palette) if palette else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + plte + extra + idat
            + chunk(b"IEND", b""))


LAYOUTS = [(0, d) for d in (1, 2, 4, 8, 16)] + [(2, 8), (2, 16)] + \
          [(3, d) for d in (1, 2, 4, 8)] + [(4, 8), (4, 16), (6, 8), (6, 16)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def layout_samples(picture: "Image.Image", color_type: int, depth: int) -> tuple[np.ndarray, bytes]:
    """Samples of `picture` for the layout (natural content: smooth with
    edges, so every predictor matters), and a palette for color type 3."""
    rgba = np.asarray(with_alpha(picture)).astype(np.uint32)
    grey = np.asarray(picture.convert("L")).astype(np.uint32)
    if color_type == 0:
        s = grey[..., None]
    elif color_type == 4:
        s = np.stack([grey, rgba[..., 3]], axis=-1)
    elif color_type == 3:
        s = (grey[..., None] * 7) % 256
    else:
        s = rgba[..., : CHANNELS[color_type]]
    if depth == 16:
        # Both bytes vary: the high byte (kept) and the low one.
        s = s * 257 + np.random.default_rng(2).integers(0, 256, s.shape)
    elif depth < 8:
        s = s >> (8 - depth)
    palette = b""
    if color_type == 3:
        entries = min(256, 1 << depth) - 1  # one index past the palette: black
        palette = bytes((i * 37 + j * 91) % 256 for i in range(entries) for j in range(3))
    return s, palette


@pytest.mark.parametrize("interlaced", [False, True], ids=["progressive", "interlaced"])
@pytest.mark.parametrize("filters", [(0,), (1,), (2,), (3,), (4,), (4, 1, 3, 0, 2)],
                         ids=["none", "sub", "up", "average", "paeth", "mixed"])
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda l: f"type{l[0]}_{l[1]}bit")
def test_written_here(layout, filters, interlaced, picture) -> None:
    color_type, depth = layout
    samples, palette = layout_samples(picture, color_type, depth)
    check(write_png(samples, depth, color_type, filters, interlaced, palette=palette))


@pytest.mark.parametrize("size", [(1, 1), (1, 9), (9, 1), (3, 5), (8, 8), (13, 17)])
@pytest.mark.parametrize("layout", [(0, 1), (0, 4), (3, 2), (2, 8), (6, 16)],
                         ids=lambda l: f"type{l[0]}_{l[1]}bit")
def test_interlaced_small_sizes(layout, size, picture) -> None:
    """Sizes where some Adam7 passes are empty."""
    color_type, depth = layout
    samples, palette = layout_samples(picture.resize(size), color_type, depth)
    check(write_png(samples, depth, color_type, interlaced=True, palette=palette))


@pytest.mark.parametrize("idat_size", [1, 100, 8192])
def test_many_idat_chunks(idat_size, picture) -> None:
    samples = np.asarray(picture)
    check(write_png(samples, 8, 2, idat_size=idat_size))
    check(write_png(samples, 8, 2, interlaced=True, idat_size=idat_size))


def test_ancillary_chunks_before_idat(picture) -> None:
    extra = (chunk(b"gAMA", struct.pack(">I", 45455)) + chunk(b"pHYs", bytes(9))
             + chunk(b"tEXt", b"Comment\0hello") + chunk(b"sRGB", b"\0"))
    check(write_png(np.asarray(picture), 8, 2, extra=extra))


# ---------------------------------------------------------------------------
# Damaged files: the fast path gives up and the row-by-row path reads the
# data as Pillow does (src/image/png_rowwise.cc).

def raw_rows(samples: np.ndarray, filter_of=lambda y: 0) -> bytes:
    """Scanlines of an 8-bit RGB image, row y behind filter byte filter_of(y)
    (types above 4 are written as they are, over unfiltered data)."""
    return b"".join(bytes([filter_of(y)]) + samples[y].tobytes() for y in range(samples.shape[0]))


def png_of(samples: np.ndarray, idats: list[bytes], extra_after: bytes = b"") -> bytes:
    h, w, _ = samples.shape
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + b"".join(chunk(b"IDAT", d) for d in idats)
            + extra_after + chunk(b"IEND", b""))


@pytest.mark.parametrize("bad_row", [0, 1, 20, 66])
def test_bad_filter_type(bad_row: int, picture) -> None:
    """Pillow keeps the rows before the one with a filter type above 4."""
    samples = np.asarray(picture)
    check(png_of(samples, [zlib.compress(raw_rows(samples, lambda y: 7 if y == bad_row else 0))]))


def test_bad_filter_type_interlaced(picture) -> None:
    data = bytearray(write_png(np.asarray(picture), 8, 2, filters=(0,), interlaced=True))
    # The 9th scanline of the stream (pass 1's last) gets filter type 5.
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8:start - 4])[0]
    raw = bytearray(zlib.decompress(bytes(data[start:start + length])))
    row_bytes = (picture.size[0] + 7) // 8 * 3 + 1  # pass 1's scanlines
    raw[8 * row_bytes] = 5
    check(write_png_raw(picture.size, bytes(raw), interlaced=True))


def write_png_raw(size, raw: bytes, interlaced: bool = False, idat_size: int = 0,
                  stream: bytes | None = None) -> bytes:
    w, h = size
    stream = zlib.compress(raw) if stream is None else stream
    step = idat_size or len(stream)
    idats = [stream[i:i + step] for i in range(0, len(stream), step)] or [b""]
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, int(interlaced))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + b"".join(chunk(b"IDAT", d) for d in idats)
            + chunk(b"IEND", b""))


def wrong_adler(stream: bytes) -> bytes:
    return stream[:-4] + bytes([stream[-4] ^ 0x55]) + stream[-3:]


@pytest.mark.parametrize("split", ["one_chunk", "trailer_apart", "trailer_split", "many_chunks"])
def test_wrong_adler32(split: str, picture) -> None:
    """zlib checks the adler32 when the piece completing the last row holds
    it: then the last row is lost (an error in the middle of that row);
    when it lies in a later IDAT chunk, the image is whole."""
    samples = np.asarray(picture)
    stream = wrong_adler(zlib.compress(raw_rows(samples)))
    idats = {"one_chunk": [stream], "trailer_apart": [stream[:-4], stream[-4:]],
             "trailer_split": [stream[:-2], stream[-2:]],
             "many_chunks": [stream[i:i + 100] for i in range(0, len(stream), 100)]}[split]
    check(png_of(samples, idats))


def test_wrong_adler32_in_a_large_chunk() -> None:
    """Pillow reads 64 KiB at a time: where the stream's end falls relative
    to those pieces decides whether zlib sees the checksum."""
    rng = np.random.default_rng(5)
    for h in (300, 301, 350):
        samples = rng.integers(0, 256, (h, 250, 3), dtype=np.uint8)
        check(png_of(samples, [wrong_adler(zlib.compress(raw_rows(samples), 1))]))


@pytest.mark.parametrize("seed", range(6))
def test_corrupt_stream_bytes(seed: int, picture) -> None:
    """A flipped byte in the deflate data: zlib fails somewhere (or decodes
    garbage); the rows before the failure are Pillow's."""
    rng = np.random.default_rng(seed)
    samples = np.asarray(picture)
    stream = bytearray(zlib.compress(raw_rows(samples, lambda y: y % 5)))
    for _ in range(seed % 3 + 1):
        stream[int(rng.integers(2, len(stream)))] ^= int(rng.integers(1, 256))
    check(png_of(samples, [bytes(stream)]))
    check(png_of(samples, [bytes(stream[:300]), bytes(stream[300:])]))


def test_stream_too_short_and_too_long(picture) -> None:
    samples = np.asarray(picture)
    raw = raw_rows(samples)
    check(png_of(samples, [zlib.compress(raw[: len(raw) // 2])]))  # ends early: rows kept
    check(png_of(samples, [zlib.compress(raw + raw[:500])]))  # extra data: ignored


def test_bad_zlib_header(picture) -> None:
    samples = np.asarray(picture)
    stream = zlib.compress(raw_rows(samples))
    check(png_of(samples, [b"\x78\x9d" + stream[2:]]))  # header checksum wrong
    check(png_of(samples, [b"\x88\x1c" + stream[2:]]))  # window too large
    check(png_of(samples, [b""]))  # empty image data


def cut_offsets(data: bytes, first: int, count: int = 120) -> list[int]:
    """Every offset in the first 40 bytes after `first`, then evenly spread."""
    dense = list(range(first, min(len(data), first + 40)))
    step = max(1, (len(data) - first) // count)
    return sorted(set(dense + list(range(first, len(data) + 1, step)) + [len(data) - 1]))


@pytest.mark.parametrize("kind", ["pillow_rgb", "pillow_p", "pillow_i16", "interlaced", "interlaced_1bit",
                                  "idat_100", "rgba16"])
def test_cut_at_many_offsets(kind: str, picture) -> None:
    """Every cut keeps the whole rows before it, as in Pillow: in the zlib
    header (no rows, no error), in a chunk header, in a CRC, anywhere."""
    samples, palette = layout_samples(picture, 6, 16)
    data = {
        "pillow_rgb": lambda: save(picture),
        "pillow_p": lambda: save(picture.convert("P", palette=Image.ADAPTIVE, colors=16), bits=4),
        "pillow_i16": lambda: save(PILLOW_MODES["I;16"](picture)),
        "interlaced": lambda: write_png(np.asarray(picture), 8, 2, interlaced=True),
        "interlaced_1bit": lambda: write_png(*layout_samples(picture, 0, 1)[:1], 1, 0, interlaced=True),
        "idat_100": lambda: write_png(np.asarray(picture), 8, 2, idat_size=100),
        "rgba16": lambda: write_png(samples, 16, 6),
    }[kind]()
    first = data.index(b"IDAT") - 4
    for n in cut_offsets(data, first):
        check(data[:n])


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9, 0.99])
def test_cut_files(fraction, picture) -> None:
    for data in (save(picture), write_png(np.asarray(picture), 8, 2, interlaced=True)):
        check(data[: int(len(data) * fraction)])


def test_chunk_crcs_before_the_image_data(picture) -> None:
    """Pillow checks the CRCs before IDAT: a bad one in a critical chunk
    (IHDR, PLTE) fails, in an ancillary one it is ignored (LOAD_TRUNCATED_IMAGES)."""
    data = bytearray(save(picture.convert("P")))
    plte = data.index(b"PLTE")
    length = struct.unpack(">I", data[plte - 4:plte])[0]
    bad_plte = bytearray(data)
    bad_plte[plte + 4 + length] ^= 1
    check(bytes(bad_plte))
    text = chunk(b"tEXt", b"Comment\0hello")
    bad_text = text[:-1] + bytes([text[-1] ^ 1])
    check(write_png(np.asarray(picture), 8, 2, extra=bad_text))


def test_chunks_after_the_image_data(picture) -> None:
    """Pillow's load_end reads the chunks after the image: one other than
    IDAT cut short by the end of the file makes it fail, pixels or not."""
    samples = np.asarray(picture)
    text = chunk(b"tEXt", b"Comment\0" + b"x" * 40)
    unknown = chunk(b"zzZz", b"y" * 30)
    for extra in (text, unknown, chunk(b"IDAT", b"trailing"), text + unknown):
        data = png_of(samples, [zlib.compress(raw_rows(samples))], extra)
        end = len(data) - 12  # before IEND
        for n in range(end - len(extra) - 2, end + 12):
            check(data[:n])


# ---------------------------------------------------------------------------
# Natural photographs and the test data's PNGs

def photo_files() -> list[Path]:
    root = conftest.testdata_dir() / "photos"
    return sorted(root.glob("*.png")) + sorted(root.glob("*.jpg")) if root.is_dir() else []


@pytest.mark.parametrize("path", photo_files(), ids=lambda p: p.name)
def test_photo(path: Path) -> None:
    if path.suffix == ".png":
        check(path.read_bytes())
    # The benchmark's input: a 640x480 crop saved by Pillow's defaults.
    check(save(crop_640x480(Image.open(path).convert("RGB"))))


def pngs_in_testdata() -> list[Path]:
    root = conftest.testdata_dir() / "images"
    return sorted(root.rglob("*.png")) if root.is_dir() else []


@pytest.mark.parametrize("path", pngs_in_testdata(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_testdata_png(path: Path) -> None:
    check(path.read_bytes())
