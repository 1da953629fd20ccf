/**
 * What the AVX2 kernel families share: the common C (guard, <immintrin.h>, the
 * function attribute), the activation clamp as template data and as a kernel-name
 * flag, and whether a layer's target is x86-64 at all.
 */
import type { Activation, Conv2DOp, DepthwiseConv2DOp } from '../../../model/ir.js';
import { windowGeometry, type WindowGeometry } from '../../../model/geometry.js';
import type { KernelFlag } from '../../kernelId.js';
import { render } from '../../templates.js';
import type { EmitContext, Layer } from '../../types.js';

let commonSource: string | undefined;
export function common(): string {
  commonSource ??= render('kernels/avx2_common.c.hbs', {});
  return commonSource;
}

/** The AVX2 variants apply only where the target is declared x86-64 (the host on an x86-64 machine). */
export const isX86 = (ctx: EmitContext): boolean => ctx.target.arch === 'x86-64';

/** The activation applied in code, as a kernel-name flag. */
export const ACT_FLAG: Readonly<Record<Activation, KernelFlag | null>> = { none: null, relu: 'relu', relu6: 'relu6', relu_n1_to_1: 'relun1' };

export function actFlags(act: Activation): Partial<Record<KernelFlag, true>> {
  const f = ACT_FLAG[act];
  return f ? { [f]: true } : {};
}

/** The template parameters of the activation clamp (partials/avx2/act_consts.hbs): which bounds exist, as C floats. */
export function actParams(act: Activation) {
  const [lo, hi] = act === 'relu6' ? [0, 6] : act === 'relu' ? [0, null] : act === 'relu_n1_to_1' ? [-1, 1] : [null, null];
  return { act, lo: lo !== null, hi: hi !== null, actLo: (lo ?? 0).toFixed(1), actHi: (hi ?? 0).toFixed(1) };
}

/** `_mm256_setr_epi32` lanes storing the first `n` of 8 floats. */
export const maskLanes = (n: number): string => Array.from({ length: 8 }, (_, i) => (i < n ? '-1' : '0')).join(', ');

/**
 * The GEMM tile set both AVX2 GEMMs (float32 and int8) emit: `mr` pixels or the last
 * npix mod mr, over whole panels (`nb`) or the tail panel (`tw` wide, `tailC` channels);
 * `tile(name, rows, panelWidth, channels)` makes each tile's template data.
 */
export function gemmTileSet<T>(
  kernel: string,
  o: { mr: number; npix: number; nb: number; tw: number; tailC: number; panel: number },
  tile: (name: string, rows: number, pw: number, channels: number) => T,
) {
  const r = o.npix % o.mr;
  const full = o.npix >= o.mr;
  const names = {
    tileFull: `${kernel}_p${o.mr}`,
    tileRest: `${kernel}_p${r}`,
    tileFullTail: `${kernel}_p${o.mr}t`,
    tileRestTail: `${kernel}_p${r}t`,
  };
  const tiles = [
    ...(o.nb > 0 && full ? [tile(names.tileFull, o.mr, o.panel, o.panel)] : []),
    ...(o.nb > 0 && r > 0 ? [tile(names.tileRest, r, o.panel, o.panel)] : []),
    ...(o.tw > 0 && full ? [tile(names.tileFullTail, o.mr, o.tw, o.tailC)] : []),
    ...(o.tw > 0 && r > 0 ? [tile(names.tileRestTail, r, o.tw, o.tailC)] : []),
  ];
  return { names, tiles };
}

/** A convolution's window and extents as the conv templates read them. */
export function windowParams(g: WindowGeometry) {
  return {
    kH: g.kH,
    kW: g.kW,
    sH: g.strideH,
    sW: g.strideW,
    padTop: g.padTop,
    padLeft: g.padLeft,
    inH: g.inH,
    inW: g.inW,
    cin: g.inC,
    outH: g.outH,
    outW: g.outW,
  };
}

/** A float32 conv or depthwise layer on x86-64: its window geometry and tensors, else null (the float variants' common gate). */
export function f32Window(l: Layer<Conv2DOp | DepthwiseConv2DOp>) {
  const { op, ctx } = l;
  if (!isX86(ctx)) return null;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  if (xT.dtype !== 'float32' || yT.dtype !== 'float32') return null;
  return { g: windowGeometry(ctx.graph, op), xT, yT };
}
