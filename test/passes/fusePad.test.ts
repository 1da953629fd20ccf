/** Pad fusion: PAD → VALID conv/depthwise becomes SAME exactly when both read the same pixels, and the results agree. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/ir.js';
import { fusePad } from '../../src/passes/fusePad.js';
import { requantize } from '../../src/passes/requantize.js';
import { validateGraph } from '../../src/passes/validate.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { Prng } from '../../src/util/prng.js';
import { GraphBuilder, q } from '../codegen/helpers.js';

/** int8 x [1,h,w,c] → PAD(pads) → depthwise k×k stride s VALID (or a conv with 2 filters), with an extra reader of the pad when `shared`. */
function padded(h: number, w: number, pads: [number, number][], k: number, s: number, conv = false, shared = false): Graph {
  const rng = new Prng(h * 131 + w * 17 + k + s);
  const b = new GraphBuilder();
  const c = 3;
  const zp = -7;
  const x = b.tensor('x', [1, h, w, c], 'int8', { quant: q(0.05, zp) });
  const ph = h + pads[1]![0] + pads[1]![1];
  const pw = w + pads[2]![0] + pads[2]![1];
  const pc = c + pads[3]![0] + pads[3]![1];
  const p = b.tensor('p', [1, ph, pw, pc], 'int8', { quant: q(0.05, zp) });
  b.op({ kind: 'pad', name: 'pad', inputs: [x], outputs: [p], paddings: pads });
  const n = conv ? 2 : pc;
  const wdata = Int8Array.from({ length: k * k * pc * (conv ? 2 : 1) }, () => rng.int(-127, 127));
  const f = b.tensor('f', conv ? [2, k, k, pc] : [1, k, k, pc], 'int8', {
    data: wdata,
    quant: { scale: Array(n).fill(0.01), zeroPoint: Array(n).fill(0), axis: conv ? 0 : 3 },
  });
  const bias = b.tensor('b', [n], 'int32', {
    data: Int32Array.from({ length: n }, () => rng.int(-500, 500)),
    quant: { scale: Array(n).fill(0.0005), zeroPoint: Array(n).fill(0), axis: 0 },
  });
  const oh = Math.floor((ph - k) / s) + 1;
  const ow = Math.floor((pw - k) / s) + 1;
  const y = b.tensor('y', [1, oh, ow, n], 'int8', { quant: q(0.1, 3) });
  const common = { name: 'conv', inputs: [p, f, bias], outputs: [y], strideH: s, strideW: s, padding: 'valid' as const, activation: 'none' as const };
  b.op(conv ? { kind: 'conv2d', ...common } : { kind: 'depthwise_conv2d', ...common, depthMultiplier: 1 });
  const outs = [y];
  if (shared) {
    const z = b.tensor('z', [1, ph, pw, pc], 'int8', { quant: q(0.05, zp) });
    b.op({ kind: 'activation', name: 'relu', inputs: [p], outputs: [z], activation: 'relu' });
    outs.push(z);
  }
  return validateGraph(requantize(validateGraph(b.build('padded', [x], outs))), 'internal');
}

const input = (g: Graph) => {
  const rng = new Prng(5);
  return Int8Array.from({ length: g.tensors[g.inputs[0]!]!.shape.reduce((a, d) => a * d, 1) }, () => rng.int(-128, 127));
};

describe('fusePad', () => {
  it('fuses Keras correct_pad before a stride-2 depthwise (even and odd sizes) and a stride-1 conv, with the same output', () => {
    for (const [h, w, pads, k, s, conv] of [
      [
        8,
        8,
        [
          [0, 0],
          [0, 1],
          [0, 1],
          [0, 0],
        ],
        3,
        2,
        false,
      ],
      [
        7,
        9,
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
        3,
        2,
        false,
      ],
      [
        10,
        10,
        [
          [0, 0],
          [1, 2],
          [1, 2],
          [0, 0],
        ],
        5,
        2,
        false,
      ],
      [
        6,
        5,
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
        3,
        1,
        true,
      ],
      // A larger trailing pad than SAME's is never read: still the same.
      [
        8,
        8,
        [
          [0, 0],
          [0, 2],
          [0, 2],
          [0, 0],
        ],
        3,
        2,
        false,
      ],
    ] as [number, number, [number, number][], number, number, boolean][]) {
      const g = padded(h, w, pads, k, s, conv);
      const f = fusePad(g);
      expect(f.ops.map((o) => o.kind)).toEqual([conv ? 'conv2d' : 'depthwise_conv2d']);
      expect(f.ops[0]!.kind !== 'pad' && 'padding' in f.ops[0]! && f.ops[0]!.padding).toBe('same');
      const x = input(g);
      expect([...runGraph(f, [x]).outputs[0]!]).toEqual([...runGraph(g, [x]).outputs[0]!]);
    }
  });

  it('leaves pads that SAME does not reproduce, channel pads and shared pads alone', () => {
    for (const g of [
      padded(
        8,
        8,
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
        3,
        2,
      ), // leading pad 1, SAME's is 0 for even 8
      padded(
        8,
        8,
        [
          [0, 0],
          [2, 2],
          [2, 2],
          [0, 0],
        ],
        3,
        1,
      ), // output 10x10, SAME gives 8x8
      padded(
        8,
        8,
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 1],
        ],
        3,
        1,
      ), // pads channels
      padded(
        8,
        8,
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
        3,
        1,
        false,
        true,
      ), // the padded tensor has another reader
    ]) {
      expect(fusePad(g)).toBe(g);
    }
  });

  it('property: whenever it fuses, the outputs are equal', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 9 }),
        fc.integer({ min: 3, max: 9 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
        fc.constantFrom(1, 3, 5),
        fc.constantFrom(1, 2),
        fc.boolean(),
        (h, w, pd, k, s, conv) => {
          const pads: [number, number][] = [
            [0, 0],
            [pd[0]!, pd[1]!],
            [pd[2]!, pd[3]!],
            [0, 0],
          ];
          if (h + pd[0]! + pd[1]! < k || w + pd[2]! + pd[3]! < k) return;
          const g = padded(h, w, pads, k, s, conv);
          const f = fusePad(g);
          const x = input(g);
          expect([...runGraph(f, [x]).outputs[0]!]).toEqual([...runGraph(g, [x]).outputs[0]!]);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });
});
