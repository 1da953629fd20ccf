#!/usr/bin/env node
// Instructions per MAC on cortex-m4 of an int8 model whose requantization
// shifts are edited per channel, to measure the DSP epilogue classes
// (src/codegen/isa/dsp/requant.ts):
//   node scripts/dsp-epilogue-bench.mjs <checkout> right|few|all [model.json|.tflite]
// right: as prepared; few: one pointwise channel in ten shifts left by 1;
// all: every pointwise channel shift 0, 1 or 2 (by channel). DW=1 edits the
// depthwise layers too; X64=1 sets the tuning switch dsp.smmlar=false;
// LAYERS=1 prints every layer. <checkout> is a built mobilec tree (npm run
// build), so two commits can be compared.
import { join, resolve } from 'node:path';

const [rootArg, mode, model = resolve(import.meta.dirname, '../examples/models/mobilenet_v1_0.25_96_int8.json')] = process.argv.slice(2);
if (!rootArg || !['right', 'few', 'all'].includes(mode)) {
  console.error('usage: node scripts/dsp-epilogue-bench.mjs <checkout> right|few|all [model]');
  process.exit(2);
}
const root = resolve(rootArg);
const { prepareModel } = await import(join(root, 'dist/cli/prepare.js'));
const { generateProject } = await import(join(root, 'dist/codegen/index.js'));
const { runnerFor } = await import(join(root, 'dist/cross/index.js'));
const { seededInput } = await import(join(root, 'dist/util/tensors.js'));
const { graph, target } = prepareModel(model, { target: 'cortex-m4', kernels: 'simd' });
let edited = 0;
for (const op of graph.ops) {
  if (!op.requant) continue;
  const w = graph.tensors[op.inputs[1]];
  const dw = op.kind === 'depthwise_conv2d';
  if (!(op.kind === 'conv2d' && w.shape[1] === 1 && w.shape[2] === 1) && !(dw && process.env.DW)) continue;
  const n = dw ? w.shape[3] : w.shape[0];
  const one = op.requant.multiplier.length === 1;
  const m = Array.from({ length: n }, (_, c) => op.requant.multiplier[one ? 0 : c]);
  const s = Array.from({ length: n }, (_, c) => op.requant.shift[one ? 0 : c]);
  for (let c = 0; c < n; c++) {
    if (mode === 'few' && c % 10 === 3) s[c] = 1;
    if (mode === 'all') s[c] = c % 3 === 0 ? 0 : 1 + (c % 3);
  }
  op.requant = { ...op.requant, multiplier: m, shift: s };
  edited++;
}
const tuning = process.env.X64 ? { switches: { 'dsp.smmlar': false } } : {};
const project = generateProject(graph, { name: 'bench', target, kernels: 'simd', tuning });
const inT = graph.tensors[graph.inputs[0]];
const input = seededInput(
  inT.dtype,
  inT.shape.reduce((a, c) => a * c, 1),
  1,
);
const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
const { results } = runnerFor(target).run(project, target, [bytes], { layers: false, countInstructions: true, profileLayers: true });
const { instructions, layerInstructions: per } = results[0];
console.log(`${mode}: ${edited} layers edited; ${instructions} instructions, ${project.macs} MACs, ${(instructions / project.macs).toFixed(4)} per MAC`);
if (process.env.LAYERS) {
  project.layers.forEach((l, i) => {
    console.log(`  ${i} ${l.kernel} ${l.macs} ${per[i]} ${(per[i] / Math.max(l.macs, 1)).toFixed(3)}`);
  });
}
