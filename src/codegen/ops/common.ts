/** Helpers shared by the op emitters. */
import { dtypeRange, type Activation, type DType, type Op, type Requant, type Tensor } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import type { EmitContext } from '../types.js';
import type { WindowGeometry } from '../../model/geometry.js';

export const C_TYPE: Readonly<Record<DType, string>> = {
  float32: 'float',
  int8: 'int8_t',
  uint8: 'uint8_t',
  int32: 'int32_t',
};

/** Short dtype tag used in kernel names. */
export const DTYPE_TAG: Readonly<Record<DType, string>> = {
  float32: 'f32',
  int8: 'int8',
  uint8: 'uint8',
  int32: 'int32',
};

export function cType(d: DType): string {
  return C_TYPE[d];
}

export function strideTag(sh: number, sw: number): string {
  return sh === sw ? `s${sh}` : `s${sh}x${sw}`;
}

export function zeroPoint(t: Tensor): number {
  return t.quant?.zeroPoint[0] ?? 0;
}

/** float32 clamp bounds of a fused activation, as C expressions. */
export function floatActRange(a: Activation): [string, string] {
  switch (a) {
    case 'none':
      return ['-FLT_MAX', 'FLT_MAX'];
    case 'relu':
      return ['0.0f', 'FLT_MAX'];
    case 'relu6':
      return ['0.0f', '6.0f'];
    case 'relu_n1_to_1':
      return ['-1.0f', '1.0f'];
  }
}

/** C literal for an int32 (INT32_MIN cannot be written directly). */
export function int32Literal(v: number): string {
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw internalError(`not an int32: ${v}`);
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

export function requireRequant(op: Op): Requant {
  if (!op.requant) throw badInput(`op ${op.name} (${op.kind}) is quantized but has no requantization parameters; run the requantize pass`);
  return op.requant;
}

/** Requant tables expanded to one entry per output channel. */
export function requantTables(op: Op, ctx: EmitContext, channels: number): { mult: string; shift: string; actMin: string; actMax: string } {
  const rq = requireRequant(op);
  const n = rq.multiplier.length;
  if (n !== 1 && n !== channels) throw badInput(`op ${op.name}: ${n} requant multipliers for ${channels} output channels`);
  if (rq.shift.length !== n) throw badInput(`op ${op.name}: requant multiplier and shift lengths differ`);
  const m = new Int32Array(channels);
  const s = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    m[c] = rq.multiplier[n === 1 ? 0 : c]!;
    s[c] = rq.shift[n === 1 ? 0 : c]!;
  }
  return {
    mult: ctx.table('mult', m),
    shift: ctx.table('shift', s),
    actMin: int32Literal(rq.actMin),
    actMax: int32Literal(rq.actMax),
  };
}

/** Activation clamp for a quantized op that only needs the range (pooling). */
export function quantActRange(op: Op & { activation: Activation }, dtype: 'int8' | 'uint8'): [string, string] {
  if (op.requant) return [int32Literal(op.requant.actMin), int32Literal(op.requant.actMax)];
  if (op.activation !== 'none') throw badInput(`op ${op.name} (${op.kind}) has a fused ${op.activation} but no activation range; run the requantize pass`);
  const [lo, hi] = dtypeRange(dtype);
  return [String(lo), String(hi)];
}

export function quantDType(t: Tensor, op: Op): 'int8' | 'uint8' | 'float32' {
  if (t.dtype === 'int8' || t.dtype === 'uint8' || t.dtype === 'float32') return t.dtype;
  throw badInput(`op ${op.name} (${op.kind}): ${t.dtype} activations are not supported (float32, int8, uint8)`);
}

/** Bias symbol, or a zero table when the op has none. */
export function biasSymbol(op: Op, ctx: EmitContext, channels: number, quant: boolean): string {
  const id = op.inputs[2];
  if (id !== undefined && id >= 0) {
    const b = ctx.tensor(id);
    const want = quant ? 'int32' : 'float32';
    if (b.dtype !== want) throw badInput(`op ${op.name}: bias is ${b.dtype}, expected ${want}`);
    if (b.data === undefined) throw badInput(`op ${op.name}: bias is not a constant`);
    return ctx.constant(id);
  }
  return ctx.table('bias', quant ? new Int32Array(channels) : new Float32Array(channels));
}

