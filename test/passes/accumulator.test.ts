/**
 * A layer whose int32 accumulator can overflow for some input is refused at
 * compile time (exit 2, naming the layer, the channel and the bound); one
 * whose bound is exactly 2^31 − 1 compiles and runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/pipeline.js';
import { mobilec } from '../helpers/cli.js';
import { buildTflite, type ModelSpec } from '../helpers/tfliteBuilder.js';

const dir = mkdtempSync(join(tmpdir(), 'mobilec-acc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A 1x1 conv on a 1x1x4 int8 input with zero point −128 (max |x − zp| = 255)
 * and weights 127: Σ|w| · 255 = 4 · 127 · 255 = 129,540, plus the bias of channel 1.
 */
function model(bias1: number, kind: 'int8' | 'uint8' = 'int8'): ModelSpec {
  const int8 = kind === 'int8';
  const type = int8 ? 'INT8' : 'UINT8';
  const wData = int8 ? Int8Array.from({ length: 8 }, () => 127) : Uint8Array.from({ length: 8 }, () => 255);
  return {
    tensors: [
      { name: 'x', shape: [1, 1, 1, 4], type, quant: { scale: [0.5], zeroPoint: [int8 ? -128 : 0] } },
      { name: 'w', shape: [2, 1, 1, 4], type, data: wData, quant: { scale: [0.01, 0.01], zeroPoint: [0, 0], quantizedDimension: 0 } },
      { name: 'b', shape: [2], type: 'INT32', data: Int32Array.from([0, bias1]), quant: { scale: [0.005, 0.005], zeroPoint: [0, 0] } },
      { name: 'y', shape: [1, 1, 1, 2], type, quant: { scale: [1], zeroPoint: [0] } },
    ],
    operators: [{ op: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], options: { kind: 'conv2d', padding: 'valid' } }],
    inputs: [0],
    outputs: [3],
  };
}

const write = (name: string, spec: ModelSpec) => {
  const path = join(dir, name);
  writeFileSync(path, buildTflite(spec));
  return path;
};

const INT32_MAX = 2 ** 31 - 1;
const SUM = 4 * 127 * 255;

describe('accumulator bound', () => {
  it('a bound of exactly 2^31 − 1 compiles', () => {
    expect(() => loadModel(write('edge.tflite', model(INT32_MAX - SUM)))).not.toThrow();
    expect(() => loadModel(write('edge-neg.tflite', model(-(INT32_MAX - SUM))))).not.toThrow();
  });

  it('one more is refused with the layer, channel and bound named', () => {
    expect(() => loadModel(write('over.tflite', model(INT32_MAX - SUM + 1)))).toThrow(
      `over.tflite: op 0_CONV_2D (conv2d): output channel 1's int32 accumulator can reach 2147483648 (|bias| 2147354108 + Σ|w − w_zp| 508 × max|x − x_zp| 255)`,
    );
  });

  it('uint8 (weights 255, zero point 0: Σ|w − w_zp| = 1020) is bounded the same way', () => {
    expect(() => loadModel(write('u8.tflite', model(INT32_MAX - 4 * 255 * 255 + 1, 'uint8')))).toThrow(
      /output channel 1's int32 accumulator can reach 2147483648/,
    );
    expect(() => loadModel(write('u8-edge.tflite', model(INT32_MAX - 4 * 255 * 255, 'uint8')))).not.toThrow();
  });

  it('the CLI exits 2 with one line', () => {
    const r = mobilec(['compile', write('cli.tflite', model(INT32_MAX)), '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cli\.tflite: op 0_CONV_2D \(conv2d\): output channel 1's int32 accumulator can reach/);
  });
});
