/**
 * The one requantization table builder: every op on every ISA reads its
 * per-channel multipliers, shifts, zero points, clamps and folded input zero
 * point from here, and only re-encodes them for its epilogue (a NEON
 * negative shift count, the DSP's rounding constants, ...).
 *
 * The arithmetic is TFLite's MultiplyByQuantizedMultiplier: shift > 0 is a
 * left shift applied before the rounding doubling high multiply, shift < 0 a
 * rounding (half away from zero) right shift after it.
 */
import { dtypeRange, type AddOp, type MulOp, type Op } from '../model/ir.js';
import { badInput } from '../model/errors.js';
import type { EmitContext } from './types.js';

export interface RequantTable {
  /** Real output channels; the arrays are `padded` long. */
  readonly channels: number;
  readonly padded: number;
  readonly multiplier: Int32Array;
  /** TFLite's shift: > 0 left, < 0 right. */
  readonly shift: Int32Array;
  /** max(shift, 0). */
  readonly leftShift: Int32Array;
  /** min(shift, 0): the right shift as a negative count (NEON's SRSHL/VRSHL, Helium's VRSHL take it so). */
  readonly rightShift: Int32Array;
  readonly xZp: number;
  readonly yZp: number;
  readonly actMin: number;
  readonly actMax: number;
  /** Every real channel shifts right (shift < 0). */
  readonly allRight: boolean;
  /** Some real channel shifts left (shift > 0). */
  readonly anyLeft: boolean;
  /** The clamp is the output dtype's whole range: saturation alone applies it. */
  readonly saturating: boolean;
  /** One multiplier and shift for every channel. */
  readonly perTensor: boolean;
}

export interface RequantOptions {
  /** Round the channel count up to a multiple of this (default 1). */
  readonly pad?: number;
  /** What padding channels hold: zeros (default) or copies of the last channel. */
  readonly fill?: 'zero' | 'last';
}

/** The requantization of a quantized op whose output has `channels` channels. */
export function requantTable(op: Op, ctx: EmitContext, channels: number, opts: RequantOptions = {}): RequantTable {
  const rq = op.requant;
  if (!rq) throw badInput(`op ${op.name} (${op.kind}) is quantized but has no requantization parameters; run the requantize pass`);
  const n = rq.multiplier.length;
  if (n !== 1 && n !== channels) throw badInput(`op ${op.name}: ${n} requant multipliers for ${channels} output channels`);
  if (rq.shift.length !== n) throw badInput(`op ${op.name}: requant multiplier and shift lengths differ`);
  const x = ctx.tensor(op.inputs[0]!);
  const y = ctx.tensor(op.outputs[0]!);
  return buildTable(rq.multiplier, rq.shift, channels, x.quant?.zeroPoint[0] ?? 0, y.quant?.zeroPoint[0] ?? 0, rq.actMin, rq.actMax, y.dtype, opts);
}

/** The three stages of TFLite's quantized ADD, each a one-channel table. */
export interface AddRequantTables {
  /** Input 1: (x1 − xZp) · 2^leftShift rescaled by its multiplier (yZp 0, no clamp). */
  readonly in1: RequantTable;
  /** Input 2 likewise. */
  readonly in2: RequantTable;
  /** The sum rescaled to the output: yZp and the activation clamp. */
  readonly out: RequantTable;
  /** TFLite's left shift of both inputs (20 for 8-bit). */
  readonly leftShift: number;
}

/** The requantization of a quantized ADD (its `addQuant`, set by the requantize pass) as three tables. */
export function addRequantTables(op: AddOp, ctx: EmitContext): AddRequantTables {
  const p = op.addQuant;
  if (!p) throw badInput(`op ${op.name} (add) is quantized but has no add parameters; run the requantize pass`);
  const zp = (id: number) => ctx.tensor(id).quant?.zeroPoint[0] ?? 0;
  const y = ctx.tensor(op.outputs[0]!);
  const stage = (m: number, s: number, xZp: number) => buildTable([m], [s], 1, xZp, 0, -(2 ** 31), 2 ** 31 - 1, 'int32', {});
  return {
    in1: stage(p.input1Multiplier, p.input1Shift, zp(op.inputs[0]!)),
    in2: stage(p.input2Multiplier, p.input2Shift, zp(op.inputs[1]!)),
    out: buildTable([p.outputMultiplier], [p.outputShift], 1, 0, zp(op.outputs[0]!), p.actMin, p.actMax, y.dtype, {}),
    leftShift: p.leftShift,
  };
}

/** The requantization of a quantized MUL (its `mulQuant`): one stage on the product, input 0's zero point as xZp. */
export function mulRequantTable(op: MulOp, ctx: EmitContext): RequantTable {
  const p = op.mulQuant;
  if (!p) throw badInput(`op ${op.name} (mul) is quantized but has no mul parameters; run the requantize pass`);
  const x = ctx.tensor(op.inputs[0]!);
  const y = ctx.tensor(op.outputs[0]!);
  return buildTable([p.multiplier], [p.shift], 1, x.quant?.zeroPoint[0] ?? 0, y.quant?.zeroPoint[0] ?? 0, p.actMin, p.actMax, y.dtype, {});
}

function buildTable(
  mult: ArrayLike<number>,
  shifts: ArrayLike<number>,
  channels: number,
  xZp: number,
  yZp: number,
  actMin: number,
  actMax: number,
  yDtypeIn: string,
  opts: RequantOptions,
): RequantTable {
  const n = mult.length;
  const pad = opts.pad ?? 1;
  const padded = Math.ceil(channels / pad) * pad;
  const multiplier = new Int32Array(padded);
  const shift = new Int32Array(padded);
  const leftShift = new Int32Array(padded);
  const rightShift = new Int32Array(padded);
  let allRight = true;
  let anyLeft = false;
  for (let c = 0; c < padded; c++) {
    if (c >= channels && opts.fill !== 'last') break;
    const src = Math.min(c, channels - 1);
    const m = mult[n === 1 ? 0 : src]!;
    const s = shifts[n === 1 ? 0 : src]!;
    multiplier[c] = m;
    shift[c] = s;
    leftShift[c] = Math.max(s, 0);
    rightShift[c] = Math.min(s, 0);
    if (c < channels) {
      if (s >= 0) allRight = false;
      if (s > 0) anyLeft = true;
    }
  }
  const yDtype = yDtypeIn === 'int8' || yDtypeIn === 'uint8' ? yDtypeIn : null;
  const [lo, hi] = yDtype ? dtypeRange(yDtype) : [-Infinity, Infinity];
  return {
    channels,
    padded,
    multiplier,
    shift,
    leftShift,
    rightShift,
    xZp,
    yZp,
    actMin,
    actMax,
    allRight,
    anyLeft,
    saturating: actMin <= lo && actMax >= hi,
    perTensor: n === 1,
  };
}

/** int32 wrap-around arithmetic, as the C accumulators do. */
export const wrap = (v: number): number => v | 0;

/**
 * The bias of a kernel that multiplies raw activations: bias[c] − xZp·Σ_t w(c, t)
 * (int32 wrap-around, as the C accumulates), `padded` long, zero past `channels`.
 */
export function foldInputZeroPoint(
  bias: ArrayLike<number>,
  w: (c: number, t: number) => number,
  taps: number,
  channels: number,
  padded: number,
  xZp: number,
): Int32Array {
  const out = new Int32Array(padded);
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let t = 0; t < taps; t++) s = wrap(s + w(c, t));
    out[c] = wrap(bias[c]! - Math.imul(xZp, s));
  }
  return out;
}
