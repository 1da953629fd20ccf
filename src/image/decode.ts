/**
 * Image decoding for `mobilec run --image` (docs/CONTRACT.md, "Images").
 *
 * BMP is parsed here; PNG goes through `pngjs` and JPEG through `jpeg-js`.
 * The format is chosen by the file's signature, never its extension. Every
 * failure on a bad file is a one-line `badInput('<path>: ...')` (exit 2), and
 * declared dimensions are checked against `MAX_IMAGE_SIDE` / `MAX_IMAGE_BYTES`
 * before any pixel buffer is allocated.
 */

import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { MobilecError, badInput } from '../model/errors.js';

/** 8-bit pixels, row-major, rows top-down, channels interleaved (R, G, B). */
export interface RgbImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** Largest accepted width or height. */
export const MAX_IMAGE_SIDE = 16384;
/** Largest accepted decoded pixel buffer (width × height × channels bytes). */
export const MAX_IMAGE_BYTES = 256 * 1024 * 1024;

export type ImageFormat = 'bmp' | 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format named by the file's leading bytes, or null. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** Read and decode an image file (BMP, PNG or JPEG, by signature). */
export function decodeImage(path: string): RgbImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : firstLine(e);
    throw badInput(`${path}: cannot read image (${why})`);
  }
  return decodeImageBytes(bytes, path);
}

/** Decode an in-memory image; `name` prefixes error messages. */
export function decodeImageBytes(bytes: Uint8Array, name = '<image>'): RgbImage {
  if (bytes.length === 0) throw badInput(`${name}: empty file, expected a BMP, PNG or JPEG image`);
  const format = sniffImageFormat(bytes);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    switch (format) {
      case 'bmp':
        return decodeBmp(buf, name);
      case 'png':
        return decodePng(buf, name);
      case 'jpeg':
        return decodeJpeg(buf, name);
      default:
        throw badInput(`${name}: not a BMP, PNG or JPEG image (unrecognised signature); supported: BMP, PNG, JPEG`);
    }
  } catch (e) {
    if (e instanceof MobilecError) throw e;
    const label = format === 'jpeg' ? 'JPEG' : (format ?? 'image').toUpperCase();
    throw badInput(`${name}: corrupt or unsupported ${label} (${firstLine(e)})`);
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n')[0] ?? '').trim() || 'unknown error';
}

function checkDims(name: string, kind: string, width: number, height: number, channels: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw badInput(`${name}: ${kind} declares an empty or invalid size ${width}x${height}`);
  }
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw badInput(`${name}: ${kind} is ${width}x${height}; the limit is ${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE}`);
  }
  if (width * height * channels > MAX_IMAGE_BYTES) {
    throw badInput(`${name}: ${kind} is ${width}x${height}x${channels}, more than ${MAX_IMAGE_BYTES / (1024 * 1024)} MiB of pixels`);
  }
}

// ---------------------------------------------------------------- BMP

const BMP_COMPRESSION: Readonly<Record<number, string>> = {
  1: 'BI_RLE8',
  2: 'BI_RLE4',
  3: 'BI_BITFIELDS',
  4: 'BI_JPEG',
  5: 'BI_PNG',
  6: 'BI_ALPHABITFIELDS',
  11: 'BI_CMYK',
  12: 'BI_CMYKRLE8',
  13: 'BI_CMYKRLE4',
};

