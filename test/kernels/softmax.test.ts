/**
 * The generic quantized softmax: rows of at least SOFTMAX_TABLE_MIN_DEPTH values read TFLite's
 * fixed-point exp of every difference to the row maximum from a compile-time table (flag `exptab`),
 * shorter rows compute it. Both agree with the reference bit for bit (host build, seeded inputs
 * spanning the whole 8-bit range, so differences past diff_min occur), and the table holds exactly
 * the differences that pass diff_min.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import type { SoftmaxOp } from '../../src/model/ir.js';
import { softmaxExpTable, SOFTMAX_TABLE_MIN_DEPTH } from '../../src/ops/softmax/emit.js';
import { expOnNegativeValues, multiplyByQuantizedMultiplierGreaterThanOne } from '../../src/numerics/fixedpoint.js';
import { targetByName } from '../../src/targets/index.js';
import { kernelCase } from '../helpers/kernelCases.js';
import { checkGraphOnTarget } from '../helpers/graphOnTarget.js';

const host = targetByName('host');

/** Seeds whose softmax case has a row of `min`..`max` values. */
function seedsWithDepth(dtype: 'int8' | 'uint8', min: number, max: number, count: number): number[] {
  const out: number[] = [];
  for (let seed = 1; out.length < count && seed < 500; seed++) {
    const n = kernelCase('s', 'softmax', dtype, seed).spec.geometry.n as number;
    if (n >= min && n <= max) out.push(seed);
  }
  return out;
}

describe('generic quantized softmax', () => {
  it('the exp table holds exp(scaled(-d)) for d = 0 .. -diff_min (at most 256 entries), none when diff_min > 0', () => {
    const m = 1 << 30;
    const t = softmaxExpTable(m, 20, -100)!;
    expect(t).toHaveLength(101);
    expect(t[0]).toBe(expOnNegativeValues(multiplyByQuantizedMultiplierGreaterThanOne(0, m, 20)));
    expect(t[0]).toBe(2147483647); // exp(0) = 1 in Q0.31, saturated
    expect(t[100]).toBe(expOnNegativeValues(multiplyByQuantizedMultiplierGreaterThanOne(-100, m, 20)));
    expect(softmaxExpTable(m, 20, -1e9)).toHaveLength(256);
    expect(softmaxExpTable(m, 20, 1)).toBeNull();
  });

  it.each(['int8', 'uint8'] as const)('%s: long rows take the table, short rows compute exp; both bit-exact on host', async (dtype) => {
    const long = seedsWithDepth(dtype, SOFTMAX_TABLE_MIN_DEPTH, 4096, 2);
    const short = seedsWithDepth(dtype, 10, SOFTMAX_TABLE_MIN_DEPTH - 1, 1);
    expect(long).toHaveLength(2);
    for (const seed of [...long, ...short]) {
      const c = kernelCase(`sm_${dtype}_${seed}`, 'softmax', dtype, seed);
      const project = generateProject(c.graph, { name: c.graph.name, target: host, kernels: 'generic' });
      const id = parseKernelName(project.layers[0]!.kernel);
      const n = c.spec.geometry.n as number;
      const op = c.graph.ops[0] as SoftmaxOp;
      expect(id.flags?.exptab, `n=${n}`).toBe(n >= SOFTMAX_TABLE_MIN_DEPTH && op.softmaxQuant!.diffMin <= 0 ? true : undefined);
      const { divergences } = await checkGraphOnTarget(c.graph, host, 'generic', 3);
      expect(divergences, `seed ${seed}, n=${n}`).toEqual([]);
    }
  });
});
