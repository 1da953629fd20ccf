/** Passes on graphs with pad / add: activation fusion into add, post-training quantization. */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/ir.js';
import { fuseActivations } from '../../src/passes/fuseActivations.js';
import { quantizeGraph } from '../../src/passes/quantize.js';
import { requantize } from '../../src/passes/requantize.js';
import { validateGraph } from '../../src/passes/validate.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { Prng } from '../../src/util/prng.js';

/** x → pad → add(pad, x2 = pad) → relu6 activation. */
function floatGraph(): Graph {
  const t = (id: number, name: string, shape: number[]) => ({ id, name, shape, dtype: 'float32' as const });
  return {
    name: 'g',
    tensors: [t(0, 'x', [1, 2, 2, 3]), t(1, 'p', [1, 4, 4, 3]), t(2, 's', [1, 4, 4, 3]), t(3, 'y', [1, 4, 4, 3])],
    ops: [
      {
        kind: 'pad',
        name: 'pad',
        inputs: [0],
        outputs: [1],
        paddings: [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
      },
      { kind: 'add', name: 'add', inputs: [1, 1], outputs: [2], activation: 'none' },
      { kind: 'activation', name: 'act', inputs: [2], outputs: [3], activation: 'relu6' },
    ],
    inputs: [0],
    outputs: [3],
  };
}

describe('passes with pad and add', () => {
  it('fuses a following activation into add', () => {
    const g = validateGraph(fuseActivations(validateGraph(floatGraph())));
    expect(g.ops.map((o) => o.kind)).toEqual(['pad', 'add']);
    expect(g.ops[1]).toMatchObject({ kind: 'add', activation: 'relu6' });
    const x = Float32Array.from({ length: 12 }, (_, i) => i - 4);
    expect([...runGraph(g, [x]).outputs[0]!]).toEqual([...runGraph(floatGraph(), [x]).outputs[0]!]);
  });

  it('post-training quantization: pad keeps its input quantization, add gets its own and addQuant', () => {
    const f = fuseActivations(floatGraph());
    const rng = new Prng(3);
    const cal = [0, 1, 2].map(() => Float32Array.from({ length: 12 }, () => rng.uniform(-2, 2)));
    const g = validateGraph(requantize(quantizeGraph(f, cal)), 'internal');
    expect(g.tensors[1]!.quant).toEqual(g.tensors[0]!.quant);
    expect(g.tensors[2]!.dtype).toBe('int8');
    const add = g.ops[1]!;
    expect(add.kind === 'add' && add.addQuant?.leftShift).toBe(20);
    // x + x at twice the scale: tracks the float result within two output steps.
    const x = cal[0]!;
    const s = g.tensors[2]!.quant!;
    const xq = g.tensors[0]!.quant!;
    const xi = Int8Array.from(x, (v) => Math.max(-128, Math.min(127, Math.round(v / xq.scale[0]!) + xq.zeroPoint[0]!)));
    const got = runGraph(g, [xi]).outputs[0]!;
    const want = runGraph(f, [x]).outputs[0]!;
    got.forEach((v, i) => {
      expect(Math.abs(s.scale[0]! * (v - s.zeroPoint[0]!) - want[i]!)).toBeLessThanOrEqual(2 * s.scale[0]! + 2 * xq.scale[0]!);
    });
  });
});
