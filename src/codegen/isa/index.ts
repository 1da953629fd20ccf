/**
 * SIMD kernel providers by instruction-set extension. `--kernels simd` asks
 * the target's provider first for each op; whatever it declines runs the
 * generic C kernels. A target without a provider (cortex-m3, the host on a
 * machine other than x86-64) is all generic.
 */
import type { Target } from '../../targets/types.js';
import type { IsaKernels, KernelTuning, SimdVariant } from '../types.js';
import { badInput } from '../../model/errors.js';
import { neonDotprodKernels, neonKernels } from './neon/index.js';
import { dspKernels } from './dsp/index.js';
import { heliumKernels } from './mve/index.js';
import { avx2Kernels } from './avx2/index.js';

const PROVIDERS: readonly IsaKernels[] = [dspKernels, heliumKernels, neonKernels, neonDotprodKernels, avx2Kernels];

export function isaKernelsFor(target: Target): IsaKernels | null {
  return PROVIDERS.find((p) => p.isa === target.simd) ?? null;
}

/** Every registered SIMD variant of every provider, by key. */
export function allSimdVariants(): ReadonlyMap<string, SimdVariant<any, any>> {
  const out = new Map<string, SimdVariant<any, any>>();
  for (const p of PROVIDERS) for (const v of p.variants) out.set(v.key, v);
  return out;
}

/** Checks a tuning against the registry: unknown variant keys or switches are usage errors. */
export function checkTuning(t: KernelTuning): void {
  const keys = allSimdVariants();
  for (const k of t.only ?? []) {
    if (!keys.has(k)) throw badInput(`--tune only=${k}: no such kernel variant; registered: ${[...keys.keys()].join(', ') || '(none)'}`);
  }
  const switches = new Set(PROVIDERS.flatMap((p) => Object.keys(p.switches ?? {})));
  for (const k of Object.keys(t.switches ?? {})) {
    if (!switches.has(k)) throw badInput(`--tune ${k}: no such kernel switch; known: ${[...switches].join(', ') || '(none)'}`);
  }
}
