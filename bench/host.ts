/**
 * `npm run bench:host`: the generated C on the host (x86-64, AVX2 + FMA
 * kernels, gcc -O3 -march=native) against ONNX Runtime (CPU, one thread:
 * intraOpNumThreads 1, interOpNumThreads 1, all graph optimizations) on the
 * same ONNX file, imported by mobilec's ONNX frontend:
 *  - MobileNetV1 1.0/224 float32, 0.25/96 float32 (PyTorch's form: pads 1,
 *    BatchNormalization unfused, Clip(0, 6), Gemm, Softmax);
 *  - MobileNetV1 0.25/96 int8, QDQ as onnxruntime's static quantization
 *    writes it (per-channel int8 weights), calibrated in ONNX Runtime.
 * Inference only, both timed from JavaScript around one call that takes the
 * float32 NCHW input and returns the output (mobilec: the addon's invoke, the
 * input and output copies included; ORT: session.run), interleaved A B A B …
 * after a warm-up; medians, the ratio mobilec / ORT, and each one's share of
 * the machine's peak fp32 FMA throughput at the nominal clock /proc/cpuinfo
 * reports: two FMA units a cycle, 16 lanes each with AVX-512F (which ONNX
 * Runtime dispatches to at run time), else 8 (AVX2). Turbo clocks can push a
 * share past 100 %.
 *
 * Flags (after `npm run bench:host --`): `--json` prints
 * `{"cases": [{"model", "dtype", "mobilecMs", "ortMs", "ratio", …}]}`
 * instead of the table; `--quick` runs 0.25/96 float32 only with few rounds
 * (the test of this script); `--portable` builds without -march=native (the
 * generated C as any AVX2 machine runs it); `--quiet` silences progress.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { host } from '../src/targets/index.js';
import { generateProject } from '../src/codegen/index.js';
import { importOnnx } from '../src/frontends/onnx/import.js';
import { prepareGraph } from '../src/passes/index.js';
import { Prng } from '../src/util/prng.js';
import { median } from '../src/util/stats.js';
import { buildAndLoad } from '../src/verify/verify.js';
import { benchProgress } from '../src/bench/progress.js';
import { calibratedParams, type MobilenetV1Spec, mobilenetV1Onnx } from '../test/helpers/onnxMobilenet.js';

export interface HostCase {
  readonly model: string;
  readonly dtype: 'float32' | 'int8';
  readonly macs: number;
  readonly mobilecMs: number;
  readonly ortMs: number;
  /** mobilec / ORT: below 1, mobilec is faster. */
  readonly ratio: number;
  /** Rounds timed (each one mobilec call and one ORT call). */
  readonly runs: number;
  /** MACs per second over the peak fp32 FMA rate. */
  readonly mobilecPeakShare: number;
  readonly ortPeakShare: number;
  /** Output agreement: max |mobilec − ORT| over the probabilities, and whether the top-1 class is the same. */
  readonly maxAbsDiff: number;
  readonly top1Same: boolean;
}

export interface HostBench {
  readonly cpu: string;
  readonly mhz: number;
  /** fp32 multiply-adds per second at the nominal clock: MHz × 10^6 × 2 FMA units × 16 lanes (AVX-512F) or 8 (AVX2). */
  readonly peakMacsPerSecond: number;
  readonly peakBasis: string;
  readonly ort: string;
  readonly flags: string;
  readonly cases: HostCase[];
}

const CASES: readonly { spec: MobilenetV1Spec; dtype: 'float32' | 'int8' }[] = [
  { spec: { alpha: 1.0, resolution: 224 }, dtype: 'float32' },
  { spec: { alpha: 0.25, resolution: 96 }, dtype: 'float32' },
  { spec: { alpha: 0.25, resolution: 96 }, dtype: 'int8' },
];

function cpuInfo(): { cpu: string; mhz: number; avx512: boolean } {
  const text = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? 'unknown CPU';
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)$/m.exec(text)?.[1] ?? Number.NaN);
  const avx512 = /^flags\s*:.*\bavx512f\b/m.test(text);
  return { cpu, mhz, avx512 };
}

function randomInput(n: number, seed: number): Float32Array {
  const rng = new Prng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
}

/** The int8 model's activation ranges, taken in ONNX Runtime on the float twin over a few inputs. */
async function calibrate(spec: MobilenetV1Spec): Promise<Map<string, import('../test/helpers/onnxBuilder.js').QParams>> {
  const m = mobilenetV1Onnx(spec, { kind: 'calibrate' });
  const s = await session(m.bytes);
  const n = m.inputShape.reduce((a, b) => a * b, 1);
  const ranges = new Map<string, [number, number]>();
  for (let k = 0; k < 4; k++) {
    const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', randomInput(n, 900 + k), m.inputShape) });
    for (const p of m.points) {
      if (p === 'in') continue;
      const d = out[p]!.data as Float32Array;
      const r = ranges.get(p) ?? [0, 0];
      for (const v of d) {
        if (v < r[0]) r[0] = v;
        if (v > r[1]) r[1] = v;
      }
      ranges.set(p, r);
    }
  }
  return calibratedParams(ranges);
}

const argmax = (d: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < d.length; i++) if (d[i]! > d[best]!) best = i;
  return best;
};