/** Filter/weights symbol and whether the kernel needs a weight zero point. */
export function weightOperand(op: Op, ctx: EmitContext, actDType: 'int8' | 'uint8' | 'float32'): { sym: string; ctype: string; hasWZp: boolean; wZp: number } {
  const w = ctx.tensor(op.inputs[1]!);
  if (w.data === undefined) throw badInput(`op ${op.name}: weights are not constant`);
  if (actDType === 'float32' ? w.dtype !== 'float32' : w.dtype !== 'int8' && w.dtype !== 'uint8') {
    throw badInput(`op ${op.name}: ${w.dtype} weights with ${actDType} activations are not supported`);
  }
  // int8 weights are symmetric (zero point 0) in TFLite; the kernel skips the subtraction then.
  const hasWZp = w.dtype === 'uint8' || zeroPoint(w) !== 0;
  return { sym: ctx.constant(op.inputs[1]!), ctype: cType(w.dtype), hasWZp, wZp: hasWZp ? zeroPoint(w) : 0 };
}

/** Shape in a kernel name: dims joined by `x`, leading 1s dropped (`[1, 6, 6, 32]` → `6x6x32`). */
export function shapeTag(shape: readonly number[]): string {
  let k = 0;
  while (k < shape.length - 1 && shape[k] === 1) k++;
  return shape.slice(k).join('x');
}

/** C float literal of a float32 value (the shortest decimal that round-trips). */
export function f32Literal(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) throw internalError(`not a finite float32: ${v}`);
  const s = String(f);
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}

/** Pointer expression for an operand that may be an activation or a constant. */
export function operandPointer(ctx: EmitContext, id: number): string {
  const t = ctx.tensor(id);
  return t.data !== undefined ? ctx.constant(id) : ctx.arena(id, false);
}

/** Per-tensor scale and zero point of a quantized operand. */
export function perTensorQuant(t: Tensor, op: Op): { scale: number; zeroPoint: number } {
  const scale = t.quant?.scale[0];
  const zeroPoint = t.quant?.zeroPoint[0];
  if (scale === undefined || zeroPoint === undefined || t.quant!.scale.length !== 1) {
    throw badInput(`op ${op.name} (${op.kind}): tensor ${t.name} must be quantized per tensor`);
  }
  return { scale, zeroPoint };
}

/**
 * Arguments of a weighted kernel (conv, depthwise, FC) in the order every
 * generic template takes them: x, w, bias, then either the requantization
 * (mult, shift, x zero point, [w zero point,] y zero point, act min, act max)
 * or the float clamp, then y.
 */
export function weightedKernelArgs(
  op: Op & { activation: Activation },
  ctx: EmitContext,
  x: Tensor,
  y: Tensor,
  w: { sym: string; hasWZp: boolean; wZp: number },
  bias: string,
  channels: number,
  quant: boolean,
): string[] {
  const args = [ctx.arena(x.id, false), w.sym, bias];
  if (quant) {
    const rq = requantTables(op, ctx, channels);
    args.push(rq.mult, rq.shift, String(zeroPoint(x)));
    if (w.hasWZp) args.push(String(w.wZp));
    args.push(String(zeroPoint(y)), rq.actMin, rq.actMax);
  } else {
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(y.id, true));
  return args;
}

/**
 * A window's geometry as every windowed kernel template names it: input
 * (ih, iw, ic — also c), output (oh, ow, oc), kernel (kh, kw), stride (sh, sw),
 * top and left padding (pt, pl).
 */
export function windowParams(g: WindowGeometry) {
  return {
    ih: g.inH,
    iw: g.inW,
    ic: g.inC,
    c: g.inC,
    oh: g.outH,
    ow: g.outW,
    oc: g.outC,
    kh: g.kH,
    kw: g.kW,
    sh: g.strideH,
    sw: g.strideW,
    pt: g.padTop,
    pl: g.padLeft,
  };
}
