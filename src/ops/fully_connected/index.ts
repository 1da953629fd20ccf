/** fully_connected: x flattened to [batch, I], weights [O, I], bias [O]. */
import { elementCount, type Activation, type OpBase } from '../../model/ir.js';
import { fullyConnectedMacs } from '../../model/cost.js';
import { badInput } from '../../model/errors.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import { defineOp } from '../types.js';
import { quantizeWeighted, requantizeWeighted, validateBias } from '../shared/weighted.js';
import { fullyConnectedFloat, fullyConnectedQuant } from './reference.js';
import { emit } from './emit.js';

export interface FullyConnectedOp extends OpBase {
  readonly kind: 'fully_connected';
  /** inputs: [x, weights [O, I], bias?]; x is flattened to [batch, I]. */
  readonly activation: Activation;
}

export const fullyConnected = defineOp<FullyConnectedOp>({
  kinds: ['fully_connected'],
  operands: [2, 3],
  validate(_op, v) {
    const w = v.constant(1, 'weights', v.weightDtypes)!;
    if (w.shape.length !== 2) v.fail(`weights ${w.name} must be [O, I], has shape [${w.shape.join(', ')}]`);
    const [o, i] = w.shape as [number, number];
    const n = elementCount(v.x.shape);
    if (n % i !== 0) v.fail(`input ${v.x.name} [${v.x.shape.join(', ')}] (${n} values) does not flatten to rows of ${i}`);
    validateBias(v, o);
    v.expectShape(v.y, [n / i, o], 'output');
  },
  quantize: (op, q) => quantizeWeighted(op, q, 0),
  requantize: (op, r) => requantizeWeighted(op, r, true),
  run(op, k) {
    const wT = k.graph.tensors[op.inputs[1]!]!;
    const w = k.read(1);
    const [outDepth, inDepth] = wT.shape as [number, number];
    if (wT.shape.length !== 2 || k.x.length % inDepth !== 0) {
      throw badInput(
        `op ${op.name} (fully_connected): input of ${k.x.length} elements does not flatten to [batch, ${inDepth}] for weights [${wT.shape.join(', ')}]`,
      );
    }
    if (k.quantized) {
      const bias = k.optional(2, Int32Array, 'bias');
      return fullyConnectedQuant(k.quantData(k.x, 'input'), k.quantData(w, 'weights'), bias, inDepth, outDepth, k.quantParams(), k.out as QuantArray);
    }
    const bias = k.optional(2, Float32Array, 'bias');
    const xf = k.expect(k.x, Float32Array, 'input');
    const wf = k.expect(w, Float32Array, 'weights');
    return fullyConnectedFloat(xf, wf, bias, inDepth, outDepth, op.activation, k.out as Float32Array);
  },
  emit,
  macs(op, graph) {
    const w = graph.tensors[op.inputs[1]!]!.shape;
    const batch = elementCount(graph.tensors[op.inputs[0]!]!.shape) / w[1]!;
    return batch * fullyConnectedMacs(w[1]!, w[0]!);
  },
  tflite: {
    builtins: [{ code: 9, options: { type: 8, name: 'FullyConnectedOptions' } }], // FULLY_CONNECTED
    optionalInputs: [2],
    convert(t) {
      t.arity(2, 3);
      const table = t.options();
      const o = {
        activation: table?.i8(0, 'fused_activation_function') ?? 0,
        weightsFormat: table?.i8(1, 'weights_format') ?? 0,
        keepNumDims: table?.bool(2, 'keep_num_dims') ?? false,
        asymmetricQuantizeInputs: table?.bool(3, 'asymmetric_quantize_inputs') ?? false,
      };
      if (o.weightsFormat !== 0) t.fail(`weights_format ${o.weightsFormat} is not supported (only DEFAULT)`);
      const inputs = t.withBias();
      const y = t.output();
      const rank = t.tensor(y).shape.length;
      if (o.keepNumDims && rank !== 2) t.fail(`keep_num_dims with a ${rank}-D output is not supported`);
      return { kind: 'fully_connected', name: t.name, inputs, outputs: [y], activation: t.activation(o.activation) };
    },
  },
  description: [
    {
      op: 'fc',
      description: 'Fully connected layer; its input is flattened. Output shape [1, units].',
      required: ['units'],
      properties: {
        units: { description: 'Output units.', type: 'integer', minimum: 1 },
        activation: 'activation',
        bias: { description: 'Give the layer a bias (default true).', type: 'boolean' },
      },
      build(layer, d) {
        const l = layer as unknown as { units: number; activation?: Activation; bias?: boolean };
        const s = d.shapeOf(d.x);
        const batch = s[0]!;
        const inputs = elementCount(s) / batch;
        const wt = d.tensor(`${d.name}/weights`, [l.units, inputs], d.param('filter', l.units * inputs, inputs));
        const ins = [d.x, wt];
        if (l.bias ?? true) ins.push(d.tensor(`${d.name}/biases`, [l.units], d.param('bias', l.units, inputs)));
        const y = d.tensor(d.name, [batch, l.units]);
        d.push({ kind: 'fully_connected', name: d.name, inputs: ins, outputs: [y], activation: 'none' } satisfies FullyConnectedOp);
        d.setOutput(d.tail(false, l.activation ?? 'none', y, l.units));
      },
    },
  ],
});
