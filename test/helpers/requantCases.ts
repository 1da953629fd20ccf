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
