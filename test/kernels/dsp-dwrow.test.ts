/**
 * The DSP depthwise row form (`dsp/dwconv/row`, templates/kernels/dwconv_dsp.c.hbs `row`) on adversarial
 * values, exact: activation and weight zero points at the ends of their range, every weight at the dtype's
 * minimum or maximum (int8 -128 / 127, uint8 0 / 255), large biases of both signs, and inputs at the minimum
 * only, the maximum only, or a mix of both (the tester's last round; the first two rounds random). Shapes
 * the form specializes on: strides 1 and 2, odd and even widths (the 4-, 2- and 1-pixel blocks), same and
 * valid padding (border words read the zero point's bytes), channel tails, one input channel (the
 * 4-pixel widening), multipliers of several channels, a 5-row window, channel blocks (flag cb, switch
 * dsp.dwcb) with tails of 1, 2 and 5 channels. Each case must run on the row form and equal the reference
 * bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import type { Graph, Op } from '../../src/model/ir.js';
import { targetByName } from '../../src/targets/index.js';
import { depthwiseCase, type DepthwiseSpec } from '../helpers/kernelCases.js';
import { describeFailures, KernelTester } from '../helpers/kernelTester.js';
import { runnable } from './config.js';

/** A window k rows by 3 columns, stride s. */
const win = (k: number, s: number, padding: 'same' | 'valid' = 'same') => ({ kH: k, kW: 3, sH: s, sW: s, padding });
const SHAPES: readonly (DepthwiseSpec & { readonly label: string; readonly cb?: number })[] = [
  { label: '3x3 s1 same, width 9 (4 + 4 + 1 pixels), 5 channels', h: 6, w: 9, ...win(3, 1), cin: 5, dm: 1 },
  { label: '3x3 s1 valid, width 8, 8 channels', h: 5, w: 8, ...win(3, 1, 'valid'), cin: 8, dm: 1 },
  { label: '3x3 s2 same, 8x9, 13 channels', h: 8, w: 9, ...win(3, 2), cin: 13, dm: 1 },
  { label: '3x3 s2 valid, width 10, 4 channels', h: 7, w: 10, ...win(3, 2, 'valid'), cin: 4, dm: 1 },
  { label: 'one channel x 8, s2 same (the stem)', h: 9, w: 11, ...win(3, 2), cin: 1, dm: 8 },
  { label: 'multiplier 3 of 3 channels, s1', h: 5, w: 7, ...win(3, 1), cin: 3, dm: 3 },
  { label: '5x3 s1, 6 channels', h: 7, w: 6, ...win(5, 1), cin: 6, dm: 1 },
  // channel blocks (switch dsp.dwcb; chosen where the ring would raise the arena): every block's rows widened afresh
  { label: '3x3 s1 same, width 9, 13 channels in blocks of 4 (a tail of 1)', h: 6, w: 9, ...win(3, 1), cin: 13, dm: 1, cb: 4 },
  { label: '3x3 s2 same, 8x9, 13 channels in blocks of 8 (a tail of 5)', h: 8, w: 9, ...win(3, 2), cin: 13, dm: 1, cb: 8 },
  { label: '3x3 s2 valid, width 10, 6 channels in blocks of 4 (a tail of 2)', h: 7, w: 10, ...win(3, 2, 'valid'), cin: 6, dm: 1, cb: 4 },
  { label: '5x3 s1, 8 channels in blocks of 4', h: 7, w: 6, ...win(5, 1), cin: 8, dm: 1, cb: 4 },
];

/** Zero points (x, y, w) at the ends of each dtype's range. */
const ZPS = {
  int8: [
    { x: -128, y: 127, w: 127 },
    { x: 127, y: -128, w: -128 },
  ],
  uint8: [
    { x: 0, y: 255, w: 255 },
    { x: 255, y: 0, w: 0 },
  ],
} as const;

/** Every weight at the dtype's minimum or maximum (a fixed pattern of both), biases of +-2^20 and 0. */
function extremeWeights(g: Graph, dtype: 'int8' | 'uint8'): Graph {
  const op = g.ops[0]!;
  const w = g.tensors[op.inputs[1]!]! as unknown as { data: Int8Array | Uint8Array };
  const b = g.tensors[op.inputs[2]!]! as unknown as { data: Int32Array };
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
  for (let i = 0; i < w.data.length; i++) w.data[i] = (i * 5) % 3 === 0 ? lo : hi;
  for (let c = 0; c < b.data.length; c++) b.data[c] = [1 << 20, -(1 << 20), 0][c % 3]!;
  return g;
}

const TARGETS = runnable(['cortex-m4', 'cortex-m33'].map(targetByName));

