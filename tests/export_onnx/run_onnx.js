// Runs an ONNX model with ONNX Runtime (onnxruntime-node) on one input batch.
// Usage: node run_onnx.js model.onnx input.json   (input: {"dims": [...], "data": [...]})
// Prints {"dims": [...], "data": [...]} of the first output on stdout.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inputPath] = process.argv.slice(2);
  const input = JSON.parse(fs.readFileSync(inputPath, 'utf8'));
  const session = await ort.InferenceSession.create(modelPath);
  const feeds = {};
  feeds[session.inputNames[0]] =
      new ort.Tensor('float32', Float32Array.from(input.data), input.dims);
  const results = await session.run(feeds);
  const y = results[session.outputNames[0]];
  process.stdout.write(JSON.stringify({dims: Array.from(y.dims, Number), data: Array.from(y.data)}));
}

main().catch((error) => {
  process.stderr.write(String(error && error.message ? error.message : error) + '\n');
  process.exit(1);
});
