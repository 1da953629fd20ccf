/** reshape: same bytes, new shape (the output tensor's). TFLite RESHAPE and SQUEEZE. A view: nothing runs. */
import { elementCount, type OpBase } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import { dtypeOfData } from '../../util/tensors.js';
import { defineOp } from '../types.js';
import { reshape as reshapeKernel } from './reference.js';
import { emit } from './emit.js';

/** TFLite builtin RESHAPE. */
const RESHAPE = 22;

export interface ReshapeOp extends OpBase {
  readonly kind: 'reshape';
}

export const reshape = defineOp<ReshapeOp>({
  kinds: ['reshape'],
  operands: [1, 1],
  convertsDType: 'run',
  validate(_op, v) {
    if (elementCount(v.y.shape) !== elementCount(v.x.shape))
      v.fail(`output [${v.y.shape.join(', ')}] and input [${v.x.shape.join(', ')}] differ in element count`);
  },
  quantize: (op, q) => q.setAct(op.outputs[0]!, q.xq),
  run(op, k) {
    if (k.x.length !== k.out.length || dtypeOfData(k.x) !== k.yT.dtype) {
      throw badInput(`op ${op.name} (reshape): cannot reshape ${k.x.length} ${dtypeOfData(k.x)} values to [${k.yT.shape.join(', ')}] ${k.yT.dtype}`);
    }
    return reshapeKernel(k.x);
  },
  emit,
  tflite: {
    builtins: [
      { code: RESHAPE, options: { type: 17, name: 'ReshapeOptions' } },
      { code: 43, options: { type: 30, name: 'SqueezeOptions' } }, // SQUEEZE
    ],
    optionalInputs: [1],
    convert(t) {
      // The new shape (an optional input or ReshapeOptions / SqueezeOptions) is the output tensor's shape.
      t.arity(1, t.code === RESHAPE ? 2 : 1);
      t.options();
      return { kind: 'reshape', name: t.name, inputs: [t.input(0)], outputs: [t.output()] };
    },
  },
  description: [
    {
      op: 'reshape',
      description: 'Reshape (same element count).',
      required: ['shape'],
      properties: {
        shape: { description: 'New shape, e.g. [1, 10].', type: 'array', minItems: 1, maxItems: 4, items: { type: 'integer', minimum: 1 } },
      },
      build(layer, d) {
        const shape = layer.shape as number[];
        const from = elementCount(d.shapeOf(d.x));
        const to = elementCount(shape);
        if (from !== to) d.fail(`shape [${shape.join(', ')}] has ${to} elements, the input [${d.shapeOf(d.x).join(', ')}] has ${from}`);
        const y = d.tensor(d.name, shape);
        d.push({ kind: 'reshape', name: d.name, inputs: [d.x], outputs: [y] } satisfies ReshapeOp);
        d.setOutput(y);
      },
    },
  ],
});
