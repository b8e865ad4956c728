#!/usr/bin/env bash
# Formats the C++ tree with .clang-format (clang-format-14, Debian 12's).
#   scripts/format.sh          rewrite files in place
#   scripts/format.sh --check  list files that differ; exit 1 if any
# Generated tables (*.inc) are left as their generator writes them.
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format-14}
mapfile -t files < <(git ls-files -- 'src/*.cc' 'src/*.h' 'include/*.h' 'cli/*.cc' 'cli/*.h' \
  'python/*.cc' 'python/*.h' 'tests/cpp/*.cc' 'tests/cpp/*.h' 'tests/install/*.cc' \
  'fuzz/*.cc' 'fuzz/*.h' 'bench/*.cc' 'bench/*.h')
if [ "${1:-}" = --check ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! "$CLANG_FORMAT" --style=file "$f" | cmp -s - "$f"; then echo "format: $f"; bad=1; fi
  done
  [ "$bad" = 0 ] || echo "format: run scripts/format.sh to fix the files above" >&2
  exit "$bad"
fi
"$CLANG_FORMAT" --style=file -i "${files[@]}"