function decodeBmp(buf: Buffer, name: string): RgbImage {
  const len = buf.length;
  const truncated = (what: string): MobilecError => badInput(`${name}: truncated BMP (${what})`);
  if (len < 18) throw truncated('file header');
  const dataOffset = buf.readUInt32LE(10);
  const headerSize = buf.readUInt32LE(14);
  if (![12, 40, 52, 56, 64, 108, 124].includes(headerSize)) {
    throw badInput(`${name}: unsupported BMP header size ${headerSize} (supported: BITMAPINFOHEADER, V4, V5, OS/2 core)`);
  }
  if (len < 14 + headerSize) throw truncated('info header');

  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression = 0;
  let colorsUsed = 0;
  if (headerSize === 12) {
    width = buf.readUInt16LE(18);
    rawHeight = buf.readUInt16LE(20);
    bpp = buf.readUInt16LE(24);
  } else {
    width = buf.readInt32LE(18);
    rawHeight = buf.readInt32LE(22);
    bpp = buf.readUInt16LE(28);
    compression = buf.readUInt32LE(30);
    colorsUsed = buf.readUInt32LE(46);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);

  // BI_BITFIELDS is accepted only where it is a plain byte layout (32-bit with
  // byte-aligned 8-bit masks); OS/2 reuses the value 3 for Huffman coding.
  let maskBytes: [number, number, number] | null = null;
  if (compression === 3 && bpp === 32 && headerSize !== 64) {
    if (len < 14 + 40 + 12) throw truncated('bit masks');
    const masks = [buf.readUInt32LE(54), buf.readUInt32LE(58), buf.readUInt32LE(62)];
    const idx = masks.map((m) => [0xff, 0xff00, 0xff0000, 0xff000000].indexOf(m));
    if (idx.some((i) => i < 0)) {
      throw badInput(`${name}: unsupported BMP bit masks ${masks.map((m) => `0x${m.toString(16)}`).join('/')} (only 8-bit byte-aligned masks)`);
    }
    maskBytes = [idx[0]!, idx[1]!, idx[2]!];
  } else if (compression !== 0) {
    const cname = BMP_COMPRESSION[compression] ?? `type ${compression}`;
    throw badInput(`${name}: compressed BMP (${cname}) is not supported; save it uncompressed (BI_RGB)`);
  }
  if (![1, 4, 8, 24, 32].includes(bpp)) {
    throw badInput(`${name}: unsupported BMP bit depth ${bpp} (supported: 1, 4, 8, 24, 32)`);
  }

  // Palette (for 1/4/8-bit): after the info header (and after the masks a
  // 40-byte header with BI_BITFIELDS carries, which cannot happen here).
  let palette: Uint8Array | null = null; // RGB triplets
  let grey = false;
  if (bpp <= 8) {
    const entrySize = headerSize === 12 ? 3 : 4;
    const start = 14 + headerSize;
    let count = colorsUsed === 0 || colorsUsed > 1 << bpp ? 1 << bpp : colorsUsed;
    // Some writers declare more entries than fit before the pixel data.
    if (dataOffset > start) count = Math.min(count, Math.floor((dataOffset - start) / entrySize));
    if (count < 1) throw badInput(`${name}: ${bpp}-bit BMP without a palette`);
    if (start + count * entrySize > len) throw truncated('palette');
    palette = new Uint8Array(count * 3);
    grey = true;
    for (let i = 0; i < count; i++) {
      const o = start + i * entrySize;
      const b = buf[o]!;
      const g = buf[o + 1]!;
      const r = buf[o + 2]!;
      palette[i * 3] = r;
      palette[i * 3 + 1] = g;
      palette[i * 3 + 2] = b;
      if (r !== g || g !== b) grey = false;
    }
  }

  const channels: 1 | 3 = grey ? 1 : 3;
  checkDims(name, `${bpp}-bit BMP`, width, height, channels);
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const rowBytes = Math.ceil((bpp * width) / 8);
  if (dataOffset < 14 + headerSize || dataOffset > len) {
    throw badInput(`${name}: BMP pixel-data offset ${dataOffset} lies outside the file (${len} bytes)`);
  }
  // The last row may omit its padding; everything else must be present.
  if (dataOffset + stride * (height - 1) + rowBytes > len) {
    throw truncated(`pixel data needs ${stride * height} bytes from offset ${dataOffset}, file has ${len - dataOffset}`);
  }

  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const srcRow = dataOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * channels;
    if (bpp === 24) {
      for (let x = 0, s = srcRow; x < width; x++, s += 3) {
        out[o++] = buf[s + 2]!;
        out[o++] = buf[s + 1]!;
        out[o++] = buf[s]!;
      }
    } else if (bpp === 32) {
      const [ri, gi, bi] = maskBytes ?? [2, 1, 0];
      for (let x = 0, s = srcRow; x < width; x++, s += 4) {
        out[o++] = buf[s + ri]!;
        out[o++] = buf[s + gi]!;
        out[o++] = buf[s + bi]!;
      }
    } else {
      const pal = palette!;
      const n = pal.length / 3;
      const perByte = 8 / bpp;
      const mask = (1 << bpp) - 1;
      for (let x = 0; x < width; x++) {
        const byte = buf[srcRow + Math.floor(x / perByte)]!;
        const idx = (byte >> (8 - bpp * ((x % perByte) + 1))) & mask;
        if (idx >= n) {
          throw badInput(`${name}: BMP pixel (${x}, ${y}) uses palette index ${idx}, but the palette has ${n} entries`);
        }
        if (channels === 1) {
          out[o++] = pal[idx * 3]!;
        } else {
          out[o++] = pal[idx * 3]!;
          out[o++] = pal[idx * 3 + 1]!;
          out[o++] = pal[idx * 3 + 2]!;
        }
      }
    }
  }
  return { width, height, channels, data: out };
}

// ---------------------------------------------------------------- PNG

interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  /** PLTE entries (RGB triplets), if any. */
  palette: Uint8Array | null;
  idat: Buffer[];
}

