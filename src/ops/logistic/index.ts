/**
 * logistic: 1 / (1 + exp(−x)) elementwise (TFLite LOGISTIC, builtin 14);
 * float32, int8 (TFLite Micro's reference_integer_ops::Logistic) and uint8
 * (reference_ops::Logistic), both gemmlowp's fixed-point logistic on a Q4.27
 * input; the quantized output is always scale 1/256, zero point −128 (int8)
 * or 0 (uint8).
 */
import { dtypeRange, type OpBase } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import { calculateInputRadius, frexp, LOGISTIC_INPUT_INTEGER_BITS } from '../../numerics/fixedpoint.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import { defineOp } from '../types.js';
import { byteTable, floatUnaryEmission, lutEmission } from '../shared/unary.js';
import { logisticFloat, logisticQuant } from './reference.js';

/**
 * TFLite Micro's logistic parameters (logistic_common.cc): the input scale
 * (float32) times 2^27 split by frexp into a Q0.31 multiplier and a left
 * shift, and the radius CalculateInputRadius(4, shift) beyond which the
 * output saturates. Set by the requantize pass.
 */
export interface LogisticQuant {
  readonly inputZeroPoint: number;
  readonly inputMultiplier: number;
  readonly inputLeftShift: number;
  readonly inputRangeRadius: number;
}

export interface LogisticOp extends OpBase {
  readonly kind: 'logistic';
  readonly logisticQuant?: LogisticQuant;
}

export function prepareLogistic(inputScale: number, inputZeroPoint: number): LogisticQuant {
  const real = Math.fround(inputScale) * 2 ** (31 - LOGISTIC_INPUT_INTEGER_BITS);
  const { frac, exp } = frexp(real);
  // |frac| < 1 − 2^−24 for a float32 scale, so the rounded multiplier stays below 2^31.
  const inputMultiplier = Math.round(frac * 2 ** 31);
  return { inputZeroPoint, inputMultiplier, inputLeftShift: exp, inputRangeRadius: calculateInputRadius(LOGISTIC_INPUT_INTEGER_BITS, exp) };
}

/** The fixed output quantization of a quantized logistic. */
export const logisticOutputZeroPoint = (dtype: 'int8' | 'uint8') => (dtype === 'int8' ? -128 : 0);

export const logistic = defineOp<LogisticOp>({
  kinds: ['logistic'],
  operands: [1, 1],
  validate(op, v) {
    v.expectShape(v.y, v.x.shape, 'output');
    if (v.quant) {
      v.perTensor(v.x, 'input');
      v.perTensor(v.y, 'output');
      const zp = logisticOutputZeroPoint(v.y.dtype as 'int8' | 'uint8');
      const q = v.y.quant!;
      if (q.zeroPoint[0] !== zp || Math.abs(q.scale[0]! * 256 - 1) > 1e-3) {
        v.fail(`op ${op.name} (logistic): a ${v.y.dtype} output must have scale 1/256 and zero point ${zp}, got ${q.scale[0]} and ${q.zeroPoint[0]}`);
      }
    }
  },
  quantize: (op, q) => q.setAct(op.outputs[0]!, { scale: [1 / 256], zeroPoint: [-128], axis: 0 }),
  requantize: (op, r) => {
    const scale = r.scaleOf(r.x);
    if (!(scale > 0)) throw badInput(`op ${op.name} (logistic): input scale ${scale} must be positive`);
    return { ...op, logisticQuant: prepareLogistic(scale, r.x.quant!.zeroPoint[0]!) };
  },
  run(op, k) {
    if (!k.quantized) return logisticFloat(k.expect(k.x, Float32Array, 'input'), k.out as Float32Array);
    if (op.logisticQuant === undefined) throw internalError(`quantized op ${op.name} (logistic) has no logisticQuant parameters`);
    const [qmin, qmax] = dtypeRange(k.yT.dtype as 'int8' | 'uint8');
    return logisticQuant(k.quantData(k.x, 'input'), op.logisticQuant, qmin, qmax, k.out as QuantArray);
  },
  emit(op, ctx) {
    const dtype = ctx.tensor(op.inputs[0]!).dtype;
    if (dtype === 'float32') return floatUnaryEmission(op, ctx, { op: 'logistic' });
    const q = op.logisticQuant;
    if (q === undefined || (dtype !== 'int8' && dtype !== 'uint8'))
      throw badInput(`op ${op.name} (logistic) is quantized but has no parameters; run the requantize pass`);
    const [qmin, qmax] = dtypeRange(dtype);
    return lutEmission(
      op,
      ctx,
      byteTable(dtype, (x, out) => logisticQuant(x, q, qmin, qmax, out)),
    );
  },
  tflite: {
    builtins: [{ code: 14 }], // LOGISTIC
    convert(t) {
      t.arity(1, 1);
      return { kind: 'logistic', name: t.name, inputs: [t.input(0)], outputs: [t.output()] };
    },
  },
  description: [
    {
      op: 'logistic',
      description: 'Logistic sigmoid 1 / (1 + exp(-x)), elementwise (quantized output: scale 1/256).',
      required: [],
      properties: {},
      build(_layer, d) {
        const y = d.tensor(d.name, d.shapeOf(d.x));
        d.push({ kind: 'logistic', name: d.name, inputs: [d.x], outputs: [y] } satisfies LogisticOp);
        d.setOutput(y);
      },
    },
  ],
});
