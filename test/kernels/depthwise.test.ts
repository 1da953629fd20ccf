/**
 * Every int8 / uint8 depthwise runs a SIMD kernel on every SIMD target,
 * whatever its window, stride, depth multiplier, channel count and zero
 * points (issue 12): fixed shapes the random sample may miss — 5x5, 1x1,
 * 2x3, stride 3, multipliers 2..32 of one or several input channels, odd
 * channel counts, uint8 weight zero points, int8 weight zero points
 * (per-tensor and per-channel all equal), extreme activation zero points,
 * left-shifting channels (the `edge` requantization profile) — each built
 * with -Werror under QEMU and equal to the reference, and each on the
 * variant the table below names.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { targetByName } from '../../src/targets/index.js';
import { depthwiseCase, type DepthwiseSpec } from '../helpers/kernelCases.js';
import { describeFailures, KernelTester } from '../helpers/kernelTester.js';
import { runnable } from './config.js';

interface Shape extends DepthwiseSpec {
  readonly label: string;
  readonly dtypes: readonly ('int8' | 'uint8')[];
}

const win = (k: number, s: number, padding: 'same' | 'valid' = 'same') => ({ kH: k, kW: k, sH: s, sW: s, padding });
const SHAPES: readonly Shape[] = [
  { label: '5x5 s1, 13 channels', h: 9, w: 8, ...win(5, 1), cin: 13, dm: 1, dtypes: ['int8', 'uint8'] },
  { label: '5x5 s2 valid, 16 channels', h: 11, w: 12, ...win(5, 2, 'valid'), cin: 16, dm: 1, dtypes: ['int8'] },
  { label: '1x1, 9 channels', h: 5, w: 6, ...win(1, 1), cin: 9, dm: 1, dtypes: ['int8', 'uint8'] },
  { label: '3x3 s3, 17 channels', h: 10, w: 11, ...win(3, 3), cin: 17, dm: 1, dtypes: ['int8'] },
  { label: '3x3 s1, 3 channels', h: 7, w: 7, ...win(3, 1), cin: 3, dm: 1, dtypes: ['int8', 'uint8'] },
  { label: '2x3 s1x2, 8 channels', h: 6, w: 9, kH: 2, kW: 3, sH: 1, sW: 2, padding: 'same', cin: 8, dm: 1, dtypes: ['uint8'] },
  { label: 'stem dm8, 1 channel', h: 13, w: 12, ...win(3, 2), cin: 1, dm: 8, dtypes: ['int8', 'uint8'] },
  { label: 'stem dm16, 1 channel', h: 9, w: 9, ...win(3, 2), cin: 1, dm: 16, dtypes: ['int8'] },
  { label: 'stem dm32, 1 channel, 5x5', h: 8, w: 7, ...win(5, 1), cin: 1, dm: 32, dtypes: ['int8'] },
  { label: 'dm2, 5 channels', h: 7, w: 6, ...win(3, 1), cin: 5, dm: 2, dtypes: ['int8', 'uint8'] },
  { label: 'dm3 5x5 s2, 3 channels', h: 9, w: 10, ...win(5, 2), cin: 3, dm: 3, dtypes: ['int8'] },
  { label: 'dm4, 7 channels', h: 5, w: 5, ...win(3, 2), cin: 7, dm: 4, dtypes: ['int8', 'uint8'] },
  { label: 'dm8, 3 channels', h: 6, w: 5, ...win(3, 1), cin: 3, dm: 8, dtypes: ['int8'] },
  { label: 'dm16, 2 channels, 1x1', h: 4, w: 4, ...win(1, 1), cin: 2, dm: 16, dtypes: ['uint8'] },
  { label: 'dm5, 4 channels, stride 3 valid', h: 10, w: 8, ...win(3, 3, 'valid'), cin: 4, dm: 5, dtypes: ['int8'] },
  // the DSP row form (windows 3 wide, stride 1 or 2): odd widths, valid padding, channel tails, taller windows
  { label: '3x3 s2 valid, odd width, 13 channels', h: 9, w: 11, ...win(3, 2, 'valid'), cin: 13, dm: 1, dtypes: ['int8', 'uint8'] },
  { label: '3x3 s1 valid, width 5, 6 channels', h: 6, w: 5, ...win(3, 1, 'valid'), cin: 6, dm: 1, dtypes: ['int8'] },
  { label: '5x3 s2x1, 10 channels', h: 9, w: 7, kH: 5, kW: 3, sH: 2, sW: 1, padding: 'same', cin: 10, dm: 1, dtypes: ['uint8'] },
  { label: '3x3 s2, 8x8, 5 channels, uint8 zps 0 / 255 / 0', h: 8, w: 8, ...win(3, 2), cin: 5, dm: 1, zps: { x: 0, y: 255, w: 0 }, dtypes: ['uint8'] },
  // int8 weights with a zero point (per-tensor or per-channel all equal: the importer accepts both)
  { label: 'int8 weight zp -128, 3x3 s1, 24 channels', h: 6, w: 7, ...win(3, 1), cin: 24, dm: 1, zps: { w: -128 }, dtypes: ['int8'] },
  { label: 'int8 weight zp 127, 5x5, 10 channels', h: 7, w: 7, ...win(5, 1), cin: 10, dm: 1, zps: { w: 127 }, dtypes: ['int8'] },
  { label: 'int8 weight zp 37, dm2, 6 channels', h: 6, w: 6, ...win(3, 2), cin: 6, dm: 2, zps: { w: 37 }, dtypes: ['int8'] },
  { label: 'int8 weight zp -5, stem dm8', h: 9, w: 8, ...win(3, 2), cin: 1, dm: 8, zps: { w: -5 }, dtypes: ['int8'] },
  // extreme activation zero points
  { label: 'x zp min, y zp max, 5x5, 11 channels', h: 7, w: 6, ...win(5, 1), cin: 11, dm: 1, zps: { x: -128, y: 127 }, dtypes: ['int8'] },
  { label: 'uint8 zps 255 / 0 / 255, dm3, 3 channels', h: 6, w: 6, ...win(3, 1), cin: 3, dm: 3, zps: { x: 255, y: 0, w: 255 }, dtypes: ['uint8'] },
  // Helium c8 in place (stride 2, stride 1 over 24 rows): border pixels' padding taps read the zero-point row,
  // a channel tail predicated
  { label: 'uint8 zps 255 / 0 / 255, 5x5 s2, 19 channels', h: 9, w: 8, ...win(5, 2), cin: 19, dm: 1, zps: { x: 255, y: 0, w: 255 }, dtypes: ['uint8'] },
  { label: 'x zp max, 3x3 s1, 27x3 (one interior column), 24 channels', h: 27, w: 3, ...win(3, 1), cin: 24, dm: 1, zps: { x: 127, y: -128 }, dtypes: ['int8'] },
  { label: 'x zp min, 5x5 s1, 25x6, 13 channels', h: 25, w: 6, ...win(5, 1), cin: 13, dm: 1, zps: { x: -128, y: 127 }, dtypes: ['int8', 'uint8'] },
];

/** The variant each target's provider must pick for a depthwise of multiplier `dm` and `cin` input channels. */
function expectedKey(target: string, s: DepthwiseSpec): RegExp {
  // windows 3 wide of stride 1 or 2 on the row form (any multiplier), the rest 4 channels at a time
  if (target === 'cortex-m4' || target === 'cortex-m33')
    return s.kW === 3 && s.sW <= 2 ? /^dsp\/dwconv\/row$/ : s.dm === 1 ? /^dsp\/dwconv\/c4$/ : s.cin === 1 ? /^dsp\/dwconv\/dm$/ : /^dsp\/dwconv\/c4dm$/;
  if (target === 'cortex-m55') return s.dm === 1 ? /^mve\/dwconv\/c8$/ : s.cin === 1 ? /^mve\/dwconv\/dm$/ : /^mve\/dwconv\/c8dm$/;
  const isa = target === 'rpi-armv7' ? 'neon32' : 'neon';
  // the 3x3 stride-1/2 kernels keep what they take (8+ channels, multiplier 1)
  return new RegExp(`^${isa}/dw/(any|3x3)$`);
}

