/**
 * The SIMD MUL kernels (dsp/mul/any, mve/mul/any, neon/mul/any, neon32/mul/any) bit-exact under QEMU:
 * one graph per dtype holds every broadcast form (equal shapes with a constant and with two activations,
 * a per-channel vector, a scalar, the broadcast operand as input 0) with left, zero and right shifts,
 * a clamp narrower than the dtype, extreme zero points and constants at the dtype's ends; a
 * CONCATENATION joins them. Inputs include the dtype's ends. Every MUL layer must run the target's SIMD kernel.
 * The SIMD ADD kernels' broadcast forms (flag bc) likewise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import type { KernelTuning } from '../../src/codegen/types.js';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import type { DType, Graph, Quantization, Tensor, TensorData } from '../../src/model/ir.js';
import { requantize } from '../../src/passes/requantize.js';
import { validateGraph } from '../../src/passes/validate.js';
import { targetByName } from '../../src/targets/index.js';
import { Prng } from '../../src/util/prng.js';
import { layersOnTarget } from '../helpers/graphOnTarget.js';
import { describeFailures, KernelTester } from '../helpers/kernelTester.js';

const q = (scale: number, zeroPoint: number): Quantization => ({ scale: [Math.fround(scale)], zeroPoint: [zeroPoint], axis: 0 });

/** The graph of one dtype: x [1, 3, 3, 19] (19: tails of 4 and 8). */
function mulForms(dtype: 'int8' | 'uint8'): Graph {
  const lo = dtype === 'int8' ? -128 : 0;
  const hi = lo + 255;
  const C = 19;
  const tensors: Tensor[] = [];
  const t = (name: string, shape: number[], quant: Quantization, data?: TensorData) => {
    const id = tensors.length;
    tensors.push({ id, name, shape, dtype: dtype as DType, quant, ...(data && { data }) });
    return id;
  };
  const rng = new Prng(dtype === 'int8' ? 3 : 4);
  const consts = (n: number) => {
    const a = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? lo : i % 7 === 1 ? hi : rng.int(lo, hi)));
    return dtype === 'int8' ? Int8Array.from(a) : Uint8Array.from(a);
  };
  const full = [1, 3, 3, C];
  const x = t('x', full, q(0.5, lo)); // extreme zero point: x − zp in [0, 255]
  const ops: Graph['ops'][number][] = [];
  const mul = (name: string, a: number, b: number, shape: number[], out: Quantization, activation: 'none' | 'relu6' = 'none') => {
    const y = t(name, shape, out);
    ops.push({ kind: 'mul', name, inputs: [a, b], outputs: [y], activation });
    return y;
  };
  // real multiplier 0.5 · 0.5 / 0.01 = 25: a left shift of 5
  const m1 = mul('same_left', x, t('c_same', full, q(0.5, hi), consts(9 * C)), full, q(0.01, lo + 3));
  // 0.5 · 0.02 / 0.7: right shift, relu6 (6 / 0.7 ≈ 8.6 above the zero point: a clamp narrower than the dtype)
  const m2 = mul('channel_right', x, t('c_chan', [1, 1, 1, C], q(0.02, lo + 77), consts(C)), full, q(0.7, lo + 100), 'relu6');
  // a 0-d scalar, real multiplier 0.5 · 0.004 / 0.002 = 1 (shift 1)
  const m3 = mul('scalar', x, t('c_scalar', [], q(0.004, hi - 5), consts(1)), full, q(0.002, lo + 128));
  // the broadcast operand as input 0: the mean of x (keep_dims) times a full constant
  const pooled = t('pooled', [1, 1, 1, C], q(0.25, lo + 9));
  ops.push({ kind: 'mean', name: 'pooled', inputs: [x], outputs: [pooled], keepDims: true, axes: [1, 2] });
  const m4 = mul('swapped', pooled, t('c_full', full, q(0.03, lo + 200), consts(9 * C)), full, q(0.05, lo + 50));
  // two activations of one shape, a real multiplier near 0.5 · 0.002 / 0.3
  const m5 = mul('two_acts', m2, m3, full, q(0.3, hi - 10));
  const y = t('y', [1, 3, 3, 5 * C], q(0.08, lo + 128));
  ops.push({ kind: 'concatenation', name: 'concat', inputs: [m1, m2, m3, m4, m5], outputs: [y], axis: -1 });
  return validateGraph(requantize(validateGraph({ name: `mulforms_${dtype}`, tensors, ops, inputs: [x], outputs: [y] })), 'internal');
}

/**
 * ADD's broadcast forms in one graph of one dtype: a per-channel vector (a relu6 clamp narrower than the
 * dtype), a 0-d scalar, a [1] scalar with the input scale far below the constant's (a zero-shift stage),
 * the broadcast operand as input 0 (the mean of x plus a full constant), and an equal-shape add.
 */
