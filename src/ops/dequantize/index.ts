/** dequantize: int8/uint8 → float32, (q − zeroPoint) · scale. */
import type { OpBase } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import { defineOp } from '../types.js';
import { alreadyQuantized } from '../quantize/index.js';
import { dequantize as dequantizeKernel } from './reference.js';
import { emit } from './emit.js';

export interface DequantizeOp extends OpBase {
  readonly kind: 'dequantize';
}

export const dequantize = defineOp<DequantizeOp>({
  kinds: ['dequantize'],
  operands: [1, 1],
  convertsDType: true,
  validate(_op, v) {
    v.perTensor(v.x, 'input');
    if (v.y.dtype !== 'float32') v.fail(`output ${v.y.name} must be float32, has dtype ${v.y.dtype}`);
    v.expectShape(v.y, v.x.shape, 'output');
  },
  quantize: alreadyQuantized,
  run(op, k) {
    if (!k.quantized) throw badInput(`op ${op.name} (dequantize): input must be int8 or uint8, got ${k.xT.dtype}`);
    const xq = k.perTensor(k.xT, 'input');
    return dequantizeKernel(k.quantData(k.x, 'input'), xq.scale, xq.zeroPoint, k.expect(k.out, Float32Array, 'output'));
  },
  emit,
  tflite: {
    builtins: [{ code: 6 }], // DEQUANTIZE
    convert(t) {
      t.arity(1, 1);
      return { kind: 'dequantize', name: t.name, inputs: [t.input(0)], outputs: [t.output()] };
    },
  },
});
