import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { MobilecError } from '../../src/model/errors.js';
import { decodeImage, decodeImageBytes, sniffImageFormat } from '../../src/image/decode.js';
import { makeBmp, makeRawPng, tmpFile } from './helpers.js';
import { SHARED } from '../helpers/shared.js';

function expectBadInput(fn: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(MobilecError);
  const e = err as MobilecError;
  expect(e.kind).toBe('bad-input');
  expect(e.exitCode).toBe(2);
  expect(e.message).not.toContain('\n');
  expect(e.message).toMatch(pattern);
}

const GREY = Array.from({ length: 256 }, (_, i) => [i, i, i] as const);

describe('BMP', () => {
  it('8-bit paletted grey, bottom-up, odd width (row padding): 1 channel, raw values', () => {
    const rows = [
      [0, 10, 20],
      [30, 40, 250],
    ];
    const p = tmpFile('grey8.bmp', makeBmp({ width: 3, rows, bpp: 8, palette: GREY }));
    const img = decodeImage(p);
    expect(img).toMatchObject({ width: 3, height: 2, channels: 1 });
    expect(Array.from(img.data)).toEqual([0, 10, 20, 30, 40, 250]);
  });

  it('8-bit paletted colour maps through the palette to RGB; honours a gap before the pixel data', () => {
    const palette = [
      [255, 0, 0],
      [0, 128, 7],
      [1, 2, 3],
    ] as const;
    const p = tmpFile(
      'pal8.bmp',
      makeBmp({
        width: 2,
        rows: [
          [0, 1],
          [2, 0],
        ],
        bpp: 8,
        palette,
        gap: 6,
      }),
    );
    const img = decodeImage(p);
    expect(img).toMatchObject({ width: 2, height: 2, channels: 3 });
    expect(Array.from(img.data)).toEqual([255, 0, 0, 0, 128, 7, 1, 2, 3, 255, 0, 0]);
  });

  const rgbRows = [
    [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ],
    [
      [10, 20, 30],
      [40, 50, 60],
      [70, 80, 90],
    ],
  ] as const;
  const rgbFlat = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90];

  it('24-bit BGR bottom-up, width 3 (9-byte rows padded to 12)', () => {
    const img = decodeImage(tmpFile('rgb24.bmp', makeBmp({ width: 3, rows: rgbRows, bpp: 24 })));
    expect(img).toMatchObject({ width: 3, height: 2, channels: 3 });
    expect(Array.from(img.data)).toEqual(rgbFlat);
  });

  it('24-bit top-down (negative height) with a V5 (124-byte) header', () => {
    const bytes = makeBmp({ width: 3, rows: rgbRows, bpp: 24, topDown: true, headerSize: 124 });
    expect(Buffer.from(bytes).readInt32LE(22)).toBe(-2);
    const img = decodeImage(tmpFile('rgb24v5.bmp', bytes));
    expect(img).toMatchObject({ width: 3, height: 2, channels: 3 });
    expect(Array.from(img.data)).toEqual(rgbFlat);
  });

  it('32-bit BGRA with a V4 header: alpha dropped', () => {
    const img = decodeImage(tmpFile('rgb32.bmp', makeBmp({ width: 3, rows: rgbRows, bpp: 32, headerSize: 108 })));
    expect(img.channels).toBe(3);
    expect(Array.from(img.data)).toEqual(rgbFlat);
  });

  it('rejects RLE-compressed BMPs with a clear one-line error', () => {
    const p = tmpFile('rle8.bmp', makeBmp({ width: 2, rows: [[0, 1]], bpp: 8, palette: GREY, compression: 1 }));
    expectBadInput(() => decodeImage(p), /rle8\.bmp: compressed BMP \(BI_RLE8\) is not supported/);
  });

  it('rejects truncated pixel data and absurd dimensions before allocating', () => {
    const full = makeBmp({ width: 3, rows: rgbRows, bpp: 24 });
    const cut = tmpFile('cut.bmp', full.subarray(0, full.length - 13));
    expectBadInput(() => decodeImage(cut), /cut\.bmp: truncated BMP/);
    const huge = Buffer.from(full);
    huge.writeInt32LE(100000, 18);
    huge.writeInt32LE(-100000, 22);
    expectBadInput(() => decodeImageBytes(huge, 'huge.bmp'), /huge\.bmp: .*limit is 16384x16384/);
    const big = Buffer.from(full);
    big.writeInt32LE(16384, 18);
    big.writeInt32LE(16384, 22);
    expectBadInput(() => decodeImageBytes(big, 'big.bmp'), /big\.bmp: .*more than 256 MiB/);
    expectBadInput(() => decodeImageBytes(full.subarray(0, 20), 'hdr.bmp'), /hdr\.bmp: truncated BMP/);
  });

  it('rejects palette indices outside the palette', () => {
    const bytes = makeBmp({ width: 2, rows: [[0, 5]], bpp: 8, palette: GREY.slice(0, 4) });
    expectBadInput(() => decodeImageBytes(bytes, 'idx.bmp'), /idx\.bmp: .*palette index 5/);
  });
});

