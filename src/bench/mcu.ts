/**
 * `npm run bench:mcu`: the shared TFLite models (person_detect,
 * mobilenet_v1_0.25_128_quant) and the int8 MobileNetV2 and V3 examples on the Cortex-M4 and Cortex-M33 (DSP) and
 * Cortex-M55 (Helium) QEMU boards, SIMD kernels and plain-C kernels side by side:
 * instructions executed by one inference (exact, QEMU TCG plugin between
 * the bench markers), MACs per instruction, arena bytes and flash bytes
 * (generated code + weights), beside the TFLite Micro + CMSIS-NN figures
 * of the issue. Needs arm-none-eabi-gcc, newlib and qemu-system-arm.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateProject } from '../codegen/index.js';
import { mcuRunner } from '../cross/mcu.js';
import { MobilecError } from '../model/errors.js';
import { elementCount } from '../model/ir.js';
import { defaultModelName, loadModel } from '../pipeline.js';
import { targetByName } from '../targets/index.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { seededInput, toBytes } from '../util/tensors.js';
import { BENCH_LAYERS, printLayerProfile } from './profile.js';
import { benchProgress } from './progress.js';

const SHARED = resolve(PACKAGE_ROOT, '..', 'shared');

/**
 * TensorFlow Lite Micro with CMSIS-NN kernels on person_detect.tflite,
 * measured under QEMU 7.2 on the same boards: instructions executed by one
 * Invoke() (figures of the microcontroller issue, "Where the bar is").
 */
export const TFLM_CMSIS_NN_PERSON_DETECT = {
  provenance: 'TFLM + CMSIS-NN, QEMU 7.2 (same boards), instructions executed by one Invoke(); issue "Microcontroller targets"',
  instructions: { 'cortex-m55': 6_509_818, 'cortex-m4': 22_930_148 } as Readonly<Record<string, number>>,
  arenaBytes: 82_356,
  runtimeCodeBytes: 50 * 1024, // ≈ 50 KB: framework + kernels + CMSIS-NN, without weights and libc
} as const;

/** The goals for mobilec on person_detect. */
export const GOALS = {
  instructions: { 'cortex-m55': 3_000_000, 'cortex-m4': 11_000_000 } as Readonly<Record<string, number>>,
  arenaBytes: 37_000,
  codeBytes: 16 * 1024,
} as const;

/** The shared TFLite models (with a real input from ../shared/expected) and the int8 example descriptions of the other families (seeded input). */
const MODELS = [
  { path: join(SHARED, 'models', 'person_detect.tflite'), input: 'person_detect.person.input.bin' },
  { path: join(SHARED, 'models', 'mobilenet_v1_0.25_128_quant.tflite'), input: 'mobilenet_v1_0.25_128_quant.bird.input.bin' },
  { path: join(PACKAGE_ROOT, 'examples', 'models', 'mobilenet_v2_0.35_96_int8.json'), input: '' },
  { path: join(PACKAGE_ROOT, 'examples', 'models', 'mobilenet_v3_small_1.0_224_int8.json'), input: '' },
];
const TARGETS = ['cortex-m4', 'cortex-m33', 'cortex-m55'];
const KERNELS = ['simd', 'generic'] as const;

interface Row {
  model: string;
  target: string;
  kernels: string;
  instructions: number;
  macs: number;
  arenaBytes: number;
  codeBytes: number;
  weightBytes: number;
}

const n = (v: number): string => v.toLocaleString('en-US');
const progress = benchProgress();

function measure(path: string, inputFile: string, target: string, kernels: 'simd' | 'generic'): Row {
  const file = path.split('/').pop()!;
  const g = loadModel(path);
  const name = defaultModelName(path);
  const t = targetByName(target);
  const project = generateProject(g, { name, target: t, kernels });
  const inPath = join(SHARED, 'expected', inputFile);
  const inT = g.tensors[g.inputs[0]!]!;
  const input = inputFile !== '' && existsSync(inPath) ? new Uint8Array(readFileSync(inPath)) : toBytes(seededInput(inT.dtype, elementCount(inT.shape), 1));
  const profileLayers = BENCH_LAYERS && kernels === 'simd';
  const run = mcuRunner.run(project, t, [input], { layers: false, countInstructions: true, profileLayers, progress });
  const perLayer = run.results[0]!.layerInstructions;
  if (profileLayers && perLayer) printLayerProfile(`${file} on ${target}`, project, perLayer);
  return {
    model: name,
    target,
    kernels,
    instructions: run.results[0]!.instructions!,
    macs: project.macs,
    arenaBytes: project.arena.bytes,
    codeBytes: run.build.codeBytes ?? 0,
    weightBytes: project.weightBytes,
  };
}

