/** Shared by the unary op tests (hard_swish, logistic, relu): one-op graphs, every input byte, the generated C on the host. */
import { afterAll } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import type { DType, Graph, Op, TensorData } from '../../src/model/ir.js';
import { requantize } from '../../src/passes/requantize.js';
import { validateGraph } from '../../src/passes/validate.js';
import { host } from '../../src/targets/host.js';
import { GraphBuilder, buildAndRun, bytesOf, hasCompiler, q, removeDir, tempDir, writeFiles } from '../codegen/helpers.js';

export const COMPILERS = ['gcc', 'clang'].filter(hasCompiler);
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

export type QDType = 'int8' | 'uint8';

export const prepare = (g: Graph): Graph => validateGraph(requantize(validateGraph(g)), 'internal');

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

export function runOnC(g: Graph, input: TensorData, cc = COMPILERS[0]!) {
  const p = generateProject(g, { target: host, kernels: 'generic' });
  const dir = tempDir('unary');
  dirs.push(dir);
  writeFiles(dir, p);
  return { ...buildAndRun(dir, p, bytesOf(input), cc), project: p };
}

/** The C output as values of `dtype`. */
export function asValues(b: Uint8Array, dtype: DType): number[] {
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  return [...(dtype === 'int8' ? new Int8Array(buf) : dtype === 'uint8' ? new Uint8Array(buf) : new Float32Array(buf))];
}
