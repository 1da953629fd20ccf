/**
 * The DSP kernels take every requantization (issue 12, item 1): layers
 * whose channels shift left, by zero, by 31 right, have multiplier 0, or
 * shift 24 right into a uint8 zero point of 255 run a DSP kernel (the total
 * epilogue mobilec_dsp_requant_any, never generic C) on cortex-m4 under
 * QEMU, every output equal to the reference.
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

describe('DSP kernels with every requantization (cortex-m4)', () => {
  it('pointwise, im2col conv and depthwise layers with left, zero and extreme shifts run the total DSP epilogue and equal the reference', async () => {
    const v = allSimdVariants();
    const tester = new KernelTester(targetByName('cortex-m4'), 'dq');
    const cases = [
      { family: 'pointwise', dtype: 'int8', seed: 11, edit: MIXED, variant: 'dsp/pointwise/px3', ls: true },
      { family: 'pointwise', dtype: 'uint8', seed: 12, edit: MIXED, variant: 'dsp/pointwise/px2', ls: true },
      { family: 'conv', dtype: 'int8', seed: 13, edit: MIXED, variant: 'dsp/pointwise/im2col', ls: true },
      { family: 'depthwise', dtype: 'int8', seed: 20, edit: MIXED, variant: 'dsp/dwconv/c4', ls: true },
      { family: 'depthwise', dtype: 'uint8', seed: 17, edit: MIXED, variant: 'dsp/dwconv/c4', ls: true },
      { family: 'depthwise', dtype: 'int8', seed: 14, edit: MIXED, variant: 'dsp/dwconv/dm', ls: true },
      { family: 'depthwise', dtype: 'uint8', seed: 15, edit: MIXED, variant: 'dsp/dwconv/dm', ls: true },
      { family: 'pointwise', dtype: 'uint8', seed: 16, edit: E24, yZp: 255, variant: 'dsp/pointwise/px2', ls: false },
      { family: 'depthwise', dtype: 'uint8', seed: 17, edit: E24, yZp: 255, variant: 'dsp/dwconv/c4', ls: false },
    ] as const;
    const added = cases.map((c, i) => {
      const graph = edited(`dq${i}`, c.family, c.dtype, c.seed, c.edit, 'yZp' in c ? c.yZp : undefined);
      return tester.add({ family: c.family, dtype: c.dtype, seed: c.seed, graph, variant: v.get(c.variant)! });
    });
    added.forEach((a, i) => {
      const id = parseKernelName(a.kernel);
      expect([a.kernel, id.isa, id.flags?.rn, id.flags?.x64, id.flags?.ls]).toEqual([a.kernel, 'dsp', undefined, true, cases[i]!.ls ? true : undefined]);
    });
    const run = await tester.run();
    expect(run.results).toHaveLength(cases.length);
    for (const r of run.results) expect([r.kernel, r.mismatches, r.elements > 0]).toEqual([r.kernel, 0, true]);
  }, 300_000);

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
    const flags = r.project.layers.map((l) => parseKernelName(l.kernel)).map((id) => [id.isa, id.flags?.rn, id.flags?.ls]);
    expect(flags).toEqual([
      ['dsp', true, undefined],
      ['dsp', undefined, true],
      ['dsp', undefined, true],
    ]);
    expect(r.divergences).toEqual([]);
  }, 120_000);
});
