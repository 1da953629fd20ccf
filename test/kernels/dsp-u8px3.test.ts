/**
 * The uint8 3x2 DSP block (`dsp/pointwise/px3` / `im2col`) on adversarial
 * values under QEMU (cortex-m4), in both weight forms: `w8` (weights as int8
 * w - 128, the difference (128 - w_zp) * sum(x - x_zp) added per pixel; the
 * proof is at `u8Offset` in src/codegen/isa/dsp/pointwise.ts) and `w16`
 * (small layers: weights widened to int16 w - w_zp). Weights only at 0 and
 * 255, weight and input zero points 0 and 255, inputs all 0, all 255 and
 * mixed 0 / 255, K = 512 (the block's largest) and biases that put the
 * accumulator bound just under 2^30 (the doubled SMMLAR form at its edge) or
 * past it up to 2^31 - 1 (the 64-bit forms); every requantization form (rn,
 * left, mix, x64, total); 1x1 convs with a pixel tail (npix % 3 != 0) and
 * odd channel counts, a batched fully connected layer and an im2col 3x3
 * conv; and one-row FCs on the one-pixel block (`dsp/pointwise/px1`, 1x4).
 * Every output equals the reference.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import type { Graph, Op, Quantization, Tensor } from '../../src/model/ir.js';
import { requantize, validateGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { targetByName } from '../../src/targets/index.js';
import { KernelTester } from '../helpers/kernelTester.js';

const K = 512;
/** 9 output channels: 10 x 512 x 2 bytes widened, past WIDE_BYTES: int8 weights w - 128 (w8); 3: widened (w16). */
const OC_W8 = 9;
const OC_W16 = 3;
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
const MIXED_PAIRS: [number, number][] = [
  [(1 << 30) + 3, -18],
  [1 << 30, 0],
  [1 << 30, 1],
  [(1 << 30) + 5, -31],
  [1 << 30, 30],
];
const MIXED: Rq = (c) => MIXED_PAIRS[c % 5]!;

interface Adversarial {
  /** A 1x1 conv, a fully connected layer or a 3x3 conv (SAME, 8 input channels: an im2col window). */
  readonly kind: 'pw' | 'fc' | 'conv';
  /** Batch rows of a fully connected layer (default 4; 1: the one-pixel block). */
  readonly rows?: number;
  /** Input (= output) height and width of the 3x3 conv (default 5 x 6). */
  readonly hw?: readonly [number, number];
  /** Output channels (default OC_W8). */
  readonly oc?: number;
  readonly wZp: number;
  readonly xZp: number;
  readonly yZp: number;
  /** The bias of every channel (signs alternate per channel). */
  readonly bias: number;
  readonly rq: Rq;
}

/**
 * A 1x1 conv (4 x 2 pixels) or a fully connected layer (4 batch rows) of K inputs, or a 3x3 SAME conv of
 * 8 input channels on 5 x 6 pixels; OC outputs, weights at 0 and 255.
 */
function adversarial(name: string, a: Adversarial): Graph {
  const OC = a.oc ?? OC_W8;
  const [kh, cin] = a.kind === 'conv' ? [3, 8] : [1, K];
  const k = kh * kh * cin;
  const tensors: Tensor[] = [];
  const add = (t: Omit<Tensor, 'id'>): number => {
    tensors.push({ ...t, id: tensors.length } as Tensor);
    return tensors.length - 1;
  };
  const q = (scale: number, zp: number): Quantization => ({ scale: [scale], zeroPoint: [zp], axis: 0 });
  const w = new Uint8Array(OC * k);
  // Every weight at an extreme: runs of the far one (|w - wz| = 255) broken by the near one, per channel a
  // different pattern; channel 0 all far (its sum at the bound).
  for (let o = 0; o < OC; o++) for (let i = 0; i < k; i++) w[o * k + i] = o === 0 || (i * (o + 2)) % 7 !== 0 ? 255 - a.wZp : a.wZp;
  const bias = Int32Array.from({ length: OC }, (_, o) => (o % 2 ? -a.bias : a.bias));
  const fc = a.kind === 'fc';
  const rows = a.rows ?? 4;
  const [xs, ws, ys] = fc
    ? [
        [rows, K],
        [OC, K],
        [rows, OC],
      ]
    : a.kind === 'pw'
      ? [
          [1, 4, 2, K],
          [OC, 1, 1, K],
          [1, 4, 2, OC],
        ]
      : [
          [1, ...(a.hw ?? [5, 6]), cin],
          [OC, 3, 3, cin],
          [1, ...(a.hw ?? [5, 6]), OC],
        ];
  const x = add({ name: 'x', shape: xs, dtype: 'uint8', quant: q(0.05, a.xZp) });
  const wt = add({ name: 'w', shape: ws, dtype: 'uint8', quant: q(0.02, a.wZp), data: w });
  const b = add({ name: 'b', shape: [OC], dtype: 'int32', quant: q(0.001, 0), data: bias });
  const y = add({ name: 'y', shape: ys, dtype: 'uint8', quant: q(0.1, a.yZp) });
  const base = { name: `${name}_op`, inputs: [x, wt, b], outputs: [y], activation: 'none' as const };
  const op: Op = fc ? { ...base, kind: 'fully_connected' } : { ...base, kind: 'conv2d', strideH: 1, strideW: 1, padding: 'same' };
  const g = validateGraph(requantize(validateGraph({ name, tensors, ops: [op], inputs: [x], outputs: [y] }, 'internal')), 'internal');
  const pairs = Array.from({ length: OC }, (_, c) => a.rq(c));
  const prepared = g.ops[0]! as Op & { requant: object };
  (prepared as { requant: unknown }).requant = { ...prepared.requant, multiplier: pairs.map((p) => p[0]), shift: pairs.map((p) => p[1]) };
  return g;
}

