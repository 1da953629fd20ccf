/** activation: a standalone activation; only present before the fusion pass (or when nothing precedes it to fuse into). */
import type { Activation, OpBase } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import { activationRange } from '../../numerics/fixedpoint.js';
import { defineOp } from '../types.js';
import { activationFloat, activationQuant } from './reference.js';

export interface ActivationOp extends OpBase {
  readonly kind: 'activation';
  readonly activation: Activation;
}

export const activation = defineOp<ActivationOp>({
  kinds: ['activation'],
  operands: [1, 1],
  validate: (_op, v) => v.expectShape(v.y, v.x.shape, 'output'),
  quantize: (op, q) => q.setAct(op.outputs[0]!, q.rangeQuant(op.outputs[0]!)),
  run(op, k) {
    if (k.quantized) {
      const xq = k.xT.quant;
      const yq = k.yT.quant;
      if (xq === undefined || yq === undefined) throw internalError(`op ${op.name} (activation) has unquantized operands`);
      if (xq.scale[0] !== yq.scale[0] || xq.zeroPoint[0] !== yq.zeroPoint[0]) {
        throw badInput(`op ${op.name} (activation): quantized activation needs equal input and output quantization`);
      }
      const [lo, hi] = activationRange(op.activation, yq.scale[0]!, yq.zeroPoint[0]!, k.yT.dtype as 'int8' | 'uint8');
      return activationQuant(k.quantData(k.x, 'input'), lo, hi, k.out as Int8Array | Uint8Array);
    }
    return activationFloat(k.expect(k.x, Float32Array, 'input'), op.activation, k.out as Float32Array);
  },
});
