/**
 * Channel conversion and bilinear resizing for `run --image`.
 *
 * The resize reproduces Pillow's `Image.resize(size, BILINEAR)` bit for bit
 * (libImaging/Resample.c): a separable triangle filter whose support is
 * widened by the scale factor when shrinking (area-weighted, antialiased) and
 * is the plain pixel-centre bilinear interpolation when enlarging; weights
 * are normalised per output pixel (which clamps at the edges), converted to
 * 22-bit fixed point, the horizontal pass runs first and each pass rounds to
 * uint8. The expected bird input was produced by Pillow, so matching its
 * arithmetic exactly makes the image path testable bit for bit.
 */

import { badInput } from '../model/errors.js';
import type { RgbImage } from './decode.js';

/**
 * RGB → grey with the ITU-R 601 luma weights (0.299, 0.587, 0.114), rounded,
 * in Pillow's fixed point: (19595 R + 38470 G + 7471 B + 2^15) >> 16.
 * Grey → RGB replicates the value. Same channel count → a copy.
 */
export function convertChannels(img: RgbImage, channels: 1 | 3): RgbImage {
  const { width, height } = img;
  const n = width * height;
  if (img.channels === channels) return { width, height, channels, data: img.data.slice() };
  const src = img.data;
  if (channels === 1) {
    const out = new Uint8Array(n);
    for (let i = 0, s = 0; i < n; i++, s += 3) {
      out[i] = (src[s]! * 19595 + src[s + 1]! * 38470 + src[s + 2]! * 7471 + 0x8000) >>> 16;
    }
    return { width, height, channels: 1, data: out };
  }
  const out = new Uint8Array(n * 3);
  for (let i = 0, o = 0; i < n; i++) {
    const v = src[i]!;
    out[o++] = v;
    out[o++] = v;
    out[o++] = v;
  }
  return { width, height, channels: 3, data: out };
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Per output index: first source index, tap count, and fixed-point taps. */
interface Coeffs {
  readonly ksize: number;
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly taps: Int32Array; // outSize * ksize
}

function bilinearFilter(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear filter. */
export function bilinearCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1 * filterscale; // bilinear filter support is 1
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const taps = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bilinearFilter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      taps[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, first, count, taps };
}

function clip8(acc: number): number {
  if (acc <= 0) return 0;
  if (acc >= 256 * ONE) return 255;
  return Math.floor(acc / ONE);
}

function resampleHorizontal(src: Uint8Array, w: number, h: number, c: number, outW: number): Uint8Array {
  const { ksize, first, count, taps } = bilinearCoeffs(w, outW);
  const out = new Uint8Array(outW * h * c);
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = first[xx]!;
      const n = count[xx]!;
      const kb = xx * ksize;
      for (let ch = 0; ch < c; ch++) {
        let acc = HALF;
        for (let i = 0; i < n; i++) acc += src[row + (xmin + i) * c + ch]! * taps[kb + i]!;
        out[(y * outW + xx) * c + ch] = clip8(acc);
      }
    }
  }
  return out;
}

function resampleVertical(src: Uint8Array, w: number, h: number, c: number, outH: number): Uint8Array {
  const { ksize, first, count, taps } = bilinearCoeffs(h, outH);
  const rowLen = w * c;
  const out = new Uint8Array(rowLen * outH);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = first[yy]!;
    const n = count[yy]!;
    const kb = yy * ksize;
    for (let j = 0; j < rowLen; j++) {
      let acc = HALF;
      for (let i = 0; i < n; i++) acc += src[(ymin + i) * rowLen + j]! * taps[kb + i]!;
      out[yy * rowLen + j] = clip8(acc);
    }
  }
  return out;
}

/**
 * Resize to `width` × `height` with Pillow's BILINEAR filter (see the module
 * comment). The same size returns a copy.
 */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  for (const [what, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw badInput(`image resize: target ${what} ${v} is not a positive integer`);
  }
  const c = img.channels;
  if (img.data.length !== img.width * img.height * c) {
    throw badInput(`image resize: ${img.width}x${img.height}x${c} image has ${img.data.length} bytes`);
  }
  let data = img.data;
  let w = img.width;
  if (width !== w) {
    data = resampleHorizontal(data, w, img.height, c, width);
    w = width;
  }
  if (height !== img.height) data = resampleVertical(data, w, img.height, c, height);
  return { width, height, channels: c, data: data === img.data ? data.slice() : data };
}
