/**
 * float32 pointwise 1×1 convolution and fully connected on x86-64 AVX2 + FMA:
 * variant `avx2/gemm/f32` (`mobilec_pw_f32_avx2_t6x16_relu6_112x112x32_64`,
 * templates/kernels/pw_avx2.c.hbs, tile partials/avx2/pw_tile.hbs).
 *
 * A register-blocked GEMM: a tile holds 6 pixels × 16 output channels in 12
 * ymm accumulators (started at the bias); per input channel it loads one row
 * of 16 weights (2 loads), broadcasts each pixel's input (6 loads) and issues
 * 12 FMAs, 2 + 1 + 12 = 15 of the 16 ymm registers. The weights are packed at
 * compile time (`packPanels`) into panels of 16 output channels, `[K][16]`
 * each, the order the tile reads them; the last panel of a layer whose
 * channels do not divide by 16 is 8 wide when at most 8 remain (one
 * accumulator per pixel) and zero-padded, its last vector stored under a
 * mask. The last npix mod 6 pixels take a tile of their own height.
 *
 * Pixels run in chunks (`chunkPixels`): every panel passes over the chunk's
 * inputs (at most CHUNK_BYTES) while they are in L2, so a layer whose weights
 * exceed RESIDENT_WEIGHT_BYTES reads them once per chunk, not once per tile;
 * smaller weights stay in L2 anyway and the chunk is one tile. The chunk is
 * the kernel's streaming block: it reads only its own pixels' inputs.
 *
 * FMA rounds once per multiply-add (the reference rounds twice) and the sums
 * run in another order: within the float tolerance, not bit-equal.
 */
import type { Activation } from '../../../model/ir.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import type { OpEmission, SimdVariant } from '../../types.js';
import { GEMM_OPS, gemmPlan, type GemmLayer, type GemmOp, type GemmPlan } from '../neon/gemm/shape.js';
import { actFlags, actParams, common, isX86, maskLanes } from './shared.js';

/** Pixels and output channels of the main tile. */
export const TILE_PIXELS = 6;
export const PANEL = 16;
/** Input bytes of one chunk of pixels (kept in the 2 MB L2 with a panel beside it). */
export const CHUNK_BYTES = 256 * 1024;
/**
 * Weights up to this many bytes stay in L2 whatever the order: such a layer runs one tile of
 * pixels per chunk (every panel over 6 pixels, then the next 6), which keeps its streaming block,
 * hence the room its in-place output needs in the arena, one tile.
 */
export const RESIDENT_WEIGHT_BYTES = 512 * 1024;

/** Width of the last panel: 16, or 8 when at most 8 channels remain (0: no tail panel). */
export const tailWidth = (cout: number): number => (cout % PANEL === 0 ? 0 : cout % PANEL <= 8 ? 8 : PANEL);

/** Weights `w[oc][k]` as panels `[cout/16][K][16]` then the tail panel `[K][tailWidth]`, zero-padded. */
export function packPanels(w: (oc: number, k: number) => number, K: number, cout: number): Float32Array {
  const nb = Math.floor(cout / PANEL);
  const tw = tailWidth(cout);
  const out = new Float32Array(nb * PANEL * K + tw * K);
  let i = 0;
  for (let b = 0; b < nb; b++) for (let k = 0; k < K; k++) for (let c = 0; c < PANEL; c++) out[i++] = w(b * PANEL + c, k);
  for (let k = 0; k < K; k++) for (let c = 0; c < tw; c++) out[i++] = nb * PANEL + c < cout ? w(nb * PANEL + c, k) : 0;
  return out;
}

/** Pixels per chunk: a multiple of the tile, inputs within `bytes`, at least one tile. */
export function chunkPixels(K: number, npix: number, bytes: number): number {
  const byBytes = Math.floor(bytes / (4 * K) / TILE_PIXELS) * TILE_PIXELS;
  return Math.max(TILE_PIXELS, Math.min(byBytes, Math.ceil(npix / TILE_PIXELS) * TILE_PIXELS));
}

/** Input channels per loop iteration of a tile. */
const unrollFor = (K: number): number => (K % 4 === 0 ? 4 : K % 2 === 0 ? 2 : 1);

