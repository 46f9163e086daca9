#!/bin/sh
# examples/dense_student on tiny settings: a conv teacher is distilled into a dense-only
# student, pruned and quantized while it learns, and exported for io_parallel with estimates.
# Usage: dense_student_test.sh HLSLIM SOURCE_DIR PYTHON3
set -eu
hlslim=$1
example=$2/examples/dense_student
python=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$hlslim" run -q "$example/config.yaml" --output "$tmp/run" --threads 1 \
  --set data.events=3000 --set data.noise_events=300 \
  --set teacher.epochs=2 \
  --set distill.epochs=3 --set distill.quantize.float_epochs=1 --set distill.baseline=false \
  --set export.test_vectors=20

"$python" - "$tmp/run" <<'PY'
import json, os, sys

run = sys.argv[1]
failures = []

def check(ok, what):
    if not ok:
        failures.append(what)

def metrics(stage):
    return json.load(open("%s/%s/metrics.json" % (run, stage)))

stages = sorted(os.listdir(run))
check([s for s in stages if s[:2].isdigit()] ==
      ["01-data", "02-reference", "03-teacher", "04-distill", "05-export"], "stages %s" % stages)

d = metrics("04-distill")
figures = d.get("student", d).get("test", d.get("test", {}))
print("distill: %s" % json.dumps(figures)[:300])
spread = figures.get("pt_spread", float("nan"))
check(0 < spread < 20, "distill: pt_spread %s" % spread)
check(0 <= figures.get("plateau_eff", -1) <= 1, "distill: plateau_eff")
check(0 <= figures.get("fake_rate", -1) <= 1, "distill: fake_rate")

e = metrics("05-export")
for name in ["dense_student.onnx", "dense_student_qonnx.onnx", "hls4ml_config.yml",
             "tb_data/tb_input_features.dat", "estimates.json"]:
    check(name in e["files"], "export: %s missing" % name)
est = e["estimates"]
print("export estimates: %s" % json.dumps(est)[:300])
check(est.get("initiation_interval") == 1, "export: II %s at reuse factor 1" % est.get("initiation_interval"))
check(est.get("latency_cycles", 0) > 0, "export: latency")
config = open(run + "/05-export/hls4ml_config.yml").read()
check("io_parallel" in config, "export: hls4ml config without io_parallel")

if failures:
    print("FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("dense_student example: OK")
PY
