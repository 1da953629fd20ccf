/**
 * int8 pointwise 1×1 convolution and fully connected on x86-64 AVX2:
 * variant `avx2/gemm/s8` (`mobilec_pw_s8_avx2_t4x16_w16_24x24x16_32`,
 * templates/kernels/pw_s8_avx2.c.hbs, tile partials/avx2/pw_s8_tile.hbs).
 *
 * A register-blocked GEMM on VPMADDWD: per chunk of pixels the inputs are
 * widened once to int16 into arena scratch (K rounded up to even, a zero
 * appended to odd rows), so one dword holds the pair (x[k], x[k+1]); a tile
 * of TILE_PIXELS pixels × 16 output channels keeps 2·TILE_PIXELS int32
 * accumulators (started at the bias with the input zero point folded in,
 * `foldInputZeroPoint`) and per pair of input channels loads one row of its
 * panel (16 channels × the pair of `w − w_zp`: two loads, widened from int8
 * as they load when every value fits int8, flag `w8`, else stored as int16,
 * `w16`), broadcasts
 * each pixel's pair and issues VPMADDWD + VPADDD per vector. The weights are
 * packed at compile time into panels of 16 channels, `[K/2][16][2]`, the last
 * 8 wide when at most 8 channels remain, zero-padded; the last npix mod
 * TILE_PIXELS pixels take a tile of their own height; channel tails store
 * through a 16-byte buffer.
 *
 * Exact for any weights, zero points and inputs: x ∈ [−128, 127] and
 * w − w_zp ∈ [−255, 255] are int16, each product at most 128·255 = 32,640
 * in magnitude, a pair's sum at most 65,280: VPMADDWD never saturates (only
 * −32768·−32768 pairs do). The accumulators and the folded bias add modulo
 * 2^32 (VPADDD), as the reference's `acc | 0` of its exact sum. The epilogue
 * is the ISA's one requantization (`mobilec_avx2_mbqm`, then
 * `mobilec_avx2_narrow16`; src/codegen/isa/avx2/quant.ts).
 *
 * Chunks as the float32 GEMM (`avx2/gemm/f32`): layers whose widened weights
 * exceed RESIDENT_WEIGHT_BYTES run chunks of widened inputs within
 * CHUNK_BYTES, every panel passing over the chunk; smaller ones one tile per
 * chunk. A chunk widens its inputs before it writes an output (the
 * streaming block).
 */
import { formatKernelId, type KernelId } from '../../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import type { Op } from '../../../model/ir.js';
import { GEMM_OPS, gemmPlan, type GemmOp, type GemmPlan } from '../neon/gemm/shape.js';
import { foldInputZeroPoint } from '../../requant.js';
import { PANEL, RESIDENT_WEIGHT_BYTES, tailWidth } from './pointwise.js';
import { anyLeftShift, avx2Requant, RQ_GROUP } from './quant.js';
import { common, gemmTileSet, isX86 } from './shared.js';
import type { GemmLayer } from '../neon/gemm/shape.js';

/** Pixels of the main tile (16 output channels each: 2 accumulators per pixel). */
export const TILE_PIXELS_Q = 4;
/** Widened input bytes of one chunk of pixels (layers with weights past RESIDENT_WEIGHT_BYTES). */
export const CHUNK_BYTES_Q = 64 * 1024;

/** K rounded up to even (pairs of input channels). */
export const evenK = (K: number): number => K + (K % 2);

/**
 * Weights `w(oc, k)` as panels `[cout/16][Kp/2][16][2]` then the tail panel `[Kp/2][tailWidth][2]`, zero-padded:
 * int8 when `w8` (every value in [−128, 127]; the tile widens each row as it loads it), else int16.
 */
export function packPairPanels(w: (oc: number, k: number) => number, K: number, cout: number, w8: boolean): Int8Array | Int16Array {
  const kp = evenK(K);
  const nb = Math.floor(cout / PANEL);
  const tw = tailWidth(cout);
  const n = (nb * PANEL + tw) * kp;
  const out = w8 ? new Int8Array(n) : new Int16Array(n);
  let i = 0;
  const at = (oc: number, k: number) => (oc < cout && k < K ? w(oc, k) : 0);
  for (let b = 0; b < nb; b++)
    for (let k = 0; k < kp; k += 2)
      for (let c = 0; c < PANEL; c++) {
        out[i++] = at(b * PANEL + c, k);
        out[i++] = at(b * PANEL + c, k + 1);
      }
  for (let k = 0; k < kp; k += 2)
    for (let c = 0; c < tw; c++) {
      out[i++] = at(nb * PANEL + c, k);
      out[i++] = at(nb * PANEL + c, k + 1);
    }
  return out;
}

/** Pixels per chunk: one tile when the weights stay in L2 anyway, else a multiple of the tile whose widened inputs fit CHUNK_BYTES_Q. */
export function chunkPixelsQ(K: number, cout: number, npix: number): number {
  const kp = evenK(K);
  const tiles = Math.ceil(npix / TILE_PIXELS_Q) * TILE_PIXELS_Q;
  if (2 * kp * cout <= RESIDENT_WEIGHT_BYTES) return Math.min(TILE_PIXELS_Q, tiles);
  const byBytes = Math.floor(CHUNK_BYTES_Q / (2 * kp) / TILE_PIXELS_Q) * TILE_PIXELS_Q;
  return Math.max(TILE_PIXELS_Q, Math.min(byBytes, tiles));
}

