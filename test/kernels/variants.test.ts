/**
 * Every registered SIMD variant (`allSimdVariants()`) through the kernel
 * tester: each case is forced onto one variant with `tuning.only`, and kept
 * only when that variant took it (the layer's kernel, read with
 * parseKernelName, is of the variant's ISA). Per variant and family it
 * serves, random candidates (dtypes int8/uint8/float32, plain and edge
 * quantization) are tried until CASES_PER_VARIANT are taken; the declined
 * candidates are counted and reported (value-dependent refusals until issue
 * 12 removes them), not failures. The taken cases of all variants of a
 * target run in one build per family, against the reference.
 *
 * A registered key no case selected fails the test: so does a variant that
 * never accepts a generated case, or that no tested target's provider lists.
 */
import { describe, expect, it } from 'vitest';
import { allSimdVariants, isaKernelsFor } from '../../src/codegen/isa/index.js';
import type { SimdVariant } from '../../src/codegen/types.js';
import type { Target } from '../../src/targets/index.js';
import { FAMILIES, FAMILY_OPS, type Family } from '../helpers/kernelCases.js';
import { describeFailures, KernelTester, variantCoverage, type CaseResult } from '../helpers/kernelTester.js';
import { CANDIDATES_PER_VARIANT, CASES_PER_VARIANT, dtypeOf, FULL, NATIVE_SIMD_TARGETS, profileOf, runnable, SEED, SIMD_TARGETS } from './config.js';

const registered = allSimdVariants();

/** One target per (provider, architecture): a variant's code differs by both, not by the board. The host's AVX2 variants run natively. */
function testedTargets(): Target[] {
  const seen = new Set<string>();
  return [...SIMD_TARGETS, ...NATIVE_SIMD_TARGETS].filter((t) => {
    const p = isaKernelsFor(t);
    const k = `${p?.isa}/${t.arch}`;
    if (!p || p.variants.length === 0 || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const familiesOf = (v: SimdVariant<any, any>): Family[] => FAMILIES.filter((f) => FAMILY_OPS[f].some((k) => v.ops.includes(k)));

const results: CaseResult[] = [];
/** Declined candidates by variant key, then family. */
const declined = new Map<string, Map<Family, number>>();
const targets = runnable(testedTargets());

/**
 * The setting each declared tuning switch (`IsaKernels.switches`) is also
 * tested at, besides its default; a declared switch missing here fails.
 */
const SWITCH_SETTINGS: Readonly<Record<string, boolean | number>> = {
  'dsp.smmlar': false,
  'dsp.px3': false,
  'dsp.dwcb': 4,
  'mve.pointwiseBlock': 3,
  'mve.pointwiseBlockNarrow': 5,
  'mve.convBlock': 1,
};

/** The sample: all of a target's variant cases in one build. The full sweep: one build (or more) per family. */
const GROUPS: readonly (readonly Family[])[] = FULL ? FAMILIES.map((f) => [f]) : [FAMILIES];

describe('registered SIMD variants', () => {
  it.each(targets.flatMap((t) => GROUPS.map((g) => [t.name, g.join('+'), t, g] as const)))(
    '%s %s: the cases each variant took equal the reference',
    async (name, _label, target, families) => {
      const variants = isaKernelsFor(target)!.variants;
      const tester = new KernelTester(target, `kv_${name.replace(/-/g, '_')}_${families.length === 1 ? `${families[0]}_` : ''}`);
      const provider = isaKernelsFor(target)!;
      // Default tuning first, then each declared switch at its test setting (the cases each setting gives the variant).
      const settings: (Record<string, boolean | number> | undefined)[] = [
        undefined,
        ...Object.keys(provider.switches ?? {})
          .filter((k) => k in SWITCH_SETTINGS)
          .map((k) => ({ [k]: SWITCH_SETTINGS[k]! })),
      ];
      for (const [si, switches] of settings.entries()) {
        for (const family of families) {
          for (const [vi, v] of variants.entries()) {
            if (!familiesOf(v).includes(family)) continue;
            let taken = 0;
            let tried = 0;
            const base = SEED + 1_000_000 * si + 100_000 * (vi + 1) + 10_000 * FAMILIES.indexOf(family);
            while (taken < CASES_PER_VARIANT && tried < CANDIDATES_PER_VARIANT) {
              const ok = tester.addIfSelected({ family, dtype: dtypeOf(tried), profile: profileOf(tried >> 1), seed: base + tried, variant: v, switches });
              tried++;
              if (ok) taken++;
              else if (!switches) {
                const byFamily = declined.get(v.key) ?? new Map<Family, number>();
                byFamily.set(family, (byFamily.get(family) ?? 0) + 1);
                declined.set(v.key, byFamily);
              }
            }
          }
        }
      }
      if (tester.size === 0) return;
      const run = await tester.run();
      console.log(
        `variants on ${name} [${families.join(' ')}]: ${run.results.length} cases in ${run.builds} build(s) (${run.cached} cached), ${(run.ms / 1000).toFixed(1)} s`,
      );
      results.push(...run.results);
      expect(describeFailures(run.results)).toEqual([]);
    },
    FULL ? 3_600_000 : 900_000,
  );

  it('every declared tuning switch has a test setting', () => {
    const declared = SIMD_TARGETS.flatMap((t) => Object.keys(isaKernelsFor(t)?.switches ?? {}));
    expect([...new Set(declared)].filter((k) => !(k in SWITCH_SETTINGS))).toEqual([]);
  });

  it('every registered variant has a tester case that selected it', () => {
    const keys = [...registered.keys()];
    const { byKey, gaps } = variantCoverage(keys, results);
    const lines = keys.map((k) => {
      const e = byKey.get(k)!;
      const d = [...(declined.get(k) ?? new Map<Family, number>())].map(([f, n]) => `${f} ${n}`).join(', ');
      return `${k}: ${e.took} case(s) ran it; candidates declined: ${d || 'none'}`;
    });
    console.log(`registered SIMD variants: ${keys.length} (tested on ${targets.map((t) => t.name).join(', ') || 'no target'})\n${lines.join('\n')}`);
    // Outside CI a target without its tools is skipped: its variants cannot be covered here.
    const skipped = new Set(
      testedTargets()
        .filter((t) => !targets.includes(t))
        .flatMap((t) => isaKernelsFor(t)!.variants.map((v) => v.key)),
    );
    const reachable = new Set(testedTargets().flatMap((t) => isaKernelsFor(t)!.variants.map((v) => v.key)));
    expect(
      keys.filter((k) => !reachable.has(k)),
      'registered variants no tested target’s provider lists',
    ).toEqual([]);
    expect(
      gaps.filter((k) => !skipped.has(k)),
      'registered variants no case selected',
    ).toEqual([]);
  });
});
