/**
 * Cortex-M3 has no SIMD extension: its plain-C kernels under qemu-system-arm
 * (mps2-an385) on random depthwise-separable stacks, every layer compared
 * with the reference through the shared kernel tester.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import { targetByName } from '../../src/targets/index.js';
import { checkGraphOnTarget, description, inputArb, stackArb, tryLoad } from '../helpers/graphOnTarget.js';

const m3 = targetByName('cortex-m3');
const skip = !mcuToolsAvailable(m3) && process.env.CI !== 'true';

describe.skipIf(skip)('cortex-m3 plain-C kernels vs the reference', () => {
  it('random int8 and float32 separable stacks: zero divergences on every layer', async () => {
    const divergences: string[] = [];
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(
        inputArb,
        stackArb,
        fc.constantFrom('int8' as const, 'float32' as const),
        fc.integer({ min: 0, max: 999 }),
        async (input, layers, dtype, seed) => {
          const graph = tryLoad(description(input, layers, dtype, seed));
          if (!graph) return;
          const r = await checkGraphOnTarget(graph, m3, 'simd');
          ran++;
          divergences.push(...r.divergences.map((d) => `${JSON.stringify({ input, layers, dtype, seed })}: ${d}`));
          await new Promise<void>((resolve) => setImmediate(resolve));
        },
      ),
      { numRuns: 6, seed: 3003 },
    );
    expect(divergences).toEqual([]);
    expect(ran).toBeGreaterThanOrEqual(3);
  });
});
