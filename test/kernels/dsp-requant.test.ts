/**
 * The DSP kernels take every requantization (issue 12, item 1): layers
 * whose channels shift left, by zero, by 31 right, have multiplier 0, or
 * shift 24 right into a uint8 zero point of 255 run a DSP kernel (never
 * generic C) on cortex-m4 under QEMU, every output equal to the reference;
 * and the epilogue form is chosen per channel (dsp/requant.ts): a few
 * left-shift channels among right ones keep the fast forms on all (flag
 * `mix`), all-left and all-zero layers take the one-instruction left form
 * alone, accumulators at the left form's bound stay exact.
 */
import { describe, expect, it } from 'vitest';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { allSimdVariants } from '../../src/codegen/isa/index.js';
import type { Graph, Op } from '../../src/model/ir.js';
import { targetByName } from '../../src/targets/index.js';
import { checkGraphOnTarget } from '../helpers/graphOnTarget.js';
import { type CaseDType, type Family, KernelTester } from '../helpers/kernelTester.js';
import { kernelCase } from '../helpers/kernelCases.js';
import { loadDescriptionObject } from '../helpers/models.js';

type Edit = (c: number, m: number, s: number) => [number, number];

/** Per channel, in turn: as prepared, left by 1, zero, 31 right, multiplier 0, left by 30. */
const MIXED: Edit = (c, m, s) => [[m, s] as [number, number], [m, 1], [m, 0], [m, -31], [0, s], [m, 30]][c % 6] as [number, number];
/** Every other channel 24 right (with a zero point of 255 the 64-bit general form has no headroom). */
const E24: Edit = (c, m, s) => (c % 2 === 0 ? [m, -24] : [m, s]);
/** One channel in ten shifts left (1..3), the others as prepared (right). */
const FEW_LEFT: Edit = (c, m, s) => (c % 10 === 3 ? [m, 1 + (c % 3)] : [m, s]);
/** Every channel shifts left, 1..4. */
const ALL_LEFT: Edit = (c, m) => [m, 1 + (c % 4)];
/** Every channel shift 0 (effective scale in [0.5, 1)). */
const ALL_ZERO: Edit = (_c, m) => [m, 0];
/** Every channel shifts left by 30: no bound allows the SMMLAR left form, the total form alone. */
const ALL_30: Edit = (_c, m) => [m, 30];

/** Edits op `i` of a prepared graph as `edited` does (per-tensor tables become per-channel). */
function editOp(g: Graph, i: number, edit: Edit): void {
  const op = g.ops[i]! as Op & { requant: { multiplier: number[]; shift: number[] } };
  const channels = g.tensors[op.outputs[0]!]!.shape.at(-1)!;
  const one = op.requant.multiplier.length === 1;
  const pairs = Array.from({ length: channels }, (_, c) => edit(c, op.requant.multiplier[one ? 0 : c]!, op.requant.shift[one ? 0 : c]!));
  (op as { requant: unknown }).requant = { ...op.requant, multiplier: pairs.map((p) => p[0]), shift: pairs.map((p) => p[1]) };
}

/** A prepared one-op case with its requantization edited per channel (per-tensor tables become per-channel) (and the output zero point, when given). */
function edited(name: string, family: Family, dtype: CaseDType, seed: number, edit: Edit, yZp?: number): Graph {
  const g = kernelCase(name, family, dtype, seed, 'plain').graph;
  editOp(g, 0, edit);
  const op = g.ops[0]!;
  if (yZp !== undefined) {
    const y = g.tensors[op.outputs[0]!]! as { quant?: unknown };
    y.quant = { ...(y.quant as object), zeroPoint: [yZp] };
  }
  return g;
}

/**
 * A prepared one-op case whose accumulators reach the DSP bound B(c) = |bias| + Σ|w - wZp|·span: one tap
 * per channel (the centre, input channel 0) at the weight extreme, the others at the weight zero point, bias 0,
 * so every output pixel whose input sits at the far extreme (the tester's last round) has acc = ±B exactly;
 * then per channel the largest left shift the SMMLAR left form takes (B 2^(ls+1) < 2^31), every third
 * channel one more (past the bound: the total form).
 */
