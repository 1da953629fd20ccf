/**
 * What every NEON kernel family shares: activation dtypes, the ISA tag of a
 * layer's target, weights and bias as plain numbers, and the requantization
 * arguments (from the one table builder, src/codegen/requant.ts) with the
 * forms the epilogue partials take (templates/partials/neon/requant_a64.hbs,
 * requant_a32.hbs: fast form `rn`, general form `ls`).
 */
import type { Op, Tensor } from '../../../model/ir.js';
import type { EmitContext } from '../../types.js';
import { render } from '../../templates.js';
import { int32Literal, zeroPoint } from '../../ops/common.js';
import { requantTable } from '../../requant.js';
import type { KernelDType, KernelFlag, KernelIsa } from '../../kernelId.js';

export type ActDType = 'float32' | 'int8' | 'uint8';

let commonSource: string | undefined;
export function common(): string {
  commonSource ??= render('kernels/neon_common.c.hbs', {});
  return commonSource;
}

export function actDType(t: Tensor): ActDType | null {
  return t.dtype === 'float32' || t.dtype === 'int8' || t.dtype === 'uint8' ? t.dtype : null;
}

/** Weights as numbers with the weight zero point already subtracted (quantized) or as floats. */
export function weightValues(
  op: Op,
  ctx: EmitContext,
  dtype: ActDType,
): { w: Float64Array | Int32Array; shape: readonly number[]; wZp: number; int8: boolean } | null {
  const wT = ctx.tensor(op.inputs[1]!);
  if (!wT.data) return null;
  if (dtype === 'float32') {
    if (wT.dtype !== 'float32') return null;
    return { w: Float64Array.from(wT.data as Float32Array), shape: wT.shape, wZp: 0, int8: false };
  }
  if (wT.dtype !== 'int8' && wT.dtype !== 'uint8') return null;
  // one weight zero point (per-channel zero points must all be equal: the importer checks it)
  if (wT.quant?.zeroPoint.some((z) => z !== wT.quant!.zeroPoint[0])) return null;
  const wZp = zeroPoint(wT);
  const w = new Int32Array(wT.data.length);
  for (let i = 0; i < w.length; i++) w[i] = (wT.data[i] as number) - wZp;
  return { w, shape: wT.shape, wZp, int8: wT.dtype === 'int8' && wZp === 0 };
}

/** Raw bias values (length channels), zero when the op has none. */
export function biasValues(op: Op, ctx: EmitContext, channels: number, quant: boolean): Float64Array | null {
  const id = op.inputs[2];
  const out = new Float64Array(channels);
  if (id === undefined || id < 0) return out;
  const b = ctx.tensor(id);
  if (!b.data || b.dtype !== (quant ? 'int32' : 'float32') || b.data.length !== channels) return null;
  for (let i = 0; i < channels; i++) out[i] = b.data[i] as number;
  return out;
}

/**
 * The requantization arguments of a NEON kernel, from the one table builder
 * (requantTable): multiplier, left shift and right shift (negative) tables
 * padded to a multiple of `pad` channels, zero point and clamps; without a
 * left-shifting channel the left-shift argument is the right-shift table (the
 * kernels then never read it). Also the forms and clamps the kernels name:
 * `ls` (some channel shifts left), `rn` (every channel shifts right), and which
 * 8-bit clamps can bind (the saturating narrowing gives the dtype range).
 */
export function requantArgs(op: Op, ctx: EmitContext, channels: number, pad: number) {
  const t = requantTable(op, ctx, channels, { pad });
  const rsh = ctx.table('nrsh', t.rightShift);
  return {
    table: t,
    args: [
      ctx.table('nmult', t.multiplier),
      t.anyLeft ? ctx.table('nlsh', t.leftShift) : rsh,
      rsh,
      String(t.yZp),
      int32Literal(t.actMin),
      int32Literal(t.actMax),
    ],
    ...requantForms(op, ctx, channels),
  };
}

/** The forms and clamps of requantArgs alone (for kernel names: no tables registered). */
export function requantForms(op: Op, ctx: EmitContext, channels: number) {
  const t = requantTable(op, ctx, channels);
  const u8 = ctx.tensor(op.outputs[0]!).dtype === 'uint8';
  return { ls: t.anyLeft, rn: t.allRight, clamp: { min: t.actMin > (u8 ? 0 : -128), max: t.actMax < (u8 ? 255 : 127) } };
}

/** conv.ts's spelling of requantArgs (`padded` channels), until the neonconv rewrite replaces it. */
export function quantArgs(op: Op, ctx: EmitContext, _yT: Tensor, channels: number, padded: number): { args: string[]; hasLsh: boolean } {
  const q = requantArgs(op, ctx, channels, padded);
  return { args: q.args, hasLsh: q.ls };
}

/** The requantization and clamp flags of a kernel name (only those set). */
export function requantFlags(q: { ls: boolean; rn: boolean; clamp?: { min: boolean; max: boolean } }): Partial<Record<KernelFlag, true>> {
  const f: Partial<Record<KernelFlag, true>> = {};
  if (q.ls) f.ls = true;
  if (q.rn) f.rn = true;
  if (q.clamp?.min) f.min = true;
  if (q.clamp?.max) f.max = true;
  return f;
}

/** The kernel-name dtype of an activation dtype. */
export const DTYPE: Readonly<Record<ActDType, KernelDType>> = { float32: 'f32', int8: 's8', uint8: 'u8' };

/** The NEON flavour a layer is compiled for: aarch64 (with SDOT/UDOT when `dot`) or armv7. */
export const neonIsa = (ctx: EmitContext, dot: boolean): KernelIsa => (ctx.target.arch !== 'aarch64' ? 'neon32' : dot ? 'neondot' : 'neon');

export function quantChannelsOk(op: Op, channels: number): boolean {
  const rq = op.requant;
  if (!rq) return false;
  return rq.multiplier.length === 1 || rq.multiplier.length === channels;
}

export const ceil = (a: number, b: number) => Math.ceil(a / b) * b;

export { foldInputZeroPoint, wrap } from '../../requant.js';

/** Operands every weighted NEON kernel starts from; null when the op is not one it takes. */
export function weightedOperands(op: Op, ctx: EmitContext, channels: number) {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const wv = weightValues(op, ctx, dtype);
  const bv = biasValues(op, ctx, channels, quant);
  if (!wv || !bv || (quant && !quantChannelsOk(op, channels))) return null;
  return { xT, yT, dtype, quant, wv, bv };
}
