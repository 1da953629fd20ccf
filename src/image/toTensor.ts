/**
 * Map a decoded image onto a model input tensor (docs/CONTRACT.md, "Images"):
 * convert channels, resize to the input's [1, H, W, C], then map each pixel
 * value p ∈ [0, 255]:
 *   uint8   q = p
 *   int8    q = p − 128
 *   float32 x = (p − 127.5) / 127.5
 *   with mean/std: x = (p − mean) / std, quantized with the input's scale and
 *   zero point (round half away from zero, clamped) for integer inputs; mean
 *   and std are one value for every channel or one per channel (PyTorch's
 *   `--mean 123.675,116.28,103.53 --std 58.395,57.12,57.375`, channel order).
 */

import { badInput } from '../model/errors.js';
import { dtypeRange, type Tensor, type TensorData } from '../model/ir.js';
import type { RgbImage } from './decode.js';
import { convertChannels, resizeBilinear } from './resize.js';

export interface ImageMapping {
  /** One value for every channel, or one per channel. */
  mean?: number | readonly number[];
  std?: number | readonly number[];
}

function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * The value each pixel p ∈ [0, 255] of each of `channels` channels maps to: one 256-entry table per channel.
 * A list of means or stds must hold one value or `channels` values (else exit 2 naming the flag).
 */
export function channelMappings(input: Tensor, channels: number, opts: ImageMapping = {}): number[][] {
  const list = (flag: string, v: number | readonly number[] | undefined): readonly (number | undefined)[] => {
    if (v === undefined || typeof v === 'number') return Array.from({ length: channels }, () => v as number | undefined);
    if (v.length === 1) return Array.from({ length: channels }, () => v[0]);
    if (v.length !== channels) {
      throw badInput(
        `${flag} ${v.join(',')}: ${v.length} values, but input tensor '${input.name}' has ${channels} channel${channels === 1 ? '' : 's'}; give one value or ${channels}`,
      );
    }
    return v;
  };
  const means = list('--mean', opts.mean);
  const stds = list('--std', opts.std);
  return means.map((mean, k) => pixelMapping(input, { mean, std: stds[k] }));
}

/** The value each pixel p ∈ [0, 255] maps to, as a 256-entry table (one mean and std). */
export function pixelMapping(input: Tensor, opts: { mean?: number; std?: number } = {}): number[] {
  const { mean, std } = opts;
  const dtype = input.dtype;
  if ((mean === undefined) !== (std === undefined)) throw badInput('image mapping: --mean and --std go together');
  if (mean !== undefined && std !== undefined) {
    if (!Number.isFinite(mean)) throw badInput(`image mapping: --mean ${mean} is not a finite number`);
    if (!Number.isFinite(std) || std === 0) throw badInput(`image mapping: --std ${std} must be a finite non-zero number`);
  }
  const table: number[] = [];
  for (let p = 0; p < 256; p++) {
    if (mean === undefined || std === undefined) {
      if (dtype === 'uint8') table.push(p);
      else if (dtype === 'int8') table.push(p - 128);
      else table.push((p - 127.5) / 127.5);
      continue;
    }
    const x = (p - mean) / std;
    if (dtype === 'float32') {
      table.push(x);
      continue;
    }
    const q = input.quant;
    const scale = q?.scale[0];
    const zp = q?.zeroPoint[0];
    if (scale === undefined || zp === undefined || !(scale > 0) || q!.scale.length !== 1) {
      throw badInput(`input tensor '${input.name}' (${dtype}) has no per-tensor quantization to apply --mean/--std with`);
    }
    const [lo, hi] = dtypeRange(dtype as 'int8' | 'uint8');
    table.push(Math.min(hi, Math.max(lo, roundHalfAwayFromZero(x / scale) + zp)));
  }
  return table;
}

/**
 * The input tensor's data for `img`: channels converted, resized (Pillow
 * bilinear) to the tensor's H × W, pixels mapped per the contract.
 */
export function imageToTensor(img: RgbImage, input: Tensor, opts: ImageMapping = {}): TensorData {
  const shape = input.shape;
  const [n, h, w, c] = shape;
  if (shape.length !== 4 || n !== 1 || (c !== 1 && c !== 3) || !(h! >= 1) || !(w! >= 1)) {
    throw badInput(`input tensor '${input.name}' has shape [${shape.join(', ')}]; --image needs an NHWC input [1, H, W, 1 or 3]`);
  }
  if (input.dtype !== 'uint8' && input.dtype !== 'int8' && input.dtype !== 'float32') {
    throw badInput(`input tensor '${input.name}' is ${input.dtype}; --image supports uint8, int8 and float32 inputs`);
  }
  const tables = channelMappings(input, c, opts);
  const sized = resizeBilinear(convertChannels(img, c), w!, h!);
  const px = sized.data;
  const out = input.dtype === 'uint8' ? new Uint8Array(px.length) : input.dtype === 'int8' ? new Int8Array(px.length) : new Float32Array(px.length);
  // Interleaved (NHWC): element i is channel i mod C.
  for (let i = 0; i < px.length; i++) out[i] = tables[i % c]![px[i]!]!;
  return out;
}
