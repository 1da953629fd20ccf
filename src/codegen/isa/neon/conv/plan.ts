/**
 * What every NEON standard-convolution variant starts from: the layer's
 * operands (weights with their zero point subtracted, bias, requantization
 * table), the register tile shapes, the weight packings, and the names.
 */
import type { Conv2DOp } from '../../../../model/ir.js';
import { windowGeometry, type WindowGeometry } from '../../../../model/geometry.js';
import type { EmitContext, Layer, TableData } from '../../../types.js';
import { formatKernelId, type KernelFlag, type KernelId, type KernelIsa } from '../../../kernelId.js';
import { foldInputZeroPoint, requantTable, type RequantTable } from '../../../requant.js';
import { cType, floatActRange, int32Literal, windowParams } from '../../../ops/common.js';
import { common, weightedOperands, type ActDType } from '../shared.js';

export interface ConvTile {
  readonly P: number; // pixels per tile
  readonly Q: number; // output-channel quads per tile
  readonly segRegs: number; // vector registers holding one input row segment
  readonly segAlloc: number; // elements one segment load reads
}

/** A conv2d layer as the NEON variants see it. */
export interface ConvLayer {
  readonly op: Conv2DOp;
  readonly ctx: EmitContext;
  readonly g: WindowGeometry;
  readonly dtype: ActDType;
  readonly quant: boolean;
  /** Weights minus their zero point, [outC][kH][kW][inC]. */
  readonly w: Float64Array | Int32Array;
  /** int8 weights with zero point 0 (what SDOT multiplies). */
  readonly wInt8: boolean;
  readonly bias: Float64Array;
  /** Requantization (quantized layers); null for float32. */
  readonly rq: RequantTable | null;
  readonly xId: number;
  readonly yId: number;
}

/** The layer's operands, or null when it is not a standard conv2d the NEON kernels take. */
export function convLayer(layer: Layer): ConvLayer | null {
  const { op, ctx } = layer;
  if (op.kind !== 'conv2d') return null;
  const g = windowGeometry(ctx.graph, op);
  if (g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1) return null; // pointwise
  const ops = weightedOperands(op, ctx, g.outC);
  if (!ops) return null;
  const { xT, yT, dtype, quant, wv, bv } = ops;
  return { op, ctx, g, dtype, quant, w: wv.w, wInt8: wv.int8, bias: bv, rq: quant ? requantTable(op, ctx, g.outC) : null, xId: xT.id, yId: yT.id };
}

export const isAarch64 = (ctx: EmitContext) => ctx.target.arch === 'aarch64';
export const taps = (g: WindowGeometry) => g.kH * g.kW * g.inC;
export const esize = (dtype: ActDType) => (dtype === 'float32' ? 4 : 1);

/**
 * aarch64: P pixels x Q quads so accumulators, one row segment and the tap's weights fit 32 vector
 * registers; the widest P first, or only those of `pixels`.
 */
export function convTileShape(g: WindowGeometry, quant: boolean, pixels?: readonly number[]): ConvTile | null {
  const Q = g.outC <= 4 ? 1 : g.outC <= 8 ? 2 : 4;
  for (const P of pixels ?? (Q === 4 ? [4, 2] : [8, 4, 2])) {
    const SL = ((P - 1) * g.strideW + g.kW) * g.inC;
    const segRegs = quant ? Math.ceil(SL / 8) : Math.ceil(SL / 4);
    const wRegs = quant ? Math.ceil(Q / 2) : Q;
    if (P * Q + segRegs + wRegs <= 30) {
      return { P, Q, segRegs, segAlloc: quant ? 16 * Math.ceil(segRegs / 2) : 4 * segRegs };
    }
  }
  return null;
}

/**
 * armv7 (16 q registers), int8/uint8: P pixels x 4Q channels, int32 accumulators P*Q, one row
 * segment widened to int16 (at most 4 registers) and one tap's weights (Q/2 registers); 2 x 16
 * where it fits (fewest by-scalar copies: GCC keeps the short segment in d0-d7).
 */
export function convTileShapeV7(g: WindowGeometry): ConvTile | null {
  if (g.outC < 8) return null;
  const Q = g.outC <= 8 ? 2 : 4;
  for (const P of Q === 4 ? [2] : [4, 2]) {
    const SL = ((P - 1) * g.strideW + g.kW) * g.inC;
    const segRegs = Math.ceil(SL / 8);
    if (segRegs <= 4 && Q * P + segRegs + Q / 2 <= 14) return { P, Q, segRegs, segAlloc: 16 * Math.ceil(segRegs / 2) };
  }
  return null;
}

/** SDOT applies: rpi5, int8 activations and weights, a 4 x 16 tile. */
export function sdotTile(c: ConvLayer): ConvTile | null {
  if (c.ctx.target.simd !== 'neon-dotprod' || !isAarch64(c.ctx) || c.dtype !== 'int8' || !c.wInt8) return null;
  const tile = convTileShape(c.g, true);
  return tile && tile.P === 4 && tile.Q === 4 && sdotShifts(c.g, 4) ? tile : null;
}

/**
 * Packed SDOT (every tap of a pixel gathered by TBL): 4 pixels x 16 channels, or x 8 when the
 * layer's channels come in eights only (an 8-channel stem).
 */
