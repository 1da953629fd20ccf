/** pad / quantize / dequantize / add: hand-computed numbers through the pass and the interpreter. */
import { describe, expect, it } from 'vitest';
import type { Activation, DType, Graph, Quantization } from '../../src/model/ir.js';
import { MobilecError } from '../../src/model/errors.js';
import { requantize } from '../../src/passes/requantize.js';
import { validateGraph } from '../../src/passes/validate.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { addFloat } from '../../src/ops/add/reference.js';
import { pad } from '../../src/ops/pad/reference.js';
import { quantizeFloat } from '../../src/ops/quantize/reference.js';
import { dequantize } from '../../src/ops/dequantize/reference.js';

const q = (scale: number, zeroPoint: number): Quantization => ({ scale: [scale], zeroPoint: [zeroPoint], axis: 0 });

/** One-op graph: x (and x2) → y, validated and requantized. */
function oneOp(
  kind: 'quantize' | 'dequantize' | 'add' | 'pad',
  x: { shape: number[]; dtype: DType; quant?: Quantization },
  y: { shape: number[]; dtype: DType; quant?: Quantization },
  extra: { x2?: { dtype: DType; quant?: Quantization }; activation?: Activation; paddings?: [number, number][] } = {},
): Graph {
  const tensors = [{ id: 0, name: 'x', ...x }, { id: 1, name: 'y', ...y }, ...(extra.x2 ? [{ id: 2, name: 'x2', shape: x.shape, ...extra.x2 }] : [])];
  const base = { name: kind, inputs: extra.x2 ? [0, 2] : [0], outputs: [1] };
  const op =
    kind === 'add'
      ? { ...base, kind, activation: extra.activation ?? 'none' }
      : kind === 'pad'
        ? { ...base, kind, paddings: extra.paddings! }
        : { ...base, kind };
  const g: Graph = { name: 'm', tensors, ops: [op], inputs: extra.x2 ? [0, 2] : [0], outputs: [1] };
  return validateGraph(requantize(validateGraph(g)), 'internal');
}

describe('quantize float → int8/uint8 (TFLite AffineQuantize)', () => {
  it('[-1, 0, 0.5] at scale 0.4, zero point -10, float division and ties away from zero', () => {
    // -1 / fround(0.4) rounds to -2.5 in float32 → -3; 0.5 / 0.4 = 1.25 → 1; 0.2 / 0.4 = 0.5 → 1;
    // -0.2 → -1; 100 → 250 → clamp 127; -100 → clamp -128; NaN → the zero point.
    const g = oneOp('quantize', { shape: [8], dtype: 'float32' }, { shape: [8], dtype: 'int8', quant: q(0.4, -10) });
    const x = Float32Array.from([-1, 0, 0.5, 0.2, -0.2, 100, -100, NaN]);
    expect([...runGraph(g, [x]).outputs[0]!]).toEqual([-13, -10, -9, -9, -11, 127, -128, -10]);
  });

  it('uint8 output', () => {
    const out = quantizeFloat(Float32Array.from([-1, 0, 0.5, 3]), 0.5, 128, 0, 255, new Uint8Array(4));
    expect([...out]).toEqual([126, 128, 129, 134]);
    expect([...quantizeFloat(Float32Array.from([-200, 200]), 0.5, 128, 0, 255, new Uint8Array(2))]).toEqual([0, 255]);
  });
});

describe('quantize q → q (TFLite Requantize)', () => {
  it('int8 (0.5, -1) → uint8 (0.25, 128): effective scale 2 = 2^30 · 2^(2-31)', () => {
    const g = oneOp('quantize', { shape: [7], dtype: 'int8', quant: q(0.5, -1) }, { shape: [7], dtype: 'uint8', quant: q(0.25, 128) });
    expect(g.ops[0]!.requant).toEqual({ multiplier: [1 << 30], shift: [2], actMin: 0, actMax: 255 });
    // y = 2 (x + 1) + 128, clamped to [0, 255]
    const x = Int8Array.from([-1, 0, 10, 63, 64, -128, -65]);
    expect([...runGraph(g, [x]).outputs[0]!]).toEqual([128, 130, 150, 255, 255, 0, 0]);
  });

  it('uint8 (0.1, 128) → int8 (0.1, 0) is x - 128 (same scale: multiplier 2^30, shift 1)', () => {
    const g = oneOp('quantize', { shape: [4], dtype: 'uint8', quant: q(0.1, 128) }, { shape: [4], dtype: 'int8', quant: q(0.1, 0) });
    expect(g.ops[0]!.requant).toEqual({ multiplier: [1 << 30], shift: [1], actMin: -128, actMax: 127 });
    expect([...runGraph(g, [Uint8Array.from([0, 127, 128, 255])]).outputs[0]!]).toEqual([-128, -1, 0, 127]);
  });

  it('int8 → int8 with a halving scale rounds the gemmlowp way', () => {
    // effective 0.5 = 2^30 · 2^(0-31): y = SRDHM(x, 2^30) = x / 2, ties toward +inf (SRDHM nudge)
    const g = oneOp('quantize', { shape: [5], dtype: 'int8', quant: q(0.1, 0) }, { shape: [5], dtype: 'int8', quant: q(0.2, 4) });
    expect(g.ops[0]!.requant).toEqual({ multiplier: [1 << 30], shift: [0], actMin: -128, actMax: 127 });
    expect([...runGraph(g, [Int8Array.from([3, -3, 4, -4, 127])]).outputs[0]!]).toEqual([6, 3, 6, 2, 68]);
  });
});

