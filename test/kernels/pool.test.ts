/**
 * Issue 12: every int8 / uint8 average pool, max pool and MEAN runs a SIMD
 * kernel on a SIMD target, whatever its clamp, zero point or scales. On one
 * target per kernel ISA (dsp, mve, neon, neon32), each registered pool / mean variant is forced
 * (`tuning.only`) onto random quantized cases of its family (odd channel
 * counts, SAME / VALID padding, global pools past 256 taps, relu / relu6 /
 * relu_n1_to_1 clamps at extreme zero points; MEAN over every path with equal
 * and far-apart scales, keep_dims true and false), and onto fixed edge cases;
 * every quantized candidate must be taken (no value-dependent decline) and
 * equal the reference bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { isaKernelsFor } from '../../src/codegen/isa/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import type { Activation, Graph, Op } from '../../src/model/ir.js';
import type { Target } from '../../src/targets/index.js';
import { requantize, validateGraph } from '../../src/passes/index.js';
import { kernelCase } from '../helpers/kernelCases.js';
import { describeFailures, KernelTester } from '../helpers/kernelTester.js';
import { runnable, SEED, SIMD_TARGETS, FULL } from './config.js';

type PoolFamily = 'avgpool' | 'maxpool' | 'mean';
const OPS: Readonly<Record<string, PoolFamily>> = { average_pool2d: 'avgpool', max_pool2d: 'maxpool', mean: 'mean' };
/** Random quantized cases per pool variant (int8 and uint8 alternating); MEAN has three paths to cover. */
const CASES = FULL ? 40 : 10;
const MEAN_CASES = FULL ? 60 : 24;
/** The extremes-only input of each case: mixed, all at the dtype's minimum, all at its maximum (the largest sums). */
const EXTREMES = [0.5, 0, 1] as const;

/** One pool layer [1, h, w, c] → window k, stride s, with the given quantization and activation. */
function poolGraph(
  name: string,
  kind: 'average_pool2d' | 'max_pool2d',
  dtype: 'int8' | 'uint8',
  geo: { h: number; w: number; c: number; k: number; s: number; padding: 'same' | 'valid' },
  zp: number,
  scale: number,
  act: Activation,
): Graph {
  const q = { scale: [scale], zeroPoint: [zp], axis: 0 };
  const oh = geo.padding === 'same' ? Math.ceil(geo.h / geo.s) : Math.floor((geo.h - geo.k) / geo.s) + 1;
  const ow = geo.padding === 'same' ? Math.ceil(geo.w / geo.s) : Math.floor((geo.w - geo.k) / geo.s) + 1;
  const tensors = [
    { id: 0, name: 'x', shape: [1, geo.h, geo.w, geo.c], dtype, quant: q },
    { id: 1, name: 'y', shape: [1, oh, ow, geo.c], dtype, quant: q },
  ];
  const op: Op = {
    kind,
    name: `${name}_op`,
    inputs: [0],
    outputs: [1],
    filterH: geo.k,
    filterW: geo.k,
    strideH: geo.s,
    strideW: geo.s,
    padding: geo.padding,
    activation: act,
  };
  return validateGraph(requantize(validateGraph({ name, tensors, ops: [op], inputs: [0], outputs: [1] }, 'internal')), 'internal');
}

/** Fixed edge cases: MobileNet global pools with odd channels and relu6 at extreme zero points, clamps that pin the output. */
function fixedCases(family: 'avgpool' | 'maxpool'): { dtype: 'int8' | 'uint8'; build: (name: string) => Graph }[] {
  const kind = family === 'avgpool' ? 'average_pool2d' : 'max_pool2d';
  return [
    { dtype: 'int8', build: (n) => poolGraph(n, kind, 'int8', { h: 7, w: 7, c: 33, k: 7, s: 1, padding: 'valid' }, -128, 0.02, 'relu6') },
    { dtype: 'int8', build: (n) => poolGraph(n, kind, 'int8', { h: 6, w: 6, c: 17, k: 6, s: 1, padding: 'valid' }, 127, 0.05, 'relu') },
    { dtype: 'uint8', build: (n) => poolGraph(n, kind, 'uint8', { h: 3, w: 3, c: 7, k: 3, s: 2, padding: 'valid' }, 255, 0.01, 'relu6') },
    { dtype: 'uint8', build: (n) => poolGraph(n, kind, 'uint8', { h: 5, w: 6, c: 19, k: 3, s: 2, padding: 'same' }, 3, 0.1, 'relu_n1_to_1') },
    { dtype: 'int8', build: (n) => poolGraph(n, kind, 'int8', { h: 4, w: 5, c: 3, k: 2, s: 1, padding: 'same' }, -77, 0.03, 'relu_n1_to_1') },
    // relu6 whose 6.0 lies past the top of the range (hi = 127), and relu's 0 at the range's top (lo = hi = 127)
    { dtype: 'int8', build: (n) => poolGraph(n, kind, 'int8', { h: 8, w: 8, c: 20, k: 3, s: 3, padding: 'same' }, 101, 0.1, 'relu6') },
    // global pools of 256 taps (one 16-bit chunk, full) and 289 (two chunks)
    { dtype: 'uint8', build: (n) => poolGraph(n, kind, 'uint8', { h: 16, w: 16, c: 21, k: 16, s: 1, padding: 'valid' }, 0, 0.02, 'none') },
    { dtype: 'int8', build: (n) => poolGraph(n, kind, 'int8', { h: 17, w: 17, c: 5, k: 17, s: 1, padding: 'valid' }, -128, 0.02, 'none') },
    { dtype: 'uint8', build: (n) => poolGraph(n, kind, 'uint8', { h: 17, w: 17, c: 18, k: 17, s: 1, padding: 'valid' }, 200, 0.02, 'relu') },
  ];
}

