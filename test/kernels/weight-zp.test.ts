/**
 * int8 weights with a non-zero zero point (per-tensor, or per-channel all
 * equal: the importer accepts both, the reference subtracts it) run a SIMD
 * kernel on every SIMD target, for conv, pointwise, FC and depthwise, and
 * equal the reference (built with -Werror under QEMU). Zero points at both
 * ends of the int8 range and in between; both requantization profiles.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { targetByName } from '../../src/targets/index.js';
import { kernelCase } from '../helpers/kernelCases.js';
import { describeFailures, KernelTester } from '../helpers/kernelTester.js';
import { runnable } from './config.js';

const FAMILIES = ['conv', 'pointwise', 'fc', 'depthwise'] as const;
const ZPS = [-128, 127, 7, -33];
const TARGETS = runnable(['rpi3', 'rpi4', 'rpi5', 'rpi-armv7', 'cortex-m4', 'cortex-m33', 'cortex-m55'].map(targetByName));

describe('int8 weights with a zero point', () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))(
    '%s: conv, pointwise, FC and depthwise on SIMD kernels, equal to the reference',
    async (name, target) => {
      const tester = new KernelTester(target, `wz_${name.replace(/-/g, '_')}_`);
      let seed = 900;
      for (const family of FAMILIES) {
        for (const [i, w] of ZPS.entries()) {
          seed++;
          const graph = kernelCase(`wz${seed}`, family, 'int8', seed, i % 2 ? 'edge' : 'plain', { w }).graph;
          const wT = graph.tensors[graph.ops[0]!.inputs[1]!]!;
          expect(wT.quant!.zeroPoint.every((z) => z === w)).toBe(true);
          const added = tester.add({ family, dtype: 'int8', seed, graph });
          const layer = generateProject(graph, { name: 'probe', target, kernels: 'simd' }).layers[0]!;
          expect([family, w, added.simd, layer.generic]).toEqual([family, w, true, false]);
          expect(parseKernelName(added.kernel).isa).not.toBe('c');
        }
      }
      const run = await tester.run();
      console.log(`int8 weight zero points on ${name}: ${run.results.length} cases in ${run.builds} build(s), ${(run.ms / 1000).toFixed(1)} s`);
      expect(run.results).toHaveLength(tester.size);
      expect(describeFailures(run.results)).toEqual([]);
    },
    900_000,
  );
});
