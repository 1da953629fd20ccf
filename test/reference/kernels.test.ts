import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { geom } from './helpers.js';
import { conv2dFloat, conv2dQuant } from '../../src/ops/conv2d/reference.js';
import { depthwiseConv2dFloat, depthwiseConv2dQuant } from '../../src/ops/depthwise_conv2d/reference.js';
import { pool2dFloat, pool2dQuant } from '../../src/ops/pool2d/reference.js';
import { fullyConnectedFloat, fullyConnectedQuant } from '../../src/ops/fully_connected/reference.js';
import { softmaxFloat, softmaxQuant } from '../../src/ops/softmax/reference.js';
import { batchNormFloat } from '../../src/ops/batch_norm/reference.js';
import { activationFloat, activationQuant } from '../../src/ops/activation/reference.js';
import { reshape } from '../../src/ops/reshape/reference.js';
import { prepareSoftmax } from '../../src/numerics/fixedpoint.js';
import { Prng } from '../../src/util/prng.js';

const HALF = 1 << 30; // Q0.31 multiplier 0.5

describe('conv2d', () => {
  it('float 3x3 SAME stride 1, bias, relu', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // filter [2,3,3,1]: oc0 all ones, oc1 centre tap 2.
    const f = new Float32Array(18);
    for (let i = 0; i < 9; i++) f[i] = 1;
    f[9 + 4] = 2;
    const y = conv2dFloat(x, f, Float32Array.from([-20, 0]), geom(3, 3, 1, 3, 3, 1, 'same', 2), 'relu');
    const oc0 = [0, 1, 0, 7, 25, 13, 4, 19, 8];
    const oc1 = [2, 4, 6, 8, 10, 12, 14, 16, 18];
    expect(Array.from(y)).toEqual(oc0.flatMap((v, i) => [v, oc1[i]]));
  });

  it('int8 1x1 with per-channel multipliers and input zero point', () => {
    const x = Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // [1,2,2,2]
    const f = Int8Array.from([1, -1, 3, 2]); // [2,1,1,2]
    const y = conv2dQuant(
      x,
      f,
      Int32Array.from([0, 100]),
      geom(2, 2, 2, 1, 1, 1, 'valid', 2),
      {
        inputZeroPoint: -1,
        filterZeroPoint: 0,
        outputZeroPoint: 5,
        multiplier: [HALF, HALF],
        shift: [1, -2],
        actMin: -128,
        actMax: 127,
      },
      new Int8Array(8),
    );
    expect(Array.from(y)).toEqual([4, 19, 4, 20, 4, 22, 4, 23]);
  });

  it('uint8 with a filter zero point', () => {
    const y = conv2dQuant(
      Uint8Array.from([10, 20]),
      Uint8Array.from([130]),
      undefined,
      geom(1, 2, 1, 1, 1, 1, 'valid', 1),
      {
        inputZeroPoint: 10,
        filterZeroPoint: 128,
        outputZeroPoint: 100,
        multiplier: [HALF],
        shift: [0],
        actMin: 0,
        actMax: 255,
      },
      new Uint8Array(2),
    );
    expect(Array.from(y)).toEqual([100, 110]);
  });

  it('clamps to the activation range', () => {
    const y = conv2dQuant(
      Int8Array.from([100, -100]),
      Int8Array.from([100]),
      undefined,
      geom(1, 2, 1, 1, 1, 1, 'valid', 1),
      {
        inputZeroPoint: 0,
        filterZeroPoint: 0,
        outputZeroPoint: 0,
        multiplier: [HALF],
        shift: [0],
        actMin: -10,
        actMax: 20,
      },
      new Int8Array(2),
    );
    expect(Array.from(y)).toEqual([20, -10]);
  });
});