function addForms(dtype: 'int8' | 'uint8'): Graph {
  const lo = dtype === 'int8' ? -128 : 0;
  const hi = lo + 255;
  const C = 19;
  const tensors: Tensor[] = [];
  const t = (name: string, shape: number[], quant: Quantization, data?: TensorData) => {
    const id = tensors.length;
    tensors.push({ id, name, shape, dtype: dtype as DType, quant, ...(data && { data }) });
    return id;
  };
  const rng = new Prng(dtype === 'int8' ? 5 : 6);
  const consts = (n: number) => {
    const a = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? lo : i % 7 === 1 ? hi : rng.int(lo, hi)));
    return dtype === 'int8' ? Int8Array.from(a) : Uint8Array.from(a);
  };
  const full = [1, 3, 3, C];
  const x = t('x', full, q(0.05, hi));
  const ops: Graph['ops'][number][] = [];
  const add = (name: string, a: number, b: number, out: Quantization, activation: 'none' | 'relu6' = 'none') => {
    const y = t(name, full, out);
    ops.push({ kind: 'add', name, inputs: [a, b], outputs: [y], activation });
    return y;
  };
  const a1 = add('channel', x, t('c_chan', [1, 1, 1, C], q(0.03, lo + 40), consts(C)), q(0.06, lo + 20), 'relu6');
  const a2 = add('scalar0d', x, t('c_s0', [], q(0.02, lo), consts(1)), q(0.1, hi - 30));
  const a3 = add('scalar1', x, t('c_s1', [1], q(0.8, lo + 128), consts(1)), q(0.9, lo + 3));
  const pooled = t('pooled', [1, 1, 1, C], q(0.04, lo + 9));
  ops.push({ kind: 'mean', name: 'pooled', inputs: [x], outputs: [pooled], keepDims: true, axes: [1, 2] });
  const a4 = add('swapped', pooled, t('c_full', full, q(0.07, lo + 200), consts(9 * C)), q(0.15, lo + 50));
  const a5 = add('same', a1, a2, q(0.2, lo + 100));
  const y = t('y', [1, 3, 3, 5 * C], q(0.1, lo + 128));
  ops.push({ kind: 'concatenation', name: 'concat', inputs: [a1, a2, a3, a4, a5], outputs: [y], axis: -1 });
  return validateGraph(requantize(validateGraph({ name: `addforms_${dtype}`, tensors, ops, inputs: [x], outputs: [y] })), 'internal');
}

/** Inputs: the dtype's ends, its zero point neighbourhood, and random values. */
function inputs(dtype: 'int8' | 'uint8'): { seed: number; input: TensorData }[] {
  const lo = dtype === 'int8' ? -128 : 0;
  const rng = new Prng(8);
  const n = 3 * 3 * 19;
  const ends = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? lo : i % 3 === 1 ? lo + 255 : lo + (i % 5)));
  const random = Array.from({ length: n }, () => rng.int(lo, lo + 255));
  const arr = (a: number[]) => (dtype === 'int8' ? Int8Array.from(a) : Uint8Array.from(a));
  return [
    { seed: 1, input: arr(ends) },
    { seed: 2, input: arr(random) },
  ];
}

const CASES: [string, string, KernelTuning][] = [
  ['cortex-m4', 'dsp', {}],
  ['cortex-m4', 'dsp', { switches: { 'dsp.smmlar': false } }],
  ['cortex-m55', 'mve', {}],
  ['rpi4', 'neon', {}],
  ['rpi-armv7', 'neon32', {}],
];

const available = (name: string) => {
  const target = targetByName(name);
  return target.emulator.kind === 'user' ? missingLinuxTools(target).length === 0 : mcuToolsAvailable(target);
};

describe.each(CASES)('%s (%s) SIMD MUL kernels', (name, isa, tuning) => {
  it.skipIf(!available(name) && process.env.CI !== 'true').each(['int8', 'uint8'] as const)(
    '%s: every broadcast form bit-exact on every layer',
    (dtype) => {
      const g = mulForms(dtype);
      const target = targetByName(name);
      const project = generateProject(g, { name: g.name, target, kernels: 'simd', tuning });
      const mulKernels = g.ops.flatMap((op, i) => (op.kind === 'mul' ? [project.layers[i]!.kernel] : []));
      expect(mulKernels.map((k) => parseKernelName(k).isa)).toEqual(mulKernels.map(() => isa));
      expect(mulKernels.map((k) => parseKernelName(k).flags?.bc === true)).toEqual([false, true, true, true, false]);
      const report = layersOnTarget(g, project, target, inputs(dtype));
      expect(report.layers.filter((l) => l.mismatches > 0).map((l) => `${l.index} ${l.op} ${project.layers[l.index]!.kernel}`)).toEqual([]);
      expect(report.layers.length).toBe(g.ops.length);
    },
    240_000,
  );

  it.skipIf(!available(name) && process.env.CI !== 'true').each(['int8', 'uint8'] as const)(
    '%s: ADD broadcast forms bit-exact on the SIMD ADD kernel',
    (dtype) => {
      const g = addForms(dtype);
      const target = targetByName(name);
      const project = generateProject(g, { name: g.name, target, kernels: 'simd', tuning });
      const addKernels = g.ops.flatMap((op, i) => (op.kind === 'add' ? [project.layers[i]!.kernel] : []));
      expect(addKernels.map((k) => parseKernelName(k).isa)).toEqual(addKernels.map(() => isa));
      expect(addKernels.map((k) => parseKernelName(k).flags?.bc === true)).toEqual([true, true, true, true, false]);
      const report = layersOnTarget(g, project, target, inputs(dtype));
      expect(report.layers.filter((l) => l.mismatches > 0).map((l) => `${l.index} ${l.op} ${project.layers[l.index]!.kernel}`)).toEqual([]);
      expect(report.layers.length).toBe(g.ops.length);
    },
    240_000,
  );
});

