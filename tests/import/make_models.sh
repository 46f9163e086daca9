#!/bin/sh
# Writes the import tests' models into DIR with make_models.py, all at once (a directory that
# exists is complete). Fails when PYTHON cannot import torch, onnx and numpy, unless
# HLSLIM_ALLOW_MISSING_PYTHON_TORCH is set (not 0): it then writes nothing and the tests skip.
# Usage: make_models.sh PYTHON DIR
set -eu
python=$1
dir=$2
if ! "$python" -c 'import torch, onnx, numpy' >/dev/null 2>&1; then
  case "${HLSLIM_ALLOW_MISSING_PYTHON_TORCH:-0}" in
    ''|0)
      echo "error: $python cannot import torch, onnx and numpy: install python3-torch and" \
        "python3-onnx (scripts/install-deps.sh --test), or set" \
        "HLSLIM_ALLOW_MISSING_PYTHON_TORCH=1 to skip the import tests" >&2
      exit 1
      ;;
  esac
  echo "skipped: $python cannot import torch, onnx and numpy (HLSLIM_ALLOW_MISSING_PYTHON_TORCH)"
  exit 0
fi
rm -rf "$dir" "$dir.tmp"
if ! "$python" "$(dirname "$0")/make_models.py" "$dir.tmp" >"$dir.log" 2>&1; then
  cat "$dir.log"
  exit 1
fi
mv "$dir.tmp" "$dir"
