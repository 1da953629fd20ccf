/**
 * Inputs shared by the requantization edge-value tests: a seeded generator
 * and the output zero points and clamps the requantize pass produces.
 */
import type { Activation } from '../../src/model/ir.js';
import { activationRange } from '../../src/numerics/fixedpoint.js';

/** mulberry32: a small seeded generator (uniform in [0, 1)). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Narrowing {
  readonly u8: boolean;
  readonly zp: number;
  readonly actMin: number;
  readonly actMax: number;
}

/** Output zero points and clamps: full 8-bit range, ReLU, ReLU6 and ReLU-1..1 at a few scales (as the requantize pass computes them). */
export const NARROWINGS: readonly Narrowing[] = (() => {
  const out = new Map<string, Narrowing>();
  const acts: Activation[] = ['none', 'relu', 'relu6', 'relu_n1_to_1'];
  for (const [dtype, zps] of [
    ['int8', [-128, 0, 127, -17]],
    ['uint8', [0, 127, 128, 255]],
  ] as const)
    for (const zp of zps)
      for (const act of acts)
        for (const scale of [6 / 255, 0.0235, 0.1, 1]) {
          const [actMin, actMax] = activationRange(act, scale, zp, dtype);
          const n = { u8: dtype === 'uint8', zp, actMin, actMax };
          if (actMin <= actMax) out.set(JSON.stringify(n), n);
        }
  return [...out.values()];
})();

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const Q30 = 1 << 30; // 0.5 in Q0.31: the smallest non-zero multiplier

/** Accumulators at the edges: int32's ends, ±2^30, 16-bit and 8-bit boundaries, small values. */
export const EDGE_ACCS: readonly number[] = [
  INT32_MIN,
  INT32_MIN + 1,
  INT32_MIN + 2,
  -(2 ** 30) - 1,
  -(2 ** 30),
  -(2 ** 30) + 1,
  -65537,
  -65536,
  -255,
  -3,
  -2,
  -1,
  0,
  1,
  2,
  3,
  255,
  65536,
  65537,
  2 ** 30 - 1,
  2 ** 30,
  INT32_MAX - 1,
  INT32_MAX,
];

/** Multipliers at the edges of QuantizeMultiplier's range (0, 0.5, just above, ≈ 1/√2, near 1). */
export const EDGE_MULTS: readonly number[] = [0, Q30, Q30 + 1, 1518500250, 1977538739, INT32_MAX - 1, INT32_MAX];
