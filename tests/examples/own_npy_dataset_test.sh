#!/bin/sh
# examples/own_npy_dataset on tiny settings: the shipped data are what make_data.py writes, a
# fresh data set elsewhere runs through data -> train -> prune -> quantize -> export, the
# classifier separates signal from background, and the features reach the fixed-point engine
# and the exported test vectors with their values.
# Usage: own_npy_dataset_test.sh HLSLIM SOURCE_DIR PYTHON3
set -eu
hlslim=$1
example=$2/examples/own_npy_dataset
python=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# make_data.py is deterministic, and the shipped files are its defaults' output, byte for byte.
"$python" "$example/make_data.py" --output "$tmp/shipped" >/dev/null
for file in features.npy labels.npy labels.json; do
  cmp "$tmp/shipped/$file" "$example/$file"
done

# Feature tables are not detector images: windows are refused before anything runs.
if out=$("$hlslim" validate "$example/config.yaml" --set data.input=windows 2>&1); then
  echo "validate accepted input: windows for a feature table"; exit 1
fi
expected="$example/config.yaml:21:5: error: stage 'data': input 'windows' needs detector images of 9 layers, got 1; use input: full"
if [ "$(echo "$out" | head -n 1)" != "$expected" ]; then
  echo "unexpected validate output: $out"; exit 1
fi

# "Your own files": another data set in another place, pointed at with --set.
"$python" "$example/make_data.py" --events 3000 --seed 5 --output "$tmp/own" >/dev/null
"$hlslim" run -q "$example/config.yaml" --output "$tmp/run" --threads 1 \
  --set data.npy.images="$tmp/own/features.npy" \
  --set data.npy.labels="$tmp/own/labels.npy" \
  --set data.npy.labels_json="$tmp/own/labels.json" \
  --set train.epochs=10 --set prune.fine_tune.epochs=2 --set quantize.fine_tune.epochs=1 \
  --set export.test_vectors=25

"$python" - "$tmp/run" "$tmp/own" <<'PY'
import json, struct, sys

run, data = sys.argv[1], sys.argv[2]
failures = []

def check(ok, what):
    if not ok:
        failures.append(what)

def metrics(stage):
    return json.load(open("%s/%s/metrics.json" % (run, stage)))

def features():
    raw = open(data + "/features.npy", "rb").read()
    header_length = struct.unpack_from("<H", raw, 8)[0]
    header = raw[10:10 + header_length].decode("latin1")
    n, f = [int(x) for x in header.split("'shape': (")[1].split(")")[0].split(",")]
    values = struct.unpack_from("<%df" % (n * f), raw, 10 + header_length)
    return [values[i * f:(i + 1) * f] for i in range(n)], f

d = metrics("01-data")
check(d["events"] == 3000, "data: events %s" % d["events"])
check(d["hit_values"] is True, "data: the features are not kept as values")
check(d["input_shape"] == [1, 1, 12], "data: input_shape %s" % d["input_shape"])

for stage, key in [("02-train", "test"), ("03-prune", "test"), ("04-quantize", "test")]:
    m = metrics(stage).get(key, {})
    auc, accuracy = m.get("roc_auc", 0), m.get("accuracy", 0)
    print("%s: roc_auc %.4f, accuracy %.4f" % (stage, auc, accuracy))
    check(auc > 0.85, "%s: roc_auc %s <= 0.85" % (stage, auc))
    check(accuracy > 0.75, "%s: accuracy %s <= 0.75" % (stage, accuracy))
    check(not any(k.startswith("pt_") for k in m), "%s: pT figures for a classifier" % stage)

# The input type is calibrated on the features: signed (eta < 0), 16 bits, integer bits for the
# pileup count (up to 59, plus the 10 % margin: fixed<16,8>); and the fixed-point engine saw
# the features' values, negative ones and ones above 1 included.
q = metrics("04-quantize")["input"]
print("quantize: input %s, seen [%s, %s]" % (q["precision"], q["seen_min"], q["seen_max"]))
check(q["precision"].startswith("fixed<16,8,"), "quantize: input type %s" % q["precision"])
check(q["seen_min"] < -2 and q["seen_max"] > 50, "quantize: the engine saw [%s, %s]"
      % (q["seen_min"], q["seen_max"]))
check(q["overflows"] == 0, "quantize: %s input overflows" % q["overflows"])

# The exported test vectors are the first test events' features, values and all.
e = metrics("05-export")
check(e["test_vectors"] == 25, "export: test_vectors %s" % e["test_vectors"])
for name in ["npy_classifier.onnx", "npy_classifier_qonnx.onnx", "hls4ml_config.yml",
             "tb_data/tb_input_features.dat", "tb_data/tb_output_predictions.dat",
             "estimates.json"]:
    check(name in e["files"], "export: %s missing from %s" % (name, e["files"]))
rows, f = features()
test = json.load(open(run + "/01-data/split.json"))["test"]
lines = open(run + "/05-export/tb_data/tb_input_features.dat").read().split("\n")
for i in range(25):
    got = [float(x) for x in lines[i].split()]
    want = rows[test[i]]
    check(len(got) == f and all(abs(a - b) <= 1e-5 * max(1, abs(b)) for a, b in zip(got, want)),
          "export: test vector %d is %s, features %s" % (i, got, list(want)))
check(any(abs(v - round(v)) > 0.01 for v in rows[test[0]]), "export: integer-only features?")

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("own_npy_dataset example: OK")
PY