describe('DSP depthwise row form on adversarial values', () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))(
    '%s: extreme zero points, weights and inputs, every shape on the row form, exact',
    async (name, target) => {
      const tester = new KernelTester(target, `dwrow_${name.replace(/-/g, '_')}_`);
      let seed = 7000;
      for (const s of SHAPES) {
        for (const dtype of ['int8', 'uint8'] as const) {
          for (const zps of ZPS[dtype]) {
            for (const extremesMax of [0, 1, 0.5]) {
              seed++;
              const graph = extremeWeights(depthwiseCase(`dwr${seed}`, { ...s, zps }, dtype, seed, seed % 2 ? 'edge' : 'plain').graph, dtype);
              const switches = { 'dsp.dwcb': s.cb ?? 0 };
              const added = tester.add({ family: 'depthwise', dtype, seed, graph, extremesMax, switches });
              const layer = generateProject(graph, { name: 'probe', target, kernels: 'simd', tuning: { switches } }).layers[0]!;
              expect([s.label, dtype, layer.variantKey]).toEqual([s.label, dtype, 'dsp/dwconv/row']);
              const id = parseKernelName(added.kernel);
              expect([s.label, id.tile, id.flags?.dm ?? 1, id.flags?.cb]).toEqual([s.label, '1x2', s.dm, s.cb]);
            }
          }
        }
      }
      const run = await tester.run();
      console.log(`dsp depthwise row form on ${name}: ${run.results.length} cases in ${run.builds} build(s), ${(run.ms / 1000).toFixed(1)} s`);
      expect(run.results).toHaveLength(SHAPES.length * 2 * 2 * 3);
      expect(describeFailures(run.results)).toEqual([]);
      for (const r of run.results) expect([r.name, r.elements > 0, r.mismatches, r.tolerance]).toEqual([r.name, true, 0, 0]);
    },
    900_000,
  );

  type Edit = (c: number, m: number, s: number) => [number, number];
  /** Per channel (multiplier, shift) edits: each DSP epilogue form in turn (dsp/requant.ts). */
  const EDITS: readonly { label: string; edit: Edit; yZp?: number; x64?: boolean; flags: Record<string, true | undefined> }[] = [
    {
      label: 'mixed (right, left, zero, 31 right, multiplier 0, left 30)',
      edit: (c, m, sh) => [[m, sh] as [number, number], [m, 1], [m, 0], [m, -31], [0, sh], [m, 30]][c % 6] as [number, number],
      flags: { mix: true, ls: true },
    },
    { label: 'every channel left 1..4', edit: (c, m) => [m, 1 + (c % 4)], flags: { ls: true } },
    { label: 'every channel shift 0', edit: (_c, m) => [m, 0], flags: {} },
    { label: 'every channel left 30 (the total form)', edit: (_c, m) => [m, 30], flags: { x64: true, ls: true } },
    { label: 'every other channel 24 right, output zero point 255', edit: (c, m, sh) => (c % 2 === 0 ? [m, -24] : [m, sh]), yZp: 255, flags: { mix: true } },
    { label: 'SMLAL everywhere (dsp.smmlar false)', edit: (_c, m, sh) => [m, sh], x64: true, flags: { rn: true, x64: true } },
  ];

  it.each(TARGETS.slice(0, 1).map((t) => [t.name, t] as const))(
    '%s: every epilogue form of the row form, exact',
    async (name, target) => {
      const tester = new KernelTester(target, `dwrq_${name.replace(/-/g, '_')}_`);
      let seed = 7500;
      for (const e of EDITS) {
        for (const [dtype, sw] of [
          ['int8', 1],
          ['uint8', 2],
        ] as const) {
          seed++;
          const spec: DepthwiseSpec = {
            h: 6,
            w: 7,
            kH: 3,
            kW: 3,
            sH: sw,
            sW: sw,
            padding: 'same',
            cin: 12,
            dm: 1,
            zps: dtype === 'uint8' ? { y: e.yZp ?? 3 } : {},
          };
          const g = depthwiseCase(`dwq${seed}`, spec, dtype, seed, 'plain').graph;
          const op = g.ops[0]! as Op & { requant: { multiplier: number[]; shift: number[] } };
          const one = op.requant.multiplier.length === 1;
          const pairs = Array.from({ length: 12 }, (_, c) => e.edit(c, op.requant.multiplier[one ? 0 : c]!, op.requant.shift[one ? 0 : c]!));
          (op as { requant: unknown }).requant = { ...op.requant, multiplier: pairs.map((p) => p[0]), shift: pairs.map((p) => p[1]) };
          if (e.yZp !== undefined && dtype === 'int8') continue;
          const switches = e.x64 ? { 'dsp.smmlar': false } : undefined;
          const added = tester.add({ family: 'depthwise', dtype, seed, graph: g, switches });
          const id = parseKernelName(added.kernel);
          expect([e.label, dtype, id.tile, id.flags?.rn, id.flags?.x64, id.flags?.mix, id.flags?.ls]).toEqual([
            e.label,
            dtype,
            '1x2',
            e.flags.rn,
            e.flags.x64,
            e.flags.mix,
            e.flags.ls,
          ]);
        }
      }
      const run = await tester.run();
      expect(run.results.length).toBeGreaterThanOrEqual(EDITS.length * 2 - 1);
      expect(describeFailures(run.results)).toEqual([]);
      for (const r of run.results) expect([r.name, r.elements > 0, r.mismatches]).toEqual([r.name, true, 0]);
    },
    600_000,
  );
});
