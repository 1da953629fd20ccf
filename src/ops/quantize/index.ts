/**
 * quantize: float32 → int8/uint8 (affine quantization), or int8/uint8 →
 * int8/uint8 (requantization: `requant` holds one multiplier/shift, set by
 * the requantize pass).
 */
import { dtypeRange, isQuantizedDType, type OpBase } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import { quantizeMultiplier } from '../../numerics/fixedpoint.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import { defineOp, type AnyOp, type QuantizeContext } from '../types.js';
import { quantizeFloat, requantizeQuant } from './reference.js';
import { emit } from './emit.js';

export interface QuantizeOp extends OpBase {
  readonly kind: 'quantize';
}

/** quantize and dequantize: a float graph for post-training quantization has neither. */
export function alreadyQuantized(op: AnyOp, q: QuantizeContext): never {
  throw badInput(`post-training quantization: op ${q.index} (${op.name}, ${op.kind}): the graph is already (partly) quantized`);
}

export const quantize = defineOp<QuantizeOp>({
  kinds: ['quantize'],
  operands: [1, 1],
  convertsDType: true,
  validate(_op, v) {
    if (v.quant) v.perTensor(v.x, 'input');
    v.perTensor(v.y, 'output');
    v.expectShape(v.y, v.x.shape, 'output');
  },
  quantize: alreadyQuantized,
  requantize(op, r) {
    // TFLite Requantize: effective scale sIn / sOut in double, full output range.
    const { multiplier, shift } = quantizeMultiplier(r.scaleOf(r.x) / r.scaleOf(r.y));
    const [actMin, actMax] = dtypeRange(r.dtype);
    return { ...op, requant: { multiplier: [multiplier], shift: [shift], actMin, actMax } };
  },
  run(op, k) {
    const { xT, yT } = k;
    if (!isQuantizedDType(yT.dtype)) throw badInput(`op ${op.name} (quantize): output must be int8 or uint8, got ${yT.dtype}`);
    const [qmin, qmax] = dtypeRange(yT.dtype);
    const yq = k.perTensor(yT, 'output');
    if (!k.quantized) {
      return quantizeFloat(k.expect(k.x, Float32Array, 'input'), yq.scale, yq.zeroPoint, qmin, qmax, k.out as QuantArray);
    }
    const r = k.requant();
    if (r.multiplier.length !== 1 || r.shift.length !== 1) {
      throw internalError(`op ${op.name} (quantize): requantization needs one multiplier and shift`);
    }
    const xZp = k.perTensor(xT, 'input').zeroPoint;
    return requantizeQuant(k.quantData(k.x, 'input'), xZp, r.multiplier[0]!, r.shift[0]!, yq.zeroPoint, qmin, qmax, k.out as QuantArray);
  },
  emit,
  tflite: {
    builtins: [{ code: 114 }], // QUANTIZE
    convert(t) {
      t.arity(1, 1);
      return { kind: 'quantize', name: t.name, inputs: [t.input(0)], outputs: [t.output()] };
    },
  },
});