describe('uint8 pointwise / FC on the DSP 3x2 and 1x4 blocks (cortex-m4)', () => {
  it('adversarial weights, zero points, inputs and biases near 2^30 take mobilec_*_u8_dsp_t3x2_* (w8 or w16) and equal the reference', async () => {
    const tester = new KernelTester(targetByName('cortex-m4'), 'u8p');
    // Just under 2^30 with the products: B = 2^30 - 1, the doubled accumulator 2^31 - 2 (SMMLAR forms, flag rn).
    const EDGE = 2 ** 30 - 1 - PRODUCTS;
    type Case = Adversarial & { switches?: Record<string, boolean>; flags: Record<string, true>; kernel?: string };
    const cases: Case[] = [];
    // the byte form (w8, 9 channels) and the widened one (w16, 3 channels) at every zero point pair
    for (const [oc, wf] of [
      [OC_W8, 'w8'],
      [OC_W16, 'w16'],
    ] as const) {
      for (const wZp of [0, 255]) {
        for (const xZp of [0, 255]) {
          cases.push({ kind: 'pw', oc, wZp, xZp, yZp: 100, bias: EDGE, rq: RIGHT22, flags: { rn: true, [wf]: true } });
          cases.push({ kind: 'pw', oc, wZp, xZp, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, [wf]: true } });
        }
      }
    }
    cases.push(
      // the exact names: the requantization flag, the weight form, the shape
      { kind: 'pw', wZp: 255, xZp: 0, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, w8: true }, kernel: 'mobilec_pw_u8_dsp_t3x2_rn_w8_4x2x512_9' },
      {
        kind: 'pw',
        oc: OC_W16,
        wZp: 7,
        xZp: 0,
        yZp: 128,
        bias: 3,
        rq: RIGHT,
        flags: { rn: true, w16: true },
        kernel: 'mobilec_pw_u8_dsp_t3x2_rn_w16_4x2x512_3',
      },
      // past the doubled bound: the 64-bit SMLAL form, up to the int32 bound itself (B = 2^31 - 1)
      { kind: 'pw', wZp: 0, xZp: 255, yZp: 100, bias: 2 ** 30 + 12345, rq: RIGHT22, flags: { rn: true, x64: true, w8: true } },
      { kind: 'pw', wZp: 255, xZp: 255, yZp: 100, bias: 2 ** 31 - 1 - PRODUCTS, rq: RIGHT22, flags: { rn: true, x64: true, w8: true } },
      { kind: 'pw', oc: OC_W16, wZp: 255, xZp: 255, yZp: 100, bias: 2 ** 31 - 1 - PRODUCTS, rq: RIGHT22, flags: { rn: true, x64: true, w16: true } },
      { kind: 'pw', wZp: 0, xZp: 0, yZp: 100, bias: EDGE, rq: RIGHT22, switches: { 'dsp.smmlar': false }, flags: { rn: true, x64: true, w8: true } },
      // left and zero shifts: the SMMLAR left form within its bound (small accumulators), else the total form
      { kind: 'pw', wZp: 255, xZp: 0, yZp: 128, bias: 0, rq: LEFT, flags: { ls: true, w8: true } },
      { kind: 'pw', oc: OC_W16, wZp: 0, xZp: 255, yZp: 128, bias: 0, rq: LEFT, flags: { ls: true, w16: true } },
      // left by 30 on every channel: no bound allows the SMMLAR left form, the whole layer's total form
      { kind: 'pw', wZp: 0, xZp: 128, yZp: 128, bias: EDGE, rq: () => [1 << 30, 30], flags: { ls: true, x64: true, w8: true } },
      { kind: 'pw', wZp: 0, xZp: 255, yZp: 3, bias: EDGE, rq: MIXED, flags: { ls: true, mix: true, w8: true } },
      { kind: 'pw', wZp: 128, xZp: 255, yZp: 3, bias: 1000, rq: MIXED, flags: { ls: true, mix: true, w8: true } },
      { kind: 'pw', oc: OC_W16, wZp: 255, xZp: 0, yZp: 3, bias: 2 ** 30, rq: MIXED, flags: { ls: true, x64: true, mix: true, w16: true } },
      // fully connected, 4 batch rows
      { kind: 'fc', wZp: 0, xZp: 255, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, w8: true } },
      { kind: 'fc', wZp: 255, xZp: 0, yZp: 100, bias: 2 ** 30, rq: MIXED, flags: { ls: true, x64: true, mix: true, w8: true } },
      { kind: 'fc', oc: OC_W16, wZp: 0, xZp: 0, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, w16: true } },
      // one-row FCs: the 1x4 block (bytes widened by UXTAB16 minus the weight zero point, no w8 / w16)
      { kind: 'fc', rows: 1, wZp: 0, xZp: 255, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true }, kernel: 'mobilec_fc_u8_dsp_t1x4_rn_1x1x512_9' },
      { kind: 'fc', rows: 1, wZp: 255, xZp: 0, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true } },
      { kind: 'fc', rows: 1, wZp: 255, xZp: 255, yZp: 100, bias: EDGE, rq: RIGHT22, flags: { rn: true } },
      { kind: 'fc', rows: 1, oc: 6, wZp: 0, xZp: 0, yZp: 100, bias: 2 ** 31 - 1 - PRODUCTS, rq: RIGHT22, flags: { rn: true, x64: true } },
      { kind: 'fc', rows: 1, wZp: 0, xZp: 0, yZp: 100, bias: EDGE, rq: RIGHT22, switches: { 'dsp.smmlar': false }, flags: { rn: true, x64: true } },
      { kind: 'fc', rows: 1, oc: 7, wZp: 128, xZp: 255, yZp: 3, bias: 1000, rq: MIXED, flags: { ls: true, mix: true } },
      { kind: 'fc', rows: 1, wZp: 255, xZp: 0, yZp: 3, bias: 2 ** 30, rq: MIXED, flags: { ls: true, x64: true, mix: true } },
      { kind: 'fc', rows: 1, wZp: 0, xZp: 128, yZp: 128, bias: EDGE, rq: () => [1 << 30, 30], flags: { ls: true, x64: true } },
      // an im2col 3x3 conv (72-byte windows, borders padded with the input zero point): widened weights
      { kind: 'conv', oc: 8, wZp: 0, xZp: 255, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, w16: true } },
      { kind: 'conv', oc: 8, wZp: 255, xZp: 0, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, w16: true } },
      { kind: 'conv', oc: 7, wZp: 255, xZp: 255, yZp: 3, bias: 2 ** 30, rq: MIXED, flags: { ls: true, x64: true, mix: true, w16: true } },
      // 25 and 20 pixels: the last block's one or two pixels alone
      { kind: 'conv', oc: 8, hw: [5, 5], wZp: 255, xZp: 0, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, w16: true } },
      { kind: 'conv', oc: 5, hw: [4, 5], wZp: 0, xZp: 255, yZp: 128, bias: 3, rq: RIGHT, flags: { rn: true, w16: true } },
    );
    const added: { name: string; kernel: string; c: Case; graph: Graph }[] = [];
    cases.forEach((c, i) => {
      const graph = adversarial(`u8p${i}`, c);
      // inputs: two random rounds and one of only 0 and 255 (all 0, all 255, or mixed)
      for (const extremesMax of [0, 1, 0.5]) {
        const a = tester.add({
          family: c.kind === 'fc' ? 'fc' : c.kind === 'pw' ? 'pointwise' : 'conv',
          dtype: 'uint8',
          seed: 40 + i,
          graph,
          extremesMax,
          switches: c.switches,
        });
        added.push({ ...a, c, graph });
      }
    });
    for (const { kernel, c } of added) {
      const id = parseKernelName(kernel);
      const tile = c.rows === 1 ? '1x4' : '3x2';
      expect([kernel, id.op, id.dtype, id.isa, id.tile, id.flags]).toEqual([kernel, c.kind, 'u8', 'dsp', tile, c.flags]);
      if (c.kernel) expect(kernel).toBe(c.kernel);
    }
    // The last pixel block of a 3x2 layer whose pixels do not divide by 3 runs its 1 (T1) or 2 (T2) pixels'
    // steps alone (on bytes or widened weights: PW3T / PW3WT): 8 pixels (1x1), 4 rows (FC), 25 and 20 (conv).
    const tails = cases.map((c, i) => {
      const src = [
        ...generateProject(adversarial(`u8t${i}`, c), {
          name: `u8t${i}`,
          target: targetByName('cortex-m4'),
          kernels: 'simd',
          tuning: c.switches ? { switches: c.switches } : {},
        }).files.values(),
      ]
        .filter((f): f is string => typeof f === 'string')
        .join('\n');
      const m = /MOBILEC_DSP_PW3(W?)T([12])_STEP,/.exec(src);
      return m ? `${m[1]}T${m[2]}` : null;
    });
    const expected = cases.map((c) => {
      const npix = c.kind === 'pw' ? 8 : c.kind === 'fc' ? (c.rows ?? 4) : (c.hw ?? [5, 6])[0]! * (c.hw ?? [5, 6])[1]!;
      return npix % 3 === 0 || npix === 1 ? null : `${c.flags.w16 ? 'W' : ''}T${npix % 3}`;
    });
    expect(tails).toEqual(expected);
    expect(new Set(tails)).toEqual(new Set([null, 'T1', 'T2', 'WT1', 'WT2']));
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
