/**
 * The NEON register-tile convolution (first layers): P output pixels x 4Q
 * channels fully unrolled over every tap, row segments loaded once per kernel
 * row; aarch64 assembly (float32, int16 widened, SDOT) or intrinsics (the
 * armv7 form and the shapes the assembly does not take).
 */
import type { OpEmission } from '../../../types.js';
import { convAcc, convRowTaps, convSdotShifts } from '../regalloc.js';
import {
  convCall,
  convId,
  convParams,
  foldedBias,
  isAarch64,
  kernelName,
  packByTap,
  packSdotRows,
  paddedBias,
  requantFlags,
  taps,
  type ConvLayer,
  type ConvTile,
} from './plan.js';
import type { KernelId } from '../../../kernelId.js';

/** Which form of the tile: aarch64 (assembly where it fits, else intrinsics), SDOT, or the armv7 intrinsics. */
export type TileForm = 'a64' | 'sdot' | 'v7';

export const tileId = (c: ConvLayer, tile: ConvTile, form: TileForm): KernelId =>
  convId(c, form === 'sdot' ? 'neondot' : form === 'v7' && !isAarch64(c.ctx) ? 'neon32' : 'neon', `${tile.P}x${4 * tile.Q}`, requantFlags(c, true));

/** The register tiles over zero-point padded row segments (see convTileSource). */
export function emitTile(c: ConvLayer, tile: ConvTile, form: TileForm): OpEmission {
  const { g, quant } = c;
  const OCB = 4 * tile.Q;
  const nOcb = Math.ceil(g.outC / OCB);
  const ocpad = nOcb * OCB;
  const T = taps(g);
  const G = Math.ceil((g.kW * g.inC) / 4);
  const sdot = form === 'sdot';
  const packed = sdot ? packSdotRows(c) : packByTap(c, OCB);
  const kernel = kernelName(tileId(c, tile, form));
  // SDOT multiplies raw activations: the zero point goes into the bias (borders are padded with it).
  const call = !quant
    ? convCall(c, kernel, Float32Array.from(packed), Float32Array.from(paddedBias(c, ocpad)), ocpad)
    : sdot
      ? convCall(c, kernel, Int8Array.from(packed), foldedBias(c, ocpad), ocpad)
      : convCall(c, kernel, Int16Array.from(packed), Int32Array.from(paddedBias(c, ocpad)), ocpad);
  return {
    family: 'conv_neon',
    kernel,
    params: {
      ...convParams(c, kernel, sdot ? 'int8_t' : quant ? 'int16_t' : 'float'),
      mode: quant ? `int16 widened, ${tile.P} pixels x ${OCB} channels` : `f32, ${tile.P} pixels x ${OCB} channels`,
      fast: true,
      ...tileParams(c, tile, form),
      P: tile.P,
      ocb: OCB,
      nOcb,
      wstride: sdot ? g.kH * G * 64 : T * OCB,
      segAlloc: sdot ? 36 : tile.segAlloc,
    },
    call,
    macs: g.outH * g.outW * g.outC * T,
  };
}

/** The tile's template parameters (templates/partials/neon/conv/tile.hbs); registers from regalloc.ts. */
function tileParams(c: ConvLayer, tile: ConvTile, form: TileForm) {
  const { g, quant, dtype } = c;
  const { P, Q, segRegs } = tile;
  const body =
    !quant && P * Q <= 16 && segRegs <= 8
      ? 'f32'
      : form === 'sdot'
        ? 'sdot'
        : quant && form !== 'v7' && (Q === 2 || Q === 4) && P * Q <= 16 && segRegs <= 4
          ? 'i16'
          : 'intrin';
  const kind = body === 'sdot' ? 'sdot' : quant ? 'i16' : 'f32';
  const rows = convRowTaps(g, P, Q, kind, 8, 12).map((row) => row.map((t) => ({ ...t, pmacs: [...t.macs].sort((x, y) => x.p - y.p || x.q - y.q) })));
  // Segment registers the intrinsics tile reads (a strided 1x1 window skips some): only those are declared.
  const used = new Set(rows.flatMap((row) => row.flatMap((t) => t.pmacs.map((m) => m.s))));
  return {
    body,
    v7: form === 'v7',
    u8: dtype === 'uint8',
    hasLsh: c.rq?.anyLeft ?? false,
    allNeg: c.rq?.allRight ?? false,
    Q,
    OCB: 4 * Q,
    segRegs,
    rows,
    pixels: Array.from({ length: P }, (_, p) => ({ a0: convAcc(Q, p, 0), a1: convAcc(Q, p, 1), a2: convAcc(Q, p, 2), a3: convAcc(Q, p, 3) })),
    accs: Array.from({ length: P * Q }, (_, k) => ({ a: 16 + k, q: k % Q, t: k % 2 ? 9 : 8 })),
    tileSeg: Array.from({ length: Math.ceil(segRegs / 4) }, (_, i) => ({ j: 4 * i, n: Math.min(4, segRegs - 4 * i), post: 4 * i + 4 < segRegs })),
    segLd: Math.ceil(segRegs / 2),
    seg: Array.from({ length: segRegs }, (_, j) => ({ j, hi: j % 2 === 1, src: 4 + (j >> 1) })),
    segPairs: Array.from({ length: Math.ceil(segRegs / 2) }, (_, i) => {
      const lo = used.has(2 * i);
      const hi = 2 * i + 1 < segRegs && used.has(2 * i + 1);
      return { j: 2 * i, lo, two: hi, any: lo || hi };
    }),
    segUsed: Array.from({ length: segRegs }, (_, j) => j).filter((j) => used.has(j)),
    shifts: body === 'sdot' ? convSdotShifts(g, P).map((sh, ci) => ({ sh, zero: sh === 0, r0: 2 * ci, r1: 2 * ci + 1 })) : [],
  };
}
