/** batch_norm: inference batch norm; only present before the fold pass (description graphs). */
import type { OpBase } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import { defineOp } from '../types.js';
import { batchNormFloat } from './reference.js';

export interface BatchNormOp extends OpBase {
  readonly kind: 'batch_norm';
  /** inputs: [x, gamma, beta, mean, variance] */
  readonly epsilon: number;
}

export const batchNorm = defineOp<BatchNormOp>({
  kinds: ['batch_norm'],
  operands: [5, 5],
  validate(_op, v) {
    if (v.quant) v.fail('batch norm must be folded before quantization');
    const channels = v.x.shape[v.x.shape.length - 1]!;
    for (let k = 1; k < 5; k++) v.expectShape(v.constant(k, 'batch-norm parameter', ['float32'])!, [channels], 'batch-norm parameter');
    v.expectShape(v.y, v.x.shape, 'output');
  },
  quantize(op, q) {
    throw internalError(`quantizeGraph: op ${q.index} (${op.name}): batch norm must be folded first`);
  },
  run(op, k) {
    if (k.quantized) throw badInput(`op ${op.name} (batch_norm): quantized batch norm is not supported; fold it first`);
    const params = [1, 2, 3, 4].map((i) => k.expect(k.read(i), Float32Array, `batch_norm operand ${i}`));
    const C = k.xT.shape[k.xT.shape.length - 1] ?? 1;
    for (const p of params) {
      if (p.length !== C) throw badInput(`op ${op.name} (batch_norm): parameters must have ${C} entries, got ${p.length}`);
    }
    return batchNormFloat(k.expect(k.x, Float32Array, 'input'), params[0]!, params[1]!, params[2]!, params[3]!, op.epsilon, k.out as Float32Array);
  },
});
