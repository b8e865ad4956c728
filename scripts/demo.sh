#!/usr/bin/env bash
# README command 1: set up, build, and run the main job on a demo dataset made
# from the photographs scikit-image bundles (scripts/make_demo_dataset.py):
#   1. convert the legacy images.json into a Parquet image store;
#   2. validate the data YAML (two problems are planted, so the report shows them);
#   3. print a few training samples as the reference would build them;
#   4. run the training loader over the data, with its throughput;
#   5. serve the viewer on it and print the URL (Ctrl-C stops it).
# Usage: scripts/demo.sh [--no-serve] [--port N]
set -euo pipefail
cd "$(dirname "$0")/.."

serve=1
port=8000
while (($#)); do
  case "$1" in
    --no-serve) serve=0 ;;
    --port) port="$2"; shift ;;
    *) echo "usage: scripts/demo.sh [--no-serve] [--port N]" >&2; exit 2 ;;
  esac
  shift
done

scripts/setup.sh
scripts/build.sh -DMIMICIT_BUILD_TESTS=OFF
demo=build/demo
rm -rf "$demo"
mkdir -p "$demo"
yaml=$(python3 scripts/make_demo_dataset.py "$demo")

echo; echo "== 1. convert $demo/images.json -> $demo/store (legacy JSON to Parquet)"
build/mimicit convert "$demo/images.json" -o "$demo/store"
if [ -f "$demo/store/_dropped.jsonl" ]; then
  echo "   dropped (listed in $demo/store/_dropped.jsonl):"
  sed 's/^/     /' "$demo/store/_dropped.jsonl"
fi
build/mimicit images stats "$demo/store"

echo; echo "== 2. validate $yaml (exit 1: it found the planted problems)"
build/mimicit validate "$yaml" --decode && status=0 || status=$?
[ "$status" -le 1 ] || exit "$status"

echo; echo "== 3. the first training samples of each group"
for group in IMAGE_TEXT IMAGE_TEXT_IN_CONTEXT VIDEO_TEXT TEXT_ONLY; do
  build/mimicit sample "$yaml" --group "$group" --limit 1
done

echo; echo "== 4. the training loader (batches of 4, 224 x 224 images, every group)"
build/mimicit bench loader "$yaml" --batch-size 4

if ((serve)); then
  echo; echo "== 5. the viewer (Ctrl-C stops it; scripts/demo.sh --no-serve skips this step)"
  exec build/mimicit serve "$yaml" --port "$port"
fi
