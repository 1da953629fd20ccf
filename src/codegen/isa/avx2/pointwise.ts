/**
 * float32 pointwise 1×1 convolution and fully connected on x86-64 AVX2 + FMA:
 * variant `avx2/gemm/f32` (`mobilec_pw_f32_avx2_t6x16_relu6_x512_112x112x32_64`,
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
 * The kernel also has an AVX-512F body (flag `x512`, partials/avx2/pw_tile512.hbs,
 * `zmmTiles`), run where invoke's CPU check found AVX-512F: 6 pixels × 4 panels
 * (64 channels) in 24 zmm accumulators over the same panels, then one rest tile
 * of the remaining panels and the tail panel; -DMOBILEC_NO_AVX512 compiles it out.
 *
 * FMA rounds once per multiply-add (the reference rounds twice) and the sums
 * run in another order: within the float tolerance, not bit-equal (both bodies
 * sum each output in the same order).
 */
import type { Activation } from '../../../model/ir.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import type { OpEmission, SimdVariant } from '../../types.js';
import { GEMM_OPS, gemmPlan, type GemmLayer, type GemmOp, type GemmPlan } from '../neon/gemm/shape.js';
import { actFlags, actParams, common, gemmTileSet, isX86, maskLanes } from './shared.js';

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
  flags: { ...actFlags(l.op.activation), x512: true },
  shape: p.shape,
});

/** Panels (of 16 channels) per register tile of the AVX-512F body: 6 pixels x 64 channels, 24 zmm accumulators. */
export const ZMM_PANELS = 4;

/** `__mmask16` of the first `n` of 16 lanes, as a C constant. */
const mask16 = (n: number): string => `0x${((1 << n) - 1).toString(16).toUpperCase()}`;

/**
 * The AVX-512F body's tiles (partials/avx2/pw_tile512.hbs) over the same packed panels as the AVX2 body:
 * groups of ZMM_PANELS full panels (one zmm per panel row), then one rest group of the remaining full
 * panels and the tail panel (its row 8 or 16 floats, read by a masked load when 8; its channels stored
 * under a `__mmask16`); 6 pixels or the last npix mod 6, as the AVX2 tiles.
 */
function zmmTiles(kernel: string, K: number, cout: number, npix: number, act: Activation) {
  const nb = Math.floor(cout / PANEL);
  const tw = tailWidth(cout);
  const tailC = cout % PANEL;
  const r = npix % TILE_PIXELS;
  const full = npix >= TILE_PIXELS;
  const groups = Math.floor(nb / ZMM_PANELS);
  const restFull = nb % ZMM_PANELS;
  const rest = restFull + (tw > 0 ? 1 : 0);
  const ap = actParams(act);
  const tile = (name: string, mr: number, nz: number, withTail: boolean) => ({
    name,
    mr,
    nz,
    k: K,
    unroll: unrollFor(K),
    cout,
    channels: (withTail ? nz - 1 : nz) * PANEL + (withTail ? tailC : 0),
    panels: Array.from({ length: nz }, (_, j) => {
      const isTail = withTail && j === nz - 1;
      const pw = isTail ? tw : PANEL;
      return { j, off: j * PANEL * K, pw, half: pw === 8, store: isTail ? mask16(tailC) : null, yOff: j * PANEL };
    }),
    ...ap,
  });
  const names = { zFull: `${kernel}_z${TILE_PIXELS}`, zRest: `${kernel}_z${r}`, zFullRest: `${kernel}_z${TILE_PIXELS}r`, zRestRest: `${kernel}_z${r}r` };
  const tiles512 = [
    ...(groups > 0 && full ? [tile(names.zFull, TILE_PIXELS, ZMM_PANELS, false)] : []),
    ...(groups > 0 && r > 0 ? [tile(names.zRest, r, ZMM_PANELS, false)] : []),
    ...(rest > 0 && full ? [tile(names.zFullRest, TILE_PIXELS, rest, tw > 0)] : []),
    ...(rest > 0 && r > 0 ? [tile(names.zRestRest, r, rest, tw > 0)] : []),
  ];
  return {
    tiles512,
    groups,
    rest: rest > 0,
    groupFloats: ZMM_PANELS * PANEL * K,
    groupChannels: ZMM_PANELS * PANEL,
    restWOff: groups * ZMM_PANELS * PANEL * K,
    restCOff: groups * ZMM_PANELS * PANEL,
    ...names,
  };
}

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
  const { names, tiles } = gemmTileSet(kernel, { mr: TILE_PIXELS, npix, nb, tw, tailC, panel: PANEL }, tile);
  const panels = nb + (tw > 0 ? 1 : 0);
  const z = zmmTiles(kernel, K, cout, npix, act);
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
      ...z,
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
