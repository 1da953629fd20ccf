/**
 * Bounds-checked access to a FlatBuffer (the `.tflite` container) on top of
 * the `flatbuffers` runtime's ByteBuffer. The runtime itself trusts its
 * input (an out-of-range read yields `undefined` bits, not an error), so
 * every read here checks its range first: a corrupted file gives a one-line
 * `badInput` naming the file, the field path and what is wrong.
 *
 * FlatBuffer offsets to child objects are unsigned and relative to where they
 * are stored; vtable offsets are signed. Reads are driven by the schema (a
 * tree of known depth), so no offset pattern can make a reader loop.
 */
import { ByteBuffer } from 'flatbuffers';
import { badInput, type MobilecError } from '../../model/errors.js';

export class FlatReader {
  readonly bb: ByteBuffer;
  readonly size: number;

  constructor(
    readonly bytes: Uint8Array,
    /** The file name used in error messages. */
    readonly file: string,
  ) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.byteLength;
  }

  error(where: string, msg: string): MobilecError {
    return badInput(`${this.file}: ${where}: ${msg}`);
  }

  /** Throws unless [pos, pos + n) lies inside the buffer. */
  check(pos: number, n: number, where: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || n < 0 || pos + n > this.size) {
      throw this.error(where, `offset ${pos} (+${n} bytes) lies outside the file (${this.size} bytes); the file is truncated or corrupt`);
    }
  }

  u8(pos: number, where: string): number {
    this.check(pos, 1, where);
    return this.bb.readUint8(pos);
  }
  i8(pos: number, where: string): number {
    this.check(pos, 1, where);
    return this.bb.readInt8(pos);
  }
  u16(pos: number, where: string): number {
    this.check(pos, 2, where);
    return this.bb.readUint16(pos);
  }
  i32(pos: number, where: string): number {
    this.check(pos, 4, where);
    return this.bb.readInt32(pos);
  }
  u32(pos: number, where: string): number {
    this.check(pos, 4, where);
    return this.bb.readUint32(pos);
  }
  f32(pos: number, where: string): number {
    this.check(pos, 4, where);
    return this.bb.readFloat32(pos);
  }
  /** A 64-bit integer as a JS number; values beyond 2^53 are an error. */
  i64(pos: number, where: string, signed = true): number {
    this.check(pos, 8, where);
    const v = signed ? this.bb.readInt64(pos) : this.bb.readUint64(pos);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw this.error(where, `64-bit value ${v} is out of range`);
    }
    return Number(v);
  }

  /** Follows the unsigned offset stored at `pos` to the object it points at. */
  deref(pos: number, where: string): number {
    const target = pos + this.u32(pos, where);
    this.check(target, 1, where);
    return target;
  }

  /** The root table, after checking the 4-byte file identifier. */
  root(identifier: string, where: string): Table {
    if (this.size < 8) throw this.error(where, `file has ${this.size} bytes, too short for a FlatBuffer`);
    const id = String.fromCharCode(...this.bytes.subarray(4, 8));
    if (id !== identifier) {
      const shown = JSON.stringify(id).replace(/[^\x20-\x7e]/g, '?');
      throw this.error(where, `file identifier is ${shown}, expected "${identifier}" (not a TensorFlow Lite flatbuffer)`);
    }
    return new Table(this, this.deref(0, where), where);
  }
}

/** Element readers for scalar vectors: size in bytes and a read function. */
type Elem = { size: number; read: (r: FlatReader, pos: number, where: string) => number };
const ELEM = {
  u8: { size: 1, read: (r, p, w) => r.u8(p, w) },
  i32: { size: 4, read: (r, p, w) => r.i32(p, w) },
  u32: { size: 4, read: (r, p, w) => r.u32(p, w) },
  f32: { size: 4, read: (r, p, w) => r.f32(p, w) },
  i64: { size: 8, read: (r, p, w) => r.i64(p, w) },
} satisfies Record<string, Elem>;

/** A FlatBuffer table: an object position plus its validated vtable. */
export class Table {
  private readonly vtable: number;
  private readonly vtableSize: number;
  private readonly objectSize: number;

  constructor(
    readonly r: FlatReader,
    readonly pos: number,
    /** Path of this table in the schema, for error messages (e.g. `subgraphs[0].tensors[3]`). */
    readonly where: string,
  ) {
    this.vtable = pos - r.i32(pos, where);
    this.vtableSize = r.u16(this.vtable, `${where} (vtable)`);
    this.objectSize = r.u16(this.vtable + 2, `${where} (vtable)`);
    if (this.vtableSize < 4 || this.vtableSize % 2 !== 0) throw r.error(where, `vtable size ${this.vtableSize} is invalid`);
    if (this.objectSize < 4) throw r.error(where, `table size ${this.objectSize} is invalid`);
    r.check(this.vtable, this.vtableSize, `${where} (vtable)`);
    r.check(pos, this.objectSize, where);
  }