function atBound(name: string, family: Family, dtype: CaseDType, seed: number): Graph {
  const g = kernelCase(name, family, dtype, seed, 'plain').graph;
  const op = g.ops[0]!;
  const x = g.tensors[op.inputs[0]!]!;
  const w = g.tensors[op.inputs[1]!]! as unknown as { shape: readonly number[]; data: Int8Array | Uint8Array; quant: { zeroPoint: readonly number[] } };
  (g.tensors[op.inputs[2]!]! as { data: Int32Array }).data.fill(0);
  const [, kh, kw, last] = w.shape as [number, number, number, number];
  const wZp = w.quant.zeroPoint[0]!;
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
  const far = wZp - lo >= hi - wZp ? lo : hi;
  const xZp = x.quant!.zeroPoint[0]!;
  const span = Math.max(xZp - lo, hi - xZp);
  const centre = (kh >> 1) * kw + (kw >> 1);
  w.data.fill(wZp);
  const depthwise = op.kind === 'depthwise_conv2d';
  const channels = depthwise ? last : w.shape[0]!;
  for (let c = 0; c < channels; c++) w.data[depthwise ? centre * last + c : (c * kh * kw + centre) * last] = far;
  const b = Math.abs(far - wZp) * span;
  const ls = Math.floor(Math.log2((2 ** 31 - 1) / b)) - 1;
  expect(b * 2 ** (ls + 1)).toBeLessThan(2 ** 31);
  expect(b * 2 ** (ls + 2)).toBeGreaterThanOrEqual(2 ** 31);
  editOp(g, 0, (c, m) => [m, c % 3 === 2 ? ls + 1 : ls]);
  return g;
}