describe('PNG (pngjs)', () => {
  const { PNG } = pngjs;
  // pngjs composites over white when it drops alpha, so inputs without alpha
  // in the output are opaque. For 16-bit output it reads native 16-bit samples.
  function pngOf(width: number, height: number, rgba: number[], colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16 = 8): Buffer {
    const png = new PNG({ width, height });
    png.data = bitDepth === 8 ? Buffer.from(rgba) : Buffer.from(Uint16Array.from(rgba, (v) => v * 257).buffer);
    return PNG.sync.write(png, { colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
  }
  const rgba = [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 10, 20, 30, 255]; // 2x2
  const opaque = rgba.map((v, i) => (i % 4 === 3 ? 255 : v));

  it('8-bit RGB', () => {
    const img = decodeImage(tmpFile('rgb.png', pngOf(2, 2, opaque, 2)));
    expect(img).toMatchObject({ width: 2, height: 2, channels: 3 });
    expect(Array.from(img.data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
  });

  it('RGBA: alpha dropped, colour kept', () => {
    const img = decodeImage(tmpFile('rgba.png', pngOf(2, 2, rgba, 6)));
    expect(img.channels).toBe(3);
    expect(Array.from(img.data)).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
  });

  it('8-bit and 16-bit grey (16-bit rescaled to 8) give 1 channel', () => {
    const g = [7, 7, 7, 255, 100, 100, 100, 255, 200, 200, 200, 255, 255, 255, 255, 255];
    for (const depth of [8, 16] as const) {
      const img = decodeImage(tmpFile(`grey${depth}.png`, pngOf(2, 2, g, 0, depth)));
      expect(img).toMatchObject({ width: 2, height: 2, channels: 1 });
      expect(Array.from(img.data)).toEqual([7, 100, 200, 255]);
    }
    const ga = decodeImage(
      tmpFile(
        'greyalpha.png',
        pngOf(
          2,
          2,
          g.map((v, i) => (i % 4 === 3 ? 9 : v)),
          4,
        ),
      ),
    );
    expect(ga.channels).toBe(1);
    expect(Array.from(ga.data)).toEqual([7, 100, 200, 255]);
  });

  it('palette PNGs (4-bit): grey palette → 1 channel, colour palette → RGB', () => {
    // 3x1 pixels, indices 0, 1, 2 packed in 4 bits: 0x01, 0x20; filter byte 0.
    const scanlines = Uint8Array.from([0, 0x01, 0x20]);
    const grey = makeRawPng({
      width: 3,
      height: 1,
      bitDepth: 4,
      colorType: 3,
      palette: [
        [0, 0, 0],
        [90, 90, 90],
        [255, 255, 255],
      ],
      scanlines,
    });
    const g = decodeImage(tmpFile('palgrey.png', grey));
    expect(g).toMatchObject({ width: 3, height: 1, channels: 1 });
    expect(Array.from(g.data)).toEqual([0, 90, 255]);
    const colour = makeRawPng({
      width: 3,
      height: 1,
      bitDepth: 4,
      colorType: 3,
      palette: [
        [1, 2, 3],
        [90, 0, 9],
        [255, 254, 253],
      ],
      scanlines,
    });
    const c = decodeImage(tmpFile('palrgb.png', colour));
    expect(c.channels).toBe(3);
    expect(Array.from(c.data)).toEqual([1, 2, 3, 90, 0, 9, 255, 254, 253]);
  });

  it('interlaced (Adam7) 2x2 grey', () => {
    // Pass 1: (0,0); pass 6: (1,0); pass 7: row 1, (0,1) and (1,1).
    const scanlines = Uint8Array.from([0, 11, 0, 22, 0, 33, 44]);
    const img = decodeImage(tmpFile('adam7.png', makeRawPng({ width: 2, height: 2, bitDepth: 8, colorType: 0, interlace: 1, scanlines })));
    expect(Array.from(img.data)).toEqual([11, 22, 33, 44]);
  });

  it('truncated or corrupt PNGs are one-line bad input', () => {
    const good = pngOf(2, 2, opaque, 2);
    expectBadInput(() => decodeImageBytes(good.subarray(0, good.length - 20), 'trunc.png'), /^trunc\.png: corrupt/);
    expectBadInput(() => decodeImageBytes(good.subarray(0, 20), 'hdr.png'), /^hdr\.png: corrupt PNG/);
    const bad = Buffer.from(good);
    bad[bad.length - 20] ^= 0xff; // inside IDAT: CRC mismatch / bad deflate
    expectBadInput(() => decodeImageBytes(bad, 'crc.png'), /^crc\.png: corrupt/);
    const huge = Buffer.from(good);
    huge.writeUInt32BE(1_000_000, 16);
    expectBadInput(() => decodeImageBytes(huge, 'huge.png'), /^huge\.png: .*limit is 16384x16384/);
  });
});

describe('JPEG (jpeg-js)', () => {
  const w = 16;
  const h = 8;
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      rgba[o] = 40 + x * 10;
      rgba[o + 1] = 200 - y * 20;
      rgba[o + 2] = 100 + x * 3 + y * 5;
      rgba[o + 3] = 255;
    }
  }
  const encoded = jpeg.encode({ width: w, height: h, data: rgba }, 100).data;

  it('quality-100 smooth image decodes to RGB within a few LSB', () => {
    const img = decodeImage(tmpFile('grad.jpg', encoded));
    expect(img).toMatchObject({ width: w, height: h, channels: 3 });
    let maxDiff = 0;
    for (let i = 0; i < w * h; i++) {
      for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(img.data[i * 3 + c]! - rgba[i * 4 + c]!));
    }
    expect(maxDiff).toBeLessThanOrEqual(3);
  });

  it('format is detected by signature, not extension', () => {
    expect(sniffImageFormat(encoded)).toBe('jpeg');
    const img = decodeImage(tmpFile('actually-a-jpeg.bmp', encoded));
    expect(img.channels).toBe(3);
  });

  it('corrupt JPEGs are one-line bad input', () => {
    expectBadInput(() => decodeImageBytes(encoded.subarray(0, 40), 'cut.jpg'), /^cut\.jpg: corrupt/);
    const huge = Buffer.from(encoded);
    const sof = huge.indexOf(Buffer.from([0xff, 0xc0]));
    huge.writeUInt16BE(60000, sof + 5);
    huge.writeUInt16BE(60000, sof + 7);
    expectBadInput(() => decodeImageBytes(huge, 'huge.jpg'), /^huge\.jpg: .*limit/);
  });
});

describe('unrecognised input', () => {
  it('unknown signature, empty and missing files are one-line bad input', () => {
    expectBadInput(() => decodeImage(tmpFile('x.png', Buffer.from('GIF89a....'))), /x\.png: not a BMP, PNG or JPEG image/);
    expectBadInput(() => decodeImage(tmpFile('empty.bmp', new Uint8Array(0))), /empty\.bmp: empty file/);
    expectBadInput(() => decodeImage('/nonexistent/dir/nope.bmp'), /nope\.bmp: cannot read image \(no such file\)/);
  });
});

const haveShared = existsSync(join(SHARED, 'images')) && existsSync(join(SHARED, 'expected'));

describe.skipIf(!haveShared && process.env.CI !== 'true')('shared images', () => {
  it('person.bmp / no_person.bmp: 96x96 grey, raw bytes equal the TFLM test inputs', () => {
    for (const name of ['person', 'no_person']) {
      const img = decodeImage(join(SHARED, 'images', `${name}.bmp`));
      expect(img).toMatchObject({ width: 96, height: 96, channels: 1 });
      const want = readFileSync(join(SHARED, 'expected', `person_detect.${name}.input.bin`));
      expect(Buffer.from(img.data).equals(want)).toBe(true);
    }
  });

  it('bird.bmp (V5 header, 24-bit): 512x343 RGB', () => {
    const img = decodeImage(join(SHARED, 'images', 'bird.bmp'));
    expect(img).toMatchObject({ width: 512, height: 343, channels: 3 });
    expect(img.data.length).toBe(512 * 343 * 3);
  });
});

describe('robustness', () => {
  it('every truncation and random byte corruption is either decoded or a one-line bad input, never a crash', () => {
    const w = 16;
    const h = 8;
    const rgba = new Uint8Array(w * h * 4).map((_, i) => (i * 37) & 255);
    const png = new pngjs.PNG({ width: w, height: h });
    png.data = Buffer.from(rgba);
    const samples: Record<string, Uint8Array> = {
      jpg: jpeg.encode({ width: w, height: h, data: rgba }, 90).data,
      png: pngjs.PNG.sync.write(png),
      bmp24: makeBmp({
        width: 3,
        rows: [
          [
            [1, 2, 3],
            [4, 5, 6],
            [7, 8, 9],
          ],
        ],
        bpp: 24,
        headerSize: 124,
      }),
      bmp8: makeBmp({
        width: 5,
        rows: [
          [0, 1, 2, 3, 4],
          [5, 6, 7, 8, 9],
        ],
        bpp: 8,
        palette: GREY,
      }),
    };
    let seed = 12345;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const unexpected: string[] = [];
    const attempt = (name: string, bytes: Uint8Array): void => {
      try {
        const img = decodeImageBytes(bytes, name);
        if (img.data.length !== img.width * img.height * img.channels) unexpected.push(`${name}: inconsistent image`);
      } catch (e) {
        if (!(e instanceof MobilecError) || e.kind !== 'bad-input' || e.message.includes('\n')) unexpected.push(`${name}: ${String(e)}`);
      }
    };
    for (const [name, bytes] of Object.entries(samples)) {
      for (let n = 0; n < bytes.length; n++) attempt(`${name}[0:${n}]`, bytes.subarray(0, n));
      for (let t = 0; t < 300; t++) {
        const c = Buffer.from(bytes);
        const flips = 1 + Math.floor(rnd() * 4);
        for (let f = 0; f < flips; f++) c[2 + Math.floor(rnd() * (c.length - 2))] = Math.floor(rnd() * 256);
        attempt(`${name}~${t}`, c);
      }
    }
    expect(unexpected).toEqual([]);
  });
});
