/**
 * A MobileNetV3-style int8 block written as a .tflite by the test builder
 * (CONV_2D, HARD_SWISH, DEPTHWISE_CONV_2D, RELU6 with its own output scale,
 * LOGISTIC) through the CLI: `verify` (host addon, every layer against the
 * reference) and `run --target rpi4` (the NEON table lookups under QEMU, same output).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { rpi4 } from '../../src/targets/rpi.js';
import { mobilec } from '../helpers/cli.js';
import type { ModelSpec } from '../helpers/tfliteBuilder.js';
import { writeModel } from '../tflite/models.js';

const dir = mkdtempSync(join(tmpdir(), 'mobilec-unary-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ramp = (n: number, k: number) => Int8Array.from({ length: n }, (_, i) => ((i * k) % 61) - 30);

const spec: ModelSpec = {
  tensors: [
    { name: 'x', shape: [1, 8, 8, 3], type: 'INT8', quant: { scale: [0.02], zeroPoint: [-1] } },
    { name: 'w1', shape: [8, 3, 3, 3], type: 'INT8', data: ramp(216, 7), quant: { scale: [0.01], zeroPoint: [0] } },
    { name: 'b1', shape: [8], type: 'INT32', data: Int32Array.from([50, -50, 100, 0, 7, -300, 20, 1]), quant: { scale: [0.0002], zeroPoint: [0] } },
    { name: 'c1', shape: [1, 8, 8, 8], type: 'INT8', quant: { scale: [0.03], zeroPoint: [5] } },
    { name: 'h1', shape: [1, 8, 8, 8], type: 'INT8', quant: { scale: [0.02], zeroPoint: [-110] } },
    { name: 'w2', shape: [1, 3, 3, 8], type: 'INT8', data: ramp(72, 11), quant: { scale: [0.02], zeroPoint: [0] } },
    { name: 'b2', shape: [8], type: 'INT32', data: Int32Array.from([0, 10, -10, 40, 0, 0, 5, -5]), quant: { scale: [0.0004], zeroPoint: [0] } },
    { name: 'c2', shape: [1, 8, 8, 8], type: 'INT8', quant: { scale: [0.04], zeroPoint: [0] } },
    { name: 'r2', shape: [1, 8, 8, 8], type: 'INT8', quant: { scale: [6 / 255], zeroPoint: [-128] } },
    { name: 'y', shape: [1, 8, 8, 8], type: 'INT8', quant: { scale: [1 / 256], zeroPoint: [-128] } },
  ],
  operators: [
    { op: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], options: { kind: 'conv2d', padding: 'same' } },
    { op: 'HARD_SWISH', inputs: [3], outputs: [4] },
    { op: 'DEPTHWISE_CONV_2D', inputs: [4, 5, 6], outputs: [7], options: { kind: 'depthwise_conv2d', padding: 'same', depthMultiplier: 1 } },
    { op: 'RELU6', inputs: [7], outputs: [8] },
    { op: 'LOGISTIC', inputs: [8], outputs: [9] },
  ],
  inputs: [0],
  outputs: [9],
};
const model = writeModel(dir, 'v3block.tflite', spec);

describe('a MobileNetV3-style block through the CLI', () => {
  it('inspect: five layers, the RELU6 kept (its own output scale), every unary layer a table lookup', () => {
    const r = mobilec(['inspect', model, '--target', 'rpi4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const layers = (JSON.parse(r.stdout) as { layers: { op: string; variant: string; variantKey: string | null }[] }).layers;
    expect(layers.map((l) => l.op)).toEqual(['conv2d', 'hard_swish', 'depthwise_conv2d', 'activation', 'logistic']);
    expect([1, 3, 4].map((i) => layers[i]!.variantKey)).toEqual(['neon/lut/table', 'neon/lut/table', 'neon/lut/table']);
  });

  it('verify: the C on the host equals the reference on every layer', () => {
    const r = mobilec(['verify', model, '--inputs', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('verify: OK');
  }, 300_000);

  it.skipIf(process.env.CI !== 'true' && missingLinuxTools(rpi4).length > 0)(
    'run on rpi4 (NEON, QEMU) prints the host output',
    () => {
      const host = mobilec(['run', model, '--seed', '3', '--json']);
      const neon = mobilec(['run', model, '--target', 'rpi4', '--seed', '3', '--json']);
      expect([host.code, neon.code], neon.stderr).toEqual([0, 0]);
      const out = JSON.parse(host.stdout).output as number[];
      // The weights and zero points keep the block live: the sigmoid outputs spread over many values.
      expect(new Set(out).size).toBeGreaterThan(20);
      expect(JSON.parse(neon.stdout).output).toEqual(out);
    },
    300_000,
  );
});
