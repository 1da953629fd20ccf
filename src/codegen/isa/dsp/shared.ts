/** What the DSP families share: input range, zero-point literals, name flags and clamp arguments. */
import { dtypeRange, tensorBytes, type Graph } from '../../../model/ir.js';
import { opLiveBytes } from '../../../passes/planArena.js';
import { opDef } from '../../../ops/registry.js';
import type { EmitContext } from '../../types.js';
import type { KernelId } from '../../kernelId.js';
import { clampArgs, type QuantConv } from '../quantConv.js';
import type { RequantTable } from '../../requant.js';
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
 * The requantization and clamp flags of a DSP kernel: `rn` when every
 * channel takes a right-shift form (SMMLAR, and `x64` for SMLAL); `x64` for
 * the 64-bit kernels (SMLAL, the total form, or both per channel); `mix`
 * when the form is chosen per channel; `ls` when some channel shifts left.
 * The one-form SMMLAR kernel of shift 0 and left shifts has neither `rn`
 * nor `x64`.
 */
export function dspFlags(t: RequantTable, rq: DspRequant): NonNullable<KernelId['flags']> {
  const f = rq.form;
  return {
    ...(f === 'smmlar' || f === 'x64' ? { rn: true } : {}),
    ...(t.anyLeft && f !== 'smmlar' && f !== 'x64' ? { ls: true } : {}),
    ...(rq.dbl ? {} : { x64: true }),
    ...(f === 'mix' || f === 'mix64' ? { mix: true } : {}),
    ...(t.saturating ? {} : { clamp: true }),
  };
}

/** The clamp arguments, when the clamp is narrower than the dtype (else the kernel saturates). */
export function dspArgs(q: QuantConv): string[] {
  return q.rq.saturating ? [] : clampArgs(q.rq);
}

const LIVE = new WeakMap<Graph, { live: number[]; peak: number }>();

/**
 * About how many bytes of arena scratch layer `ctx.index` can take without raising the arena's peak: the most bytes
 * live at any op less those live at this one (planArena.ts opLiveBytes; windowed ops and same-size elementwise ops
 * counted in place). Computed once per graph.
 */
export function scratchRoom(ctx: EmitContext): number {
  let r = LIVE.get(ctx.graph);
  if (!r) {
    const g = ctx.graph;
    r = opLiveBytes(g, (op) => {
      if (opDef(op).window) return true;
      const x = g.tensors[op.inputs[0]!];
      const y = g.tensors[op.outputs[0]!];
      return x !== undefined && y !== undefined && x.dtype === y.dtype && tensorBytes(x) === tensorBytes(y);
    });
    LIVE.set(g, r);
  }
  return r.peak - r.live[ctx.index]!;
}
