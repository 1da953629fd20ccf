/**
 * Fixed kernel-tester cases for shapes the random sample may miss, each a
 * bug once found by the full sweep: built with -Werror under QEMU, every
 * output equal to the reference.
 */
import { describe, expect, it } from 'vitest';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { allSimdVariants } from '../../src/codegen/isa/index.js';
import { targetByName } from '../../src/targets/index.js';
import { loadDescriptionObject } from '../helpers/models.js';
import { KernelTester } from '../helpers/kernelTester.js';

/** One conv layer, prepared (int8: post-training quantized). */
function conv(dtype: 'float32' | 'int8', kernel: number, stride: number, channels: number, filters: number, seed: number) {
  return loadDescriptionObject(
    {
      architecture: 'layers',
      input: { height: 11, width: 13, channels },
      dtype,
      weights: { seed },
      ...(dtype === 'int8' ? { calibration: { seed: seed + 1, count: 2 } } : {}),
      layers: [{ op: 'conv', filters, kernel, stride, padding: 'same', batchNorm: false, bias: true }],
    },
    `reg${seed}`,
  );
}

describe('kernel tester regressions', () => {
  // The aarch64 conv tile in intrinsics declared every row-segment register, and a strided 1x1
  // window reads only some: unused variables, rejected under -Werror (found by npm run test:full).
  it('a strided 1x1 conv on the NEON conv tile compiles warning-free and equals the reference', async () => {
    const tile = allSimdVariants().get('neon/conv/tile')!;
    const tester = new KernelTester(targetByName('rpi4'), 'rg');
    const added = [
      tester.add({ family: 'conv', dtype: 'int8', seed: 1, graph: conv('int8', 1, 2, 20, 16, 31), variant: tile }),
      tester.add({ family: 'conv', dtype: 'int8', seed: 2, graph: conv('int8', 1, 2, 9, 8, 41), variant: tile }),
      tester.add({ family: 'conv', dtype: 'float32', seed: 3, graph: conv('float32', 1, 2, 12, 16, 51), variant: tile }),
    ];
    for (const a of added) expect(parseKernelName(a.kernel)).toMatchObject({ op: 'conv', isa: 'neon', window: { kH: 1, kW: 1 } });
    const run = await tester.run();
    expect(run.results).toHaveLength(3);
    for (const r of run.results) expect([r.kernel, r.mismatches, r.elements > 0]).toEqual([r.kernel, 0, true]);
  });
});
