/**
 * The uint8 3x2 DSP block (`dsp/pointwise/px3`, flag `w8`: weights stored as
 * int8 w - 128, the difference (128 - w_zp) * sum(x - x_zp) added per pixel;
 * the proof is at `u8Offset` in src/codegen/isa/dsp/pointwise.ts) on
 * adversarial values under QEMU (cortex-m4): weights only at 0 and 255,
 * weight and input zero points 0 and 255, inputs all 0, all 255 and mixed
 * 0 / 255, K = 512 (the block's largest) and biases that put the accumulator
 * bound just under 2^30 (the doubled SMMLAR form at its edge) or past it
 * (the 64-bit forms); every requantization form (rn, left, mix, x64, total);
 * 1x1 convs with a pixel tail (npix % 3 != 0) and an odd channel count, and
 * a batched fully connected layer. Every output equals the reference.
 */
import { describe, expect, it } from 'vitest';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import type { Graph, Op, Quantization, Tensor } from '../../src/model/ir.js';
import { requantize, validateGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { targetByName } from '../../src/targets/index.js';
import { KernelTester } from '../helpers/kernelTester.js';

const K = 512;
const OC = 5;
/** |w - wz| |x - xz| <= 255^2 per tap: the products' share of the bound. */
const PRODUCTS = K * 255 * 255;

type Rq = (c: number) => [number, number];
/** Right shifts around 2^-18 (the products' full range maps onto ~[-127, 127]): the SMMLAR right form. */
const RIGHT: Rq = (c) => [(1 << 30) + c * 7919, -18 - (c % 2)];
/** Right shifts by 22..23: a bias near 2^30 maps inside the output range (the products move it by a few steps). */
const RIGHT22: Rq = (c) => [(1 << 30) + c * 7919, -22 - ((c >> 1) % 2)];
/** Shifts left (1, 2) and zero on small multipliers: the one-instruction left form, or the total one past its bound. */
const LEFT: Rq = (c) => [(1 << 30) + c * 104729, c % 3];
/** Right, zero, left by 1, right by 31 and left by 30, per channel: mixed classes. */
const MIXED: Rq = (c) => [[(1 << 30) + 3, -18] as [number, number], [1 << 30, 0], [1 << 30, 1], [(1 << 30) + 5, -31], [1 << 30, 30]][c % 5]!;

interface Adversarial {
  readonly fc: boolean;
  readonly wZp: number;
  readonly xZp: number;
  readonly yZp: number;
  /** The bias of every channel (signs alternate per channel). */
  readonly bias: number;
  readonly rq: Rq;
}

/** A 1x1 conv (4 x 2 pixels) or a fully connected layer (4 batch rows) of K inputs and OC outputs, weights at 0 and 255. */
function adversarial(name: string, a: Adversarial): Graph {
  const tensors: Tensor[] = [];
  const add = (t: Omit<Tensor, 'id'>): number => {
    tensors.push({ ...t, id: tensors.length } as Tensor);
    return tensors.length - 1;
  };
  const q = (scale: number, zp: number): Quantization => ({ scale: [scale], zeroPoint: [zp], axis: 0 });
  const w = new Uint8Array(OC * K);
  // Every weight at an extreme: runs of the far one (|w - wz| = 255) broken by the near one, per channel a
  // different pattern; channel 0 all far (its sum at the bound).
  for (let o = 0; o < OC; o++) for (let i = 0; i < K; i++) w[o * K + i] = o === 0 || (i * (o + 2)) % 7 !== 0 ? 255 - a.wZp : a.wZp;
  const bias = Int32Array.from({ length: OC }, (_, o) => (o % 2 ? -a.bias : a.bias));
  const x = add({ name: 'x', shape: a.fc ? [4, K] : [1, 4, 2, K], dtype: 'uint8', quant: q(0.05, a.xZp) });
  const wt = add({ name: 'w', shape: a.fc ? [OC, K] : [OC, 1, 1, K], dtype: 'uint8', quant: q(0.02, a.wZp), data: w });
  const b = add({ name: 'b', shape: [OC], dtype: 'int32', quant: q(0.001, 0), data: bias });
  const y = add({ name: 'y', shape: a.fc ? [4, OC] : [1, 4, 2, OC], dtype: 'uint8', quant: q(0.1, a.yZp) });
  const base = { name: `${name}_op`, inputs: [x, wt, b], outputs: [y], activation: 'none' as const };
  const op: Op = a.fc ? { ...base, kind: 'fully_connected' } : { ...base, kind: 'conv2d', strideH: 1, strideW: 1, padding: 'same' };
  const g = validateGraph(requantize(validateGraph({ name, tensors, ops: [op], inputs: [x], outputs: [y] }, 'internal')), 'internal');
  const pairs = Array.from({ length: OC }, (_, c) => a.rq(c));
  const prepared = g.ops[0]! as Op & { requant: object };
  (prepared as { requant: unknown }).requant = { ...prepared.requant, multiplier: pairs.map((p) => p[0]), shift: pairs.map((p) => p[1]) };
  return g;
}

describe('uint8 pointwise / FC on the DSP 3x2 block (cortex-m4)', () => {
  it('adversarial weights, zero points, inputs and biases near 2^30 take mobilec_*_u8_dsp_t3x2_*_w8 and equal the reference', async () => {
    const tester = new KernelTester(targetByName('cortex-m4'), 'u8p');
    // Just under 2^30 with the products: B = 2^30 - 1, the doubled accumulator 2^31 - 2 (SMMLAR forms, flag rn).
    const EDGE = 2 ** 30 - 1 - PRODUCTS;
    type Case = Adversarial & { switches?: Record<string, boolean>; flags: Record<string, true>; kernel?: string };
    const cases: Case[] = [];
    for (const wZp of [0, 255]) {
      for (const xZp of [0, 255]) {
        cases.push({ fc: false, wZp, xZp, yZp: 100, bias: EDGE, rq: RIGHT22, flags: { rn: true, w8: true } });
        cases.push({ fc: false, wZp, xZp, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, w8: true } });
      }
    }
    cases.push(
      // the exact name of one: the requantization flag, w8, the shape
      { fc: false, wZp: 255, xZp: 0, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, w8: true }, kernel: 'mobilec_pw_u8_dsp_t3x2_rn_w8_4x2x512_5' },
      // past the doubled bound: the 64-bit SMLAL form, up to the int32 bound itself (B = 2^31 - 1)
      { fc: false, wZp: 0, xZp: 255, yZp: 100, bias: 2 ** 30 + 12345, rq: RIGHT22, flags: { rn: true, x64: true, w8: true } },
      { fc: false, wZp: 255, xZp: 255, yZp: 100, bias: 2 ** 31 - 1 - PRODUCTS, rq: RIGHT22, flags: { rn: true, x64: true, w8: true } },
      { fc: false, wZp: 0, xZp: 0, yZp: 100, bias: EDGE, rq: RIGHT22, switches: { 'dsp.smmlar': false }, flags: { rn: true, x64: true, w8: true } },
      // left and zero shifts: the SMMLAR left form within its bound (small accumulators), else the total form
      { fc: false, wZp: 255, xZp: 0, yZp: 128, bias: 0, rq: LEFT, flags: { ls: true, w8: true } },
      // left by 30 on every channel: no bound allows the SMMLAR left form, the whole layer's total form
      { fc: false, wZp: 0, xZp: 128, yZp: 128, bias: EDGE, rq: () => [1 << 30, 30], flags: { ls: true, x64: true, w8: true } },
      { fc: false, wZp: 0, xZp: 255, yZp: 3, bias: EDGE, rq: MIXED, flags: { ls: true, mix: true, w8: true } },
      { fc: false, wZp: 128, xZp: 255, yZp: 3, bias: 1000, rq: MIXED, flags: { ls: true, mix: true, w8: true } },
      // fully connected, 4 batch rows
      { fc: true, wZp: 0, xZp: 255, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, w8: true } },
      { fc: true, wZp: 255, xZp: 0, yZp: 100, bias: 2 ** 30, rq: MIXED, flags: { ls: true, x64: true, mix: true, w8: true } },
    );
    const added: { name: string; kernel: string; c: Case; graph: Graph }[] = [];
    cases.forEach((c, i) => {
      const graph = adversarial(`u8p${i}`, c);
      // inputs: two random rounds and one of only 0 and 255 (all 0, all 255, or mixed)
      for (const extremesMax of [0, 1, 0.5]) {
        const a = tester.add({ family: c.fc ? 'fc' : 'pointwise', dtype: 'uint8', seed: 40 + i, graph, extremesMax, switches: c.switches });
        added.push({ ...a, c, graph });
      }
    });
    for (const { kernel, c } of added) {
      const id = parseKernelName(kernel);
      expect([kernel, id.op, id.dtype, id.isa, id.tile, id.flags]).toEqual([kernel, c.fc ? 'fc' : 'pw', 'u8', 'dsp', '3x2', c.flags]);
      if (c.kernel) expect(kernel).toBe(c.kernel);
    }
    // The right-shift cases' outputs are not saturated: on the all-0 and the all-255 input the reference has
    // values strictly inside (0, 255) (a saturated layer would not test the accumulators).
    for (const { c, graph } of added.filter((_, k) => k % 3 === 0)) {
      if (c.rq !== RIGHT && c.rq !== RIGHT22) continue;
      const t = graph.tensors[graph.inputs[0]!]!;
      const n = t.shape.reduce((p, d) => p * d, 1);
      for (const v of [0, 255]) {
        const out = runGraph(graph, [new Uint8Array(n).fill(v)]).values.get(graph.outputs[0]!)! as Uint8Array;
        expect([c, v, Array.from(out).some((y) => y > 0 && y < 255)]).toEqual([c, v, true]);
      }
    }
    const run = await tester.run();
    expect(run.results).toHaveLength(added.length);
    for (const r of run.results) expect([r.kernel, r.mismatches, r.maxAbsDiff, r.elements > 0]).toEqual([r.kernel, 0, 0, true]);
  }, 600_000);
});
