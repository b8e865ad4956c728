"""Base64 as the reference decodes it: CPython's base64.urlsafe_b64decode
(binascii.a2b_base64, non-strict, after mapping -_ to +/), against random
texts with garbage inserted (quotes, NULs, '=', symbols, whitespace), cut
anywhere, padded or not.

mimicit must give CPython's bytes wherever CPython decodes; where CPython
fails only for want of padding, the bytes CPython gives once the padding is
added; and fail where CPython fails for a length of one past a multiple of 4.
`validate --decode` lists exactly the texts that CPython's strict mode
refuses (whitespace aside) as lenient_base64 notices. Hypothesis runs a
bounded, derandomized number of examples, each a whole store written by
pandas as the reference's converter writes it.
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import json
import random
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

mimicit = pytest.importorskip("mimicit")
pd = pytest.importorskip("pandas")
Image = pytest.importorskip("PIL.Image")

GARBAGE = ['"', "'", "\x00", "*", "=", "==", "@", ".", ",", ":", ";", "!", "%", "{", "}", "\\", "~", "\x7f",
           " ", "\n", "\r\n", "\t"]
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
WHITESPACE = " \t\r\n"
URLSAFE = bytes.maketrans(b"-_", b"+/")


def expected_bytes(text: str) -> Optional[bytes]:
    """What mimicit must decode `text` to (None: it must fail)."""
    try:
        return base64.urlsafe_b64decode(text)
    except binascii.Error as error:
        if "Incorrect padding" in str(error):
            return base64.urlsafe_b64decode(text + "==")  # mimicit adds the missing padding
        assert "1 more than a multiple of 4" in str(error)
        return None


def canonical(text: str) -> bool:
    """Whether `text` needs no leniency: CPython's strict mode takes it once
    whitespace (MIME line breaks) is removed."""
    stripped = text.translate({ord(c): None for c in WHITESPACE}).encode("ascii").translate(URLSAFE)
    try:
        binascii.a2b_base64(stripped, strict_mode=True)
        return True
    except binascii.Error:
        return False


@st.composite
def garbled(draw) -> str:
    """Base64 of random bytes (either alphabet, padded or not) with garbage
    inserted at random places, sometimes cut."""
    data = draw(st.binary(max_size=48))
    text = (base64.b64encode if draw(st.booleans()) else base64.urlsafe_b64encode)(data).decode()
    if draw(st.booleans()):
        text = text.rstrip("=")
    chars = list(text)
    for _ in range(draw(st.integers(0, 6))):
        chars.insert(draw(st.integers(0, len(chars))), draw(st.sampled_from(GARBAGE)))
    text = "".join(chars)
    if draw(st.integers(0, 4)) == 0:
        text = text[:draw(st.integers(0, len(text)))]
    return text


texts = st.lists(st.one_of(garbled(), st.text(alphabet=ALPHABET + "=\"'\x00*@ \n", max_size=24)),
                 min_size=1, max_size=40)


def write_store(path: Path, values: dict[str, str]) -> None:
    """An image store as the reference's converter writes it (pandas)."""
    pd.DataFrame.from_dict(values, orient="index", columns=["base64"]).to_parquet(path)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("base64")
    return (folder / f"store-{i}.parquet" for i in itertools.count())


def check_store(path: Path, values: dict[str, str]) -> None:
    write_store(path, values)
    store = mimicit.ImageStore(path, cache_dir=path.parent / "cache")
    for key, text in values.items():
        want = expected_bytes(text)
        if want is None:
            with pytest.raises(mimicit.CorruptError, match="dangling"):
                store.get_bytes(key)
        else:
            assert store.get_bytes(key) == want, repr(text)


