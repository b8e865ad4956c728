#!/usr/bin/env python3
"""Writes the demo dataset of README command 1: MIMIC-IT layout, all four
groups, made from the real photographs that scikit-image bundles.

    python3 scripts/make_demo_dataset.py OUTDIR

OUTDIR/
  images.json                  legacy image store {"<id>": "<base64>"} (photos and video frames)
  DEMO_IT_instructions.json    IMAGE_TEXT: one question per photo
  DEMO_ICL_instructions.json   IMAGE_TEXT_IN_CONTEXT, with DEMO_ICL_train.json (in-context ids)
  DEMO_VID_instructions.json   VIDEO_TEXT: 12 frames panning over a photo per record
  DEMO_TXT_instructions.json   TEXT_ONLY
  DEMO_TXT2_instructions.json  TEXT_ONLY, a second dataset of the same group
  demo.yaml                    the data YAML; images_path is OUTDIR/store (what `convert` writes)

Two problems are planted on purpose, so that `mimicit validate` has
something to show: an image whose base64 is corrupt (convert drops it and
lists it in _dropped.jsonl, and the instruction using it then misses its
image), and an instruction id used by both TEXT_ONLY datasets (the later
silently replaces the earlier in the reference). Deterministic: the same
scikit-image version gives the same files.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

# name -> (caption, question); the photographs scikit-image ships in its wheel.
PHOTOS = {
    "astronaut": ("Astronaut Eileen Collins in her flight suit, in front of a flag.", "Who or what is shown?"),
    "chelsea": ("A ginger tabby cat looking to the side.", "What animal is this?"),
    "coffee": ("A cup of coffee on a saucer, seen from above.", "What drink is in the picture?"),
    "rocket": ("A rocket on its launch pad under a blue sky.", "What is about to happen here?"),
    "hubble_deep_field": ("Hundreds of distant galaxies, seen by the Hubble telescope.", "What are the bright spots?"),
    "immunohistochemistry": ("A tissue sample stained for microscopy, brown and blue.", "What kind of image is this?"),
    "retina": ("A photograph of the back of a human eye, with its blood vessels.", "Which organ is shown?"),
    "colorwheel": ("A wheel of colours blending into each other.", "What does the picture show?"),
    "camera": ("A man with a camera on a tripod, in black and white.", "What is the man doing?"),
    "coins": ("Old coins laid out in rows on a dark background.", "How are the objects arranged?"),
    "horse": ("The silhouette of a horse.", "Which animal is this?"),
    "moon": ("The surface of the moon with its craters.", "Where was this picture taken?"),
    "page": ("A page of printed text, unevenly lit.", "What is written on the page?"),
    "clock": ("A wall clock photographed at an angle.", "What time does it show?"),
    "logo": ("The scikit-image logo on a transparent background.", "What is this logo?"),
}
VIDEO_SOURCE = "rocket"
VIDEO_CLIPS = 3
FRAMES_PER_CLIP = 12
BROKEN_ID = "DEMO_IMG_broken"


def encode(array: np.ndarray) -> bytes:
    """JPEG for colour photographs, PNG for grey and transparent ones."""
    image = Image.fromarray(array)
    out = io.BytesIO()
    if image.mode == "RGB":
        image.save(out, format="JPEG", quality=90)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def video_frames(clip: int) -> list[np.ndarray]:
    """A pan over the photo: FRAMES_PER_CLIP crops sliding left to right."""
    photo = getattr(data, VIDEO_SOURCE)()
    height, width = photo.shape[:2]
    crop = min(height, width) * 3 // 4
    top = (height - crop) * clip // max(1, VIDEO_CLIPS - 1)
    steps = np.linspace(0, width - crop, FRAMES_PER_CLIP).astype(int)
    return [np.ascontiguousarray(photo[top:top + crop, left:left + crop]) for left in steps]


def write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def instructions(records: dict) -> dict:
    return {"meta": {"version": "0.0.1", "time": "2026-11-25", "author": "mimicit demo"}, "data": records}


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)

    images: dict[str, str] = {}
    for name in PHOTOS:
        images[f"DEMO_IMG_{name}"] = base64.b64encode(encode(getattr(data, name)())).decode()
    for clip in range(VIDEO_CLIPS):
        for f, frame in enumerate(video_frames(clip)):
            images[f"DEMO_VID_{clip:03d}_F{f:02d}"] = base64.b64encode(encode(frame)).decode()
    images[BROKEN_ID] = "This is not base64 at all!"  # planted: convert drops and lists it
    write_json(out / "images.json", images)

    names = list(PHOTOS)
    image_text = {}
    for i, name in enumerate(names):
        caption, question = PHOTOS[name]
        image_text[f"DEMO_IT_{i:04d}"] = {"instruction": question, "answer": caption,
                                          "image_ids": [f"DEMO_IMG_{name}"], "rel_ins_ids": []}
    image_text["DEMO_IT_9999"] = {"instruction": "Describe this picture.", "answer": "It cannot be shown.",
                                  "image_ids": [BROKEN_ID], "rel_ins_ids": []}  # planted: image missing
    write_json(out / "DEMO_IT_instructions.json", instructions(image_text))

    in_context = {}
    for i, name in enumerate(names[:8]):
        caption, _ = PHOTOS[name]
        in_context[f"DEMO_ICL_{i:04d}"] = {
            "instruction": "Write a one-line caption for this image, in the style of the examples.",
            "answer": caption, "image_ids": [f"DEMO_IMG_{name}"],
            "rel_ins_ids": [f"DEMO_ICL_{(i + 1) % 8:04d}"]}
    write_json(out / "DEMO_ICL_instructions.json", instructions(in_context))
    write_json(out / "DEMO_ICL_train.json",
               {f"DEMO_ICL_{i:04d}": [f"DEMO_ICL_{(i + 1) % 8:04d}", f"DEMO_ICL_{(i + 2) % 8:04d}"]
                for i in range(8)})

    video = {f"DEMO_VID_{clip:04d}": {
        "instruction": "What does the camera do in this clip?",
        "answer": "It pans from left to right across a rocket on its launch pad.",
        "image_ids": [f"DEMO_VID_{clip:03d}_F{f:02d}" for f in range(FRAMES_PER_CLIP)], "rel_ins_ids": []}
        for clip in range(VIDEO_CLIPS)}
    write_json(out / "DEMO_VID_instructions.json", instructions(video))

    text_only = {
        "DEMO_TXT_0000": {"instruction": "What is a Parquet file?",
                          "answer": "A columnar file format: values of one column are stored together, "
                                    "compressed page by page."},
        "DEMO_TXT_0001": {"instruction": "Why is base64 used for images in JSON?",
                          "answer": "JSON holds text, and base64 turns any bytes into plain ASCII text."},
        "DEMO_TXT_0002": {"instruction": "Name three image formats.", "answer": "JPEG, PNG and WebP."},
    }
    write_json(out / "DEMO_TXT_instructions.json", instructions(text_only))
    write_json(out / "DEMO_TXT2_instructions.json", instructions({
        "DEMO_TXT_0001": {"instruction": "Is base64 smaller than the bytes it encodes?",  # planted: same id
                          "answer": "No, about a third larger."},
        "DEMO_TXT_0100": {"instruction": "¿Qué es un tensor?", "answer": "Una tabla de números con varias dimensiones."},
    }))

    store = out / "store"
    yaml = f"""# The demo data YAML (scripts/make_demo_dataset.py). Paths are relative to
# the folder mimicit runs in (the repository root for scripts/demo.sh).
IMAGE_TEXT:
  DEMO_IT:
    mimicit_path: {out / 'DEMO_IT_instructions.json'}
    images_path: {store}
    num_samples: -1
IMAGE_TEXT_IN_CONTEXT:
  DEMO_ICL:
    mimicit_path: {out / 'DEMO_ICL_instructions.json'}
    images_path: {store}
    train_config_path: {out / 'DEMO_ICL_train.json'}
    num_samples: 16
VIDEO_TEXT:
  DEMO_VID:
    mimicit_path: {out / 'DEMO_VID_instructions.json'}
    images_path: {store}
    num_samples: -1
TEXT_ONLY:
  DEMO_TXT:
    mimicit_path: {out / 'DEMO_TXT_instructions.json'}
    num_samples: -1
  DEMO_TXT2:
    mimicit_path: {out / 'DEMO_TXT2_instructions.json'}
    num_samples: -1
"""
    (out / "demo.yaml").write_text(yaml)
    print(out / "demo.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
