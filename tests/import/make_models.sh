#!/bin/sh
# Writes the import tests' models into DIR with make_models.py, all at once (a directory that
# exists is complete). Writes nothing when PYTHON cannot import torch, onnx and numpy: the
# tests then skip.
# Usage: make_models.sh PYTHON DIR
set -eu
python=$1
dir=$2
if ! "$python" -c 'import torch, onnx, numpy' >/dev/null 2>&1; then
  echo "skipped: $python cannot import torch, onnx and numpy"
  exit 0
fi
rm -rf "$dir" "$dir.tmp"
if ! "$python" "$(dirname "$0")/make_models.py" "$dir.tmp" >"$dir.log" 2>&1; then
  cat "$dir.log"
  exit 1
fi
mv "$dir.tmp" "$dir"
