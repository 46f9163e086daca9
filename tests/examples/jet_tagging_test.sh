#!/bin/sh
# examples/jet_tagging on tiny settings: the shipped data are what make_data.py writes; a fresh,
# smaller data set runs through data -> train -> prune -> quantize -> export with softmax
# cross-entropy; every stage's top-1 accuracy is far above chance (0.2 for five classes); the
# firmware drops the trailing softmax (no Softmax in the hls4ml configuration or the QONNX) while
# the float ONNX keeps it (metrics.json and readiness.json say so); the exported test vectors
# are exactly what the exported QONNX computes on their inputs, evaluated here independently
# with numpy, so their argmax is that model's, and it matches the truth about as often as the
# engine's accuracy says.
# Usage: jet_tagging_test.sh HLSLIM SOURCE_DIR PYTHON3
# The QONNX is read with Debian's /usr/bin/python3 (python3-onnx, python3-numpy), as the
# tests of tests/export_onnx do.
set -eu
hlslim=$1
example=$2/examples/jet_tagging
python=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# make_data.py is deterministic, and the shipped files are its defaults' output, byte for byte.
"$python" "$example/make_data.py" --output "$tmp/shipped" >/dev/null
for file in features.npy labels.npy labels.json; do
  cmp "$tmp/shipped/$file" "$example/$file"
done

"$python" "$example/make_data.py" --events 4000 --seed 5 --output "$tmp/own" >/dev/null
"$hlslim" run -q "$example/config.yaml" --output "$tmp/run" --threads 1 \
  --set data.npy.images="$tmp/own/features.npy" \
  --set data.npy.labels="$tmp/own/labels.npy" \
  --set data.npy.labels_json="$tmp/own/labels.json" \
  --set train.epochs=6 --set prune.fine_tune.epochs=2 --set quantize.fine_tune.epochs=1 \
  --set export.test_vectors=50

"$python" - "$tmp/run" "$tmp/own" <<'PY'
import json, struct, sys

run, data = sys.argv[1], sys.argv[2]
failures = []

def check(ok, what):
    if not ok:
        failures.append(what)

def load(stage, name):
    return json.load(open("%s/%s/%s" % (run, stage, name)))

def labels():
    raw = open(data + "/labels.npy", "rb").read()
    header_length = struct.unpack_from("<H", raw, 8)[0]
    return list(raw[10 + header_length:])

d = load("01-data", "metrics.json")
check(d["events"] == 4000, "data: events %s" % d["events"])
check(d["input_shape"] == [1, 1, 16], "data: input_shape %s" % d["input_shape"])

# Every evaluating stage: top-1 accuracy well above chance; the quantize stage's figures come
# from the fixed-point engine.
for stage, arithmetic in [("02-train", "float"), ("03-prune", "float"), ("04-quantize", "fixed")]:
    evaluations = [e for e in load(stage, "results.json")["evaluations"] if e["model"] == "tagger"]
    check(len(evaluations) == 1, "%s: %d evaluations of the tagger" % (stage, len(evaluations)))
    if not evaluations:
        continue
    e = evaluations[0]
    accuracy = e["figures"].get("accuracy", 0)
    print("%s: accuracy %.4f (%s)" % (stage, accuracy, e["arithmetic"]))
    check(e["arithmetic"] == arithmetic, "%s: arithmetic %s" % (stage, e["arithmetic"]))
    check(accuracy > 0.45, "%s: accuracy %s <= 0.45 (chance: 0.2)" % (stage, accuracy))
    check(not any(k.startswith("pt_") for k in e["figures"]), "%s: pT figures" % stage)

# The export: hls4ml hand-off without the softmax, the float ONNX with it.
e = load("05-export", "metrics.json")
for name in ["jet_tagger.onnx", "jet_tagger_qonnx.onnx", "hls4ml_config.yml",
             "tb_data/tb_input_features.dat", "tb_data/tb_output_predictions.dat",
             "estimates.json"]:
    check(name in e["files"], "export: %s missing from %s" % (name, e["files"]))
config = open(run + "/05-export/hls4ml_config.yml").read()
check("softmax" not in config.lower(), "export: hls4ml_config.yml mentions a softmax")
check("io_parallel" in config, "export: hls4ml_config.yml without io_parallel")
check(b"Softmax" not in open(run + "/05-export/jet_tagger_qonnx.onnx", "rb").read(),
      "export: the QONNX has a Softmax node")
check(b"Softmax" in open(run + "/05-export/jet_tagger.onnx", "rb").read(),
      "export: the float ONNX lost its Softmax")