  private fieldWhere(name: string): string {
    return `${this.where}.${name}`;
  }

  /**
   * Absolute position of field `slot` (0-based, in schema order; a union
   * takes two slots: its type then its value), or 0 when absent. Checks the
   * field lies inside the table.
   */
  field(slot: number, size: number, name: string): number {
    const vo = 4 + 2 * slot;
    if (vo + 2 > this.vtableSize) return 0;
    const off = this.r.u16(this.vtable + vo, `${this.where} (vtable)`);
    if (off === 0) return 0;
    if (off < 4 || off + size > this.objectSize) {
      throw this.r.error(this.fieldWhere(name), `field offset ${off} lies outside its table (${this.objectSize} bytes)`);
    }
    return this.pos + off;
  }

  has(slot: number, name: string): boolean {
    return this.field(slot, 1, name) !== 0;
  }

  u8(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 1, name);
    return p === 0 ? dflt : this.r.u8(p, this.fieldWhere(name));
  }
  i8(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 1, name);
    return p === 0 ? dflt : this.r.i8(p, this.fieldWhere(name));
  }
  bool(slot: number, name: string, dflt = false): boolean {
    const p = this.field(slot, 1, name);
    return p === 0 ? dflt : this.r.u8(p, this.fieldWhere(name)) !== 0;
  }
  i32(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 4, name);
    return p === 0 ? dflt : this.r.i32(p, this.fieldWhere(name));
  }
  u32(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 4, name);
    return p === 0 ? dflt : this.r.u32(p, this.fieldWhere(name));
  }
  f32(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 4, name);
    return p === 0 ? dflt : this.r.f32(p, this.fieldWhere(name));
  }
  u64(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 8, name);
    return p === 0 ? dflt : this.r.i64(p, this.fieldWhere(name), false);
  }

  /** A child table, or undefined when the field is absent. */
  table(slot: number, name: string): Table | undefined {
    const p = this.field(slot, 4, name);
    if (p === 0) return undefined;
    const where = this.fieldWhere(name);
    return new Table(this.r, this.r.deref(p, where), where);
  }

  string(slot: number, name: string): string | undefined {
    const v = this.byteVector(slot, name);
    if (v === undefined) return undefined;
    return new TextDecoder('utf-8', { fatal: false }).decode(this.r.bytes.subarray(v.start, v.start + v.length));
  }

  /** Position and length of a vector's elements, bounds-checked. */
  private vector(slot: number, name: string, elemSize: number): { start: number; length: number } | undefined {
    const p = this.field(slot, 4, name);
    if (p === 0) return undefined;
    const where = this.fieldWhere(name);
    const at = this.r.deref(p, where);
    const length = this.r.u32(at, where);
    const start = at + 4;
    if (length * elemSize > this.r.size - start) {
      throw this.r.error(where, `vector of ${length} elements at offset ${at} runs past the end of the file (${this.r.size} bytes)`);
    }
    return { start, length };
  }

  /** A [ubyte] vector as a byte range of the file (not copied). */
  byteVector(slot: number, name: string): { start: number; length: number } | undefined {
    return this.vector(slot, name, 1);
  }

  private scalars(slot: number, name: string, elem: Elem): number[] | undefined {
    const v = this.vector(slot, name, elem.size);
    if (v === undefined) return undefined;
    const where = this.fieldWhere(name);
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = elem.read(this.r, v.start + i * elem.size, where);
    return out;
  }

  i32s(slot: number, name: string): number[] | undefined {
    return this.scalars(slot, name, ELEM.i32);
  }
  f32s(slot: number, name: string): number[] | undefined {
    return this.scalars(slot, name, ELEM.f32);
  }
  i64s(slot: number, name: string): number[] | undefined {
    return this.scalars(slot, name, ELEM.i64);
  }

  /** A vector of tables, each element resolved lazily by `at(i)`. */
  tables(slot: number, name: string): TableVector {
    const v = this.vector(slot, name, 4);
    const where = this.fieldWhere(name);
    return new TableVector(this.r, v?.start ?? 0, v?.length ?? 0, where);
  }
}

export class TableVector {
  constructor(
    private readonly r: FlatReader,
    private readonly start: number,
    readonly length: number,
    private readonly where: string,
  ) {}

  at(i: number): Table {
    const where = `${this.where}[${i}]`;
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw this.r.error(where, `index out of range (${this.length} entries)`);
    const p = this.start + 4 * i;
    return new Table(this.r, this.r.deref(p, where), where);
  }
}
