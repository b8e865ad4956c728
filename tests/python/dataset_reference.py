"""A pure-Python reference of the MIMIC-IT training pipeline's text side
(spec sections 2.1 and 2.2), written from the spec and the behaviour of the
reference MimicitDataset, to compare `mimicit sample` with.

It uses what the reference uses: Python's `random` (seeded as the
reference seeds it), `re` on str, str methods, numpy.linspace, orjson for
the JSON files and PyYAML for the data YAML. Nothing here calls mimicit.
Its `re` and str methods follow the Unicode database of the Python running
it, so Options.cli_args() asks mimicit for that Python's tables
(--python-unicode; mimicit's default is the reference's 3.9).

Where the reference would crash (a record without rel_ins_ids under
populate_rel_ins, a task_description given as one string, whose characters
the reference's random.choice would pick from), this follows the spec:
missing/null rel_ins_ids are no examples, a string is one description.
"""

from __future__ import annotations

import os
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import yaml

GROUPS = ("IMAGE_TEXT", "TEXT_ONLY", "VIDEO_TEXT", "IMAGE_TEXT_IN_CONTEXT")
FORMATS = ("simple", "llama2", "idefics", "fuyu")
# The running interpreter, as --python-unicode names it.
PYTHON_UNICODE = "%d.%d" % sys.version_info[:2]


@dataclass
class Options:
    instruction_format: str = "simple"
    keep_symbols: bool = False
    populate_rel_ins: bool = False
    with_task_description: bool = False
    resample_frames: int = 32
    seed: int = 42
    epoch: int = 0

    def cli_args(self) -> list[str]:
        args = ["--instruction-format", self.instruction_format, "--resample-frames", str(self.resample_frames),
                "--seed", str(self.seed), "--epoch", str(self.epoch), "--python-unicode", PYTHON_UNICODE]
        if self.keep_symbols:
            args.append("--keep-symbols")
        if self.populate_rel_ins:
            args.append("--populate-rel-ins")
        if self.with_task_description:
            args.append("--with-task-description")
        return args


# --- 2.1 resampling ---------------------------------------------------------

def resample_data(data: list, n: int) -> list:
    if n == -1 or n == 0:
        return data
    if n == len(data):
        return data
    if n > len(data):
        repeat_times = n // len(data)
        remainder = n % len(data)
        upsampled = data * repeat_times
        random.seed(0)
        upsampled += random.choices(data, k=remainder)
        return upsampled
    random.seed(0)
    return random.sample(data, n)


# --- 2.2 text ---------------------------------------------------------------

SYMBOLS = re.compile(r'[^\w\s.,?!()"\']')
WHITESPACE_RUN = re.compile(r"\s{2,}")


def pre_question(question: str, keep_symbols: bool) -> str:
    if not keep_symbols:
        question = SYMBOLS.sub("", question)
        question = question.strip(" ")
        question = WHITESPACE_RUN.sub(" ", question)
        question = question.lstrip("\n").rstrip("\n")
    return question.strip(" ").strip("\n")


def pre_answer(answer: str, keep_symbols: bool) -> str:
    answer = answer.strip()
    if not keep_symbols:
        answer = SYMBOLS.sub("", answer)
        answer = WHITESPACE_RUN.sub(" ", answer)
        answer = answer.lstrip("\n").rstrip("\n")
    return answer.replace("\r\n", "\n")


def format_turn(fmt: str, instruction: str, answer: str, insert_image: bool, text_only: bool) -> str:
    if fmt == "llama2":
        placeholder = "<image>" if not text_only else ""
        prefix = f"[INST]{placeholder}\n" if insert_image else "[INST]"
        return f"{prefix}{instruction}[/INST]<answer>{answer}<|endofchunk|>"
    if fmt == "idefics":
        placeholder = "<fake_token_around_image><image><fake_token_around_image>" if not text_only else ""
        prefix = f"User:{placeholder}" if insert_image else "User:"
        return f"{prefix}{instruction}<end_of_utterance>\nAssistant:<answer>{answer}<end_of_utterance>\n"
    if fmt == "simple":
        placeholder = "<image>" if not text_only else ""
        prefix = f"{placeholder}User:" if insert_image else "User:"
        return f"{prefix}{instruction} GPT:<answer>{answer}<|endofchunk|>"
    if fmt == "fuyu":
        return f"User:{instruction} Assistant:\x04 {answer}"
    raise ValueError(fmt)


def frame_indices(n: int, frames: int) -> list[int]:
    return [int(i) for i in np.linspace(0, n - 1, frames, dtype=int)]


def item_seed(seed: int, epoch: int) -> int:
    """What the reference's random_seed(seed, epoch) passes to random.seed."""
    return int(hash((seed, epoch)) % 1e6)


