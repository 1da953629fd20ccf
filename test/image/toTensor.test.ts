import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType, Quantization, Tensor } from '../../src/model/ir.js';
import { MobilecError } from '../../src/model/errors.js';
import type { RgbImage } from '../../src/image/decode.js';
import { decodeImage } from '../../src/image/decode.js';
import { imageToTensor } from '../../src/image/toTensor.js';
import { SHARED } from '../helpers/shared.js';

function tensor(dtype: DType, shape: number[], quant?: Quantization): Tensor {
  return { id: 0, name: 'input', shape, dtype, quant };
}
const q = (scale: number, zeroPoint: number): Quantization => ({ scale: [scale], zeroPoint: [zeroPoint], axis: 0 });
const pixel = (...v: number[]): RgbImage => ({
  width: 1,
  height: 1,
  channels: v.length as 1 | 3,
  data: Uint8Array.from(v),
});

describe('imageToTensor pixel mappings', () => {
  const img = pixel(200);

  it('uint8: q = p; int8: q = p − 128; float32: (p − 127.5) / 127.5', () => {
    const u = imageToTensor(img, tensor('uint8', [1, 1, 1, 1], q(1, 0)), {});
    expect(u).toBeInstanceOf(Uint8Array);
    expect(Array.from(u)).toEqual([200]);
    const s = imageToTensor(img, tensor('int8', [1, 1, 1, 1], q(1, 0)), {});
    expect(s).toBeInstanceOf(Int8Array);
    expect(Array.from(s)).toEqual([72]);
    const f = imageToTensor(img, tensor('float32', [1, 1, 1, 1]), {});
    expect(f).toBeInstanceOf(Float32Array);
    expect(f[0]).toBe(Math.fround(72.5 / 127.5));
    const ends = imageToTensor(pixel(0, 255, 0), tensor('float32', [1, 1, 1, 3]), {});
    expect(Array.from(ends)).toEqual([-1, 1, -1]);
    expect(Array.from(imageToTensor(pixel(0), tensor('int8', [1, 1, 1, 1], q(1, 0)), {}))).toEqual([-128]);
  });

  it('mean/std: x = (p − m) / s, quantized with scale / zero point, half away from zero, clamped', () => {
    // x = (200 − 100) / 50 = 2
    expect(Array.from(imageToTensor(img, tensor('float32', [1, 1, 1, 1]), { mean: 100, std: 50 }))).toEqual([2]);
    expect(Array.from(imageToTensor(img, tensor('int8', [1, 1, 1, 1], q(0.5, -10)), { mean: 100, std: 50 }))).toEqual([-6]);
    expect(Array.from(imageToTensor(img, tensor('uint8', [1, 1, 1, 1], q(1 / 64, 0)), { mean: 100, std: 50 }))).toEqual([128]);
    expect(Array.from(imageToTensor(img, tensor('int8', [1, 1, 1, 1], q(0.001, 0)), { mean: 100, std: 50 }))).toEqual([127]);
    expect(Array.from(imageToTensor(img, tensor('uint8', [1, 1, 1, 1], q(0.001, 0)), { mean: 300, std: 50 }))).toEqual([0]);
    // x = (0 − 5) / 2 = −2.5 → −3 (away from zero); x = 2.5 → 3.
    expect(Array.from(imageToTensor(pixel(0), tensor('int8', [1, 1, 1, 1], q(1, 0)), { mean: 5, std: 2 }))).toEqual([-3]);
    expect(Array.from(imageToTensor(pixel(10), tensor('int8', [1, 1, 1, 1], q(1, 0)), { mean: 5, std: 2 }))).toEqual([3]);
  });

  it('converts channels and resizes to the input shape', () => {
    // grey 2x2 → RGB 1x1: average 25 replicated.
    const g: RgbImage = { width: 2, height: 2, channels: 1, data: Uint8Array.from([10, 20, 30, 40]) };
    expect(Array.from(imageToTensor(g, tensor('uint8', [1, 1, 1, 3], q(1, 0)), {}))).toEqual([25, 25, 25]);
    // RGB → grey (luma) for a 1-channel input.
    expect(Array.from(imageToTensor(pixel(255, 0, 0), tensor('uint8', [1, 1, 1, 1], q(1, 0)), {}))).toEqual([76]);
    // Output layout is NHWC, H × W taken from the shape.
    const out = imageToTensor(pixel(9), tensor('int8', [1, 2, 3, 1], q(1, 0)), {});
    expect(out.length).toBe(6);
  });

  it('rejects unusable input tensors and half a mean/std pair', () => {
    const bad = (fn: () => unknown): void => {
      expect(fn).toThrow(MobilecError);
    };
    bad(() => imageToTensor(img, tensor('uint8', [1, 4, 4, 2], q(1, 0)), {}));
    bad(() => imageToTensor(img, tensor('uint8', [2, 4, 4, 3], q(1, 0)), {}));
    bad(() => imageToTensor(img, tensor('uint8', [4, 4, 3], q(1, 0)), {}));
    bad(() => imageToTensor(img, tensor('int32', [1, 4, 4, 3]), {}));
    bad(() => imageToTensor(img, tensor('int8', [1, 1, 1, 1]), { mean: 1, std: 1 }));
    bad(() => imageToTensor(img, tensor('float32', [1, 1, 1, 1]), { mean: 1 }));
    bad(() => imageToTensor(img, tensor('float32', [1, 1, 1, 1]), { mean: 1, std: 0 }));
  });
});

const haveShared = existsSync(join(SHARED, 'images')) && existsSync(join(SHARED, 'expected'));

describe.skipIf(!haveShared && process.env.CI !== 'true')('shared images → tensors', () => {
  it('bird.bmp → uint8 [1,128,128,3] equals the expected input', () => {
    const t = imageToTensor(decodeImage(join(SHARED, 'images', 'bird.bmp')), tensor('uint8', [1, 128, 128, 3], q(1 / 128, 128)), {});
    const want = readFileSync(join(SHARED, 'expected', 'mobilenet_v1_0.25_128_quant.bird.input.bin'));
    expect(Buffer.from(t.buffer, t.byteOffset, t.byteLength).equals(want)).toBe(true);
  });

  it('person.bmp → int8 [1,96,96,1] with the contract mapping is p − 128 of the raw bytes', () => {
    const t = imageToTensor(decodeImage(join(SHARED, 'images', 'person.bmp')), tensor('int8', [1, 96, 96, 1], q(1 / 256, -128)), {});
    const raw = readFileSync(join(SHARED, 'expected', 'person_detect.person.input.bin'));
    expect(t).toBeInstanceOf(Int8Array);
    expect(Array.from(t)).toEqual(Array.from(raw, (p) => p - 128));
  });
});
