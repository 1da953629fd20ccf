/**
 * Property tests: random shapes, channels, strides, paddings, depth
 * multipliers and activations for every op family, float32 and int8. Each
 * case goes description → passes → C → addon, and every layer must equal the
 * reference (int8 bit for bit, float32 within the stated tolerance).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MobilecError } from '../../src/model/errors.js';
import { divergences, loadDescriptionObject, verifyGraph } from '../helpers/models.js';

const RUNS = Number(process.env.MOBILEC_PROPERTY_RUNS ?? 10);
const SEED = Number(process.env.MOBILEC_PROPERTY_SEED ?? 20261128);

const activation = fc.constantFrom('none', 'relu', 'relu6');
const padding = fc.constantFrom('same', 'valid');
const stride = fc.constantFrom(1, 2);
const dtype = fc.constantFrom('float32', 'int8');
const input = fc.record({ height: fc.integer({ min: 3, max: 9 }), width: fc.integer({ min: 3, max: 9 }), channels: fc.integer({ min: 1, max: 6 }) });

type Layer = Record<string, unknown>;

/** A model of one input, the layers under test, and a dtype. */
function model(layers: fc.Arbitrary<Layer[]>) {
  return fc.record({ input, layers, dtype, seed: fc.integer({ min: 0, max: 1000 }) }).map(({ input, layers, dtype, seed }) => ({
    architecture: 'layers',
    input,
    dtype,
    weights: { seed },
    calibration: { seed: seed + 1, count: 2 },
    layers,
  }));
}

const conv = fc.record({
  op: fc.constant('conv'),
  filters: fc.integer({ min: 1, max: 8 }),
  kernel: fc.integer({ min: 1, max: 3 }),
  stride,
  padding,
  activation,
  batchNorm: fc.boolean(),
});
const depthwise = fc.record({
  op: fc.constant('depthwise'),
  kernel: fc.integer({ min: 1, max: 3 }),
  stride,
  padding,
  depthMultiplier: fc.integer({ min: 1, max: 3 }),
  activation,
  batchNorm: fc.boolean(),
});
const pointwise = fc.record({ op: fc.constant('pointwise'), filters: fc.integer({ min: 1, max: 8 }), activation });
const pool = (op: string) =>
  fc.record({ op: fc.constant(op), size: fc.integer({ min: 1, max: 3 }), stride, padding, activation: fc.constantFrom('none', 'relu') });
const fcLayer = fc.record({ op: fc.constant('fc'), units: fc.integer({ min: 1, max: 12 }), activation });

const families: [string, fc.Arbitrary<Layer[]>][] = [
  ['conv', fc.tuple(conv).map((l) => l as Layer[])],
  ['depthwise', fc.tuple(depthwise).map((l) => l as Layer[])],
  ['pointwise', fc.tuple(depthwise, pointwise).map((l) => l as Layer[])],
  ['average pool', fc.tuple(conv, pool('avgpool')).map((l) => l as Layer[])],
  ['max pool', fc.tuple(conv, pool('maxpool')).map((l) => l as Layer[])],
  ['fully connected', fc.tuple(fcLayer).map((l) => l as Layer[])],
  ['softmax', fc.tuple(fcLayer, fc.record({ op: fc.constant('softmax') })).map((l) => l as Layer[])],
];

describe('generated C equals the reference on random layers', () => {
  for (const [family, layers] of families) {
    it(`${family}`, async () => {
      await fc.assert(
        fc.asyncProperty(model(layers), async (desc) => {
          let graph: ReturnType<typeof loadDescriptionObject>;
          try {
            graph = loadDescriptionObject(desc, 'prop');
          } catch (e) {
            // A window larger than its input is rejected by design; draw again.
            if (e instanceof MobilecError && e.kind === 'bad-input') return fc.pre(false);
            throw e;
          }
          const report = await verifyGraph(graph, 1);
          expect(divergences(report), JSON.stringify(desc)).toEqual([]);
          // Every op of the graph was compared.
          expect(report.layers.length).toBe(graph.ops.length);
        }),
        { numRuns: RUNS, seed: SEED },
      );
    });
  }
});
