/** Shared by the unary op tests (hard_swish, logistic, relu): one-op graphs, every input byte, the generated C on the host. */
import type { DType, Graph, Op } from '../../src/model/ir.js';
import { GraphBuilder, q } from '../codegen/helpers.js';

import { prepare } from './helpers.js';

export { COMPILERS, prepare, runOnC } from './helpers.js';

export type QDType = 'int8' | 'uint8';

/** x → op → y, shape [1, n] or 4-D, requantized and validated. */
export function unaryGraph(
  make: (x: number, y: number) => Op,
  dtype: DType,
  shape: number[],
  qIn?: readonly [number, number],
  qOut?: readonly [number, number],
): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', shape, dtype, qIn && { quant: q(...qIn) });
  const y = b.tensor('y', shape, dtype, qOut && { quant: q(...qOut) });
  b.op(make(x, y));
  return prepare(b.build('unary', [x], [y]));
}

/** Every byte once, in order: int8 −128..127 or uint8 0..255. */
export const allBytes = (dtype: QDType): Int8Array | Uint8Array =>
  dtype === 'int8' ? Int8Array.from({ length: 256 }, (_, i) => i - 128) : Uint8Array.from({ length: 256 }, (_, i) => i);

/** The C output as values of `dtype`. */
export function asValues(b: Uint8Array, dtype: DType): number[] {
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  return [...(dtype === 'int8' ? new Int8Array(buf) : dtype === 'uint8' ? new Uint8Array(buf) : new Float32Array(buf))];
}