const id = (l: GemmLayer, p: GemmPlan): KernelId => ({
  op: p.op,
  dtype: 'f32',
  isa: 'avx2',
  tile: `${TILE_PIXELS}x${PANEL}`,
  flags: actFlags(l.op.activation),
  shape: p.shape,
});

/**
 * The tile and driver parameters of the GEMM over `npix` rows of K (pw_avx2 and conv_avx2 share them,
 * with partials/avx2/pw_tile.hbs): which tiles exist (6 or the last npix mod 6 pixels, full or tail panel),
 * their names, the panel counts, the chunk, the bias padded to whole panels.
 */
export function gemmTiles(kernel: string, K: number, cout: number, npix: number, act: Activation, bv: ArrayLike<number>, mc: number) {
  const nb = Math.floor(cout / PANEL);
  const tw = tailWidth(cout);
  const tailC = cout % PANEL;
  const r = npix % TILE_PIXELS;
  const full = npix >= TILE_PIXELS;
  const ap = actParams(act);
  const tile = (name: string, mr: number, pw: number, channels: number) => ({
    name,
    mr,
    nv: pw / 8,
    pw,
    channels,
    k: K,
    unroll: unrollFor(K),
    cout,
    mask: channels % 8 !== 0,
    maskLanes: maskLanes(channels % 8),
    ...ap,
  });
  const names = {
    tileFull: `${kernel}_p${TILE_PIXELS}`,
    tileRest: `${kernel}_p${r}`,
    tileFullTail: `${kernel}_p${TILE_PIXELS}t`,
    tileRestTail: `${kernel}_p${r}t`,
  };
  const tiles = [
    ...(nb > 0 && full ? [tile(names.tileFull, TILE_PIXELS, PANEL, PANEL)] : []),
    ...(nb > 0 && r > 0 ? [tile(names.tileRest, r, PANEL, PANEL)] : []),
    ...(tw > 0 && full ? [tile(names.tileFullTail, TILE_PIXELS, tw, tailC)] : []),
    ...(tw > 0 && r > 0 ? [tile(names.tileRestTail, r, tw, tailC)] : []),
  ];
  const panels = nb + (tw > 0 ? 1 : 0);
  const bias = new Float32Array(panels * PANEL);
  for (let c = 0; c < cout; c++) bias[c] = bv[c]!;
  return {
    bias,
    params: {
      fn: kernel,
      npix,
      k: K,
      cout,
      nb,
      tail: tw > 0,
      tailW: tw,
      tailC,
      panels,
      panelFloats: PANEL * K,
      mc,
      mr: TILE_PIXELS,
      r,
      full,
      tiles,
      ...names,
      act,
    },
  };
}

function emit(l: GemmLayer, p: GemmPlan): OpEmission {
  const { ctx, op } = l;
  const { K, cout, npix } = p;
  const kernel = formatKernelId(id(l, p));
  const mc = 4 * K * cout <= RESIDENT_WEIGHT_BYTES ? TILE_PIXELS : chunkPixels(K, npix, CHUNK_BYTES);
  const g = gemmTiles(kernel, K, cout, npix, op.activation, p.bv, mc);
  const args = [ctx.arena(p.xT.id, false), ctx.table('xw', packPanels(p.W, K, cout)), ctx.table('xbias', g.bias), ctx.arena(p.yT.id, true)];
  return {
    family: 'pw_avx2',
    kernel,
    params: { common: common(), family: p.op === 'pw' ? 'pointwise 1x1' : 'fully connected', ...g.params },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * cout * K,
    // Each chunk of `mc` pixels reads only its own inputs, before and while it writes its outputs.
    ...(p.op === 'pw' ? { streaming: { pixelBlock: mc } } : {}),
  };
}

/** float32 pointwise / FC, any K and cout. */
export const gemmF32Variant: SimdVariant<GemmPlan, GemmOp> = {
  key: 'avx2/gemm/f32',
  isa: 'avx2',
  ops: GEMM_OPS,
  applies(l) {
    if (!isX86(l.ctx)) return null;
    const p = gemmPlan(l, false);
    return p && p.mode === 'f32' ? p : null;
  },
  id,
  emit,
};
