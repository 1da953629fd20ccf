/**
 * ONNX TensorProtos → constants: initializers and Constant nodes' tensors (raw_data, float_data /
 * int32_data / int64_data, or external data next to the model, never outside its directory), each sized
 * against the resource budget before its data is read.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Ctx } from './context.js';
import { OnnxDataType, dataTypeName, int64, type TensorProto } from './proto.js';
import { MAX_INT_CONSTANT, MAX_RANK, fmt, product, type Const } from './values.js';

/** A TensorProto → a constant, its size checked before its data is read. */
export function readTensor(cx: Ctx, t: TensorProto, where: string): Const {
  const fail = (msg: string): never => {
    throw cx.err(`${where}: ${msg}`);
  };
  const shape = t.dims.map(int64);
  if (shape.length > MAX_RANK) fail(`rank ${shape.length} is over the limit of ${MAX_RANK}`);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`shape ${fmt(shape)} must have non-negative dimensions`);
  const n = product(shape);
  const type = t.dataType;
  const bytes1 = type === OnnxDataType.INT8 || type === OnnxDataType.UINT8;
  const size = type === OnnxDataType.FLOAT || type === OnnxDataType.INT32 ? 4 : type === OnnxDataType.INT64 ? 8 : bytes1 ? 1 : 0;
  if (size === 0) fail(`type ${dataTypeName(type)} is not supported; supported: FLOAT, INT64, INT32, INT8, UINT8`);
  // Quantized weights and biases (INT8, UINT8, INT32 read by DequantizeLinear) are bounded by the budget alone.
  if (type === OnnxDataType.INT64 && n > MAX_INT_CONSTANT) fail(`${n} integers, over the limit of ${MAX_INT_CONSTANT} for an integer constant`);
  cx.tally.tensor(`'${t.name}' ${fmt(shape)} ${dataTypeName(type)}`, n, type === OnnxDataType.FLOAT ? 4 : size, true);
  let raw: Uint8Array | undefined;
  if (t.dataLocation === 1) raw = external(cx, t, n * size, fail);
  else if (t.rawData && t.rawData.length > 0) raw = t.rawData;
  if (raw !== undefined) {
    if (raw.length !== n * size) fail(`raw data holds ${raw.length} bytes, shape ${fmt(shape)} ${dataTypeName(type)} needs ${n * size}`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (type === OnnxDataType.FLOAT) {
      const floats = new Float32Array(n);
      for (let i = 0; i < n; i++) floats[i] = view.getFloat32(4 * i, true);
      return { kind: 'const', name: t.name, shape, floats };
    }
    const ints: number[] = [];
    for (let i = 0; i < n; i++)
      ints.push(
        type === OnnxDataType.INT8
          ? view.getInt8(i)
          : type === OnnxDataType.UINT8
            ? view.getUint8(i)
            : size === 4
              ? view.getInt32(4 * i, true)
              : Number(view.getBigInt64(8 * i, true)),
      );
    return { kind: 'const', name: t.name, shape, ints, type };
  }
  const int32Field = type === OnnxDataType.INT32 || bytes1; // ONNX keeps INT8 / UINT8 in int32_data
  const have = type === OnnxDataType.FLOAT ? t.floatData.length : int32Field ? t.int32Data.length : t.int64Data.length;
  if (have !== n) fail(`holds ${have} values, shape ${fmt(shape)} needs ${n}`);
  if (type === OnnxDataType.FLOAT) return { kind: 'const', name: t.name, shape, floats: Float32Array.from(t.floatData) };
  if (bytes1) {
    const [lo, hi] = type === OnnxDataType.INT8 ? [-128, 127] : [0, 255];
    if (t.int32Data.some((v) => v < lo || v > hi)) fail(`holds a value outside the ${dataTypeName(type)} range [${lo}, ${hi}]`);
  }
  return { kind: 'const', name: t.name, shape, ints: int32Field ? [...t.int32Data] : t.int64Data.map(int64), type };
}

/** External data (location, offset, length) from a file next to the model, never outside its directory. */
export function external(cx: Ctx, t: TensorProto, bytes: number, fail: (msg: string) => never): Uint8Array {
  const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
  const location = kv.get('location');
  if (!location) fail('external data names no location');
  const path = resolve(cx.dir, location!);
  const rel = relative(cx.dir, path);
  if (rel.startsWith('..') || isAbsolute(rel)) fail(`external data '${location}' is outside the model's directory`);
  const offset = kv.has('offset') ? Number(kv.get('offset')) : 0;
  const length = kv.has('length') ? Number(kv.get('length')) : bytes;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) fail('external data has an invalid offset or length');
  if (length !== bytes) fail(`external data holds ${length} bytes, the tensor needs ${bytes}`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return fail(`cannot read external data '${location}' (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    if (offset + length > fstatSync(fd).size) fail(`external data '${location}' is shorter than offset ${offset} + length ${length}`);
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const got = readSync(fd, buf, done, length - done, offset + done);
      if (got <= 0) fail(`external data '${location}' ended early`);
      done += got;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}
