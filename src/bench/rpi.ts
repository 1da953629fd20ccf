/**
 * `npm run bench:rpi`: executed instructions per inference (exact, from the
 * QEMU insn_count plugin between mobilec_bench_start/stop) and per MAC on
 * the Raspberry Pi targets, `--kernels simd` (NEON) against `generic`, for
 * the example models and the shared uint8 classifier, beside the peer
 * figures of issue 5. Same input as `mobilec run … --seed 1`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateProject } from '../codegen/index.js';
import { runnerFor } from '../cross/index.js';
import { elementCount } from '../model/ir.js';
import { loadModel } from '../pipeline.js';
import { targetByName } from '../targets/index.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { seededInput, toBytes } from '../util/tensors.js';
import { BENCH_LAYERS, printLayerProfile } from './profile.js';
import { benchProgress } from './progress.js';

/**
 * Peer figures: measured under qemu-aarch64 -cpu cortex-a72 (so shown on the
 * rpi4 rows only), executed instructions, single thread (issue 5).
 */
const PEERS: Readonly<Record<string, { ncnn: number; onnxruntime: number }>> = {
  'mobilenet_v1_1.0_224.json': { ncnn: 173.2e6, onnxruntime: 248.4e6 },
  'mobilenet_v1_1.0_224_int8.json': { ncnn: 155.3e6, onnxruntime: 170.5e6 },
  'mobilenet_v1_0.25_96.json': { ncnn: 3.18e6, onnxruntime: 7.58e6 },
};
/** Goals of issue 5, in executed instructions per inference, by model and target. */
const GOALS: Readonly<Record<string, number>> = {
  'mobilenet_v1_1.0_224.json rpi4': 155e6,
  'mobilenet_v1_1.0_224_int8.json rpi4': 120e6,
  'mobilenet_v1_1.0_224_int8.json rpi5': 60e6,
  'mobilenet_v1_0.25_96.json rpi4': 2.9e6,
};
const PEER_SOURCE = 'peers: qemu-aarch64 -cpu cortex-a72, executed instructions, single thread (issue 5)';

interface Row {
  model: string;
  target: string;
  macs: number;
  simd: number;
  generic: number;
}

const M = (n: number) => `${(n / 1e6).toFixed(2)} M`;
const progress = benchProgress();

function count(path: string, targetName: string, kernels: 'simd' | 'generic'): { macs: number; instructions: number } {
  const graph = loadModel(path);
  const target = targetByName(targetName);
  const project = generateProject(graph, { name: 'bench', target, kernels });
  const inT = graph.tensors[graph.inputs[0]!]!;
  const input = seededInput(inT.dtype, elementCount(inT.shape), 1);
  const profileLayers = BENCH_LAYERS && kernels === 'simd';
  progress.step(`${path.split('/').pop()} on ${targetName}, ${kernels} kernels`);
  const { results } = runnerFor(target).run(project, target, [toBytes(input)], { layers: false, countInstructions: true, profileLayers, progress });
  const r = results[0]!;
  if (profileLayers && r.layerInstructions) printLayerProfile(`${path.split('/').pop()} on ${targetName}`, project, r.layerInstructions);
  return { macs: project.macs, instructions: r.instructions! };
}

function main(): void {
  const examples = join(PACKAGE_ROOT, 'examples', 'models');
  const shared = join(PACKAGE_ROOT, '..', 'shared', 'models', 'mobilenet_v1_0.25_128_quant.tflite');
  const models: { label: string; path: string; quantized: boolean }[] = [
    { label: 'mobilenet_v1_1.0_224.json', path: join(examples, 'mobilenet_v1_1.0_224.json'), quantized: false },
    { label: 'mobilenet_v1_1.0_224_int8.json', path: join(examples, 'mobilenet_v1_1.0_224_int8.json'), quantized: true },
    { label: 'mobilenet_v1_0.25_96.json', path: join(examples, 'mobilenet_v1_0.25_96.json'), quantized: false },
    { label: 'mobilenet_v2_0.35_96_int8.json', path: join(examples, 'mobilenet_v2_0.35_96_int8.json'), quantized: true },
    { label: 'mobilenet_v3_small_1.0_224_int8.json', path: join(examples, 'mobilenet_v3_small_1.0_224_int8.json'), quantized: true },
  ];
  if (existsSync(shared)) models.push({ label: 'mobilenet_v1_0.25_128_quant.tflite', path: shared, quantized: true });
  // Narrowing for kernel work: BENCH_MODELS / BENCH_TARGETS (comma lists), BENCH_GENERIC=0.
  const only = process.env.BENCH_MODELS?.split(',');
  const targets = process.env.BENCH_TARGETS?.split(',');
  const withGeneric = process.env.BENCH_GENERIC !== '0';
  const rows: Row[] = [];
  for (const m of models) {
    if (only && !only.some((o) => m.label.includes(o))) continue;
    for (const t of m.quantized ? ['rpi3', 'rpi4', 'rpi5', 'rpi-armv7'] : ['rpi3', 'rpi4', 'rpi5']) {
      if (targets && !targets.includes(t)) continue;
      const simd = count(m.path, t, 'simd');
      const generic = withGeneric ? count(m.path, t, 'generic') : { instructions: NaN };
      const row = { model: m.label, target: t, macs: simd.macs, simd: simd.instructions, generic: generic.instructions };
      rows.push(row);
      console.error(`${row.model} ${t}: simd ${M(row.simd)}, generic ${M(row.generic)}`);
    }
  }
  progress.done();
  const lines = [
    '| model | target | MACs | NEON insns | per MAC | generic insns | per MAC | generic/NEON | ncnn | ONNX Runtime | goal |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const peer = r.target === 'rpi4' ? PEERS[r.model] : undefined;
    const goal = GOALS[`${r.model} ${r.target}`];
    const generic = Number.isNaN(r.generic) ? ['-', '-', '-'] : [M(r.generic), (r.generic / r.macs).toFixed(3), `${(r.generic / r.simd).toFixed(1)}x`];
    lines.push(
      `| ${r.model} | ${r.target} | ${M(r.macs)} | ${M(r.simd)} | ${(r.simd / r.macs).toFixed(3)} | ${generic.join(' | ')} | ` +
        `${peer ? M(peer.ncnn) : '-'} | ${peer ? M(peer.onnxruntime) : '-'} | ${goal ? `<= ${M(goal)}: ${r.simd <= goal ? 'met' : 'not met'}` : '-'} |`,
    );
  }
  lines.push('', PEER_SOURCE);
  console.log(lines.join('\n'));
}

main();