/** The kernel-name ISA of a target's SIMD kernels (a NEON provider lists the aarch64 and the armv7 variants). */
const ISA_OF_ARCH: Readonly<Record<string, string>> = { aarch64: 'neon', 'armv7-a': 'neon32', 'armv7e-m': 'dsp', 'armv8-m.main': 'dsp', 'armv8.1-m': 'mve' };

const poolVariantsOf = (t: Target) => isaKernelsFor(t)!.variants.filter((v) => v.isa === ISA_OF_ARCH[t.arch] && v.ops.some((k) => k in OPS));
/** One target per kernel ISA (cortex-m7 runs cortex-m4's DSP code, rpi5 rpi4's NEON pool code). */
const seen = new Set<string>();
const targets = runnable(
  SIMD_TARGETS.filter((t) => {
    const isa = ISA_OF_ARCH[t.arch];
    if (isa === undefined || seen.has(isa) || poolVariantsOf(t).length === 0) return false;
    seen.add(isa);
    return true;
  }),
);

describe('SIMD pools and MEAN take every quantized layer (issue 12)', () => {
  it.each(targets.map((t) => [t.name, t] as const))(
    '%s: each pool / mean variant takes every int8 and uint8 case and equals the reference',
    async (name, target) => {
      const tester = new KernelTester(target, `kp_${name.replace(/-/g, '_')}_`);
      const variants = poolVariantsOf(target);
      const declined: string[] = [];
      for (const [vi, v] of variants.entries()) {
        const family = OPS[v.ops[0]!]!;
        for (let i = 0; i < (family === 'mean' ? MEAN_CASES : CASES); i++) {
          const dtype = i % 2 === 0 ? 'int8' : 'uint8';
          const seed = SEED + 500_000 + 1000 * vi + i;
          if (!tester.addIfSelected({ family, dtype, seed, variant: v, extremesMax: EXTREMES[i % 3] }))
            declined.push(`${v.key} ${dtype} seed ${seed}: ${JSON.stringify(kernelCase('c', family, dtype, seed).spec.geometry)}`);
        }
        if (family === 'mean') continue;
        for (const [i, f] of fixedCases(family).entries()) {
          const seed = SEED + 600_000 + 1000 * vi + i;
          const graph = f.build(`kpf_${name.replace(/-/g, '_')}_${vi}_${i}`);
          if (!tester.addIfSelected({ family, dtype: f.dtype, seed, variant: v, graph, extremesMax: EXTREMES[i % 3] }))
            declined.push(`${v.key} fixed case ${i}`);
        }
      }
      expect(declined, 'quantized layers a pool / mean variant declined').toEqual([]);
      const run = await tester.run();
      const byVariant = new Map<string, number>();
      for (const r of run.results) byVariant.set(r.variant ?? 'none', (byVariant.get(r.variant ?? 'none') ?? 0) + 1);
      console.log(
        `pools on ${name}: ${run.results.length} cases in ${run.builds} build(s) (${run.cached} cached), ${(run.ms / 1000).toFixed(1)} s; ` +
          `${run.results.filter((r) => r.mismatches === 0).length} equal the reference; ${[...byVariant].map(([k, n]) => `${k} ${n}`).join(', ')}`,
      );
      expect(describeFailures(run.results)).toEqual([]);
      expect(run.results.every((r) => r.simd)).toBe(true);
      // MEAN ran each of TFLite's paths (kernel flags: none for direct, avg, fscale) in both dtypes.
      const paths = new Set(
        run.results
          .filter((r) => r.spec.family === 'mean')
          .map((r) => `${r.spec.dtype} ${Object.keys(parseKernelName(r.kernel).flags ?? {}).join('') || 'direct'}`),
      );
      expect([...paths].sort()).toEqual(['int8 avg', 'int8 direct', 'int8 fscale', 'uint8 avg', 'uint8 direct', 'uint8 fscale']);
      expect(run.results).toHaveLength(tester.size);
    },
    FULL ? 3_600_000 : 900_000,
  );
});