export function packedSdotTile(c: ConvLayer): ConvTile | null {
  if (c.ctx.target.simd !== 'neon-dotprod' || !isAarch64(c.ctx) || c.dtype !== 'int8' || !c.wInt8) return null;
  const Q = c.g.outC % 16 === 0 ? 4 : c.g.outC % 8 === 0 ? 2 : 0;
  return Q ? { P: 4, Q, segRegs: 0, segAlloc: 0 } : null;
}

/** The byte shifts that 4-align every pixel's window in a row segment, or null when they do not fit the registers. */
export function sdotShifts(g: WindowGeometry, P: number): number[] | null {
  const G = Math.ceil((g.kW * g.inC) / 4);
  const shifts = [...new Set(Array.from({ length: P }, (_, p) => (p * g.strideW * g.inC) % 4))].sort();
  if (shifts.length > 4) return null;
  for (let p = 0; p < P; p++) {
    const off = p * g.strideW * g.inC;
    if (off - (off % 4) + 4 * G > 32) return null;
  }
  return shifts;
}

/** Weights [block][tap][OCB channels], zero past outC. */
export function packByTap(c: ConvLayer, OCB: number): number[] {
  const { g, w } = c;
  const T = taps(g);
  const nOcb = Math.ceil(g.outC / OCB);
  const packed = new Array<number>(nOcb * T * OCB).fill(0);
  for (let oc = 0; oc < g.outC; oc++) {
    const b = Math.floor(oc / OCB);
    for (let t = 0; t < T; t++) packed[(b * T + t) * OCB + (oc % OCB)] = w[oc * T + t]!;
  }
  return packed;
}

/** SDOT weights [block][ky][group of 4 row taps][16 channels][4 taps], zero past the row. */
export function packSdotRows(c: ConvLayer): number[] {
  const { g, w } = c;
  const T = taps(g);
  const rowTaps = g.kW * g.inC;
  const G = Math.ceil(rowTaps / 4);
  const nOcb = Math.ceil(g.outC / 16);
  const packed = new Array<number>(nOcb * g.kH * G * 64).fill(0);
  for (let oc = 0; oc < g.outC; oc++) {
    const b = Math.floor(oc / 16);
    for (let ky = 0; ky < g.kH; ky++)
      for (let j = 0; j < rowTaps; j++) packed[((b * g.kH + ky) * G + (j >> 2)) * 64 + (oc % 16) * 4 + (j & 3)] = w[oc * T + ky * rowTaps + j]!;
  }
  return packed;
}

/** The bias of a kernel that multiplies raw activations (SDOT, MLA): bias − xZp·Σw, `padded` long. */
export function foldedBias(c: ConvLayer, padded: number): Int32Array {
  const T = taps(c.g);
  return foldInputZeroPoint(c.bias, (oc, t) => c.w[oc * T + t]!, T, c.g.outC, padded, c.rq!.xZp);
}

/** The bias padded to `padded` channels with zeros. */
export const paddedBias = (c: ConvLayer, padded: number) => Array.from({ length: padded }, (_, i) => (i < c.g.outC ? c.bias[i]! : 0));

const DTYPE = { float32: 'f32', int8: 's8', uint8: 'u8' } as const;

/** The kernel name of a conv variant: window and input/output shape from the layer, the rest from the variant. */
export function convId(c: ConvLayer, isa: KernelIsa, tile: string | undefined, flags: Partial<Record<KernelFlag, true | number>>): KernelId {
  const { g } = c;
  return {
    op: 'conv',
    dtype: DTYPE[c.dtype],
    isa,
    tile,
    flags,
    window: { kH: g.kH, kW: g.kW, sH: g.strideH, sW: g.strideW, padding: c.op.padding },
    shape: `${g.inH}x${g.inW}x${g.inC}_${g.outC}`,
  };
}

/** The requantization flags every quantized conv kernel spells (its code depends on them). */
export function requantFlags(c: ConvLayer, rn: boolean): Partial<Record<KernelFlag, true>> {
  const f: Partial<Record<KernelFlag, true>> = {};
  if (c.rq && rn && c.rq.allRight) f.rn = true;
  if (c.rq?.anyLeft) f.ls = true;
  return f;
}

export const kernelName = formatKernelId;

/**
 * The call of the tile and general kernels: x, packed weights, bias, then the requantization tables
 * (multiplier, left or right shift, right shift; padded), x_zp, y_zp, act_min, act_max, or the float
 * activation bounds; y.
 */
export function convCall(c: ConvLayer, kernel: string, w: TableData, bias: TableData, padded: number): string {
  const { ctx } = c;
  const args = [ctx.arena(c.xId, false), ctx.table('nw', w), ctx.table('nbias', bias)];
  if (c.rq) {
    const t = requantTable(c.op, ctx, c.g.outC, { pad: padded });
    const rsh = ctx.table('nrsh', t.rightShift);
    args.push(ctx.table('nmult', t.multiplier), t.anyLeft ? ctx.table('nlsh', t.leftShift) : rsh, rsh);
    args.push(String(t.xZp), String(t.yZp), int32Literal(t.actMin), int32Literal(t.actMax));
  } else args.push(...floatActRange(c.op.activation));
  args.push(ctx.arena(c.yId, true));
  return `${kernel}(${args.join(', ')});`;
}

/** Template parameters every tile and general kernel shares (geometry, C types). */
export function convParams(c: ConvLayer, kernel: string, wType: string) {
  const { g, quant, dtype } = c;
  return {
    common: common(),
    fn: kernel,
    quant,
    dtype,
    t: cType(dtype),
    w: wType,
    b: quant ? 'int32_t' : 'float',
    padding: c.op.padding,
    ...windowParams(g),
  };
}
