/**
 * The quantization torture zoo (test/helpers/zoo.ts) on every SIMD target:
 * its census holds (every adversarial property present per dtype and op
 * kind), every int8/uint8 conv, depthwise, pointwise, fully connected,
 * average/max pool, add and mean layer runs a SIMD kernel (`generic: false`),
 * and every layer is bit-exact with the reference under emulation on several
 * inputs, the extreme ones (all minimum, all maximum, alternating) included.
 *
 * `npm test` runs a sample (ZOO_SAMPLE models per target, rotating so every
 * model runs on some target); `npm run test:full` (KERNEL_TESTER_FULL=1) runs
 * every model on every target.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { runnerFor } from '../../src/cross/index.js';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import type { Graph, TensorData } from '../../src/model/ir.js';
import { loadModel } from '../../src/pipeline.js';
import { targetByName } from '../../src/targets/index.js';
import { toBytes } from '../../src/util/tensors.js';
import { buildTflite, type ModelSpec } from '../helpers/tfliteBuilder.js';
import { EXAMPLES } from '../helpers/cli.js';
import { layersOnTarget } from '../helpers/graphOnTarget.js';
import { type QDType, shiftedChannels, torturZoo, ZOO_PROPERTIES, zooCensus } from '../helpers/zoo.js';
import { seededInput } from '../tflite/models.js';
import { extremeInputs, hostPlain, hostSanitizer, sanitizerProblems } from '../helpers/sanitize.js';

/** The SIMD targets (issue 12): every one must take every listed layer kind. */
const TARGETS = ['cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'rpi4', 'rpi5', 'rpi-armv7', 'rpi3'] as const;
/** The op kinds that must never run generic C on a SIMD target (softmax, reshape, pad, quantize... are exempt). */
const SIMD_KINDS = new Set(['conv2d', 'depthwise_conv2d', 'fully_connected', 'average_pool2d', 'max_pool2d', 'add', 'mean']);

const full = process.env.KERNEL_TESTER_FULL === '1';
const SAMPLE = Number(process.env.ZOO_SAMPLE ?? 3);

const dir = join(tmpdir(), `mobilec-zoo-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const zoo = torturZoo().map((m) => {
  const path = join(dir, `${m.name}.tflite`);
  writeFileSync(path, buildTflite(m.spec));
  return { ...m, path, graph: loadModel(path) };
});

/** Seeded inputs plus the extremes: all minimum, all maximum, alternating. */
function zooInputs(graph: Graph, dtype: QDType): { seed: number; input: TensorData }[] {
  const t = graph.tensors[graph.inputs[0]!]!;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
  const make = (f: (i: number) => number) =>
    dtype === 'int8' ? Int8Array.from({ length: n }, (_, i) => f(i)) : Uint8Array.from({ length: n }, (_, i) => f(i));
  return [
    { seed: 1, input: seededInput(dtype, n, 1) },
    { seed: 2, input: seededInput(dtype, n, 2) },
    { seed: -1, input: make(() => lo) },
    { seed: -2, input: make(() => hi) },
    { seed: -3, input: make((i) => (i % 2 ? lo : hi)) },
  ];
}

describe('torture zoo: census', () => {
  it('every property per dtype and per weighted op kind, ADD with input scales 2^10 apart, both pools and MEAN', () => {
    const census = zooCensus(zoo);
    const missing: string[] = [];
    for (const dtype of ['int8', 'uint8'] as const) {
      for (const kind of ['conv2d', 'depthwise_conv2d', 'fully_connected']) {
        for (const p of ZOO_PROPERTIES) {
          if (p === 'weightZp' && dtype === 'int8') continue; // int8 weights are symmetric (TFLite's spec)
          if (kind === 'fully_connected' && (p === 'inZpMin' || p === 'inZpMax' || p === 'outZpMin' || p === 'outZpMax')) continue;
          if (!census.get(`${dtype}/${kind}/${p}`)) missing.push(`${dtype}/${kind}/${p}`);
        }
      }
      if (!census.get(`${dtype}/add/scaleRatio`)) missing.push(`${dtype}/add/scaleRatio`);
      for (const kind of ['average_pool2d', 'max_pool2d', 'mean']) {
        for (const p of ['inZpMin', 'inZpMax'] as const) if (!census.get(`${dtype}/${kind}/${p}`)) missing.push(`${dtype}/${kind}/${p}`);
      }
    }
    expect(missing).toEqual([]);
    expect(zoo.length).toBe(8);
    expect(zoo.reduce((a, m) => a + m.graph.ops.length, 0)).toBeGreaterThanOrEqual(100);
  });
});

describe.each(TARGETS)('torture zoo on %s', (name) => {
  const target = targetByName(name);
  const tools = target.emulator.kind === 'system' ? mcuToolsAvailable(target) : true;
  const models = full ? zoo : zoo.filter((_, i) => (i + TARGETS.indexOf(name) * SAMPLE) % zoo.length < SAMPLE);

  it('every listed layer on a SIMD kernel (generic: false)', () => {
    const generic: string[] = [];
    for (const m of zoo) {
      const p = generateProject(m.graph, { name: m.name, target, kernels: 'simd' });
      for (const l of p.layers) {
        if (l.generic && SIMD_KINDS.has(l.op)) generic.push(`${m.name} layer ${l.index} ${l.op}: ${l.kernel}`);
      }
    }
    expect(generic).toEqual([]);
  });

  it.skipIf(!tools && process.env.CI !== 'true')(
    `${full ? 'every model' : `${SAMPLE} models`} bit-exact with the reference on 5 inputs (extremes included)`,
    async () => {
      const divergences: string[] = [];
      for (const m of models) {
        const project = generateProject(m.graph, { name: m.name, target, kernels: 'simd' });
        await tick(); // long synchronous runs would starve vitest's worker RPC
        const report = layersOnTarget(m.graph, project, target, zooInputs(m.graph, m.dtype));
        for (const l of report.layers)
          if (l.mismatches > 0) divergences.push(`${m.name} layer ${l.index} ${l.op}: ${l.mismatches} mismatches, max diff ${l.maxAbsDiff}`);
      }
      expect(divergences).toEqual([]);
    },
  );
});

/**
 * The host on x86-64 (AVX2): not a SIMD target of issue 12 (its pools, add and mean run generic C), but its
 * quantized AVX2 kernels (int8 pointwise / FC `avx2/gemm/s8`, depthwise 3x3 `avx2/dw/s8-3x3`, conv `avx2/conv/s8`) take the zoo's
 * int8 layers of those shapes: every int8 zoo model runs natively (gcc, ASan + UBSan and plain), every layer bit-exact on
 * seeded and extreme inputs.
 */
describe.skipIf(targetByName('host').arch !== 'x86-64')('torture zoo on host (AVX2)', () => {
  const target = targetByName('host');
  it('every int8 conv, FC and 3x3 depthwise (multiplier 1, stride <= 2) on an AVX2 kernel; every int8 model bit-exact', async () => {
    const generic: string[] = [];
    const divergences: string[] = [];
    let avx2 = 0;
    for (const m of zoo) {
      const project = generateProject(m.graph, { name: m.name, target, kernels: 'simd' });
      for (const l of project.layers) {
        const op = m.graph.ops[l.index]!;
        const w = op.inputs[1] !== undefined ? m.graph.tensors[op.inputs[1]]! : undefined;
        const int8 = m.graph.tensors[op.inputs[0]!]!.dtype === 'int8';
        const gemm = op.kind === 'fully_connected' || (op.kind === 'conv2d' && w?.shape[1] === 1 && w?.shape[2] === 1 && op.strideH === 1 && op.strideW === 1);
        const dw3 = op.kind === 'depthwise_conv2d' && w?.shape[1] === 3 && w?.shape[2] === 3 && op.depthMultiplier === 1 && op.strideH <= 2 && op.strideW <= 2;
        if (int8 && (gemm || dw3 || op.kind === 'conv2d')) {
          if (l.variantKey?.startsWith('avx2/')) avx2++;
          else generic.push(`${m.name} layer ${l.index} ${l.op}: ${l.kernel}`);
        }
      }
      if (m.dtype !== 'int8') continue;
      // Built by gcc under ASan + UBSan and without: no finding, both builds' outputs equal, every layer equal to the
      // reference on seeded and extreme inputs.
      divergences.push(...(await sanitizerProblems(m.graph, target, hostSanitizer('gcc'), hostPlain('gcc'), extremeInputs(m.graph, 2))));
    }
    expect(generic).toEqual([]);
    expect(avx2).toBeGreaterThan(10);
    expect(divergences).toEqual([]);
  });
});

/**
 * The per-target table of the closing note (`npm run bench:zoo`): per target,
 * the zoo's layers, generic layers among the listed kinds, MACs and executed
 * instructions of one invoke, instructions per MAC.
 */
describe.skipIf(process.env.ZOO_TABLE !== '1')('torture zoo: per-target table', () => {
  it('prints layers, generic count, instructions per MAC', async () => {
    const rows: string[][] = [['target', 'models', 'layers', 'generic', 'MACs', 'instructions', 'per MAC']];
    for (const name of TARGETS) {
      const target = targetByName(name);
      let layers = 0;
      let generic = 0;
      let macs = 0;
      let instructions = 0;
      for (const m of zoo) {
        const project = generateProject(m.graph, { name: m.name, target, kernels: 'simd' });
        layers += project.layers.length;
        generic += project.layers.filter((l) => l.generic && SIMD_KINDS.has(l.op)).length;
        macs += project.layers.reduce((a, l) => a + l.macs, 0);
        const input = toBytes(zooInputs(m.graph, m.dtype)[0]!.input);
        await tick(); // long synchronous runs would starve vitest's worker RPC
        const { results } = runnerFor(target).run(project, target, [input], { layers: false, countInstructions: true });
        instructions += results[0]!.instructions!;
      }
      rows.push([name, String(zoo.length), String(layers), String(generic), String(macs), String(instructions), (instructions / macs).toFixed(3)]);
    }
    print(rows);
    expect(rows).toHaveLength(TARGETS.length + 1);
  });

  it('held-out-like models: the 0.25/96x96x3 int8 example with shift-0 / left-shift channels in every 3rd pointwise layer', async () => {
    const base = loadModel(join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'));
    const variants = [
      ['as trained', base],
      ['1/8 of channels', loadSpec('ho_8', shiftedChannels(base, 3, 1 / 8))],
      ['all channels', loadSpec('ho_all', shiftedChannels(base, 3, 1))],
    ] as const;
    const rows: string[][] = [['target', ...variants.map(([n]) => n), 'ratio (worst / as trained)']];
    for (const name of TARGETS) {
      const target = targetByName(name);
      const counts: number[] = [];
      for (const [, g] of variants) {
        const project = generateProject(g, { name: 'ho', target, kernels: 'simd' });
        const input = toBytes(zooInputs(g, 'int8')[0]!.input);
        await tick();
        counts.push(runnerFor(target).run(project, target, [input], { layers: false, countInstructions: true }).results[0]!.instructions!);
      }
      rows.push([name, ...counts.map(String), (Math.max(...counts) / counts[0]!).toFixed(3)]);
    }
    print(rows);
    expect(rows).toHaveLength(TARGETS.length + 1);
  });
});

const tick = () => new Promise((resolve) => setImmediate(resolve));

function loadSpec(name: string, spec: ModelSpec): Graph {
  const path = join(dir, `${name}.tflite`);
  writeFileSync(path, buildTflite(spec));
  return loadModel(path);
}

function print(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(rows.map((r) => r.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n'));
}
