/**
 * Pointwise 1×1 convolution and fully connected as one GEMM, y[p] = W·x[p] + b
 * over `npix` rows: the shape and operands every GEMM variant starts from, and
 * the variant-independent parts of their emissions.
 */
import type { Conv2DOp, FullyConnectedOp } from '../../../../model/ir.js';
import { elementCount } from '../../../../model/ir.js';
import { windowGeometry } from '../../../../model/geometry.js';
import type { KernelId, KernelIsa } from '../../../kernelId.js';
import type { Layer, OpEmission } from '../../../types.js';
import { common, DTYPE, weightedOperands } from '../shared.js';

export interface GemmShape {
  readonly K: number;
  readonly cout: number;
  readonly npix: number;
  /** Kernel-name op and shape. */
  readonly op: 'pw' | 'fc';
  readonly shape: string;
}

export type GemmOp = Conv2DOp | FullyConnectedOp;
export type GemmLayer = Layer<GemmOp>;
export const GEMM_OPS = ['conv2d', 'fully_connected'] as const;

/** The GEMM shape of a 1×1 stride-1 convolution or a fully connected layer; null for any other layer. */
export function gemmShape(layer: GemmLayer): GemmShape | null {
  const { op, ctx } = layer;
  if (op.kind === 'conv2d') {
    const g = windowGeometry(ctx.graph, op);
    if (g.kH !== 1 || g.kW !== 1 || g.strideH !== 1 || g.strideW !== 1) return null;
    return { K: g.inC, cout: g.outC, npix: g.outH * g.outW, op: 'pw', shape: `${g.outH}x${g.outW}x${g.inC}_${g.outC}` };
  }
  const w = ctx.tensor(op.inputs[1]!);
  if (w.shape.length !== 2) return null;
  const [out, inn] = w.shape as [number, number];
  const batch = elementCount(ctx.tensor(op.inputs[0]!).shape) / inn;
  if (!Number.isInteger(batch)) return null;
  return { K: inn, cout: out, npix: batch, op: 'fc', shape: `${batch}x${inn}_${out}` };
}

/** How the generic tile multiplies: float, int16-widened weights, int8 SMULL pairs, or SDOT. */
export type GemmMode = 'f32' | 's16' | 's8' | 'sdot';

/** Shape, operands and multiply mode of a GEMM layer (null: no NEON GEMM takes it). */
export function gemmPlan(layer: GemmLayer, dot: boolean) {
  const gs = gemmShape(layer);
  if (!gs) return null;
  const ops = weightedOperands(layer.op, layer.ctx, gs.cout);
  if (!ops || ops.wv.w.length !== gs.K * gs.cout) return null;
  const { dtype, quant, wv } = ops;
  const mode: GemmMode = !quant
    ? 'f32'
    : dtype === 'int8' && wv.int8 && dot
      ? 'sdot'
      : dtype === 'int8' && wv.int8 && !wv.w.some((v) => v < -127)
        ? 's8'
        : 's16';
  /** w[oc][k] with the weight zero point subtracted. */
  const W = (oc: number, k: number) => wv.w[oc * gs.K + k]!;
  return { ...gs, ...ops, mode, W, aarch64: layer.ctx.target.arch === 'aarch64' };
}
export type GemmPlan = NonNullable<ReturnType<typeof gemmPlan>>;

/** The kernel id of a GEMM variant. */
export function gemmId(p: GemmPlan, isa: KernelIsa, tile: string, flags: KernelId['flags']): KernelId {
  return { op: p.op, dtype: DTYPE[p.dtype], isa, tile, flags, shape: p.shape };
}

/** The emission fields every GEMM variant shares: the common parameters and the call, the MACs, streaming for pointwise layers. */
export function gemmEmission(p: GemmPlan, family: string, kernel: string, params: Record<string, unknown>, args: string[], pixelBlock: number): OpEmission {
  return {
    family,
    kernel,
    params: { common: common(), npix: p.npix, k: p.K, cout: p.cout, ...params, fn: kernel, family: p.op === 'pw' ? 'pointwise 1x1' : 'fully connected' },
    call: `${kernel}(${args.join(', ')});`,
    macs: p.npix * p.cout * p.K,
    ...(p.op === 'pw' ? { streaming: { pixelBlock } } : {}),
  };
}

/** Whole tiles of `width` output channels and the last partial one (padded, stored through a local buffer). */
export const channelTiles = (cout: number, width: number) => ({ nb: Math.floor(cout / width), tailC: cout % width, c0Tail: cout - (cout % width) });
