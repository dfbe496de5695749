// Runs an ONNX model in ONNX Runtime (onnxruntime-node) for the tests:
//   node ort_run.js MODEL INPUT.f32 DIMS OUTPUT.f32
// INPUT.f32 holds little-endian float32s of shape DIMS (comma-separated);
// the model's first output is written to OUTPUT.f32 the same way, and
// its shape is printed as JSON. NODE_PATH must reach onnxruntime-node.
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, inPath, dims, outPath] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const buf = fs.readFileSync(inPath);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const shape = dims.split(',').map(Number);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  const results = await session.run(feeds);
  const out = results[session.outputNames[0]];
  fs.writeFileSync(outPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  console.log(JSON.stringify({ name: session.outputNames[0], dims: out.dims }));
}

main().catch((e) => { console.error(String(e)); process.exit(1); });
