#!/bin/sh
# examples/import_pytorch on tiny settings: make_models.py trains the MLP and the CNN with
# PyTorch and writes ONNX and QONNX files; the example's config imports them, prunes,
# quantizes and exports. Checked against PyTorch and the QONNX definition:
# - the graphs hlslim imported (build stage checkpoints, run by the independent reference
#   forward of tests/graph) give PyTorch's outputs on every patch, to 1e-5;
# - hlslim's own float evaluation of the imported models (a quantize stage right after build)
#   has PyTorch's top-1 accuracy on the same test patches;
# - the QONNX model, exported without retraining, gives in the fixed-point engine (the test
#   vectors) exactly the outputs the Quant nodes define;
# - each export has its hls4ml hand-off, and the hls4ml configurations hold no softmax.
# Fails when PYTHON cannot import torch, onnx and numpy, unless HLSLIM_ALLOW_MISSING_PYTHON_TORCH
# is set (not 0): it is then skipped (exit 77), like the import tests (docs/testing.md).
# Usage: import_pytorch_test.sh HLSLIM SOURCE_DIR PYTHON
set -eu
hlslim=$1
source_dir=$2
example=$source_dir/examples/import_pytorch
python=$3
if ! "$python" -c 'import torch, onnx, numpy' >/dev/null 2>&1; then
  case "${HLSLIM_ALLOW_MISSING_PYTHON_TORCH:-0}" in
    ''|0)
      echo "error: $python cannot import torch, onnx and numpy: install python3-torch and" \
        "python3-onnx (scripts/install-deps.sh --test), or set" \
        "HLSLIM_ALLOW_MISSING_PYTHON_TORCH=1 to skip this test" >&2
      exit 1
      ;;
  esac
  echo "skipped: $python cannot import torch, onnx and numpy (HLSLIM_ALLOW_MISSING_PYTHON_TORCH)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$python" "$example/make_models.py" --events 1000 --epochs 4 --output "$tmp/models" >/dev/null

# The whole example, pointed at the fresh files.
files="--set data.npy.images=$tmp/models/images.npy --set data.npy.labels=$tmp/models/labels.npy
  --set data.npy.labels_json=$tmp/models/labels.json --set models.mlp.from=$tmp/models/mlp.onnx
  --set models.cnn.from=$tmp/models/cnn.onnx --set models.mlp_qonnx.from=$tmp/models/mlp_qonnx.onnx"
# shellcheck disable=SC2086
"$hlslim" validate "$example/config.yaml" $files >"$tmp/validate.txt"
# shellcheck disable=SC2086
"$hlslim" run -q "$example/config.yaml" --output "$tmp/run" --threads 1 $files \
  --set prune_mlp.fine_tune.epochs=2 --set quantize_mlp.fine_tune.epochs=1 \
  --set prune_cnn.fine_tune.epochs=2 --set quantize_cnn.fine_tune.epochs=1 \
  --set export_mlp.test_vectors=100 --set export_cnn.test_vectors=100 \
  --set export_mlp_qonnx.test_vectors=100

# hlslim's float evaluation of the models as imported: a quantize stage right after build.
cat >"$tmp/float.yaml" <<EOF
name: import_float
models:
  mlp: {from: $tmp/models/mlp.onnx}
  cnn: {from: $tmp/models/cnn.onnx}
stages:
  - stage: data
    source: npy
    npy: {images: $tmp/models/images.npy, labels: $tmp/models/labels.npy,
          labels_json: $tmp/models/labels.json}
    input: full
    targets: [class]
    split: {train: 0.7, validation: 0.15, test: 0.15}
  - stage: build
  - {stage: quantize, name: quantize_mlp, model: mlp}
  - {stage: quantize, name: quantize_cnn, model: cnn}
EOF
"$hlslim" run -q "$tmp/float.yaml" --output "$tmp/float" --threads 1

"$python" - "$tmp" "$source_dir/tests/graph" <<'PY'
import json, re, sys

import numpy as np
import torch

tmp, reference_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, reference_dir)
import reference_forward  # noqa: E402  the independent reader and forward of .hlsm files

run, models = tmp + "/run", tmp + "/models"
failures = []

def check(ok, what):
    if not ok:
        failures.append(what)

images = np.load(models + "/images.npy")
labels = np.load(models + "/labels.npy")[:, 0].astype(np.int64)
test = json.load(open(run + "/01-data/split.json"))["test"]
check(json.load(open(tmp + "/float/01-data/split.json"))["test"] == test, "the splits differ")

