/**
 * The DSP and Helium kernel variants as data: their registered keys in
 * preference order, which one a layer gets (read from its kernel name
 * through parseKernelName), and the explicit tuning (`only`, `switches`)
 * passed through generateProject. Code generation only; the kernels' C is
 * checked under QEMU by test/cross/mcu_simd.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { allSimdVariants } from '../../src/codegen/isa/index.js';
import { dspKernels } from '../../src/codegen/isa/dsp/index.js';
import { heliumKernels } from '../../src/codegen/isa/mve/index.js';
import { parseKernelName, type KernelId } from '../../src/codegen/kernelId.js';
import type { KernelTuning } from '../../src/codegen/types.js';
import { targetByName } from '../../src/targets/index.js';
import { description, tryLoad } from '../helpers/graphOnTarget.js';
import { convCase, kernelCase } from '../helpers/kernelCases.js';

/** 12x12x8: conv 3x3 s2 (im2col), depthwise 3x3, pointwise 8 -> 16 on 36 pixels, FC (one row). */
const STACK = tryLoad(
  description(
    { height: 12, width: 12, channels: 8 },
    [
      { op: 'conv', filters: 8, kernel: 3, stride: 2, padding: 'same', activation: 'relu6', batchNorm: true },
      { op: 'depthwise', kernel: 3, stride: 1, padding: 'same', depthMultiplier: 1, activation: 'relu6', batchNorm: true },
      { op: 'pointwise', filters: 16, activation: 'none' },
      { op: 'fc', units: 10, activation: 'none' },
    ],
    'int8',
    11,
  ),
)!;
/** uint8 (per-tensor weights with a zero point): a 1x1 conv 8 -> 16 on 6x6 pixels, and a one-row FC. */
const PW_U8 = convCase('pwu8', 'uint8', 21, { h: 6, w: 6, cin: 8, cout: 16, kH: 1, kW: 1, sH: 1, sW: 1, padding: 'same' }, 'plain').graph;
/** 48 x 96 x 2 bytes widened: past 8 KB. */
const PW_U8_BIG = convCase('pwu8b', 'uint8', 23, { h: 4, w: 5, cin: 96, cout: 48, kH: 1, kW: 1, sH: 1, sW: 1, padding: 'same' }, 'plain').graph;
const FC_U8 = kernelCase('fcu8', 'fc', 'uint8', 22, 'plain').graph;
/** A depth multiplier of one input channel. */
const DM = tryLoad(
  description(
    { height: 8, width: 8, channels: 1 },
    [{ op: 'depthwise', kernel: 3, stride: 2, padding: 'same', depthMultiplier: 4, activation: 'relu', batchNorm: false }],
    'int8',
    12,
  ),
)!;

/** The SIMD kernels' ids, in layer order (null: a layer left to the generic C or a view). */
function ids(graph: typeof STACK, target: string, tuning?: KernelTuning): (KernelId | null)[] {
  const p = generateProject(graph, { name: 'v', target: targetByName(target), kernels: 'simd', tuning });
  return p.layers.map((l) => {
    try {
      const id = parseKernelName(l.kernel);
      return id.isa === 'dsp' || id.isa === 'mve' ? id : null;
    } catch {
      return null;
    }
  });
}
const summary = (id: KernelId | null) => (id ? `${id.op}/${id.tile}` : null);

