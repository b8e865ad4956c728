"""Bad inputs end to end: every kind of input file, broken, through the CLI
and the Python package.

A small generated dataset (a pandas Parquet store and a legacy images.json
with images of every format, an instruction file, a train config, a data
YAML) is copied and one of its files is broken: zero-length, truncated to
half, or bit-flipped (several seeded flips). Every command that reads that
file then:
  * never dies of a signal, never hangs (10 s), never prints a traceback;
  * exits non-zero for a zero-length or truncated file, with one line on
    stderr, "mimicit: ...", naming the file; a bit-flipped file may still
    be valid (exit 0), but a failure is reported the same way;
  * `validate` reports a broken file as a problem naming it (exit 1) or
    cannot run (exit 2, one line naming it); `bench loader` skips the
    samples of a store it cannot open and lists each, naming the store (the
    loader's contract, include/mimicit/loader.h).
The Python API raises MimicitError subclasses on the same files, nothing
else.

Broken images inside a store (each format zero-length, cut inside the
header, magic bytes destroyed; bad and truncated base64; a missing id) are
findings, not failures: validate --decode, convert --verify, images stats,
bench loader, mimicit.Loader and mimicit.Dataset name exactly those ids and
keep every good one. Images truncated to half or bit-flipped may or may not
decode (truncated images are accepted, spec 2.3); every reader must agree
on which.
"""

from __future__ import annotations

import base64
import io
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
Image = pytest.importorskip("PIL.Image")
mimicit = pytest.importorskip("mimicit")

TIMEOUT_SECONDS = 10
FORMATS = ["JPEG", "PNG", "WEBP", "GIF", "BMP"]
FILE_CORRUPTIONS = ["zero", "truncated", "flip-1", "flip-2", "flip-3"]


def image_bytes(fmt: str, seed: int, size: tuple[int, int] = (24, 16)) -> bytes:
    image = Image.new("RGB", size, (seed * 40 % 256, 80, 200))
    for x in range(size[0]):
        image.putpixel((x, (x * 3 + seed) % size[1]), (255, x * 10 % 256, seed % 256))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def corrupt(data: bytes, how: str) -> bytes:
    if how == "zero":
        return b""
    if how == "truncated":
        return data[: len(data) // 2]
    if how == "header":  # cut inside the header: nothing to decode
        return data[:3]
    if how == "magic":
        return bytes(b ^ 0xFF for b in data[:2]) + data[2:]
    assert how.startswith("flip-"), how
    rng = random.Random(how)
    flipped = bytearray(data)
    for _ in range(8):
        flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
    return bytes(flipped)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_dataset(root: Path, store_images: dict[str, str], legacy_images: dict[str, str],
                  records: dict[str, list[str]]) -> Path:
    """A one-group dataset: the YAML, instructions, train config and both
    stores under `root` (values are base64 text). Returns the YAML."""
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"base64": list(store_images.values())}, index=list(store_images)).to_parquet(
        root / "store.parquet")
    (root / "images.json").write_text(json.dumps(legacy_images))
    data = {rid: {"instruction": f"What is in {rid}?", "answer": f"The answer to {rid}.",
                  "image_ids": ids, "rel_ins_ids": []} for rid, ids in records.items()}
    (root / "instructions.json").write_text(json.dumps({"meta": {"version": "0.0.1"}, "data": data}))
    (root / "train.json").write_text(json.dumps({rid: [] for rid in records}))
    yaml = root / "data.yaml"
    yaml.write_text("IMAGE_TEXT:\n  DS:\n"
                    f"    mimicit_path: {root}/instructions.json\n"
                    f"    images_path:\n      - {root}/store.parquet\n      - {root}/images.json\n"
                    f"    train_config_path: {root}/train.json\n    num_samples: -1\n")
    return yaml


@pytest.fixture(scope="module")
def clean_dataset(tmp_path_factory) -> Path:
    store = {f"IMG_{fmt}_{i}": b64(image_bytes(fmt, i)) for fmt in FORMATS for i in range(2)}
    legacy = {f"LEG_{fmt}_{i}": b64(image_bytes(fmt, 5 + i)) for fmt in FORMATS for i in range(2)}
    records = {f"INS_{k}": [k] for k in [*store, *legacy]}
    return write_dataset(tmp_path_factory.mktemp("bad_inputs_clean"), store, legacy, records).parent


# ---------------------------------------------------------------------------
# Broken files through the CLI