# metrics.json and readiness.json say that the firmware dropped the softmax, and why that is
# harmless.
softmax = e.get("softmax") or {}
check(softmax.get("firmware") == "dropped", "export: metrics softmax %s" % e.get("softmax"))
layer = softmax.get("layer", "")
check(bool(layer), "export: metrics.json names no softmax layer")
note = ("softmax dropped: the firmware (QONNX, hls4ml configuration, HLS project, test vectors) "
        "ends at the logits before softmax layer '%s', so its outputs are logits; the argmax is "
        "unchanged and every figure is computed from the logits; the float ONNX keeps the "
        "softmax (export option softmax: drop)" % layer)
readiness = json.load(open(run + "/05-export/readiness.json"))
check({"node": layer, "severity": "note", "message": note} in readiness,
      "export: readiness.json lacks the softmax note: %s" % json.dumps(readiness)[:600])

# The test vectors: five logits per event, whose argmax agrees with the truth about as often as
# the quantize stage's accuracy says (50 events: loosely).
outputs = [[float(v) for v in line.split()] for line in
           open(run + "/05-export/tb_data/tb_output_predictions.dat").read().split("\n") if line]
check(len(outputs) == 50 and all(len(o) == 5 for o in outputs),
      "export: test vectors %d x %s" % (len(outputs), set(len(o) for o in outputs)))
truth = labels()
test = json.load(open(run + "/01-data/split.json"))["test"]
hits = sum(1 for i, o in enumerate(outputs) if o.index(max(o)) == truth[test[i]])
print("export: argmax of the test vectors right for %d of %d" % (hits, len(outputs)))
check(hits >= 20, "export: test-vector argmax right for only %d of 50" % hits)

estimates = e["estimates"]
print("export estimates: %s" % json.dumps(estimates)[:300])
check(estimates.get("latency_cycles", 0) > 0, "export: latency")
check(estimates.get("initiation_interval") == 1, "export: II %s" % estimates.get("initiation_interval"))

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
PY

# The test vectors are the engine's outputs; the exported QONNX, evaluated here with numpy
# (Quant as QONNX defines it: round half to even, clip, rescale), must give the same logits on
# the same inputs, hence the same argmax, event by event.
/usr/bin/python3 - "$tmp/run/05-export" <<'PY'
import sys
import numpy as np
import onnx
from onnx import numpy_helper

export = sys.argv[1]
model = onnx.load(export + "/jet_tagger_qonnx.onnx")
initial = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer}

def attribute(node, name):
    for a in node.attribute:
        if a.name == name:
            value = onnx.helper.get_attribute_value(a)
            return value.decode() if isinstance(value, bytes) else value
    raise SystemExit("%s %s: no attribute %s" % (node.op_type, node.name, name))

def quant(node, x, scale, zero, bits):
    signed, narrow = attribute(node, "signed"), attribute(node, "narrow")
    if attribute(node, "rounding_mode") != "ROUND":
        raise SystemExit("Quant rounding %s" % attribute(node, "rounding_mode"))
    low = -2.0 ** (bits - 1) + narrow if signed else 0.0
    high = 2.0 ** (bits - 1) - 1 if signed else 2.0 ** bits - 1 - narrow
    return (np.clip(np.round(x / scale + zero), low, high) - zero) * scale

def evaluate(event):
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    env = dict(initial)
    env[model.graph.input[0].name] = np.array(event, dtype=np.float64).reshape(shape)
    for node in model.graph.node:
        x = [env[name] for name in node.input]
        if node.op_type == "Quant":
            y = quant(node, *x)
        elif node.op_type == "Flatten":
            y = x[0].reshape(x[0].shape[0], -1)
        elif node.op_type == "MatMul":
            y = x[0] @ x[1]
        elif node.op_type == "Add":
            y = x[0] + x[1]
        elif node.op_type == "Relu":
            y = np.maximum(x[0], 0)
        else:
            raise SystemExit("no evaluator here for the QONNX node %s" % node.op_type)
        env[node.output[0]] = y
    return env[model.graph.output[0].name].reshape(-1)

def rows(name):
    return [[float(v) for v in line.split()]
            for line in open(export + "/tb_data/" + name) if line.strip()]

inputs, outputs = rows("tb_input_features.dat"), rows("tb_output_predictions.dat")
assert len(inputs) == len(outputs) == 50, (len(inputs), len(outputs))
worst, same = 0.0, 0
for event, output in zip(inputs, outputs):
    expected = evaluate(event)
    worst = max(worst, float(np.max(np.abs(expected - np.array(output)))))
    same += int(np.argmax(expected) == int(np.argmax(output)))
print("export: test vectors vs the QONNX (numpy): argmax equal for %d of %d, max |difference| %g"
      % (same, len(outputs), worst))
if same != len(outputs) or worst > 1e-6:
    print("FAILED: the test vectors are not what the exported QONNX computes")
    sys.exit(1)
print("jet_tagging example: OK")
PY