const TARGETS = runnable(['rpi3', 'rpi4', 'rpi-armv7', 'cortex-m4', 'cortex-m33', 'cortex-m55'].map(targetByName));

describe('depthwise on SIMD, every shape', () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))(
    '%s: every case on a SIMD variant, equal to the reference',
    async (name, target) => {
      const tester = new KernelTester(target, `dw_${name.replace(/-/g, '_')}_`);
      let seed = 500;
      for (const s of SHAPES) {
        for (const dtype of s.dtypes) {
          for (const profile of ['plain', 'edge'] as const) {
            seed++;
            const graph = depthwiseCase(`dw${seed}`, s, dtype, seed, profile).graph;
            const added = tester.add({ family: 'depthwise', dtype, seed, graph });
            const layer = generateProject(graph, { name: 'probe', target, kernels: 'simd' }).layers[0]!;
            expect([s.label, dtype, added.simd, layer.variantKey]).toEqual([s.label, dtype, true, expect.stringMatching(expectedKey(name, s))]);
            const id = parseKernelName(added.kernel);
            expect([s.label, id.op, id.flags?.dm ?? 1]).toEqual([s.label, 'dw', s.dm]);
          }
        }
      }
      const run = await tester.run();
      console.log(`depthwise on ${name}: ${run.results.length} cases in ${run.builds} build(s), ${(run.ms / 1000).toFixed(1)} s`);
      expect(run.results).toHaveLength(tester.size);
      expect(describeFailures(run.results)).toEqual([]);
      for (const r of run.results) expect(r.elements).toBeGreaterThan(0);
    },
    900_000,
  );
});
