/** Small image writers for the image tests (BMP and hand-made PNG chunks). */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

let dir: string | null = null;

/** Write `bytes` to a fresh temp directory and return the path. */
export function tmpFile(name: string, bytes: Uint8Array): string {
  dir ??= mkdtempSync(join(tmpdir(), 'mobilec-image-'));
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

export interface BmpSpec {
  width: number;
  /** Rows in display order (top first); 8-bit: palette indices; 24/32-bit: [r, g, b] per pixel. */
  rows: readonly (readonly (number | readonly [number, number, number])[])[];
  bpp: 8 | 24 | 32;
  topDown?: boolean;
  headerSize?: 40 | 108 | 124;
  palette?: readonly (readonly [number, number, number])[];
  /** Extra bytes between the palette and the pixel data (the offset field must be honoured). */
  gap?: number;
  compression?: number;
}

export function makeBmp(s: BmpSpec): Uint8Array {
  const headerSize = s.headerSize ?? 40;
  const height = s.rows.length;
  const pal = s.palette ?? [];
  const gap = s.gap ?? 0;
  const stride = Math.floor((s.bpp * s.width + 31) / 32) * 4;
  const offset = 14 + headerSize + pal.length * 4 + gap;
  const size = offset + stride * height;
  const b = Buffer.alloc(size, 0);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(offset, 10);
  b.writeUInt32LE(headerSize, 14);
  b.writeInt32LE(s.width, 18);
  b.writeInt32LE(s.topDown ? -height : height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(s.bpp, 28);
  b.writeUInt32LE(s.compression ?? 0, 30);
  b.writeUInt32LE(stride * height, 34);
  b.writeUInt32LE(pal.length, 46);
  if (headerSize >= 108) b.write('BGRs', 14 + 56, 'latin1'); // V4/V5 colour space tag
  pal.forEach(([r, g, bl], i) => {
    const o = 14 + headerSize + i * 4;
    b[o] = bl;
    b[o + 1] = g;
    b[o + 2] = r;
  });
  for (let y = 0; y < gap; y++) b[14 + headerSize + pal.length * 4 + y] = 0xee; // junk that must be skipped
  s.rows.forEach((row, y) => {
    const stored = s.topDown ? y : height - 1 - y;
    let o = offset + stored * stride;
    for (const px of row) {
      if (s.bpp === 8) b[o++] = px as number;
      else {
        const [r, g, bl] = px as readonly [number, number, number];
        b[o++] = bl;
        b[o++] = g;
        b[o++] = r;
        if (s.bpp === 32) b[o++] = 0x7f; // alpha, dropped
      }
    }
    // Junk in the padding must be ignored.
    for (; o < offset + (stored + 1) * stride; o++) b[o] = 0xab;
  });
  return b;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of bytes) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG from raw (already filtered) scanline bytes, for cases pngjs cannot write (palette, interlace). */
export function makeRawPng(opts: {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace?: 0 | 1;
  palette?: readonly (readonly [number, number, number])[];
  scanlines: Uint8Array;
}): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(opts.width, 0);
  ihdr.writeUInt32BE(opts.height, 4);
  ihdr[8] = opts.bitDepth;
  ihdr[9] = opts.colorType;
  ihdr[12] = opts.interlace ?? 0;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (opts.palette) parts.push(chunk('PLTE', Buffer.from(opts.palette.flat())));
  parts.push(chunk('IDAT', deflateSync(opts.scanlines)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}