BENCH = ("bench", "loader", "{yaml}", "--image-size", "16", "--threads", "1", "--batch-size", "4")
COMMANDS = {
    "store.parquet": [("parquet", "schema", "{file}"), ("parquet", "meta", "{file}"),
                      ("parquet", "meta", "--json", "{file}"), ("parquet", "cat", "{file}"),
                      ("parquet", "check", "{file}"), ("images", "ls", "{file}"),
                      ("images", "get", "{file}", "IMG_PNG_0"), ("images", "stats", "{file}"),
                      ("convert", "{file}", "-o", "{out}"), ("validate", "--json", "--decode", "{yaml}"), BENCH],
    "images.json": [("images", "ls", "{file}"), ("images", "get", "{file}", "LEG_PNG_0"),
                    ("images", "stats", "{file}"), ("convert", "{file}", "-o", "{out}"),
                    ("validate", "--json", "--decode", "{yaml}"), BENCH],
    "instructions.json": [("validate", "--json", "{yaml}"), ("sample", "{yaml}"), BENCH],
    "train.json": [("validate", "--json", "{yaml}"), ("sample", "{yaml}"), BENCH],
    "data.yaml": [("validate", "--json", "{yaml}"), ("sample", "{yaml}"), BENCH],
}
STORES = ("store.parquet", "images.json")


def broken_copy(clean: Path, root: Path, name: str, how: str) -> Path:
    """A copy of the clean dataset under `root` with `name` broken; returns the broken file."""
    shutil.copytree(clean, root)
    yaml = root / "data.yaml"
    yaml.write_text(yaml.read_text().replace(str(clean), str(root)))
    broken = root / name
    broken.write_bytes(corrupt(broken.read_bytes(), how))
    return broken


def check_broken_file(run_cli, clean: Path, root: Path, name: str, how: str, timeout: float) -> None:
    broken = broken_copy(clean, root, name, how)
    must_fail = how in ("zero", "truncated")
    for template in COMMANDS[name]:
        args = [a.format(file=broken, yaml=root / "data.yaml", out=root / "out") for a in template]
        try:
            result = run_cli(*args, timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"mimicit {' '.join(args)} hung (> {timeout} s) on a {how} {name}")
        what = f"mimicit {' '.join(args)} ({how} {name})"
        stdout = result.stdout.decode(errors="replace")
        stderr = result.stderr.decode(errors="replace")
        assert result.returncode >= 0, f"{what} died of signal {-result.returncode}: {stderr}"
        assert "Traceback" not in stderr and "internal error" not in stderr, f"{what}: {stderr}"
        assert "Sanitizer" not in stderr and "runtime error:" not in stderr, f"{what}: {stderr}"
        lines = stderr.splitlines()
        if args[0] == "validate":
            if result.returncode == 2:
                assert len(lines) == 1 and lines[0].startswith("mimicit: ") and name in lines[0], f"{what}: {stderr}"
                continue
            report = json.loads(stdout)
            if must_fail:
                assert result.returncode == 1, f"{what} exited {result.returncode}: {stdout[:500]}"
                # Half a YAML may still parse, naming a path cut short instead.
                assert name == "data.yaml" or any(name in p["file"] or name in p["detail"]
                                                  for p in report["problems"]), \
                    f"{what}: no problem names {name}: {report['problems']}"
            continue
        if args[0] == "bench" and name in STORES:
            # The loader's contract: samples of a store that cannot be opened are
            # skipped, each listed naming the store.
            assert result.returncode == 0, f"{what} exited {result.returncode}: {stderr}"
            if must_fail:
                assert f"{broken}:" in stdout, f"{what}: the drops do not name the store: {stdout[-800:]}"
            continue
        if args[0] == "sample" and name in STORES:
            continue  # sample reads no store
        if must_fail:
            assert result.returncode != 0, f"{what} exited 0 on a {how} file"
        if result.returncode != 0:
            assert result.returncode == 1, f"{what} exited {result.returncode}: {stderr}"
            assert len(lines) == 1, f"{what}: {len(lines)} lines on stderr: {stderr}"
            assert lines[0].startswith("mimicit: ") and name in lines[0], f"{what}: {stderr}"
        if args[0] == "convert":
            assert not (root / "out").exists() or result.returncode == 0, f"{what} left an output"