@settings(derandomize=True, max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(values=texts)
def test_random_garbled_texts_decode_as_cpython(scratch, values) -> None:
    check_store(next(scratch), {f"id{i}": text for i, text in enumerate(values)})


# The padding rules one by one (CPython 3.11's binascii, non-strict).
TRICKY = ["", "Zg==", "Zg=", "Zg", "Zm8", "Zm9v", "Zg==Zg==", "Zm8=Zm9v", "Zm9=v", "Zg====", "Zm9v=Zm9v",
          "=Zm9v", "Z=m9v", "Zg=x=", 'Zg="=', "====", "Zg== x", "Zm9vY", "Zm9vY=", "Z", "Zg=*", "Zg=\x00=",
          '"Zm9vYmFy"', "Zm9v\x00\x00", "-_-_", "+/+/", "-/+_", " Zm9v\nYg= =\r\n", "QUJD" * 5 + "=" + "QUJD",
          "QUJD" * 4 + "*" * 9 + "QUJD" * 3]


def test_padding_rules_one_by_one(tmp_path) -> None:
    check_store(tmp_path / "tricky.parquet", {f"t{i}": text for i, text in enumerate(TRICKY)})


def test_what_cpython_refuses_is_still_read(tmp_path) -> None:
    png = io.BytesIO()
    Image.new("RGB", (5, 4), (10, 20, 30)).save(png, format="PNG")
    raw = png.getvalue()
    text = base64.urlsafe_b64encode(raw).decode()
    assert text.endswith("=")
    values = {"unpadded": text.rstrip("="), "data_uri": "data:image/png;base64," + text,
              "standard": base64.b64encode(raw).decode()}
    with pytest.raises(binascii.Error, match="Incorrect padding"):
        base64.urlsafe_b64decode(values["unpadded"])
    try:  # the prefix's letters are decoded as data: other bytes, or a failure
        assert base64.urlsafe_b64decode(values["data_uri"]) != raw
    except binascii.Error:
        pass
    write_store(tmp_path / "refused.parquet", values)
    store = mimicit.ImageStore(tmp_path / "refused.parquet", cache_dir=tmp_path / "cache")
    for key in values:
        assert store.get_bytes(key) == raw, key


def png_text(index: int) -> str:
    image = Image.new("RGB", (9 + index % 5, 9), (index * 7 % 256, 40, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


def test_validate_lists_exactly_what_needed_leniency(tmp_path, run_cli) -> None:
    rng = random.Random(13)
    values = {}
    for i in range(60):
        text = png_text(i)
        kind = i % 6
        if kind == 1:  # garbage the reference skips ('=' aside: it can end the data early)
            chars = list(text)
            for _ in range(rng.randint(1, 4)):
                chars.insert(rng.randrange(len(chars) + 1), rng.choice([g for g in GARBAGE if "=" not in g]))
            text = "".join(chars)
        elif kind == 2:  # padding removed
            text = text.rstrip("=")
        elif kind == 3:  # MIME line breaks: not leniency
            text = "\r\n".join(text[j:j + 76] for j in range(0, len(text), 76)) + "\r\n"
        elif kind == 4:
            text = "data:image/png;base64," + text
        elif kind == 5:  # data after the padding, or a stray '='
            text = text + "Zm9v" if text.endswith("=") else text[:8] + "=" + text[8:]
        values[f"IMG_{i:02}"] = text
    write_store(tmp_path / "images.parquet", values)
    records = {f"INS_{i:02}": {"instruction": "What is it?", "answer": "A square.", "image_ids": [key],
                               "rel_ins_ids": []} for i, key in enumerate(values)}
    (tmp_path / "ins.json").write_text(json.dumps({"meta": {}, "data": records}))
    yaml = tmp_path / "data.yaml"
    yaml.write_text(f"IMAGE_TEXT:\n  S:\n    mimicit_path: {tmp_path}/ins.json\n"
                    f"    images_path: {tmp_path}/images.parquet\n")

    expected = set()
    for key, text in values.items():
        is_uri = text.startswith("data:")
        payload = text.split(",", 1)[1] if is_uri else text  # mimicit removes the prefix
        if expected_bytes(payload) is not None and (is_uri or not canonical(text)):
            expected.add(key)
    assert len(expected) >= 25

    result = run_cli("validate", yaml, "--decode", "--json")
    report = json.loads(result.stdout)
    lenient = {p["image_id"] for p in report["problems"] if p["kind"] == "lenient_base64"}
    assert lenient == expected
    assert report["summary"]["notices"] == len(expected)
    assert report["summary"]["counts"]["lenient_base64"] == len(expected)
    # Every image decodes: notices alone do not fail validation.
    assert [p for p in report["problems"] if p["kind"] != "lenient_base64"] == []
    assert result.returncode == 0

    text = run_cli("validate", yaml, "--decode").stdout.decode()
    assert f"{len(expected)} notices" in text
    assert f"\nlenient_base64: {len(expected)}\n" in text
    assert mimicit.validate(yaml, decode=True)["summary"]["notices"] == len(expected)
