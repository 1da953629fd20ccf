import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbImage } from '../../src/image/decode.js';
import { decodeImage } from '../../src/image/decode.js';
import { convertChannels, resizeBilinear } from '../../src/image/resize.js';
import { SHARED } from '../helpers/shared.js';

const grey = (width: number, height: number, px: number[]): RgbImage => ({
  width,
  height,
  channels: 1,
  data: Uint8Array.from(px),
});

describe('convertChannels', () => {
  it('RGB → grey with rounded ITU-R 601 weights (0.299, 0.587, 0.114)', () => {
    const img: RgbImage = {
      width: 5,
      height: 1,
      channels: 3,
      data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 255, 255, 255]),
    };
    const g = convertChannels(img, 1);
    expect(g.channels).toBe(1);
    // 76.245 → 76, 149.685 → 150, 29.07 → 29, 18.15 → 18, 255.
    expect(Array.from(g.data)).toEqual([76, 150, 29, 18, 255]);
  });

  it('grey → RGB replicates; grey → RGB → grey round-trips', () => {
    const g = grey(3, 1, [0, 77, 255]);
    const rgb = convertChannels(g, 3);
    expect(Array.from(rgb.data)).toEqual([0, 0, 0, 77, 77, 77, 255, 255, 255]);
    const all = grey(
      256,
      1,
      Array.from({ length: 256 }, (_, i) => i),
    );
    expect(Array.from(convertChannels(convertChannels(all, 3), 1).data)).toEqual(Array.from(all.data));
  });
});

describe('resizeBilinear (Pillow BILINEAR)', () => {
  it('same size is the identity (a copy)', () => {
    const img: RgbImage = { width: 2, height: 2, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) };
    const out = resizeBilinear(img, 2, 2);
    expect(Array.from(out.data)).toEqual(Array.from(img.data));
    expect(out.data).not.toBe(img.data);
  });

  it('2x2 → 1x1 is the average (each pass rounds half up)', () => {
    expect(Array.from(resizeBilinear(grey(2, 2, [10, 20, 30, 40]), 1, 1).data)).toEqual([25]);
    // rows: 15, 35.5 → 36; then (15 + 36) / 2 = 25.5 → 26.
    expect(Array.from(resizeBilinear(grey(2, 2, [10, 20, 30, 41]), 1, 1).data)).toEqual([26]);
    const rgb: RgbImage = { width: 2, height: 2, channels: 3, data: Uint8Array.from([0, 100, 255, 10, 100, 255, 20, 0, 255, 30, 0, 255]) };
    expect(Array.from(resizeBilinear(rgb, 1, 1).data)).toEqual([15, 50, 255]);
  });

  it('4x1 → 2x1 area shrink: triangle of radius 2, weights 3/7, 3/7, 1/7', () => {
    // out0 = (3·0 + 3·70 + 140) / 7 = 50; out1 = (70 + 3·140 + 3·210) / 7 = 160.
    expect(Array.from(resizeBilinear(grey(4, 1, [0, 70, 140, 210]), 2, 1).data)).toEqual([50, 160]);
    // Vertically the same.
    expect(Array.from(resizeBilinear(grey(1, 4, [0, 70, 140, 210]), 1, 2).data)).toEqual([50, 160]);
  });

  it('2x1 → 4x1 enlarge: pixel-centre bilinear, clamped at the edges', () => {
    // src x = (dst + 0.5) / 2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamp → 0, 25, 75, 100.
    expect(Array.from(resizeBilinear(grey(2, 1, [0, 100]), 4, 1).data)).toEqual([0, 25, 75, 100]);
    expect(Array.from(resizeBilinear(grey(1, 1, [42]), 3, 2).data)).toEqual([42, 42, 42, 42, 42, 42]);
  });

  it('constant images stay constant at any size; extremes stay in range', () => {
    const c = grey(7, 5, new Array(35).fill(255));
    for (const [w, h] of [
      [3, 2],
      [11, 13],
      [1, 1],
      [7, 1],
    ] as const) {
      expect(resizeBilinear(c, w, h).data.every((v) => v === 255)).toBe(true);
    }
  });

  it('rejects non-positive target sizes', () => {
    expect(() => resizeBilinear(grey(1, 1, [0]), 0, 1)).toThrow(/positive integer/);
  });
});

const BIRD = join(SHARED, 'images', 'bird.bmp');
const BIRD_INPUT = join(SHARED, 'expected', 'mobilenet_v1_0.25_128_quant.bird.input.bin');

describe.skipIf(!(existsSync(BIRD) && existsSync(BIRD_INPUT)) && process.env.CI !== 'true')('bird.bmp vs Pillow', () => {
  it('resizing bird.bmp to 128x128 reproduces the Pillow-made input bit for bit', () => {
    const img = resizeBilinear(decodeImage(BIRD), 128, 128);
    const want = readFileSync(BIRD_INPUT);
    expect(img.data.length).toBe(want.length);
    let maxDiff = 0;
    let sum = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(img.data[i]! - want[i]!);
      maxDiff = Math.max(maxDiff, d);
      sum += d;
    }
    // Measured: max 0, mean 0 (the resize replicates Pillow's fixed-point arithmetic).
    expect({ maxDiff, meanDiff: sum / want.length }).toEqual({ maxDiff: 0, meanDiff: 0 });
  });
});
