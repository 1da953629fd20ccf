/**
 * The im2col conv kernels (DSP `dsp/pointwise/im2col` in its 3x2 block, with
 * the SMMLAR epilogue (weights widened and doubled) and the 64-bit one, and its
 * 2x2 block, Helium `mve/pointwise/im2col`) on fixed shapes: stems of 1/3/4/5
 * input channels, stride 2 SAME and VALID on odd sizes, 5x5 and 1xK
 * windows, windows wider than the input (no interior pixel), rows long
 * enough for the copy loop, uint8 with weight zero points (3x2 on widened
 * weights up to 8 KB, 2x2 past it), the input zero
 * point at both ends of its range (the padding value), 1..17 outputs.
 * Built with -Werror under QEMU; every output equal to the reference.
 */
import { describe, expect, it } from 'vitest';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { allSimdVariants } from '../../src/codegen/isa/index.js';
import { targetByName } from '../../src/targets/index.js';
import { convCase, type ConvShape } from '../helpers/kernelCases.js';
import { KernelTester } from '../helpers/kernelTester.js';
import { runnable } from './config.js';

const s = (h: number, w: number, cin: number, cout: number, k: [number, number], st: number, padding: 'same' | 'valid', xZp?: number): ConvShape => ({
  h,
  w,
  cin,
  cout,
  kH: k[0],
  kW: k[1],
  sH: st,
  sW: st,
  padding,
  ...(xZp === undefined ? {} : { xZp }),
});

const INT8: readonly ConvShape[] = [
  s(7, 9, 3, 8, [3, 3], 2, 'same'),
  s(7, 9, 3, 5, [3, 3], 2, 'valid'),
  s(9, 7, 3, 17, [3, 3], 2, 'same', -128),
  s(6, 7, 2, 3, [5, 5], 1, 'same'),
  s(5, 6, 1, 1, [3, 3], 1, 'same', 127),
  s(6, 5, 3, 16, [3, 3], 1, 'same'),
  s(5, 5, 4, 7, [3, 3], 1, 'same'),
  s(5, 7, 5, 12, [3, 3], 1, 'valid'),
  s(4, 9, 4, 9, [1, 3], 1, 'same'),
  s(8, 3, 3, 2, [3, 1], 1, 'same'),
  s(3, 4, 3, 4, [5, 5], 1, 'same'),
  s(5, 5, 48, 8, [3, 3], 1, 'same'),
  s(6, 6, 33, 5, [3, 3], 2, 'same'),
  // weights past 8 KB widened: the DSP 3x2 block keeps them as bytes
  s(4, 4, 48, 17, [3, 3], 1, 'same'),
];
const UINT8: readonly ConvShape[] = [
  s(9, 7, 3, 8, [3, 3], 2, 'same'),
  s(6, 6, 3, 3, [3, 3], 1, 'same', 0),
  s(6, 5, 5, 17, [3, 3], 1, 'valid', 255),
  s(5, 8, 4, 1, [1, 3], 2, 'same', 255),
  s(5, 5, 40, 9, [3, 3], 1, 'same'),
  // weights past 8 KB widened: uint8 keeps the 2x2 block (UXTAB16 minus the weight zero point)
  s(4, 4, 48, 17, [3, 3], 1, 'same', 0),
];

describe('im2col conv kernels on fixed shapes', () => {
  const variants = allSimdVariants();
  type Block = { readonly switches?: Readonly<Record<string, boolean>> };
  const runs: readonly (readonly [string, string, readonly Block[]])[] = [
    ['cortex-m4', 'dsp/pointwise/im2col', [{}, { switches: { 'dsp.smmlar': false } }, { switches: { 'dsp.px3': false } }]],
    // The M4's DSP template under -mcpu=cortex-m33 code generation: the default block only.
    ['cortex-m33', 'dsp/pointwise/im2col', [{}]],
    ['cortex-m55', 'mve/pointwise/im2col', [{}]],
  ];
  for (const [target, key, blocks] of runs) {
    const t = targetByName(target);
    it.skipIf(runnable([t]).length === 0)(
      `${key} on ${target}: every shape equals the reference`,
      async () => {
        const variant = variants.get(key)!;
        const tester = new KernelTester(t, `im${target.slice(-2)}`);
        let n = 0;
        const tiles: string[] = [];
        for (const [dtype, shapes] of [
          ['int8', INT8],
          ['uint8', UINT8],
        ] as const) {
          for (const [i, shape] of shapes.entries()) {
            for (const block of blocks) {
              const seed = 500 + 10 * i + (dtype === 'uint8' ? 1 : 0);
              const graph = convCase(`im${n}`, dtype, seed, shape).graph;
              const added = tester.add({ family: 'conv', dtype, seed, graph, variant, ...(block.switches ? { switches: block.switches } : {}) });
              const id = parseKernelName(added.kernel);
              expect([id.op, id.isa]).toEqual(['conv', variant.isa]);
              tiles.push(`${dtype}:${id.tile}${id.flags?.w16 ? ':w16' : ''}`);
              n++;
            }
          }
        }
        if (target === 'cortex-m4') {
          // int8: 3x2 (weights widened up to 8 KB, w16; bytes past it) unless dsp.px3 is off
          expect(tiles.filter((x) => x === 'int8:3x2:w16')).toHaveLength(2 * (INT8.length - 1));
          expect(tiles.filter((x) => x === 'int8:3x2')).toHaveLength(2);
          expect(tiles.filter((x) => x === 'int8:2x2')).toHaveLength(INT8.length);
          // uint8: 3x2 on widened weights (w16) up to 8 KB, else 2x2
          expect(tiles.filter((x) => x === 'uint8:3x2:w16')).toHaveLength(2 * (UINT8.length - 1));
          expect(tiles.filter((x) => x === 'uint8:2x2')).toHaveLength(UINT8.length + 2);
        }
        const run = await tester.run();
        expect(run.results).toHaveLength(n);
        for (const r of run.results) expect([r.kernel, r.mismatches, r.elements > 0]).toEqual([r.kernel, 0, true]);
      },
      600_000,
    );
  }
});