# --- the group dataset ------------------------------------------------------

@dataclass
class Group:
    name: str
    options: Options
    dataset: dict = field(default_factory=dict)        # id -> record, merged
    train_config: dict = field(default_factory=dict)   # id -> in-context ids, merged
    task_mapping: dict = field(default_factory=dict)   # id -> dataset index
    train_list: list = field(default_factory=list)     # (id, dataset name)
    descriptions: list = field(default_factory=list)   # per dataset


def load_json(path: Path):
    return orjson.loads(Path(path).read_bytes())


def open_group(name: str, datasets: dict, options: Options, base: Path) -> Group:
    group = Group(name, options)
    for index, (dataset_name, info) in enumerate(datasets.items()):
        data = load_json(base / info["mimicit_path"])["data"]
        group.dataset.update(data)
        if info.get("train_config_path"):
            config = load_json(base / info["train_config_path"])
        elif options.populate_rel_ins:
            config = {key: value.get("rel_ins_ids") or [] for key, value in data.items()}
        else:
            config = {key: [] for key in data}
        resampled = resample_data(list(config.keys()), info.get("num_samples", -1))
        group.train_list.extend((key, dataset_name) for key in resampled)
        group.train_config.update(config)
        group.task_mapping.update({key: index for key in resampled})
        described = info.get("task_description") or []
        group.descriptions.append([described] if isinstance(described, str) else described)
    return group


def sample(group: Group, index: int) -> dict:
    options = group.options
    train_id, dataset_name = group.train_list[index]
    record = group.dataset[train_id]
    image_ids = record["image_ids"] if record.get("image_ids") is not None else []
    texts = ""
    turns = list(group.train_config[train_id]) + [train_id]
    for position, turn in enumerate(turns):
        instruction = pre_question(group.dataset[turn]["instruction"], options.keep_symbols)
        answer = pre_answer(group.dataset[turn]["answer"], options.keep_symbols)
        if group.name == "IMAGE_TEXT_IN_CONTEXT":
            texts += format_turn(options.instruction_format, instruction, answer, True, False)
        else:
            texts += format_turn(options.instruction_format, instruction, answer, position == 0,
                                 group.name == "TEXT_ONLY")
    texts = texts.rstrip("\n")
    descriptions = group.descriptions[group.task_mapping[train_id]]
    random.seed(item_seed(options.seed, options.epoch))
    description = random.choice(descriptions) if descriptions else ""
    if description != "" and options.with_task_description:
        texts = description + "\n" + texts
    if group.name == "TEXT_ONLY":
        images = []
    elif group.name == "VIDEO_TEXT":
        images = [image_ids[i] for i in frame_indices(len(image_ids), options.resample_frames)]
    else:
        images = list(image_ids)
    return {"id": train_id, "group": group.name, "dataset": dataset_name, "full_text": texts, "image_ids": images}


def samples(yaml_path: Path, options: Options, group_name: str | None = None, limit: int | None = None,
            base: Path | None = None) -> list[dict]:
    """Every sample of every group (YAML order), as `mimicit sample` prints them."""
    base = Path(base) if base is not None else Path(os.getcwd())
    config = yaml.safe_load(Path(yaml_path).read_text())
    out = []
    for name, datasets in config.items():
        if group_name is not None and name != group_name:
            continue
        group = open_group(name, datasets, options, base)
        count = len(group.train_list) if limit is None else min(limit, len(group.train_list))
        out.extend(sample(group, i) for i in range(count))
    return out


def collate_tokens(values: list[list[int]], pad_idx: int, pad_to_length: int | None = None) -> list[list[int]]:
    """The reference's collate_tokens for 1-d rows, right-padded (its
    defaults: no left_pad, no move_eos_to_beginning, pad_to_multiple 1): a
    (len(values), size) array filled with pad_idx, each row copied to its
    front."""
    size = max(len(v) for v in values)
    size = size if pad_to_length is None else max(size, pad_to_length)
    out = [[pad_idx] * size for _ in values]
    for row, value in zip(out, values):
        row[:len(value)] = value
    return out


def collate_input_ids(rows: list[list[int]], pad_token_id: int | None, eos_token_id: int | None) -> list[list[int]]:
    """The input ids of the reference's collate_fn: collate_tokens of the
    rows (BOS + tokens + EOS) with the tokenizer's pad id, the EOS id when the
    tokenizer has none (spec 2.2, step 6)."""
    pad_idx = pad_token_id if pad_token_id is not None else eos_token_id
    return collate_tokens(rows, pad_idx, pad_to_length=max(len(r) for r in rows))