validate = open(tmp + "/validate.txt").read()
for name in ["fc1_Gemm", "out_Gemm", "softmax_Softmax", "conv1_Conv", "bn1_BatchNormalization",
             "pool2_MaxPool", "fc1", "out"]:
    # A whole row of the layer table: the name, then its type and output shape.
    check(re.search(r"^%s +\S+ +\[" % re.escape(name), validate, re.M),
          "validate does not print layer %s:\n%s" % (name, validate))

# 1. The imported graphs reproduce PyTorch's outputs on every patch.
for model in ["mlp", "cnn"]:
    header = reference_forward.load_model("%s/02-build/state/%s.hlsm" % (run, model))
    with torch.no_grad():
        x = torch.from_numpy(images).reshape([len(images)] + header["input_shape"])
        ours = reference_forward.forward(header, x).numpy()
    theirs = np.load("%s/%s_torch.npy" % (models, model))
    diff = float(np.abs(ours - theirs).max())
    print("%s: imported graph vs PyTorch, max |difference| %.2g over %d patches"
          % (model, diff, len(images)))
    check(ours.shape == theirs.shape and diff <= 1e-5, "%s: imported outputs differ by %g"
          % (model, diff))

# 2. hlslim's own float evaluation: PyTorch's top-1 accuracy on the test patches.
for model in ["mlp", "cnn"]:
    figures = json.load(open("%s/float/0%d-quantize_%s/metrics.json"
                             % (tmp, 3 if model == "mlp" else 4, model)))["test_float"]
    theirs = np.load("%s/%s_torch.npy" % (models, model))[test]
    expected = float((theirs.argmax(1) == labels[test]).mean())
    print("%s: float accuracy hlslim %.4f, PyTorch %.4f" % (model, figures["accuracy"], expected))
    check(abs(figures["accuracy"] - expected) < 1e-9, "%s: float accuracy %s, PyTorch %s"
          % (model, figures["accuracy"], expected))

# 3. The QONNX model, exported as imported: the engine computes what the Quant nodes define.
reference = np.load(models + "/mlp_qonnx_ref.npy")
outputs = [[float(v) for v in line.split()] for line in
           open(run + "/09-export_mlp_qonnx/tb_data/tb_output_predictions.dat").read().split("\n")
           if line]
check(len(outputs) == 100, "mlp_qonnx: %d test vectors" % len(outputs))
mismatches = [i for i, row in enumerate(outputs) if row != reference[test[i]].tolist()]
print("mlp_qonnx: %d of %d test vectors differ from the QONNX definition"
      % (len(mismatches), len(outputs)))
check(not mismatches, "mlp_qonnx: test vector %s is %s, the QONNX gives %s" % (
    mismatches[:1], outputs[mismatches[0]] if mismatches else None,
    reference[test[mismatches[0]]].tolist() if mismatches else None))

# 4. The compressed models are still classifiers, and every export is an hls4ml hand-off
#    without a softmax.
for stage in ["04-quantize_mlp", "07-quantize_cnn"]:
    e = json.load(open("%s/%s/results.json" % (run, stage)))["evaluations"][0]
    print("%s: accuracy %.4f (%s)" % (stage, e["figures"]["accuracy"], e["arithmetic"]))
    check(e["arithmetic"] == "fixed" and e["figures"]["accuracy"] > 0.5,
          "%s: %s accuracy %s" % (stage, e["arithmetic"], e["figures"]["accuracy"]))
for stage, project in [("05-export_mlp", "mlp"), ("08-export_cnn", "cnn"),
                       ("09-export_mlp_qonnx", "mlp_qonnx")]:
    e = json.load(open("%s/%s/metrics.json" % (run, stage)))
    for name in [project + ".onnx", project + "_qonnx.onnx", "hls4ml_config.yml",
                 "tb_data/tb_input_features.dat", "estimates.json"]:
        check(name in e["files"], "%s: %s missing" % (stage, name))
    config = open("%s/%s/hls4ml_config.yml" % (run, stage)).read()
    check("softmax" not in config.lower(), "%s: hls4ml_config.yml has a softmax" % stage)
    print("%s: %s" % (stage, json.dumps(e["estimates"])[:200]))

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("import_pytorch example: OK")
PY