describe('dequantize', () => {
  it('int8 (0.25, -3) and uint8 (0.1, 128)', () => {
    const g = oneOp('dequantize', { shape: [4], dtype: 'int8', quant: q(0.25, -3) }, { shape: [4], dtype: 'float32' });
    expect([...runGraph(g, [Int8Array.from([-3, 1, -128, 127])]).outputs[0]!]).toEqual([0, 1, -31.25, 32.5]);
    const u = dequantize(Uint8Array.from([129, 127, 138]), 0.1, 128);
    expect([...u]).toEqual([Math.fround(0.1), -Math.fround(0.1), Math.fround(Math.fround(0.1) * 10)]);
  });
});

describe('add', () => {
  it('float, with relu6 and relu_n1_to_1', () => {
    const a = Float32Array.from([1.5, -2, 0.25]);
    const b = Float32Array.from([1, 0.5, 10]);
    expect([...addFloat(a, b, 'relu6')]).toEqual([2.5, 0, 6]);
    expect([...addFloat(a, b, 'relu_n1_to_1')]).toEqual([1, -1, 1]);
    expect([...addFloat(a, b, 'none')]).toEqual([2.5, -1.5, 10.25]);
  });

  it('int8, input scales 0.5 and 0.25 (zero points 0 and -1), output (1.0, -5)', () => {
    const g = oneOp(
      'add',
      { shape: [1, 1, 2, 3], dtype: 'int8', quant: q(0.5, 0) },
      { shape: [1, 1, 2, 3], dtype: 'int8', quant: q(1, -5) },
      { x2: { dtype: 'int8', quant: q(0.25, -1) } },
    );
    // twiceMax = 1: real1 = 0.5 → (2^30, 0); real2 = 0.25 → (2^30, -1); realOut = 2^-20 → (2^30, -19)
    expect((g.ops[0] as { addQuant?: unknown }).addQuant).toEqual({
      leftShift: 20,
      input1Multiplier: 1 << 30,
      input1Shift: 0,
      input2Multiplier: 1 << 30,
      input2Shift: -1,
      outputMultiplier: 1 << 30,
      outputShift: -19,
      actMin: -128,
      actMax: 127,
    });
    // real x1 + x2: 2+2 = 4; 1.5+0.25 = 1.75 → 2; -1.5-0.25 → -2; 0.5+0 = 0.5 → 1 (away); -0.5-0 → -1 (RDBPOT half away);
    // 63.5+32 = 95.5 → a' = 127·2^19, b' = 128·2^18, (a'+b')/2 = 50069504 / 2^19 = 95.5 → 96
    const x1 = Int8Array.from([4, 3, -3, 1, -1, 127]);
    const x2 = Int8Array.from([7, 0, -2, -1, -1, 127]);
    expect([...runGraph(g, [x1, x2]).outputs[0]!]).toEqual([-1, -3, -7, -4, -6, 91]);
  });

  it('int8 with a fused relu clamps at the output zero point', () => {
    const g = oneOp(
      'add',
      { shape: [4], dtype: 'int8', quant: q(0.5, 0) },
      { shape: [4], dtype: 'int8', quant: q(1, -5) },
      { x2: { dtype: 'int8', quant: q(0.25, -1) }, activation: 'relu' },
    );
    expect((g.ops[0] as { addQuant?: { actMin: number } }).addQuant!.actMin).toBe(-5);
    expect([...runGraph(g, [Int8Array.from([4, -3, -1, 127]), Int8Array.from([7, -2, -1, 127])]).outputs[0]!]).toEqual([-1, -5, -5, 91]);
  });

  it('uint8 with equal scales', () => {
    // s1 = s2 = 0.1, sOut = 0.2: real1 = real2 = 0.5, realOut = 0.2 / (2^20 · 0.2) = 2^-20 (in double, exactly)
    const g = oneOp(
      'add',
      { shape: [3], dtype: 'uint8', quant: q(0.1, 128) },
      { shape: [3], dtype: 'uint8', quant: q(0.2, 128) },
      { x2: { dtype: 'uint8', quant: q(0.1, 100) } },
    );
    // (x1 - 128 + x2 - 100) / 2 rounded half away: (10 + 5)/2 = 7.5 → 8; (-10 - 5)/2 → -8; 0
    expect([...runGraph(g, [Uint8Array.from([138, 118, 128]), Uint8Array.from([105, 95, 100])]).outputs[0]!]).toEqual([136, 120, 128]);
  });

  it('rejects an output scale that needs a rescale ≥ 1', () => {
    expect(() =>
      oneOp('add', { shape: [2], dtype: 'int8', quant: q(1, 0) }, { shape: [2], dtype: 'int8', quant: q(1e-7, 0) }, { x2: { dtype: 'int8', quant: q(1, 0) } }),
    ).toThrow(/op add \(add\): output rescale/);
  });
});

