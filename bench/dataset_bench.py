"""Instruction files: mimicit's parse against orjson.loads, and the start-up
time of `mimicit sample` on a data YAML of a million instructions.

    cmake -S . -B build -G Ninja -DMIMICIT_BUILD_BENCH=ON && cmake --build build -j2
    python3 bench/dataset_bench.py [--records 1000000] [--build-dir build] [--repeats 3]

The data (written once into --scratch, default /tmp/mimicit-bench/dataset,
reused while --records matches): one *_instructions.json of --records
records shaped like MIMIC-IT's (ids `LA_INS_<12 digits>`, questions of
5-25 words, answers of 10-120 words with some newlines, accents and CJK,
1-3 image ids, 0-3 related ids, a meta block), about 420 bytes a record,
fixed seed; a train config for a tenth of the ids; and a data YAML using the
file twice (IMAGE_TEXT all records, IMAGE_TEXT_IN_CONTEXT down-sampled with
the train config).

Measured, each in a fresh process (wall time; peak RSS = ru_maxrss):
  orjson     python3 -c: read the file, orjson.loads(...)["data"]: what the
             reference does per dataset;
  mimicit    bench/instructions_bench: InstructionFile::open (walk, simdjson
             validation of every record, id index), with all cores and with
             one thread;
  startup    mimicit sample DATA.yaml --limit 1 (YAML, both groups' files,
             resampling, one sample per group).
Reports go to bench/out/dataset_bench.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine, wait_for_quiet  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEED = 1234

WORDS = ("the a of and to in is on with for what where how many does this that picture image photo man woman "
         "people dog cat table street car tree sky water building holding wearing standing sitting red blue "
         "green white black small large left right front behind near color shape kind could would should "
         "describe explain answer question scene object person background foreground").split()
FOREIGN = ["café", "naïve", "Ελληνικά", "Русский", "日本語", "中文", "한국어", "👍", "façade", "über"]


def sentence(rng: random.Random, lo: int, hi: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(lo, hi))
    if rng.random() < 0.2:
        words[rng.randrange(len(words))] = rng.choice(FOREIGN)
    text = " ".join(words).capitalize()
    return text + rng.choice([".", "?", "!", ".\n", ". "])


def generate(folder: Path, records: int) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"instructions": folder / f"LA_{records}_instructions.json", "train": folder / f"LA_{records}_train.json",
             "yaml": folder / f"data_{records}.yaml"}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = random.Random(SEED)
    ids = [f"LA_INS_{i * 7 + 3:012d}" for i in range(records)]
    with open(paths["instructions"], "wb") as out:
        out.write(b'{"meta": {"version": "0.0.1", "time": "2023-10-29", "author": "bench"},\n "data": {\n')
        for i, record_id in enumerate(ids):
            record = {
                "instruction": sentence(rng, 5, 25),
                "answer": " ".join(sentence(rng, 5, 20) for _ in range(rng.randint(1, 6))),
                "image_ids": [f"LA_IMG_{rng.randrange(10**12):012d}" for _ in range(rng.randint(1, 3))],
                "rel_ins_ids": [ids[rng.randrange(records)] for _ in range(rng.randint(0, 3))],
            }
            out.write(b'  "' + record_id.encode() + b'": ' + orjson.dumps(record) +
                      (b",\n" if i + 1 < records else b"\n"))
        out.write(b"}}\n")
    train = {ids[i]: [ids[(i + k) % records] for k in (1, 2)] for i in range(0, records, 10)}
    paths["train"].write_bytes(orjson.dumps(train))
    paths["yaml"].write_text(
        "IMAGE_TEXT:\n"
        f"  LA:\n    mimicit_path: {paths['instructions']}\n    num_samples: -1\n"
        "IMAGE_TEXT_IN_CONTEXT:\n"
        f"  LA_IC:\n    mimicit_path: {paths['instructions']}\n    train_config_path: {paths['train']}\n"
        f"    num_samples: {records // 20}\n")
    return paths


ORJSON_SCRIPT = """
import orjson, resource, sys, time
start = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    data = orjson.loads(f.read())["data"]
seconds = time.perf_counter() - start
print(seconds, len(data), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run_orjson(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", ORJSON_SCRIPT, str(path)], capture_output=True, text=True, check=True)
    seconds, records, rss = out.stdout.split()
    return {"seconds": float(seconds), "records": int(records), "peak_rss_kib": int(rss)}


def run_ours(bench: Path, path: Path, threads: int) -> dict:
    out = subprocess.run([str(bench), f"--file={path}", f"--threads={threads}", "--repeats=1", "--reads=100000"],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    return {"seconds": result["open_seconds"][0], "records": result["records"],
            "peak_rss_kib": result["open_peak_rss_kib"], "rss_after_open_kib": result["rss_after_open_kib"],
            "index_bytes": result["index_bytes"],
            "read_us": result["read_seconds"] / max(1, result["reads"]) * 1e6}


def run_startup(cli: Path, yaml_path: Path) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen([str(cli), "sample", str(yaml_path), "--limit", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    _, rusage = os.wait4(proc.pid, 0)[1:]
    seconds = time.perf_counter() - start
    stdout = proc.stdout.read()
    if proc.stderr.read():
        raise RuntimeError("mimicit sample failed")
    return {"seconds": seconds, "lines": stdout.count(b"\n"), "peak_rss_kib": rusage.ru_maxrss}


def best(runs: list[dict], key: str = "seconds") -> dict:
    return min(runs, key=lambda r: r[key])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/mimicit-bench/dataset"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--wait-load", type=float, default=0, help="wait until the load average is below this")
    parser.add_argument("--wait-max", type=float, default=600)
    args = parser.parse_args()

    bench = args.build_dir / "instructions_bench"
    cli = args.build_dir / "mimicit"
    for binary in (bench, cli):
        if not binary.is_file():
            sys.exit(f"{binary} not found: build with -DMIMICIT_BUILD_BENCH=ON")
    paths = generate(args.scratch, args.records)
    size = paths["instructions"].stat().st_size
    print(f"{paths['instructions']}: {size / 1e6:.0f} MB, {args.records} records", file=sys.stderr)
    subprocess.run(["cat", str(paths["instructions"])], stdout=subprocess.DEVNULL, check=True)  # warm the cache

    results: dict[str, list[dict]] = {"orjson": [], "mimicit": [], "mimicit_1_thread": [], "startup": []}
    load = wait_for_quiet(args.wait_load, args.wait_max)
    for _ in range(args.repeats):
        results["orjson"].append(run_orjson(paths["instructions"]))
        results["mimicit"].append(run_ours(bench, paths["instructions"], 0))
        results["mimicit_1_thread"].append(run_ours(bench, paths["instructions"], 1))
        results["startup"].append(run_startup(cli, paths["yaml"]))

    o, m, m1, s = (best(results[k]) for k in ("orjson", "mimicit", "mimicit_1_thread", "startup"))
    assert o["records"] == m["records"] == args.records
    lines = [
        f"# Instruction file parse: mimicit vs orjson.loads ({args.records} records, {size / 1e6:.0f} MB)",
        "",
        "| | seconds (best of %d) | MB/s | peak RSS MiB | vs orjson: speed | vs orjson: memory |" % args.repeats,
        "|---|---|---|---|---|---|",
    ]
    for name, r in (("orjson.loads (Python)", o), ("mimicit, all cores", m), ("mimicit, 1 thread", m1)):
        lines.append(f"| {name} | {r['seconds']:.3f} | {size / r['seconds'] / 1e6:.0f} | "
                     f"{r['peak_rss_kib'] / 1024:.0f} | {o['seconds'] / r['seconds']:.2f}x | "
                     f"{r['peak_rss_kib'] / o['peak_rss_kib']:.2f} |")
    lines += [
        "",
        f"mimicit's index: {m['index_bytes'] / 1e6:.1f} MB ({m['index_bytes'] / args.records:.0f} B/record); "
        f"RSS once open: {m['rss_after_open_kib'] / 1024:.0f} MiB (the file stays mapped; its pages are released "
        f"as the parse passes them and fault back in from the page cache when a record is read); "
        f"a random record read (simdjson, in place): {m['read_us']:.2f} us.",
        f"`mimicit sample DATA.yaml --limit 1` (the file in two groups, with a train config and down-sampling): "
        f"{s['seconds']:.2f} s, peak RSS {s['peak_rss_kib'] / 1024:.0f} MiB.",
        "",
        f"Machine: {json.dumps(machine(orjson=orjson.__version__))}, load at start {load:.2f}.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dataset_bench.md").write_text(report)
    (args.out / "dataset_bench.json").write_text(json.dumps({"records": args.records, "bytes": size,
                                                             "runs": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