/** Random MUL cases of the kernel tester (test/helpers/kernelCases.ts `mul`: every form, real multipliers 2^-31 .. 2^14, extreme zero points). */
describe.each([
  ['cortex-m4', 'dsp'],
  ['cortex-m55', 'mve'],
  ['rpi4', 'neon'],
])('%s (%s) random MUL cases', (name, isa) => {
  it.skipIf(!available(name) && process.env.CI !== 'true')(
    '24 int8/uint8 cases equal the reference, all on the SIMD kernel',
    async () => {
      const tester = new KernelTester(targetByName(name), `mulk_${name.replace(/-/g, '_')}_`);
      const kernels = Array.from({ length: 24 }, (_, i) => tester.add({ family: 'mul', dtype: i % 2 === 0 ? 'int8' : 'uint8', seed: 91_000 + i }).kernel);
      const run = await tester.run();
      expect(describeFailures(run.results)).toEqual([]);
      expect(run.results).toHaveLength(24);
      expect(kernels.filter((k) => parseKernelName(k).isa !== isa)).toEqual([]);
      // every form and both shift directions occur
      expect(new Set(run.results.map((r) => (r.spec.geometry as { form: string }).form)).size).toBe(5);
      expect(kernels.some((k) => parseKernelName(k).flags?.ls === true)).toBe(true);
    },
    240_000,
  );
});

/** float32: MUL by a per-channel vector (relu6), ADD of a scalar, MUL of two activations, joined by CONCATENATION. */
function floatForms(): Graph {
  const C = 19;
  const full = [1, 3, 3, C];
  const tensors: Tensor[] = [];
  const t = (name: string, shape: number[], data?: Float32Array) => {
    const id = tensors.length;
    tensors.push({ id, name, shape, dtype: 'float32', ...(data && { data }) });
    return id;
  };
  const x = t('x', full);
  const m = t('m', full);
  const a = t('a', full);
  const p = t('p', full);
  const y = t('y', [1, 3, 3, 3 * C]);
  const ops: Graph['ops'][number][] = [
    {
      kind: 'mul',
      name: 'm',
      inputs: [
        x,
        t(
          'c',
          [C],
          Float32Array.from({ length: C }, (_, i) => i - 9),
        ),
      ],
      outputs: [m],
      activation: 'relu6',
    },
    { kind: 'add', name: 'a', inputs: [x, t('s', [], Float32Array.of(3))], outputs: [a], activation: 'none' },
    { kind: 'mul', name: 'p', inputs: [m, a], outputs: [p], activation: 'none' },
    { kind: 'concatenation', name: 'concat', inputs: [m, a, p], outputs: [y], axis: 3 },
  ];
  return validateGraph({ name: 'floatforms', tensors, ops, inputs: [x], outputs: [y] });
}

describe('MUL, broadcast ADD and CONCATENATION kernels compile warning-free (-std=c99 -Wall -Wextra -Werror -pedantic)', () => {
  const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];
  const work = mkdtempSync(join(tmpdir(), 'mobilec-mulwarn-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const names = ['cortex-m4', 'cortex-m55', 'rpi4', 'rpi-armv7', 'host'];
  const hasCc = (name: string) => spawnSync(targetByName(name).cc, ['--version']).status === 0;
  it.skipIf(!names.every(hasCc) && process.env.CI !== 'true').each(names)('%s', (name) => {
    const target = targetByName(name);
    for (const g of [mulForms('int8'), mulForms('uint8'), addForms('int8'), addForms('uint8'), floatForms()]) {
      for (const kernels of ['simd', 'generic'] as const) {
        const project = generateProject(g, { name: g.name, target, kernels });
        const dir = mkdtempSync(join(work, `${name}-${kernels}-`));
        for (const [f, c] of project.files) writeFileSync(join(dir, f), c);
        const files = [`${g.name}.c`, ...[...project.files.keys()].filter((f) => f === `${g.name}_weights.S`)];
        const r = spawnSync(target.cc, [...target.cflags, ...STRICT, '-I', '.', '-c', ...files], { cwd: dir, encoding: 'utf8' });
        expect(r.stderr, `${name} ${g.name} ${kernels}`).toBe('');
        expect(r.status).toBe(0);
      }
    }
  });
});