async function runCase(
  spec: MobilenetV1Spec,
  dtype: 'float32' | 'int8',
  opts: { rounds?: number; flags: readonly string[]; peak: number },
  progress: ReturnType<typeof benchProgress>,
): Promise<HostCase> {
  const model = `mobilenet_v1_${spec.alpha.toFixed(2).replace(/0$/, '')}_${spec.resolution}`;
  const name = `${model}_${dtype === 'float32' ? 'f32' : 'qdq'}`.replace(/\./g, '_');
  progress.step(`${model} ${dtype}: build the ONNX model${dtype === 'int8' ? ' (calibrated in ONNX Runtime)' : ''}`);
  const m = dtype === 'float32' ? mobilenetV1Onnx(spec, { kind: 'float' }) : mobilenetV1Onnx(spec, { kind: 'qdq', params: await calibrate(spec) });
  progress.step(`${model} ${dtype}: import, compile and build the C (host, -O3 ${opts.flags.join(' ')})`);
  const graph = prepareGraph(importOnnx(m.bytes, `${name}.onnx`));
  const project = generateProject(graph, { name, target: host, kernels: 'simd' });
  const { binding } = await buildAndLoad(graph, project, { layerHooks: false, optimize: '-O3', extraFlags: opts.flags });
  const s = await session(m.bytes);
  const input = randomInput(
    m.inputShape.reduce((a, b) => a * b, 1),
    1,
  );
  const feeds = { [s.inputNames[0]!]: new ort.Tensor('float32', input, m.inputShape) };
  const timeMobilec = (): number => {
    const t0 = performance.now();
    binding.invoke(input);
    return performance.now() - t0;
  };
  const timeOrt = async (): Promise<number> => {
    const t0 = performance.now();
    await s.run(feeds);
    return performance.now() - t0;
  };

  progress.step(`${model} ${dtype}: check the outputs agree, warm up`);
  const mine = binding.invoke(input) as Float32Array;
  const theirs = (await s.run(feeds))[s.outputNames[0]!]!.data as Float32Array;
  let maxAbsDiff = 0;
  for (let i = 0; i < theirs.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(mine[i]! - theirs[i]!));
  if (dtype === 'float32' && !(maxAbsDiff <= 1e-4)) throw new Error(`${model} float32: mobilec and ONNX Runtime differ by ${maxAbsDiff}`);
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    warm.push(timeMobilec());
    warm.push(await timeOrt());
  }
  // About 2 s of timed rounds a case: at least 15, at most 500.
  const rounds = opts.rounds ?? Math.max(15, Math.min(500, Math.round(2000 / (2 * median(warm)))));
  progress.step(`${model} ${dtype}: ${rounds} interleaved rounds (mobilec, ONNX Runtime)`);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(timeMobilec());
    b.push(await timeOrt());
  }
  await s.release();
  const mobilecMs = median(a);
  const ortMs = median(b);
  return {
    model,
    dtype,
    macs: m.macs,
    mobilecMs,
    ortMs,
    ratio: mobilecMs / ortMs,
    runs: rounds,
    mobilecPeakShare: m.macs / (mobilecMs / 1e3) / opts.peak,
    ortPeakShare: m.macs / (ortMs / 1e3) / opts.peak,
    maxAbsDiff,
    top1Same: argmax(mine) === argmax(theirs),
  };
}

export async function benchHost(args: readonly string[]): Promise<HostBench> {
  const quick = args.includes('--quick');
  const flags = args.includes('--portable') ? [] : ['-march=native'];
  const { cpu, mhz, avx512 } = cpuInfo();
  const lanes = avx512 ? 16 : 8;
  const peak = mhz * 1e6 * 2 * lanes;
  const peakBasis = `${2 * lanes} fp32 FMA a cycle (${avx512 ? 'AVX-512F' : 'AVX2'}: 2 units x ${lanes} lanes)`;
  const progress = benchProgress();
  const ortVersion = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  const cases: HostCase[] = [];
  for (const c of quick ? CASES.slice(1, 2) : CASES) {
    cases.push(await runCase(c.spec, c.dtype, { rounds: quick ? 5 : undefined, flags, peak }, progress));
  }
  progress.done();
  return { cpu, mhz, peakMacsPerSecond: peak, peakBasis, ort: ortVersion, flags: ['-O3', ...flags].join(' '), cases };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export function formatHostBench(r: HostBench): string {
  const rows = [
    ['model', 'dtype', 'MACs', 'mobilec ms', 'ORT ms', 'mobilec/ORT', 'mobilec peak', 'ORT peak', 'rounds', 'max |diff|', 'top-1'],
    ...r.cases.map((c) => [
      c.model,
      c.dtype,
      c.macs.toLocaleString('en-US'),
      c.mobilecMs.toFixed(3),
      c.ortMs.toFixed(3),
      c.ratio.toFixed(2),
      pct(c.mobilecPeakShare),
      pct(c.ortPeakShare),
      String(c.runs),
      c.maxAbsDiff.toExponential(1),
      c.top1Same ? 'same' : 'differs',
    ]),
  ];
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((row) => row[j]!.length)));
  const table = rows.map((row) => row.map((cell, j) => (j < 2 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join('  '));
  return [
    `bench:host: generated C (host target, gcc ${r.flags}) vs ONNX Runtime ${r.ort} (CPU, 1 thread, all graph optimizations), same ONNX file,`,
    'inference only, interleaved rounds, medians',
    `CPU: ${r.cpu}, ${r.mhz} MHz nominal; peak = ${r.peakBasis} = ${(r.peakMacsPerSecond / 1e9).toFixed(1)} GMAC/s`,
    '',
    ...table,
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const r = await benchHost(args);
  process.stdout.write(args.includes('--json') ? `${JSON.stringify(r, null, 2)}\n` : `${formatHostBench(r)}\n`);
}
