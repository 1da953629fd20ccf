/**
 * `--weights c`: the constants as typed C arrays in `<name>_weights.c`
 * (templates/weights.c.hbs) instead of `<name>_weights.bin` pulled in by a
 * GNU `.incbin` in `<name>_weights.S`. For toolchains without the GNU
 * assembler (IAR, Keil) and builds that give the assembler no include path
 * (Arduino).
 *
 * Values are typed initializers of each array's own C type, so the
 * definitions match the `extern const <ctype> sym[count]` declarations of
 * `<name>.c` exactly and do not depend on the target's byte order. Floats are
 * C99 hexadecimal constants: exact, no decimal rounding in any compiler.
 *
 * A 17 MB float model is 4 million values: they are formatted as ASCII bytes
 * straight into one Buffer per constant (no string per value, no growing
 * string), and the file is the template's text with those Buffers spliced in.
 */
import { internalError } from '../model/errors.js';
import { render } from './templates.js';

export interface WeightsConstant {
  readonly symbol: string;
  readonly ctype: string;
  readonly count: number;
  readonly bytes: number;
  readonly data: Uint8Array;
}

const BYTES_OF: Readonly<Record<string, number>> = { int8_t: 1, uint8_t: 1, int16_t: 2, int32_t: 4, float: 4 };

/** Values per line, so a line stays under ~110 characters. */
const PER_LINE: Readonly<Record<string, number>> = { int8_t: 16, uint8_t: 16, int16_t: 12, int32_t: 8, float: 6 };
/** Longest value text of each type, for the buffer's size: `-128`, `-32768`, `(-2147483647 - 1)`, `-0x1.fffffep-126f`, `-INFINITY`. */
const MAX_CHARS: Readonly<Record<string, number>> = { int8_t: 4, uint8_t: 3, int16_t: 6, int32_t: 17, float: 17 };

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const HEX_DIGITS = ascii('0123456789abcdef');
const INT32_MIN_TEXT = ascii('(-2147483647 - 1)');
const INF_TEXT = ascii('INFINITY');
const NAN_TEXT = ascii('NAN');
const ZERO_FLOAT_TEXT = ascii('0.0f');
const C = { space: 0x20, comma: 0x2c, newline: 0x0a, minus: 0x2d, zero: 0x30, one: 0x31, x: 0x78, dot: 0x2e, p: 0x70, f: 0x66 } as const;

/**
 * Formats C initializer text straight into a Buffer: millions of values
 * cost no string each (a 17 MB float model formats in a fraction of a second).
 */
class AsciiWriter {
  readonly buf: Buffer;
  pos = 0;
  /** Set when a value needs <math.h> (INFINITY, NAN). */
  math = false;
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
  bytes(b: Uint8Array): void {
    for (let i = 0; i < b.length; i++) this.buf[this.pos++] = b[i]!;
  }
  /** A non-negative integer in decimal. */
  uint(v: number): void {
    if (v < 10) {
      this.buf[this.pos++] = C.zero + v;
      return;
    }
    const start = this.pos;
    while (v > 0) {
      const q = Math.floor(v / 10);
      this.buf[this.pos++] = C.zero + (v - q * 10);
      v = q;
    }
    this.buf.subarray(start, this.pos).reverse();
  }
  int(v: number): void {
    if (v === -2147483648) {
      // -2147483648 is not a constant of type int in C: spell it as an expression.
      this.bytes(INT32_MIN_TEXT);
      return;
    }
    if (v < 0) {
      this.byte(C.minus);
      v = -v;
    }
    this.uint(v);
  }
  /** A float32 (given by its bits) as an exact C99 hexadecimal floating constant, e.g. -0x1.8p-3f. */
  hexFloat(bits: number): void {
    const exp = (bits >>> 23) & 0xff;
    const man = bits & 0x7fffff;
    if (exp === 0xff && man !== 0) {
      this.math = true;
      this.bytes(NAN_TEXT);
      return;
    }
    if (bits >>> 31 !== 0) this.byte(C.minus);
    if (exp === 0xff) {
      this.math = true;
      this.bytes(INF_TEXT);
      return;
    }
    if (exp === 0 && man === 0) {
      this.bytes(ZERO_FLOAT_TEXT);
      return;
    }
    // Subnormals are 0x0.<fraction>p-126, normals 0x1.<fraction>p<exp - 127>.
    this.byte(C.zero);
    this.byte(C.x);
    this.byte(exp === 0 ? C.zero : C.one);
    // 23 fraction bits, shifted to 24 = six hex digits; trailing zero digits dropped.
    let frac = man << 1;
    let digits = 6;
    while (digits > 0 && (frac & 0xf) === 0) {
      frac >>>= 4;
      digits--;
    }
    if (digits > 0) {
      this.byte(C.dot);
      for (let d = digits - 1; d >= 0; d--) this.byte(HEX_DIGITS[(frac >>> (4 * d)) & 0xf]!);
    }
    this.byte(C.p);
    this.int(exp === 0 ? -126 : exp - 127);
    this.byte(C.f);
  }
}