/** Walk the chunk list (tolerantly: pngjs reports structural errors itself). */
function readPngHeader(buf: Buffer, name: string): PngHeader {
  if (buf.length < 8 + 8 + 13 || buf.toString('latin1', 12, 16) !== 'IHDR' || buf.readUInt32BE(8) !== 13) {
    throw badInput(`${name}: corrupt PNG (missing or truncated IHDR chunk)`);
  }
  const h: PngHeader = {
    width: buf.readUInt32BE(16),
    height: buf.readUInt32BE(20),
    bitDepth: buf[24]!,
    colorType: buf[25]!,
    interlace: buf[28]!,
    palette: null,
    idat: [],
  };
  let p = 8;
  while (p + 8 <= buf.length) {
    const n = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    const end = p + 8 + n;
    if (end > buf.length) break;
    if (type === 'PLTE') h.palette = buf.subarray(p + 8, end);
    else if (type === 'IDAT') h.idat.push(buf.subarray(p + 8, end));
    else if (type === 'IEND') break;
    p = end + 4;
  }
  return h;
}

function decodePng(buf: Buffer, name: string): RgbImage {
  const hdr = readPngHeader(buf, name);
  // colorType bits: 1 palette, 2 colour, 4 alpha.
  let grey = (hdr.colorType & 2) === 0;
  if (hdr.colorType === 3 && hdr.palette !== null) {
    grey = true;
    for (let i = 0; i + 2 < hdr.palette.length; i += 3) {
      if (hdr.palette[i] !== hdr.palette[i + 1] || hdr.palette[i + 1] !== hdr.palette[i + 2]) {
        grey = false;
        break;
      }
    }
  }
  const channels: 1 | 3 = grey ? 1 : 3;
  // pngjs always expands to 8-bit RGBA, so bound that buffer (it covers ours).
  checkDims(name, 'PNG (decoded as RGBA)', hdr.width, hdr.height, 4);

  // pngjs bounds inflation by the declared size for non-interlaced images
  // only; do the same for interlaced ones before handing the file over.
  if (hdr.interlace !== 0) {
    const samplesPerPixel = [1, 0, 3, 1, 2, 0, 4][hdr.colorType] ?? 4;
    const rowBits = hdr.width * samplesPerPixel * hdr.bitDepth;
    const bound = Math.ceil(rowBits / 8) * hdr.height + 14 * hdr.height + 64;
    try {
      inflateSync(Buffer.concat(hdr.idat), { maxOutputLength: bound });
    } catch (e) {
      throw badInput(`${name}: corrupt PNG (image data does not inflate to the declared ${hdr.width}x${hdr.height}: ${firstLine(e)})`);
    }
  }

  const png = pngjs.PNG.sync.read(buf);
  const { width, height } = png;
  if (width !== hdr.width || height !== hdr.height) {
    throw badInput(`${name}: corrupt PNG (decoded size ${width}x${height} differs from IHDR)`);
  }
  const rgba = png.data;
  const n = width * height;
  if (rgba.length < n * 4) throw badInput(`${name}: corrupt PNG (short image data)`);
  const out = new Uint8Array(n * channels);
  if (channels === 1) {
    for (let i = 0; i < n; i++) out[i] = rgba[i * 4]!;
  } else {
    for (let i = 0, o = 0; i < n; i++) {
      out[o++] = rgba[i * 4]!;
      out[o++] = rgba[i * 4 + 1]!;
      out[o++] = rgba[i * 4 + 2]!;
    }
  }
  return { width, height, channels, data: out };
}

// ---------------------------------------------------------------- JPEG

/** Size and component count from the first SOFn marker. */
function readJpegFrame(buf: Buffer, name: string): { width: number; height: number; components: number } {
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) break;
    const marker = buf[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      p += 2; // standalone markers
      continue;
    }
    const segLen = buf.readUInt16BE(p + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (p + 10 > buf.length) break;
      return { height: buf.readUInt16BE(p + 5), width: buf.readUInt16BE(p + 7), components: buf[p + 9]! };
    }
    if (marker === 0xda) break; // scan data before any frame header
    p += 2 + segLen;
  }
  throw badInput(`${name}: corrupt JPEG (no frame header found)`);
}

function decodeJpeg(buf: Buffer, name: string): RgbImage {
  const frame = readJpegFrame(buf, name);
  const channels: 1 | 3 = frame.components === 1 ? 1 : 3;
  // jpeg-js always produces 3 bytes per pixel (RGB) here.
  checkDims(name, 'JPEG', frame.width, frame.height, 3);
  const img = jpeg.decode(buf, {
    useTArray: true,
    formatAsRGBA: false,
    maxResolutionInMP: Math.ceil(MAX_IMAGE_BYTES / 3 / 1e6),
    // Decoder-internal buffers (per-component planes and the RGB output).
    maxMemoryUsageInMB: Math.ceil((3 * MAX_IMAGE_BYTES) / (1024 * 1024)),
  });
  const { width, height, data } = img;
  const n = width * height;
  if (width !== frame.width || height !== frame.height || data.length < n * 3) {
    throw badInput(`${name}: corrupt JPEG (decoded size ${width}x${height} differs from the frame header)`);
  }
  if (channels === 3) return { width, height, channels, data: data.length === n * 3 ? data : data.slice(0, n * 3) };
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = data[i * 3]!;
  return { width, height, channels, data: out };
}