describe('DSP and Helium variants', () => {
  it('are registered in preference order, every key once', () => {
    expect(dspKernels.variants.map((v) => v.key)).toEqual([
      'dsp/pointwise/px3',
      'dsp/pointwise/px1',
      'dsp/pointwise/px2',
      'dsp/pointwise/im2col',
      'dsp/dwconv/row',
      'dsp/dwconv/c4',
      'dsp/dwconv/dm',
      'dsp/dwconv/c4dm',
      'dsp/add/any',
      'dsp/mul/any',
      'dsp/avgpool/any',
      'dsp/maxpool/any',
      'dsp/mean/any',
      'dsp/lut/table',
    ]);
    expect(heliumKernels.variants.map((v) => v.key)).toEqual([
      'mve/pointwise/px',
      'mve/pointwise/im2col',
      'mve/dwconv/c8',
      'mve/dwconv/dm',
      'mve/dwconv/c8dm',
      'mve/add/any',
      'mve/mul/any',
      'mve/avgpool/any',
      'mve/maxpool/any',
      'mve/mean/any',
      'mve/lut/table',
    ]);
    const all = allSimdVariants();
    for (const v of [...dspKernels.variants, ...heliumKernels.variants]) expect(all.get(v.key)).toBe(v);
  });

  it('cortex-m4: each layer gets its variant, named by the grammar', () => {
    const got = ids(STACK, 'cortex-m4').filter((x) => x !== null);
    expect(got.map(summary)).toEqual(['conv/3x2', 'dw/1x2', 'pw/3x2', 'fc/1x4']);
    expect(got.every((id) => id!.dtype === 's8' && id!.flags?.rn === true && id!.flags?.x64 === undefined)).toBe(true);
    expect(got[0]!.window).toEqual({ kH: 3, kW: 3, sH: 2, sW: 2, padding: 'same' });
    expect(got[2]!.shape).toBe('6x6x8_16');
    const dm = ids(DM, 'cortex-m4')[0]!;
    expect([summary(dm), dm.flags?.dm, dm.shape]).toEqual(['dw/1x2', 4, '8x8x1']);
    // the 4-channel form when the row form is not allowed (3x3 windows of stride 1 or 2 take the row form)
    const c4 = ids(DM, 'cortex-m4', { only: ['dsp/dwconv/dm'] })[0]!;
    expect([summary(c4), c4.flags?.dm]).toEqual(['dw/4', 4]);
  });

  it('cortex-m4 uint8: 1x1 convs on the 3x2 block (weights widened up to 8 KB, w16; int8 w - 128 past it, w8), a one-row FC on 1x4; dsp.px3 off: 2x2', () => {
    const pw = (g: typeof PW_U8, tuning?: KernelTuning) => ids(g, 'cortex-m4', tuning)[0]!;
    const f = (id: KernelId) => [summary(id), id.dtype, id.flags?.w16, id.flags?.w8, id.shape];
    expect(f(pw(PW_U8))).toEqual(['pw/3x2', 'u8', true, undefined, '6x6x8_16']);
    expect(f(pw(PW_U8_BIG))).toEqual(['pw/3x2', 'u8', undefined, true, '4x5x96_48']);
    expect(f(pw(PW_U8, { switches: { 'dsp.px3': false } }))).toEqual(['pw/2x2', 'u8', undefined, undefined, '6x6x8_16']);
    expect(f(pw(PW_U8_BIG, { switches: { 'dsp.px3': false } }))).toEqual(['pw/2x2', 'u8', undefined, undefined, '4x5x96_48']);
    const fc = ids(FC_U8, 'cortex-m4')[0]!;
    expect([summary(fc), fc.dtype, fc.flags?.w16, fc.flags?.w8, fc.shape?.startsWith('1x1x')]).toEqual(['fc/1x4', 'u8', undefined, undefined, true]);
  });

  it('cortex-m4 tuning: dsp.px3 off gives 2x2 blocks (the one-row FC keeps 1x4), dsp.smmlar off the x64 epilogue, `only` limits the variants', () => {
    expect(
      ids(STACK, 'cortex-m4', { switches: { 'dsp.px3': false } })
        .filter((x) => x !== null)
        .map(summary),
    ).toEqual(['conv/2x2', 'dw/1x2', 'pw/2x2', 'fc/1x4']);
    const x64 = ids(STACK, 'cortex-m4', { switches: { 'dsp.smmlar': false } }).filter((x) => x !== null);
    expect(x64.length).toBe(4);
    expect(x64.every((id) => id!.flags?.x64 === true)).toBe(true);
    expect(
      ids(STACK, 'cortex-m4', { only: ['dsp/dwconv/c4'] })
        .map(summary)
        .filter((s) => s !== null),
    ).toEqual(['dw/4']);
    expect(
      ids(STACK, 'cortex-m4', { only: ['dsp/pointwise/px2'] })
        .map(summary)
        .filter((s) => s !== null),
    ).toEqual(['pw/2x2', 'fc/2x2']);
  });

  it('cortex-m55: each layer gets its variant; the block switches set the pointwise tile', () => {
    const got = ids(STACK, 'cortex-m55').filter((x) => x !== null);
    // conv: 36 pixels of 80-byte windows (72 padded to 16), blocks of at most 1 KB: 12 pixels
    expect(got.map(summary)).toEqual(['conv/12x4', 'dw/8', 'pw/12x4', 'fc/1x4']);
    expect(got.every((id) => id!.dtype === 's8' && id!.flags?.ls === undefined)).toBe(true);
    expect(
      ids(STACK, 'cortex-m55', { switches: { 'mve.pointwiseBlockNarrow': 4, 'mve.convBlock': 3 } })
        .filter((x) => x !== null)
        .map(summary),
    ).toEqual(['conv/3x4', 'dw/8', 'pw/4x4', 'fc/1x4']);
    const dm = ids(DM, 'cortex-m55')[0]!;
    expect([summary(dm), dm.flags?.dm]).toEqual(['dw/4', 4]);
  });
});
