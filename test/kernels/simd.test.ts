/**
 * The kernel tester on each cross target with a SIMD provider, with the
 * provider choosing as it does for users (no `tuning.only`): single-op
 * cases of every family (random geometries, edge-case quantization, in-place
 * streaming), many per build, run under QEMU; int8/uint8 must equal the
 * reference bit for bit, float32 stay within FLOAT_TOLERANCE (1e-4 relative
 * to the largest reference magnitude). Families the provider accelerates
 * must have run SIMD kernels in some case (read from the kernel names).
 */
import { describe, expect, it } from 'vitest';
import { FLOAT_TOLERANCE } from '../../src/verify/compare.js';
import { FAMILIES, type Family } from '../helpers/kernelCases.js';
import { describeFailures, KernelTester, type CaseResult } from '../helpers/kernelTester.js';
import { CASES_PER_FAMILY, dtypeOf, FULL, NATIVE_SIMD_TARGETS, profileOf, runnable, SEED, SIMD_TARGETS } from './config.js';

/**
 * Families each target's provider runs as SIMD today (on some of the
 * generated cases). NEON: every family (softmax: aarch64 only);
 * DSP and Helium: the weighted ops, add, the pools, MEAN, MUL and the quantized unary ops (table lookup);
 * the host on x86-64 (AVX2): float32 and int8 conv, pointwise, FC and depthwise 3x3 (uint8: generic C), float32 → 8-bit quantize.
 */
const SIMD_FAMILIES: Readonly<Record<string, readonly Family[]>> = {
  rpi3: ['conv', 'pointwise', 'depthwise', 'fc', 'avgpool', 'maxpool', 'softmax', 'add', 'mean', 'unary', 'mul'],
  rpi4: ['conv', 'pointwise', 'depthwise', 'fc', 'avgpool', 'maxpool', 'softmax', 'add', 'mean', 'unary', 'mul'],
  rpi5: ['conv', 'pointwise', 'depthwise', 'fc', 'avgpool', 'maxpool', 'softmax', 'add', 'mean', 'unary', 'mul'],
  'rpi-armv7': ['conv', 'pointwise', 'depthwise', 'fc', 'avgpool', 'maxpool', 'add', 'mean', 'unary', 'mul'],
  'cortex-m4': ['conv', 'pointwise', 'depthwise', 'fc', 'avgpool', 'maxpool', 'add', 'mean', 'unary', 'mul'],
  'cortex-m7': ['conv', 'pointwise', 'depthwise', 'fc', 'avgpool', 'maxpool', 'add', 'mean', 'unary', 'mul'],
  'cortex-m33': ['conv', 'pointwise', 'depthwise', 'fc', 'avgpool', 'maxpool', 'add', 'mean', 'unary', 'mul'],
  'cortex-m55': ['conv', 'pointwise', 'depthwise', 'fc', 'avgpool', 'maxpool', 'add', 'mean', 'unary', 'mul'],
  // x86-64 AVX2: the float32 and int8 cases of these families (natively; the sample's depthwise cases are not all 3x3)
  host: ['conv', 'pointwise', 'fc', 'quantize'],
};

function summary(results: readonly CaseResult[]): string {
  return FAMILIES.filter((f) => results.some((r) => r.spec.family === f))
    .map((f) => {
      const rs = results.filter((r) => r.spec.family === f);
      const simd = rs.filter((r) => r.simd);
      return `${f} ${simd.length}/${rs.length} simd (${new Set(simd.map((r) => r.kernel)).size} kernels)`;
    })
    .join(', ');
}

/** The sample: every family in one build per target. The full sweep: one build (or more) per family. */
const GROUPS: readonly (readonly Family[])[] = FULL ? FAMILIES.map((f) => [f]) : [FAMILIES];

const targets = runnable([...SIMD_TARGETS, ...NATIVE_SIMD_TARGETS]);

describe.skipIf(targets.length === 0).each(targets.map((t) => [t.name, t] as const))('kernel tester on %s (provider’s choice)', (name, target) => {
  it.each(GROUPS.map((g) => [g.join('+'), g] as const))(
    '%s: every case equals the reference, the SIMD families ran SIMD kernels',
    async (_label, families) => {
      const tester = new KernelTester(target, `kt_${name.replace(/-/g, '_')}_`);
      for (const family of families) {
        const base = SEED + 1000 * FAMILIES.indexOf(family);
        for (let i = 0; i < CASES_PER_FAMILY; i++) tester.add({ family, dtype: dtypeOf(i), profile: profileOf(i), seed: base + i });
      }
      const run = await tester.run();
      console.log(
        `kernel tester ${name} [${families.join(' ')}]: ${run.results.length} cases in ${run.builds} build(s) (${run.cached} cached), ${(run.ms / 1000).toFixed(1)} s; ` +
          `${run.results.filter((r) => r.mismatches === 0).length} equal the reference (float32 within ${FLOAT_TOLERANCE} relative); ${summary(run.results)}`,
      );
      expect(describeFailures(run.results)).toEqual([]);
      expect(run.results).toHaveLength(tester.size);
      const accelerated = SIMD_FAMILIES[name];
      expect(accelerated, `${name}: list the families its provider accelerates in SIMD_FAMILIES`).toBeDefined();
      const expected = accelerated!.filter((f) => families.includes(f));
      const ranSimd = expected.filter((f) => run.results.some((r) => r.spec.family === f && r.simd));
      expect(ranSimd).toEqual(expected);
    },
    FULL ? 3_600_000 : 600_000,
  );
});
