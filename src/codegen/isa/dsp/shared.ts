/** What the DSP families share: input range, zero-point literals, name flags and clamp arguments. */
import { dtypeRange } from '../../../model/ir.js';
import type { KernelId } from '../../kernelId.js';
import { clampArgs, type QuantConv } from '../quantConv.js';
import type { DspRequant } from './requant.js';

/** Largest |x - xZp| over the activation dtype's range. */
export function inputSpan(q: QuantConv): number {
  const [lo, hi] = dtypeRange(q.dtype);
  return Math.max(q.rq.xZp - lo, hi - q.rq.xZp);
}

/** Two 16-bit lanes holding -v each, as a C literal. */
export function negPair(v: number): string {
  const h = -v & 0xffff;
  return `(int32_t)0x${(((h << 16) | h) >>> 0).toString(16).padStart(8, '0')}u`;
}

/**
 * The requantization and clamp flags of a DSP kernel: `rn` for the two
 * right-shift forms (SMMLAR, and `x64` for SMLAL); the total form has no
 * `rn`, is `x64` too, and `ls` when some channel shifts left.
 */
export function dspFlags(q: QuantConv, rq: DspRequant): NonNullable<KernelId['flags']> {
  const form: NonNullable<KernelId['flags']> =
    rq.form === 'smmlar' ? { rn: true } : rq.form === 'x64' ? { rn: true, x64: true } : { x64: true, ...(q.rq.anyLeft ? { ls: true } : {}) };
  return { ...form, ...(q.rq.saturating ? {} : { clamp: true }) };
}

/** The clamp arguments, when the clamp is narrower than the dtype (else the kernel saturates). */
export function dspArgs(q: QuantConv): string[] {
  return q.rq.saturating ? [] : clampArgs(q.rq);
}