describe('pad', () => {
  it('int8 1x2x2x1 padded top and right with the zero point -3', () => {
    const g = oneOp(
      'pad',
      { shape: [1, 2, 2, 1], dtype: 'int8', quant: q(0.1, -3) },
      { shape: [1, 3, 3, 1], dtype: 'int8', quant: q(0.1, -3) },
      {
        paddings: [
          [0, 0],
          [1, 0],
          [0, 1],
          [0, 0],
        ],
      },
    );
    expect([...runGraph(g, [Int8Array.from([1, 2, 3, 4])]).outputs[0]!]).toEqual([-3, -3, -3, 1, 2, -3, 3, 4, -3]);
  });

  it('float channels and batch with 0', () => {
    const out = pad(
      Float32Array.from([1, 2, 3, 4]),
      [1, 1, 2, 2],
      [
        [1, 0],
        [0, 0],
        [0, 0],
        [1, 2],
      ],
      0,
      new Float32Array(2 * 2 * 5),
    );
    expect([...out]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 0, 0]);
  });

  it('2-D input', () => {
    expect([
      ...pad(
        Int8Array.from([5, 6]),
        [1, 2],
        [
          [0, 1],
          [1, 0],
        ],
        9,
        new Int8Array(6),
      ),
    ]).toEqual([9, 5, 6, 9, 9, 9]);
  });
});

describe('validateGraph: new ops', () => {
  const msg = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(MobilecError);
      expect((e as MobilecError).exitCode).toBe(2);
      return (e as MobilecError).message;
    }
    throw new Error('expected a failure');
  };
  it('names the op and the problem', () => {
    expect(
      msg(() =>
        oneOp(
          'pad',
          { shape: [1, 2, 2, 1], dtype: 'int8', quant: q(0.1, -3) },
          { shape: [1, 3, 3, 1], dtype: 'int8', quant: q(0.2, -3) },
          {
            paddings: [
              [0, 0],
              [1, 0],
              [0, 1],
              [0, 0],
            ],
          },
        ),
      ),
    ).toBe("model m: op 0 (pad, pad): output y must have its input's scale and zero point (quantized pad copies values)");
    expect(
      msg(() =>
        oneOp(
          'pad',
          { shape: [1, 2, 2, 1], dtype: 'float32' },
          { shape: [1, 3, 3, 1], dtype: 'float32' },
          {
            paddings: [
              [0, 0],
              [1, 1],
              [0, 1],
              [0, 0],
            ],
          },
        ),
      ),
    ).toBe('model m: op 0 (pad, pad): output y has shape [1, 3, 3, 1], expected [1, 4, 3, 1]');
    expect(msg(() => oneOp('pad', { shape: [1, 2], dtype: 'float32' }, { shape: [1, 2], dtype: 'float32' }, { paddings: [[0, 0]] }))).toMatch(
      /op 0 \(pad, pad\): has 1 \[before, after\] paddings for the 2-D input x/,
    );
    expect(msg(() => oneOp('quantize', { shape: [2], dtype: 'float32' }, { shape: [2], dtype: 'float32' }))).toBe(
      'model m: op 0 (quantize, quantize): output y must be int8 or uint8, has dtype float32',
    );
    expect(msg(() => oneOp('dequantize', { shape: [2], dtype: 'int8', quant: q(1, 0) }, { shape: [2], dtype: 'int8', quant: q(1, 0) }))).toBe(
      'model m: op 0 (dequantize, dequantize): output y must be float32, has dtype int8',
    );
    expect(
      msg(() =>
        oneOp('add', { shape: [2], dtype: 'int8', quant: q(1, 0) }, { shape: [2], dtype: 'int8', quant: q(1, 0) }, { x2: { dtype: 'uint8', quant: q(1, 0) } }),
      ),
    ).toBe('model m: op 0 (add, add): input 1 x2 has dtype uint8, input 0 int8');
    expect(
      msg(() => oneOp('quantize', { shape: [2], dtype: 'float32' }, { shape: [2], dtype: 'int8', quant: { scale: [1, 1], zeroPoint: [0, 0], axis: 0 } })),
    ).toBe('model m: op 0 (quantize, quantize): output y must be quantized per tensor');
  });
});
