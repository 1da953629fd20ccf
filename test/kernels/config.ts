/**
 * How much the kernel tester runs. `npm test` runs a sample (a few cases
 * per family, one build per target); `npm run test:full` sets
 * KERNEL_TESTER_FULL=1 for the full sweep (many cases, one build per
 * target and family). KERNEL_TESTER_CASES overrides the cases per family
 * and target (or per variant and family), KERNEL_TESTER_SEED the base seed.
 */
import { isaKernelsFor } from '../../src/codegen/isa/index.js';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import { TARGETS, type Target } from '../../src/targets/index.js';
import type { CaseDType, QuantProfile } from '../helpers/kernelCases.js';

export const FULL = process.env.KERNEL_TESTER_FULL === '1';
export const SEED = Number(process.env.KERNEL_TESTER_SEED) || (FULL ? 7_000_000 : 1_000);

/** Cases per family and target, for the provider's own choice. */
export const CASES_PER_FAMILY = Number(process.env.KERNEL_TESTER_CASES) || (FULL ? 30 : 5);
/** Accepted cases per registered variant and family it serves. */
export const CASES_PER_VARIANT = Number(process.env.KERNEL_TESTER_CASES) || (FULL ? 8 : 1);
/** Candidates tried per variant and family before it counts as never accepting one. */
export const CANDIDATES_PER_VARIANT = FULL ? 400 : 80;

/**
 * Every target of TARGETS with a SIMD provider, run under QEMU: user mode
 * (Raspberry Pi) or qemu-system-arm (MPS2/MPS3 boards). A new target with a
 * provider joins automatically.
 */
export const SIMD_TARGETS: readonly Target[] = [...TARGETS.values()].filter((t) => t.emulator.kind !== 'addon' && isaKernelsFor(t) !== null);

/**
 * The host when it has a provider (x86-64: the AVX2 kernels), run natively. Kept apart from
 * SIMD_TARGETS: its provider covers the float32 and int8 conv, GEMM and depthwise 3x3 only, not the
 * quantized families the per-family tests (add, lut, pool) expect on every SIMD target.
 */
export const NATIVE_SIMD_TARGETS: readonly Target[] = [...TARGETS.values()].filter((t) => t.emulator.kind === 'addon' && isaKernelsFor(t) !== null);

export function toolsAvailable(t: Target): boolean {
  if (t.emulator.kind === 'addon') return true;
  return t.emulator.kind === 'user' ? missingLinuxTools(t).length === 0 : mcuToolsAvailable(t);
}

/** Targets whose tools are missing are skipped outside CI (in CI they fail). */
export function runnable(targets: readonly Target[]): Target[] {
  if (process.env.CI === 'true') return [...targets];
  const ok = targets.filter(toolsAvailable);
  const missing = targets.filter((t) => !ok.includes(t)).map((t) => t.name);
  if (missing.length > 0) console.warn(`kernel tester: skipping ${missing.join(', ')}: tools missing (see scripts/ensure-tools.sh)`);
  return ok;
}

/** The dtype of the i-th case of a family: 3 in 5 int8, 1 in 5 uint8, 1 in 5 float32. */
export function dtypeOf(i: number): CaseDType {
  return (['int8', 'uint8', 'float32', 'int8', 'int8'] as const)[i % 5]!;
}

export function hasProvider(t: Target): boolean {
  return isaKernelsFor(t) !== null;
}

/** The requantization profile of the i-th case: plain and edge alternate (plain first). */
export function profileOf(i: number): QuantProfile {
  return i % 2 === 0 ? 'plain' : 'edge';
}