describe('DSP kernels with every requantization (cortex-m4)', () => {
  it('pointwise, im2col conv and depthwise layers with left, zero and extreme shifts run the total DSP epilogue and equal the reference', async () => {
    const v = allSimdVariants();
    const tester = new KernelTester(targetByName('cortex-m4'), 'dq');
    const cases = [
      { family: 'pointwise', dtype: 'int8', seed: 11, edit: MIXED, variant: 'dsp/pointwise/px3', ls: true },
      { family: 'pointwise', dtype: 'uint8', seed: 12, edit: MIXED, variant: 'dsp/pointwise/px2', ls: true },
      { family: 'pointwise', dtype: 'uint8', seed: 12, edit: MIXED, variant: 'dsp/pointwise/px3', ls: true },
      { family: 'conv', dtype: 'int8', seed: 13, edit: MIXED, variant: 'dsp/pointwise/im2col', ls: true },
      { family: 'depthwise', dtype: 'int8', seed: 20, edit: MIXED, variant: 'dsp/dwconv/c4', ls: true },
      { family: 'depthwise', dtype: 'uint8', seed: 17, edit: MIXED, variant: 'dsp/dwconv/c4', ls: true },
      { family: 'depthwise', dtype: 'int8', seed: 14, edit: MIXED, variant: 'dsp/dwconv/dm', ls: true },
      { family: 'depthwise', dtype: 'uint8', seed: 15, edit: MIXED, variant: 'dsp/dwconv/dm', ls: true },
      { family: 'pointwise', dtype: 'uint8', seed: 16, edit: E24, yZp: 255, variant: 'dsp/pointwise/px2', ls: false },
      { family: 'pointwise', dtype: 'uint8', seed: 16, edit: E24, yZp: 255, variant: 'dsp/pointwise/px3', ls: false },
      { family: 'depthwise', dtype: 'uint8', seed: 17, edit: E24, yZp: 255, variant: 'dsp/dwconv/c4', ls: false },
    ] as const;
    const added = cases.map((c, i) => {
      const graph = edited(`dq${i}`, c.family, c.dtype, c.seed, c.edit, 'yZp' in c ? c.yZp : undefined);
      return tester.add({ family: c.family, dtype: c.dtype, seed: c.seed, graph, variant: v.get(c.variant)! });
    });
    added.forEach((a, i) => {
      const id = parseKernelName(a.kernel);
      // Doubled kernels (no x64) mixing the fast forms with the total one per channel.
      expect([a.kernel, id.isa, id.flags?.rn, id.flags?.x64, id.flags?.mix, id.flags?.ls]).toEqual([
        a.kernel,
        'dsp',
        undefined,
        undefined,
        true,
        cases[i]!.ls ? true : undefined,
      ]);
    });
    const run = await tester.run();
    expect(run.results).toHaveLength(cases.length);
    for (const r of run.results) expect([r.kernel, r.mismatches, r.elements > 0]).toEqual([r.kernel, 0, true]);
  }, 300_000);

  it('per-channel epilogue classes: few left-shift channels, all left, all zero, accumulators at the bound, on every DSP variant, equal the reference', async () => {
    const v = allSimdVariants();
    const tester = new KernelTester(targetByName('cortex-m4'), 'dp');
    const X64 = { 'dsp.smmlar': false };
    type Flags = { x64?: true; mix?: true; ls?: true };
    const MIX_LS: Flags = { mix: true, ls: true };
    const cases: { family: Family; dtype: CaseDType; seed: number; edit: Edit | 'bound'; variant: string; flags: Flags; switches?: Record<string, boolean> }[] =
      [
        { family: 'pointwise', dtype: 'int8', seed: 11, edit: FEW_LEFT, variant: 'dsp/pointwise/px3', flags: MIX_LS },
        { family: 'pointwise', dtype: 'int8', seed: 11, edit: ALL_LEFT, variant: 'dsp/pointwise/px3', flags: { ls: true } },
        { family: 'pointwise', dtype: 'int8', seed: 11, edit: ALL_ZERO, variant: 'dsp/pointwise/px3', flags: {} },
        { family: 'pointwise', dtype: 'int8', seed: 11, edit: 'bound', variant: 'dsp/pointwise/px3', flags: MIX_LS },
        { family: 'pointwise', dtype: 'int8', seed: 11, edit: FEW_LEFT, variant: 'dsp/pointwise/px3', flags: { x64: true, ...MIX_LS }, switches: X64 },
        { family: 'pointwise', dtype: 'uint8', seed: 12, edit: FEW_LEFT, variant: 'dsp/pointwise/px2', flags: MIX_LS },
        { family: 'pointwise', dtype: 'uint8', seed: 12, edit: ALL_LEFT, variant: 'dsp/pointwise/px2', flags: { ls: true } },
        { family: 'pointwise', dtype: 'uint8', seed: 12, edit: 'bound', variant: 'dsp/pointwise/px2', flags: MIX_LS },
        { family: 'pointwise', dtype: 'uint8', seed: 12, edit: ALL_30, variant: 'dsp/pointwise/px2', flags: { x64: true, ls: true } },
        // the uint8 3x2 block (weights as int8 w - 128, flag w8): every form
        { family: 'pointwise', dtype: 'uint8', seed: 12, edit: FEW_LEFT, variant: 'dsp/pointwise/px3', flags: MIX_LS },
        { family: 'pointwise', dtype: 'uint8', seed: 12, edit: ALL_LEFT, variant: 'dsp/pointwise/px3', flags: { ls: true } },
        { family: 'pointwise', dtype: 'uint8', seed: 12, edit: ALL_ZERO, variant: 'dsp/pointwise/px3', flags: {} },
        { family: 'pointwise', dtype: 'uint8', seed: 12, edit: 'bound', variant: 'dsp/pointwise/px3', flags: MIX_LS },
        { family: 'pointwise', dtype: 'uint8', seed: 12, edit: ALL_30, variant: 'dsp/pointwise/px3', flags: { x64: true, ls: true } },
        { family: 'pointwise', dtype: 'uint8', seed: 12, edit: FEW_LEFT, variant: 'dsp/pointwise/px3', flags: { x64: true, ...MIX_LS }, switches: X64 },
        { family: 'conv', dtype: 'int8', seed: 13, edit: FEW_LEFT, variant: 'dsp/pointwise/im2col', flags: MIX_LS },
        { family: 'conv', dtype: 'int8', seed: 13, edit: ALL_ZERO, variant: 'dsp/pointwise/im2col', flags: {} },
        { family: 'conv', dtype: 'int8', seed: 13, edit: 'bound', variant: 'dsp/pointwise/im2col', flags: MIX_LS },
        { family: 'depthwise', dtype: 'int8', seed: 20, edit: FEW_LEFT, variant: 'dsp/dwconv/c4', flags: MIX_LS },
        { family: 'depthwise', dtype: 'int8', seed: 20, edit: ALL_ZERO, variant: 'dsp/dwconv/c4', flags: {} },
        { family: 'depthwise', dtype: 'uint8', seed: 17, edit: ALL_LEFT, variant: 'dsp/dwconv/c4', flags: { ls: true } },
        { family: 'depthwise', dtype: 'uint8', seed: 17, edit: 'bound', variant: 'dsp/dwconv/c4', flags: MIX_LS },
        { family: 'depthwise', dtype: 'uint8', seed: 17, edit: FEW_LEFT, variant: 'dsp/dwconv/c4', flags: { x64: true, ...MIX_LS }, switches: X64 },
        { family: 'depthwise', dtype: 'int8', seed: 14, edit: FEW_LEFT, variant: 'dsp/dwconv/dm', flags: MIX_LS },
        { family: 'depthwise', dtype: 'int8', seed: 14, edit: ALL_LEFT, variant: 'dsp/dwconv/dm', flags: { ls: true } },
        { family: 'depthwise', dtype: 'uint8', seed: 15, edit: 'bound', variant: 'dsp/dwconv/dm', flags: MIX_LS },
      ];
    const added = cases.map((c, i) => {
      const name = `dp${i}`;
      const graph = c.edit === 'bound' ? atBound(name, c.family, c.dtype, c.seed) : edited(name, c.family, c.dtype, c.seed, c.edit);
      return tester.add({ family: c.family, dtype: c.dtype, seed: c.seed, graph, variant: v.get(c.variant)!, switches: c.switches });
    });
    added.forEach((a, i) => {
      const f = parseKernelName(a.kernel).flags ?? {};
      expect([a.kernel, f.rn, f.x64, f.mix, f.ls]).toEqual([a.kernel, undefined, cases[i]!.flags.x64, cases[i]!.flags.mix, cases[i]!.flags.ls]);
    });
    const run = await tester.run();
    expect(run.results).toHaveLength(cases.length);
    for (const r of run.results) expect([r.kernel, r.mismatches, r.elements > 0]).toEqual([r.kernel, 0, true]);
  }, 600_000);

  // The helpers of dsp/runtime sit under one include guard: the total form, which only some kernels of a
  // model include, has its own (a model whose first DSP kernel lacked it once failed to link).
  it('a model with a cheap-epilogue DSP layer before total-epilogue ones links and equals the reference', async () => {
    const g = loadDescriptionObject(
      {
        architecture: 'layers',
        input: { height: 6, width: 7, channels: 8 },
        dtype: 'int8',
        weights: { seed: 5 },
        calibration: { seed: 6, count: 2 },
        layers: [
          { op: 'pointwise', filters: 12, activation: 'relu6' },
          { op: 'depthwise', kernel: 3, stride: 1, padding: 'same', depthMultiplier: 1, activation: 'relu6', batchNorm: false },
          { op: 'pointwise', filters: 8, activation: 'none' },
        ],
      },
      'dqmodel',
    );
    editOp(g, 1, MIXED);
    editOp(g, 2, MIXED);
    const r = await checkGraphOnTarget(g, targetByName('cortex-m4'), 'simd');
    const flags = r.project.layers.map((l) => parseKernelName(l.kernel)).map((id) => [id.isa, id.flags?.rn, id.flags?.mix, id.flags?.ls]);
    expect(flags).toEqual([
      ['dsp', true, undefined, undefined],
      ['dsp', undefined, true, true],
      ['dsp', undefined, true, true],
    ]);
    expect(r.divergences).toEqual([]);
  }, 120_000);
});