describe('depthwise_conv2d', () => {
  it('int8 3x3 SAME stride 2 on 4x4x2 (hand-computed)', () => {
    const x = new Int8Array(32);
    for (let h = 0; h < 4; h++) {
      for (let w = 0; w < 4; w++) {
        x[(h * 4 + w) * 2] = h * 4 + w;
        x[(h * 4 + w) * 2 + 1] = -(h * 4 + w);
      }
    }
    const f = new Int8Array(18); // [1,3,3,2]
    for (let t = 0; t < 9; t++) f[t * 2] = 1;
    f[0 * 2 + 1] = 1; // tap (0,0), channel 1
    f[8 * 2 + 1] = -1; // tap (2,2), channel 1
    const g = geom(4, 4, 2, 3, 3, 2, 'same', 2);
    expect([g.outH, g.outW, g.padTop, g.padLeft]).toEqual([2, 2, 0, 0]);
    const y = depthwiseConv2dQuant(
      x,
      f,
      Int32Array.from([10, -5]),
      g,
      {
        inputZeroPoint: 1,
        filterZeroPoint: 0,
        outputZeroPoint: -3,
        multiplier: [HALF],
        shift: [0],
        actMin: -8,
        actMax: 127,
      },
      new Int8Array(8),
    );
    // ch0 accs 46, 43, 70, 56 → 23, 22, 35, 28; ch1 accs 5, -8, -14, -16 → 3, -4, -7, -8; then −3, clamp −8.
    expect(Array.from(y)).toEqual([20, 0, 19, -7, 32, -8, 25, -8]);
  });

  it('float with depth multiplier 2 (channel c = ic·M + k)', () => {
    const y = depthwiseConv2dFloat(
      Float32Array.from([3, 5]),
      Float32Array.from([1, 2, 3, 4]),
      Float32Array.from([0, 0, 0, 1]),
      geom(1, 1, 2, 1, 1, 1, 'valid', 4, 2),
      'none',
    );
    expect(Array.from(y)).toEqual([3, 6, 15, 21]);
  });

  it('int8 depth multiplier 2 matches an equivalent conv per channel', () => {
    const rng = new Prng(7);
    const x = Int8Array.from({ length: 5 * 5 * 3 }, () => rng.int(-128, 127));
    const f = Int8Array.from({ length: 3 * 3 * 6 }, () => rng.int(-127, 127));
    const g = geom(5, 5, 3, 3, 3, 1, 'same', 6, 2);
    const q = { inputZeroPoint: 3, filterZeroPoint: 0, outputZeroPoint: 0, multiplier: [HALF], shift: [-8], actMin: -128, actMax: 127 };
    const y = depthwiseConv2dQuant(x, f, undefined, g, q, new Int8Array(5 * 5 * 6));
    // Build the equivalent dense conv filter [6,3,3,3] with zeros off the diagonal.
    const dense = new Int8Array(6 * 9 * 3);
    for (let oc = 0; oc < 6; oc++) for (let t = 0; t < 9; t++) dense[(oc * 9 + t) * 3 + Math.floor(oc / 2)] = f[t * 6 + oc]!;
    const z = conv2dQuant(x, dense, undefined, geom(5, 5, 3, 3, 3, 1, 'same', 6), q, new Int8Array(5 * 5 * 6));
    expect(Array.from(y)).toEqual(Array.from(z));
  });
});

describe('pooling', () => {
  it('int8 average rounds half away from zero, including negative sums', () => {
    // [1,2,2,4]: channel c gets the four values of column c.
    const cols = [
      [-1, -2, -2, -2],
      [-1, -1, -1, -2],
      [1, 1, 0, 0],
      [-1, -1, 0, 0],
    ];
    const x = new Int8Array(16);
    for (let p = 0; p < 4; p++) for (let c = 0; c < 4; c++) x[p * 4 + c] = cols[c]![p]!;
    const y = pool2dQuant(x, geom(2, 2, 4, 2, 2, 2, 'valid', 4), 'average', -128, 127, new Int8Array(4));
    expect(Array.from(y)).toEqual([-2, -1, 1, -1]);
  });

  it('SAME padding averages only in-bounds taps (float, int8) and max', () => {
    const g = geom(1, 3, 1, 1, 3, 1, 'same', 1);
    expect(Array.from(pool2dFloat(Float32Array.from([1, 2, 6]), g, 'average', 'none'))).toEqual([1.5, 3, 4]);
    expect(Array.from(pool2dQuant(Int8Array.from([1, 2, 6]), g, 'average', -128, 127, new Int8Array(3)))).toEqual([2, 3, 4]);
    expect(Array.from(pool2dFloat(Float32Array.from([1, 2, 6]), g, 'max', 'relu_n1_to_1'))).toEqual([1, 1, 1]);
    expect(Array.from(pool2dQuant(Int8Array.from([1, -2, 6]), g, 'max', -128, 5, new Int8Array(3)))).toEqual([1, 5, 5]);
  });

  it('uint8 average', () => {
    const y = pool2dQuant(Uint8Array.from([255, 254, 0, 1]), geom(2, 2, 1, 2, 2, 2, 'valid', 1), 'average', 0, 255, new Uint8Array(1));
    expect(Array.from(y)).toEqual([128]); // 510/4 = 127.5 → 128
  });
});