/** Input channel pairs per loop iteration of a tile. */
const unrollFor = (pairs: number): number => (pairs % 4 === 0 ? 4 : pairs % 2 === 0 ? 2 : 1);

/** Every `w − w_zp` fits int8: the weights are stored as int8 (flag `w8`), else as int16 (`w16`). */
const fitsInt8 = (p: GemmPlan): boolean => valuesFitInt8(p.wv.w);

const id = (l: GemmLayer, p: GemmPlan): KernelId => ({
  op: p.op,
  dtype: 's8',
  isa: 'avx2',
  tile: `${TILE_PIXELS_Q}x${PANEL}`,
  flags: { ...(anyLeftShift(l.op, l.ctx, p.cout) ? { ls: true as const } : {}), ...(fitsInt8(p) ? { w8: true as const } : { w16: true as const }) },
  shape: p.shape,
});

/** Every `w − w_zp` fits int8 (values as numbers). */
export const valuesFitInt8 = (w: ArrayLike<number>): boolean => {
  for (let i = 0; i < w.length; i++) if (w[i]! < -128 || w[i]! > 127) return false;
  return true;
};

/**
 * The int8 GEMM over `npix` rows of K (pw_s8_avx2 and conv_s8_avx2 share it, with partials/avx2/pw_s8_tile.hbs and
 * gemm_s8_panels.hbs): the registered tables (weights, folded bias, requantization), the call arguments after the
 * input, and the template parameters (tiles, panels, chunk).
 */
export function gemmS8Tiles(
  l: Layer<Op>,
  kernel: string,
  K: number,
  cout: number,
  npix: number,
  W: (oc: number, k: number) => number,
  bv: ArrayLike<number>,
  w8: boolean,
) {
  const { ctx, op } = l;
  const kp = evenK(K);
  const kp2 = kp / 2;
  const nb = Math.floor(cout / PANEL);
  const tw = tailWidth(cout);
  const panels = nb + (tw > 0 ? 1 : 0);
  const tailC = cout % PANEL;
  const mr = TILE_PIXELS_Q;
  const r = npix % mr;
  const full = npix >= mr;
  const mc = chunkPixelsQ(K, cout, npix);
  const q = avx2Requant(op, ctx, cout, panels * PANEL);
  const bias = foldInputZeroPoint(bv, W, K, cout, panels * PANEL, q.table.xZp);
  const ctype = 'int8_t';
  const wtype = w8 ? 'int8_t' : 'int16_t';
  const tile = (name: string, rows: number, pw: number, channels: number) => ({
    name,
    mr: rows,
    nv: pw / 8,
    pw,
    channels,
    kp2,
    unroll: unrollFor(kp2),
    cout,
    ls: q.ls ? 1 : 0,
    w8,
    wtype,
    ctype,
    store: channels === 16 ? 'v16' : channels === 8 ? 'v8' : 'part',
  });
  const { names, tiles } = gemmTileSet(kernel, { mr, npix, nb, tw, tailC, panel: PANEL }, tile);
  return {
    q,
    mc,
    /** After the input pointer: weights, bias, rq, yZp, actMin, actMax, the scratch, then the output. */
    args: [ctx.table('xw', packPairPanels(W, K, cout, w8)), ctx.table('xbias', bias), q.rq, ...q.args, ctx.scratch('int32_t', 4 * kp2 * Math.min(mc, npix))],
    params: {
      common: common(),
      fn: kernel,
      ctype,
      wtype,
      npix,
      k: K,
      kp2,
      oddK: K % 2 === 1,
      cout,
      nb,
      tail: tw > 0,
      tailW: tw,
      tailC,
      panels,
      panelI16: PANEL * kp,
      rqPanel: 2 * RQ_GROUP,
      mc,
      mr,
      r,
      full,
      tiles,
      ...names,
    },
  };
}

function emit(l: GemmLayer, p: GemmPlan): OpEmission {
  const { ctx } = l;
  const { K, cout, npix } = p;
  const kernel = formatKernelId(id(l, p));
  const t = gemmS8Tiles(l, kernel, K, cout, npix, p.W, p.bv, fitsInt8(p));
  const args = [ctx.arena(p.xT.id, false), ...t.args, ctx.arena(p.yT.id, true)];
  return {
    family: 'pw_s8_avx2',
    kernel,
    params: { ...t.params, family: p.op === 'pw' ? 'pointwise 1x1' : 'fully connected', dtype: p.dtype },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * cout * K,
    // Each chunk of `mc` pixels widens its own inputs into scratch before it writes an output.
    ...(p.op === 'pw' ? { streaming: { pixelBlock: t.mc } } : {}),
  };
}

/**
 * int8 pointwise / FC, any K, cout, weight and activation zero points, and requantization. uint8 layers keep
 * generic C: their `w − w_zp` rarely fits int8, and int16 panels would double the host's weight bytes.
 */
export const gemmS8Variant: SimdVariant<GemmPlan, GemmOp> = {
  key: 'avx2/gemm/s8',
  isa: 'avx2',
  ops: GEMM_OPS,
  applies(l) {
    if (!isX86(l.ctx)) return null;
    const p = gemmPlan(l, false);
    return p?.quant && p.dtype === 'int8' ? p : null;
  },
  id,
  emit,
};
