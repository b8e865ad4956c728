"""Deterministic sample tables for the suites (fixed seeds, made in memory).

`sample_table()` mixes the shapes MIMIC-IT image stores and their peers use:
sorted ids, base64 strings, raw bytes, numbers with nulls, NaN and infinities,
dates, timestamps and lists. `flat_sample_table()` keeps the columns every
peer (pandas, dask) round-trips without surprises.
"""

from __future__ import annotations

import base64

import numpy as np
import pyarrow as pa

SEED = 20240601
UNICODE_WORDS = ["", "a", "héllo", "日本語", "emoji 🦜", "tab\tnew\nline", "quote\"back\\slash", "\x00nul"]


def with_nulls(values: list, every: int, offset: int = 0) -> list:
    return [None if (i + offset) % every == 0 else v for i, v in enumerate(values)]


def sample_columns(num_rows: int, seed: int = SEED) -> dict[str, pa.Array]:
    rng = np.random.default_rng(seed)
    payloads = [rng.bytes(int(n)) for n in rng.integers(0, 300, num_rows)]
    scores = rng.normal(size=num_rows)
    for index, special in zip(range(3, num_rows, 37), [np.nan, np.inf, -np.inf, -0.0, 0.0] * num_rows):
        scores[index] = special
    words = [UNICODE_WORDS[int(i)] + ("" if i % 3 else f"-{n}")
             for n, i in enumerate(rng.integers(0, len(UNICODE_WORDS), num_rows))]
    return {
        "id": pa.array(np.arange(num_rows, dtype=np.int64) * 3 + 1, pa.int64()),
        "image_id": pa.array([f"IMG_{i:08d}" for i in range(num_rows)], pa.string()),
        "base64": pa.array(with_nulls([base64.b64encode(p).decode() for p in payloads], 13), pa.string()),
        "name": pa.array(with_nulls(words, 7), pa.string()),
        "payload": pa.array(with_nulls(payloads, 11, 5), pa.binary()),
        "score": pa.array(with_nulls(scores.tolist(), 9, 4), pa.float64()),
        "ratio": pa.array(with_nulls(rng.normal(size=num_rows).astype(np.float32).tolist(), 8), pa.float32()),
        "small": pa.array(with_nulls(rng.integers(-2**31, 2**31, num_rows).tolist(), 5), pa.int32()),
        "count": pa.array(rng.integers(0, 2**64 - 1, num_rows, dtype=np.uint64, endpoint=True).tolist(),
                          pa.uint64()),
        "level": pa.array(rng.integers(0, 256, num_rows).tolist(), pa.uint8()),
        "flag": pa.array(with_nulls((rng.random(num_rows) < 0.5).tolist(), 6), pa.bool_()),
        "day": pa.array(with_nulls(rng.integers(-20000, 30000, num_rows).tolist(), 10), pa.date32()),
        "taken_at": pa.array(with_nulls(rng.integers(0, 2**50, num_rows).tolist(), 12),
                             pa.timestamp("us", tz="UTC")),
        "tags": pa.array(sample_lists(rng, num_rows, lambda k: f"tag{k}"), pa.list_(pa.string())),
        "boxes": pa.array(sample_lists(rng, num_rows, int), pa.list_(pa.int64())),
    }


def sample_lists(rng: np.random.Generator, num_rows: int, make) -> list:
    """Lists that are null, empty, or hold values and null elements."""
    lists = []
    for row in range(num_rows):
        if row % 17 == 3:
            lists.append(None)
        elif row % 17 == 5:
            lists.append([])
        else:
            size = int(rng.integers(1, 6))
            lists.append([None if (row + k) % 7 == 0 else make(int(rng.integers(0, 1000)))
                          for k in range(size)])
    return lists


def sample_table(num_rows: int = 1500, seed: int = SEED) -> pa.Table:
    return pa.table(sample_columns(num_rows, seed))


FLAT_COLUMNS = ["id", "image_id", "base64", "name", "payload", "score", "ratio", "small", "flag"]


def flat_sample_table(num_rows: int = 1500, seed: int = SEED) -> pa.Table:
    return sample_table(num_rows, seed).select(FLAT_COLUMNS)


def large_values_table() -> pa.Table:
    """Values over 1 MiB, beside small ones, in a string and a binary column."""
    rng = np.random.default_rng(SEED + 1)
    big = [rng.bytes(n) for n in (3 << 20, 0, (1 << 20) + 17, 5)]
    return pa.table({
        "id": pa.array(range(len(big)), pa.int64()),
        "base64": pa.array([base64.b64encode(b).decode() for b in big], pa.string()),
        "payload": pa.array(big, pa.binary()),
    })