describe('fully_connected', () => {
  it('float with bias and activation', () => {
    const w = Float32Array.from([1, 0, -1, 0.5, 0.5, 0.5]);
    const b = Float32Array.from([0.5, -1]);
    expect(Array.from(fullyConnectedFloat(Float32Array.from([1, 2, 3]), w, b, 3, 2, 'none'))).toEqual([-1.5, 2]);
    expect(Array.from(fullyConnectedFloat(Float32Array.from([1, 2, 3]), w, b, 3, 2, 'relu'))).toEqual([0, 2]);
  });
  it('int8 (hand-computed, negative rounding)', () => {
    const y = fullyConnectedQuant(
      Int8Array.from([10, -10, 0, 5]),
      Int8Array.from([1, 2, 3, 4, -1, -1, -1, -1]),
      Int32Array.from([30, -30]),
      4,
      2,
      {
        inputZeroPoint: 2,
        filterZeroPoint: 0,
        outputZeroPoint: -10,
        multiplier: [HALF],
        shift: [-1],
        actMin: -128,
        actMax: 127,
      },
      new Int8Array(2),
    );
    expect(Array.from(y)).toEqual([-5, -17]);
  });
  it('batch of 2 rows', () => {
    const y = fullyConnectedFloat(Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, 1]), undefined, 2, 1, 'none');
    expect(Array.from(y)).toEqual([3, 7]);
  });
});

describe('softmax', () => {
  it('float', () => {
    const y = softmaxFloat(Float32Array.from([1, 2, 3, 0, 0, 0]), 3, 1);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e[0]! + e[1]! + 1;
    expect(Array.from(y.slice(0, 3))).toEqual(e.map((v) => Math.fround(v / s)));
    expect(Array.from(y.slice(3))).toEqual([1 / 3, 1 / 3, 1 / 3].map(Math.fround));
  });

  it('int8 uniform rows give equal outputs summing to 256 (zero point -128)', () => {
    const q = prepareSoftmax(1, 0.1);
    for (const [depth, expected] of [
      [1, 127],
      [2, 0],
      [4, -64],
      [8, -96],
      [16, -112],
    ] as const) {
      const y = softmaxQuant(new Int8Array(depth).fill(37), depth, q, new Int8Array(depth));
      expect(Array.from(y)).toEqual(new Array(depth).fill(expected));
    }
  });

  it('uint8 uniform row', () => {
    const y = softmaxQuant(new Uint8Array(4).fill(200), 4, prepareSoftmax(1, 0.1), new Uint8Array(4));
    expect(Array.from(y)).toEqual([64, 64, 64, 64]);
  });

  it('int8: differences below diffMin give the minimum', () => {
    const q = prepareSoftmax(1, 0.0625); // diffMin = -248
    const y = softmaxQuant(Int8Array.from([127, -128, 126]), 3, q, new Int8Array(3));
    // exp(-0.0625) = 0.93941; p = [0.51563, 0, 0.48437] → 132, 0, 124 (±1) minus 128.
    expect(y[1]).toBe(-128);
    expect(Math.abs(y[0]! - 4)).toBeLessThanOrEqual(1);
    expect(Math.abs(y[2]! + 4)).toBeLessThanOrEqual(1);
  });

  it('int8 agrees with the float softmax within 1 LSB on random rows', () => {
    const rng = new Prng(42);
    let maxErr = 0;
    for (let trial = 0; trial < 300; trial++) {
      const depth = rng.int(2, 40);
      const scale = Math.fround(rng.uniform(0.01, 0.3));
      const zp = rng.int(-20, 20);
      const beta = trial % 3 === 0 ? Math.fround(rng.uniform(0.5, 2)) : 1;
      const x = Int8Array.from({ length: depth }, () => rng.int(-128, 127));
      const y = softmaxQuant(x, depth, prepareSoftmax(beta, scale), new Int8Array(depth));
      const xf = Float32Array.from(x, (v) => scale * (v - zp));
      const p = softmaxFloat(xf, depth, beta);
      for (let i = 0; i < depth; i++) {
        const ref = Math.min(127, Math.max(-128, Math.round(p[i]! * 256) - 128));
        maxErr = Math.max(maxErr, Math.abs(y[i]! - ref));
      }
    }
    expect(maxErr).toBeLessThanOrEqual(1);
  });
});