function main(): void {
  const rows: Row[] = [];
  const unfit: string[] = [];
  // Narrowing: BENCH_MODELS (comma list of file-name parts).
  const only = process.env.BENCH_MODELS?.split(',');
  for (const m of MODELS) {
    if (only && !only.some((o) => m.path.includes(o))) continue;
    if (!existsSync(m.path)) {
      console.log(`skipping ${m.path}: not found`);
      continue;
    }
    for (const target of TARGETS) {
      for (const k of KERNELS) {
        progress.step(`${m.path.split('/').pop()} on ${target}, ${k} kernels`);
        try {
          rows.push(measure(m.path, m.input, target, k));
        } catch (e) {
          // A model bigger than the emulated board's memory is a row of its own, not the end of the bench.
          if (!(e instanceof MobilecError) || !/does not fit/.test(e.message)) throw e;
          unfit.push(`${m.path.split('/').pop()} on ${target} (${k}): ${e.message.replace(/ \(see .*\)$/, '')}`);
        }
      }
    }
  }
  progress.done();
  const header = ['model', 'target', 'kernels', 'instructions', 'MACs/instr', 'vs generic', 'arena B', 'code B', 'weights B', 'flash B'];
  const body = rows.map((r) => {
    const generic = rows.find((g) => g.model === r.model && g.target === r.target && g.kernels === 'generic');
    return [
      r.model,
      r.target,
      r.kernels,
      n(r.instructions),
      (r.macs / r.instructions).toFixed(3),
      generic ? `${(generic.instructions / r.instructions).toFixed(2)}x` : '-',
      n(r.arenaBytes),
      n(r.codeBytes),
      n(r.weightBytes),
      n(r.codeBytes + r.weightBytes),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  for (const u of unfit) console.log(`not run: ${u}`);

  const peer = TFLM_CMSIS_NN_PERSON_DETECT;
  console.log(`\nperson_detect: mobilec (simd) vs ${peer.provenance}`);
  for (const target of TARGETS) {
    const r = rows.find((x) => x.model === 'person_detect' && x.target === target && x.kernels === 'simd');
    if (!r) continue;
    // The issue measured TFLM on the M4 and M55 boards only (cortex-m33: no peer figure, no goal).
    const theirs = peer.instructions[target];
    const goal = GOALS.instructions[target];
    const vs = theirs === undefined ? '(no TFLM figure on this board)' : `vs ${n(theirs)} (${(theirs / r.instructions).toFixed(2)}x fewer)`;
    const met = goal === undefined ? '' : `; goal <= ${n(goal)}: ${r.instructions <= goal ? 'met' : 'missed'}`;
    console.log(`  ${target}: ${n(r.instructions)} instructions ${vs}${met}`);
  }
  const pd = rows.find((x) => x.model === 'person_detect' && x.kernels === 'simd');
  if (pd) {
    // The arena differs per target: each SIMD kernel declares its own streaming block.
    for (const target of TARGETS) {
      const r = rows.find((x) => x.model === 'person_detect' && x.target === target && x.kernels === 'simd');
      if (r)
        console.log(
          `  ${target} arena: ${n(r.arenaBytes)} B vs ${n(peer.arenaBytes)} B; goal <= ${n(GOALS.arenaBytes)}: ${r.arenaBytes <= GOALS.arenaBytes ? 'met' : 'missed'}`,
        );
    }
    for (const target of TARGETS) {
      const r = rows.find((x) => x.model === 'person_detect' && x.target === target && x.kernels === 'simd');
      if (r)
        console.log(
          `  ${target} runtime code: ${n(r.codeBytes)} B vs ≈ ${n(peer.runtimeCodeBytes)} B; goal <= ${n(GOALS.codeBytes)}: ${r.codeBytes <= GOALS.codeBytes ? 'met' : 'missed'}`,
        );
    }
  }
}

main();
