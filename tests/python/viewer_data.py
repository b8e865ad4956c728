"""A small MIMIC-IT dataset for the viewer's tests (`mimicit serve`),
generated deterministically: Pillow images (JPEG and PNG of several sizes)
in a pandas-written Parquet store, instruction JSON for IMAGE_TEXT,
TEXT_ONLY, VIDEO_TEXT and IMAGE_TEXT_IN_CONTEXT (with a train config), and
the data YAML.

Among the records: one whose instruction is a <script> element and one
whose answer is an <img onerror> element (both must show as text and run
nothing), an image id holding URL-special characters, a record whose image
is missing from the store (a validation finding), and non-ASCII text.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SEED = 20241126
SCRIPT_ID = "VQA_INS_script"
SCRIPT_INSTRUCTION = "<script>window.__pwned=1</script>"
IMG_ATTACK_ID = "VQA_INS_img"
IMG_ATTACK_ANSWER = '<img src=x onerror="window.__pwned=2">'
ODD_IMAGE_ID = "VQA_IMG_odd/name?x=1#frag&y%2F"
MISSING_IMAGE_ID = "VQA_IMG_missing"
MISSING_IMAGE_RECORD = "VQA_INS_missing_image"


@dataclass
class ViewerData:
    root: Path
    yaml: Path
    images: dict[str, bytes] = field(default_factory=dict)            # id -> file bytes
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)   # id -> (width, height)
    records: dict[str, dict[str, dict]] = field(default_factory=dict)  # group -> id -> record
    train: dict[str, list[str]] = field(default_factory=dict)          # IMAGE_TEXT_IN_CONTEXT train config


def _image(rng: np.random.Generator, width: int, height: int, fmt: str) -> bytes:
    from PIL import Image
    # Smooth gradients (a thumbnail of them is a fair JPEG), a colour per image.
    y, x = np.mgrid[0:height, 0:width]
    base = rng.integers(0, 128, 3)
    pixels = np.stack([base[c] + x * (40 + 30 * c) // width + y * (100 - 30 * c) // height for c in range(3)],
                      axis=-1).clip(0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def write_viewer_data(root: Path, *, image_records: int = 30, big_image: tuple[int, int] | None = None) -> ViewerData:
    """Writes the dataset under `root`. `big_image` (width, height) adds an
    image VQA_IMG_big of that size, used by record VQA_INS_big (a thumbnail
    that takes a while to make)."""
    import pandas as pd
    rng = np.random.default_rng(SEED)
    root.mkdir(parents=True, exist_ok=True)
    data = ViewerData(root=root, yaml=root / "data.yaml")

    def add_image(image_id: str, width: int, height: int, fmt: str = "JPEG") -> str:
        data.images[image_id] = _image(rng, width, height, fmt)
        data.sizes[image_id] = (width, height)
        return image_id

    vqa: dict[str, dict] = {}
    for i in range(image_records):
        count = 1 + i % 3
        ids = [add_image(f"VQA_IMG_{i:03d}_{k}", 64 + 16 * ((i + k) % 7), 48 + 8 * ((i * 3 + k) % 5),
                         "PNG" if (i + k) % 4 == 0 else "JPEG") for k in range(count)]
        vqa[f"VQA_INS_{i:03d}"] = {
            "instruction": f"What is shown in picture {i}? Describe colour #{i} and shape.",
            "answer": f"Picture {i} shows a gradient{'; quite a long answer' * (i % 5)}.",
            "image_ids": ids, "rel_ins_ids": [],
        }
    vqa[SCRIPT_ID] = {"instruction": SCRIPT_INSTRUCTION, "answer": "It should show as text.",
                      "image_ids": [add_image("VQA_IMG_script", 80, 60)], "rel_ins_ids": []}
    vqa[IMG_ATTACK_ID] = {"instruction": "And this answer?", "answer": IMG_ATTACK_ANSWER,
                          "image_ids": [add_image(ODD_IMAGE_ID, 72, 72, "PNG")], "rel_ins_ids": []}
    vqa[MISSING_IMAGE_RECORD] = {"instruction": "Where is the image?", "answer": "It is not in the store.",
                                 "image_ids": [MISSING_IMAGE_ID], "rel_ins_ids": []}
    vqa["VQA_INS_unicode"] = {"instruction": "Qu'est-ce que c'est ? 日本語のテキスト", "answer": "Ça: un café ☕",
                              "image_ids": [add_image("VQA_IMG_unicode", 100, 75)], "rel_ins_ids": []}
    if big_image is not None:
        vqa["VQA_INS_big"] = {"instruction": "A big picture.", "answer": "Big.",
                              "image_ids": [add_image("VQA_IMG_big", *big_image)], "rel_ins_ids": []}

    lima = {f"LIMA_INS_{i:02d}": {"instruction": f"Tell me fact number {i}.", "answer": f"Fact {i}: " + "words " * (3 * i + 1),
                                  "image_ids": [], "rel_ins_ids": []} for i in range(8)}

    video = {}
    for i in range(4):
        frames = [add_image(f"VID_IMG_{i}_{f:02d}", 96, 64) for f in range(5 + i)]
        video[f"VID_INS_{i}"] = {"instruction": f"What happens in clip {i}?", "answer": f"Clip {i} moves.",
                                 "image_ids": frames, "rel_ins_ids": []}

    icl = {}
    for i in range(6):
        icl[f"ICL_INS_{i}"] = {"instruction": f"In context question {i}?", "answer": f"In context answer {i}.",
                               "image_ids": [add_image(f"ICL_IMG_{i}", 70, 50)], "rel_ins_ids": []}
    data.train = {"ICL_INS_3": ["ICL_INS_0", "ICL_INS_1"], "ICL_INS_4": ["ICL_INS_2"], "ICL_INS_5": []}

    data.records = {"IMAGE_TEXT": vqa, "TEXT_ONLY": lima, "VIDEO_TEXT": video, "IMAGE_TEXT_IN_CONTEXT": icl}
    files = {"IMAGE_TEXT": "VQA_instructions.json", "TEXT_ONLY": "LIMA_instructions.json",
             "VIDEO_TEXT": "VID_instructions.json", "IMAGE_TEXT_IN_CONTEXT": "ICL_instructions.json"}
    for group, name in files.items():
        (root / name).write_text(json.dumps({"meta": {"version": "0.0.1"}, "data": data.records[group]},
                                            ensure_ascii=False), encoding="utf-8")
    (root / "ICL_train.json").write_text(json.dumps(data.train), encoding="utf-8")

    frame = pd.DataFrame.from_dict({k: base64.b64encode(v).decode() for k, v in data.images.items()},
                                   orient="index", columns=["base64"])
    frame.to_parquet(root / "images.parquet")

    store = str(root / "images.parquet")
    data.yaml.write_text(
        "IMAGE_TEXT:\n"
        f"  VQA:\n    mimicit_path: {root / files['IMAGE_TEXT']}\n    images_path: {store}\n    num_samples: -1\n"
        "TEXT_ONLY:\n"
        f"  LIMA:\n    mimicit_path: {root / files['TEXT_ONLY']}\n"
        "VIDEO_TEXT:\n"
        f"  VID:\n    mimicit_path: {root / files['VIDEO_TEXT']}\n    images_path: {store}\n"
        "IMAGE_TEXT_IN_CONTEXT:\n"
        f"  ICL:\n    mimicit_path: {root / files['IMAGE_TEXT_IN_CONTEXT']}\n    images_path: {store}\n"
        f"    train_config_path: {root / 'ICL_train.json'}\n",
        encoding="utf-8")
    return data