describe('batch_norm, activation, reshape', () => {
  it('float batch norm per last-axis channel', () => {
    const y = batchNormFloat(
      Float32Array.from([1, 2, 3, 4]),
      Float32Array.from([2, 3]),
      Float32Array.from([0, 1]),
      Float32Array.from([1, 2]),
      Float32Array.from([3, 0]),
      1,
    );
    expect(Array.from(y)).toEqual([0, 1, 2, 7]);
  });
  it('activations', () => {
    const x = Float32Array.from([-2, -0.5, 0.5, 7]);
    expect(Array.from(activationFloat(x, 'relu'))).toEqual([0, 0, 0.5, 7]);
    expect(Array.from(activationFloat(x, 'relu6'))).toEqual([0, 0, 0.5, 6]);
    expect(Array.from(activationFloat(x, 'relu_n1_to_1'))).toEqual([-1, -0.5, 0.5, 1]);
    expect(Array.from(activationFloat(x, 'none'))).toEqual([-2, -0.5, 0.5, 7]);
    expect(Array.from(activationQuant(Int8Array.from([-128, -5, 0, 127]), -3, 60, new Int8Array(4)))).toEqual([-3, -3, 0, 60]);
  });
  it('reshape copies', () => {
    const x = Int8Array.from([1, 2, 3]);
    const y = reshape(x);
    expect(y).not.toBe(x);
    expect(Array.from(y)).toEqual([1, 2, 3]);
  });
});

describe('softmax: large rows and the C oracle', () => {
  it('uniform rows of 300 and 600 entries (exponent 31 and beyond)', () => {
    const q = prepareSoftmax(1, 0.1);
    // 256/300 = 0.853 → 1; 256/600 = 0.427 → 0 (TFLite would abort; we define 0).
    expect(Array.from(new Set(softmaxQuant(new Int8Array(300).fill(5), 300, q, new Int8Array(300))))).toEqual([-127]);
    expect(Array.from(new Set(softmaxQuant(new Int8Array(600).fill(5), 600, q, new Int8Array(600))))).toEqual([-128]);
  });

  it.skipIf(!hasCc())('matches an independent int32/int64 C implementation bit for bit', () => {
    const rng = new Prng(99);
    const cases: { x: Int8Array; q: ReturnType<typeof prepareSoftmax> }[] = [];
    for (let i = 0; i < 400; i++) {
      const depth = i % 50 === 0 ? rng.int(500, 1001) : rng.int(1, 64);
      const spread = rng.int(0, 255);
      const base = rng.int(-128, 127 - Math.min(spread, 255));
      const x = Int8Array.from({ length: depth }, () => Math.max(-128, Math.min(127, base + rng.int(0, spread))));
      const q = prepareSoftmax(i % 4 === 0 ? Math.fround(rng.uniform(0.2, 3)) : 1, Math.fround(rng.uniform(0.002, 0.5)));
      cases.push({ x, q });
    }
    const stdin = cases.map(({ x, q }) => `${q.inputMultiplier} ${q.inputLeftShift} ${q.diffMin} ${x.length} ${Array.from(x).join(' ')}`).join('\n');
    const lines = runOracle(stdin);
    cases.forEach(({ x, q }, i) => {
      const y = softmaxQuant(x, x.length, q, new Int8Array(x.length));
      expect(Array.from(y).join(' ')).toBe(lines[i]);
    });
  });
});

function hasCc(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function runOracle(stdin: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'mobilec-softmax-'));
  const exe = join(dir, 'oracle');
  const src = fileURLToPath(new URL('./fixtures/softmax_oracle.c', import.meta.url));
  execFileSync('cc', ['-O1', '-fwrapv', '-o', exe, src]);
  const out = execFileSync(exe, { input: stdin, maxBuffer: 1 << 26 }).toString();
  rmSync(dir, { recursive: true, force: true });
  return out.trimEnd().split('\n');
}