/**
 * The values of one constant as C initializer text (without braces): lines
 * of `PER_LINE` values, indented, each value followed by a comma.
 */
export function initializerText(ctype: string, data: Uint8Array, count: number): { text: Buffer; math: boolean } {
  const per = PER_LINE[ctype];
  const width = MAX_CHARS[ctype];
  if (per === undefined || width === undefined) throw internalError(`no C initializer for type ${ctype}`);
  const own = data.slice(); // aligned copy, host byte order as in the .bin
  const w = new AsciiWriter(count * (width + 2) + Math.ceil(count / per) * 5 + 1);
  let write: (i: number) => void;
  switch (ctype) {
    case 'int8_t': {
      const v = new Int8Array(own.buffer, 0, count);
      write = (i) => w.int(v[i]!);
      break;
    }
    case 'uint8_t':
      write = (i) => w.uint(own[i]!);
      break;
    case 'int16_t': {
      const v = new Int16Array(own.buffer, 0, count);
      write = (i) => w.int(v[i]!);
      break;
    }
    case 'int32_t': {
      const v = new Int32Array(own.buffer, 0, count);
      write = (i) => w.int(v[i]!);
      break;
    }
    default: {
      const v = new Uint32Array(own.buffer, 0, count);
      write = (i) => w.hexFloat(v[i]!);
    }
  }
  for (let i = 0; i < count; i++) {
    if (i % per === 0) {
      if (i > 0) w.byte(C.newline);
      for (let k = 0; k < 4; k++) w.byte(C.space);
    } else {
      w.byte(C.space);
    }
    write(i);
    w.byte(C.comma);
  }
  return { text: w.buf.subarray(0, w.pos), math: w.math };
}

/**
 * `<name>_weights.c` for the given constants (in blob order). `params` are
 * the project's template parameters (name, NAME, weightBytes, ...).
 */
export function weightsCSource(
  params: { readonly name: string; readonly NAME: string; readonly weightBytes: number },
  constants: readonly WeightsConstant[],
): Buffer {
  const values = constants.map((c) => {
    if (c.bytes !== c.count * (BYTES_OF[c.ctype] ?? 0)) throw internalError(`constant ${c.symbol}: ${c.bytes} bytes for ${c.count} ${c.ctype}`);
    return initializerText(c.ctype, c.data, c.count);
  });
  // The template marks where each constant's values go; the values are
  // spliced in as Buffers so the big text never passes through Handlebars.
  const mark = (i: number) => `\u0001${i}\u0001`;
  const text = render('weights.c.hbs', {
    ...params,
    needsMath: values.some((v) => v.math),
    constants: constants.map((c, i) => ({ symbol: c.symbol, ctype: c.ctype, count: c.count, bytes: c.bytes, values: mark(i) })),
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: \u0001 brackets the placeholders this function itself inserted
  const parts = text.split(/\u0001(\d+)\u0001/);
  if (parts.length !== 2 * constants.length + 1) throw internalError("weights.c.hbs must place every constant's values exactly once");
  return Buffer.concat(parts.map((p, k) => (k % 2 === 0 ? Buffer.from(p, 'latin1') : values[Number(p)]!.text)));
}