@pytest.mark.parametrize("how", FILE_CORRUPTIONS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_broken_file_through_the_cli(name, how, clean_dataset, run_cli, tmp_path):
    check_broken_file(run_cli, clean_dataset, tmp_path / "data", name, how, TIMEOUT_SECONDS)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_broken_file_under_sanitizers(name, clean_dataset, asan_run_cli, tmp_path):
    """The same, for the sanitizer build (MIMICIT_ASAN_BIN): one truncation
    and one bit-flip per kind of file (a sanitizer report exits non-zero
    with several lines, which the checks catch). Slower: a longer timeout."""
    for how in ("truncated", "flip-2"):
        check_broken_file(asan_run_cli, clean_dataset, tmp_path / how, name, how, 6 * TIMEOUT_SECONDS)


PYTHON_READERS = {
    "store.parquet": lambda f, y: [mimicit.parquet.read(f), mimicit.parquet.metadata(f),
                                   mimicit.ImageStore(f, save_index=False).get_bytes("IMG_PNG_0")],
    "images.json": lambda f, y: [mimicit.ImageStore(f, save_index=False).get_bytes("LEG_PNG_0")],
}


@pytest.mark.parametrize("how", FILE_CORRUPTIONS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_broken_file_through_python(name, how, clean_dataset, tmp_path):
    """Only MimicitError subclasses, with one-line messages; validate never raises."""
    root = tmp_path / "data"
    broken = broken_copy(clean_dataset, root, name, how)
    yaml = str(root / "data.yaml")
    report = mimicit.validate(yaml, decode=True)
    if how in ("zero", "truncated"):
        assert report["problems"]
        assert name == "data.yaml" or any(name in p["file"] or name in p["detail"] for p in report["problems"])
    calls = [lambda: [mimicit.Dataset(yaml, "IMAGE_TEXT", image_size=16)[i] for i in range(3)],
             lambda: list(mimicit.Loader(yaml, 4, image_size=16, num_threads=1, drop_last=False, replacement=False,
                                         return_tensors="numpy", rank=0, world_size=1))]
    if name in PYTHON_READERS:
        calls.append(lambda: PYTHON_READERS[name](str(broken), yaml))
    for call in calls:
        try:
            call()
        except mimicit.MimicitError as e:
            assert "\n" not in str(e), str(e)


def test_metadata_with_invalid_utf8(tmp_path):
    """Regression: footer strings that are not UTF-8 (a bit-flip in the
    pandas metadata did it) raised a bare RuntimeError from the binding."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"base64": ["aGk="]}).replace_schema_metadata({b"k\xffey": b"va\xc3(lue"})
    pq.write_table(table, tmp_path / "meta.parquet")
    meta = mimicit.parquet.metadata(tmp_path / "meta.parquet")
    assert {"key": "k\ufffdey", "value": "va\ufffd(lue"} in meta["key_value_metadata"]
    assert mimicit.parquet.read(tmp_path / "meta.parquet") == {"base64": ["aGk="]}


# ---------------------------------------------------------------------------
# Broken images inside the stores: findings, not failures

IMAGE_BREAKS_BAD = ["zero", "header", "magic"]  # never decodable
IMAGE_BREAKS_MAYBE = ["truncated", "flip-1", "flip-2"]  # may still decode


@pytest.fixture(scope="module")
def broken_images(tmp_path_factory) -> dict:
    """Both stores hold good images of every format, the same broken ones,
    bad base64; one record per image, plus a record with a missing id and
    one with a good and a bad image. Returns the YAML, the paths, and the
    record ids by expected outcome."""
    root = tmp_path_factory.mktemp("bad_images")
    good, bad, maybe = {}, {}, {}
    for fmt in FORMATS:
        good[f"GOOD_{fmt}"] = b64(image_bytes(fmt, 1))
        for how in IMAGE_BREAKS_BAD:
            bad[f"{how.upper()}_{fmt}"] = b64(corrupt(image_bytes(fmt, 2), how))
        for how in IMAGE_BREAKS_MAYBE:
            maybe[f"{how.upper()}_{fmt}"] = b64(corrupt(image_bytes(fmt, 3, (48, 40)), how))
    bad_base64 = {"B64_INVALID": "@@@ not base64 @@@", "B64_TRUNCATED": good["GOOD_PNG"][:-3]}
    everything = {**good, **bad, **maybe, **bad_base64}
    store = {f"P_{k}": v for k, v in everything.items()}
    legacy = {f"J_{k}": v for k, v in everything.items()}
    records = {f"INS_{k}": [k] for k in [*store, *legacy]}
    records["INS_MISSING"] = ["NO_SUCH_IMAGE"]
    records["INS_ONE_BAD"] = ["P_GOOD_PNG", "J_ZERO_JPEG"]
    yaml = write_dataset(root, store, legacy, records)
    prefixed = lambda keys: {f"{s}_{k}" for s in "PJ" for k in keys}  # noqa: E731
    return {"yaml": yaml, "root": root, "records": set(records),
            "good": prefixed(good), "bad": prefixed(bad), "maybe": prefixed(maybe),
            "bad_base64": prefixed(bad_base64)}


def decoded_findings(run_cli, data: dict) -> dict[str, str]:
    """{image id: problem kind} of `validate --decode`, checked for shape."""
    result = run_cli("validate", "--json", "--decode", data["yaml"])
    assert result.returncode == 1, result.stderr
    problems = json.loads(result.stdout)["problems"]
    findings = {p["image_id"]: p["kind"] for p in problems if p["kind"] in ("bad_base64", "undecodable_image")}
    assert {p["image_id"] for p in problems if p["kind"] == "missing_image"} == {"NO_SUCH_IMAGE"}
    assert {p["kind"] for p in problems} <= {"bad_base64", "undecodable_image", "missing_image", "tiny_image"}
    return findings


def test_broken_images_are_findings(run_cli, broken_images, tmp_path):
    data = broken_images
    findings = decoded_findings(run_cli, data)
    undecodable = {k for k, kind in findings.items() if kind == "undecodable_image"}
    assert {k for k, kind in findings.items() if kind == "bad_base64"} == data["bad_base64"]
    assert data["bad"] <= undecodable <= data["bad"] | data["maybe"]

    # convert --verify drops exactly those, naming each, and keeps the rest.
    out = tmp_path / "out"
    result = run_cli("convert", data["root"] / "store.parquet", data["root"] / "images.json", "-o", out, "--verify")
    assert result.returncode == 0, result.stderr
    dropped = [json.loads(line) for line in (out / "_dropped.jsonl").read_text().splitlines()]
    assert {d["id"] for d in dropped} == set(findings)
    kept = mimicit.ImageStore(list(out.glob("*.parquet")), save_index=False)
    assert set(kept.ids()) == (data["good"] | data["bad"] | data["maybe"] | data["bad_base64"]) - set(findings)

    # images stats: the ids whose headers cannot be read (all of the never
    # decodable and the bad base64, some of the others), exit 0.
    for store, prefix in (("store.parquet", "P_"), ("images.json", "J_")):
        result = run_cli("images", "stats", "--json", data["root"] / store)
        assert result.returncode == 0, result.stderr
        stats = json.loads(result.stdout)
        in_store = {k for k in findings if k.startswith(prefix)}
        surely = {k for k in data["bad"] | data["bad_base64"] if k.startswith(prefix)}
        assert len(surely) <= stats["unreadable"] <= len(in_store)
        assert {e["id"] for e in stats["unreadable_examples"]} <= in_store

    # images get: the stored bytes; bad base64 is an error naming id and file.
    result = run_cli("images", "get", data["root"] / "store.parquet", "P_B64_INVALID")
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and "P_B64_INVALID" in lines[0] and "store.parquet" in lines[0]
    assert run_cli("images", "get", data["root"] / "store.parquet", "P_ZERO_PNG").stdout == b""

    # bench loader: every bad sample dropped and listed, exit 0.
    result = run_cli("bench", "loader", data["yaml"], "--image-size", "16", "--threads", "1", "--without-replacement")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    bad_records = {f"INS_{k}" for k in findings} | {"INS_MISSING", "INS_ONE_BAD"}
    listed = {line.split()[6].rstrip(":") for line in text.splitlines() if line.startswith("  dropped: ")}
    assert listed <= bad_records and len(listed) == min(len(bad_records), 10), text


def test_loader_and_dataset_keep_the_good_samples(run_cli, broken_images):
    data = broken_images
    findings = decoded_findings(run_cli, data)
    bad_records = {f"INS_{k}" for k in findings} | {"INS_MISSING", "INS_ONE_BAD"}
    good_records = data["records"] - bad_records
    assert {f"INS_{k}" for k in data["good"]} <= good_records

    loader = mimicit.Loader(data["yaml"], 8, image_size=16, num_threads=2, drop_last=False, replacement=False,
                            return_tensors="numpy", rank=0, world_size=1)
    seen, reported = [], []
    for batch in loader:
        seen.extend(batch["id"])
        reported.extend(batch["errors"])
    assert sorted(seen) == sorted(good_records)
    assert sorted(e["id"] for e in reported) == sorted(bad_records)
    assert loader.error_count == len(bad_records)
    for error in reported:
        image_id = {"INS_MISSING": "NO_SUCH_IMAGE", "INS_ONE_BAD": "J_ZERO_JPEG"}.get(error["id"], error["id"][4:])
        assert image_id in error["message"], error
        assert error["code"] == ("not found" if error["id"] == "INS_MISSING" else "corrupt"), error
        assert "\n" not in error["message"]

    dataset = mimicit.Dataset(data["yaml"], "IMAGE_TEXT", image_size=16)
    ids = dataset.ids()
    assert sorted(ids) == sorted(data["records"])
    failed = {}
    for index, record in enumerate(ids):
        try:
            assert dataset[index]["patch_images"].shape[-1] == 16
        except mimicit.MimicitError as e:
            failed[record] = e
    assert set(failed) == bad_records
    assert isinstance(failed["INS_MISSING"], mimicit.NotFoundError) and "NO_SUCH_IMAGE" in str(failed["INS_MISSING"])
    for record, error in failed.items():
        if record != "INS_MISSING":
            assert isinstance(error, mimicit.CorruptError), (record, error)
