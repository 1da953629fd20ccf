/** softmax over the last axis (TFLite's gemmlowp fixed-point version for int8/uint8). */
import type { OpBase } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import { prepareSoftmax, SOFTMAX_SCALED_DIFF_INTEGER_BITS } from '../../numerics/fixedpoint.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import { defineOp } from '../types.js';
import { softmaxFloat, softmaxQuant } from './reference.js';
import { emit } from './emit.js';

/**
 * Fixed-point softmax parameters (TFLite's gemmlowp-based int8/uint8
 * softmax), filled in by the `requantize` pass from beta and the input scale.
 */
export interface SoftmaxQuant {
  readonly inputMultiplier: number;
  readonly inputLeftShift: number;
  readonly diffMin: number;
}

export interface SoftmaxOp extends OpBase {
  readonly kind: 'softmax';
  readonly beta: number;
  /** Set by the requantize pass when the op is quantized. */
  readonly softmaxQuant?: SoftmaxQuant;
}

export const softmax = defineOp<SoftmaxOp>({
  kinds: ['softmax'],
  operands: [1, 1],
  validate: (_op, v) => v.expectShape(v.y, v.x.shape, 'output'),
  quantize: (op, q) => q.setAct(op.outputs[0]!, { scale: [1 / 256], zeroPoint: [-128], axis: 0 }),
  requantize: (op, r) => {
    // TFLite's PreprocessSoftmaxScaling needs beta * input scale * 2^26 > 1 (it aborts otherwise): a model
    // whose softmax input scale is that small is refused, not run.
    const scale = r.scaleOf(r.x);
    if (!(Math.fround(op.beta) * Math.fround(scale) * 2 ** (31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS) > 1)) {
      throw badInput(
        `op ${op.name} (softmax): beta ${op.beta} x input scale ${scale} is at most 2^-${31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS} (TFLite's quantized softmax needs beta x scale x 2^${31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS} > 1)`,
      );
    }
    return { ...op, softmaxQuant: prepareSoftmax(op.beta, scale) };
  },
  run(op, k) {
    const { xT, yT } = k;
    const depth = xT.shape[xT.shape.length - 1] ?? 1;
    if (k.quantized) {
      if (op.softmaxQuant === undefined) throw internalError(`quantized op ${op.name} (softmax) has no softmaxQuant parameters`);
      const wantZp = yT.dtype === 'int8' ? -128 : 0;
      // As TFLite's prepare: int8 needs (1/256, -128); uint8 needs zero point 0.
      if (yT.quant?.zeroPoint[0] !== wantZp || (yT.dtype === 'int8' && yT.quant.scale[0] !== 1 / 256)) {
        throw badInput(`op ${op.name} (softmax): ${yT.dtype} output must have scale 1/256 and zero point ${wantZp}`);
      }
      return softmaxQuant(k.quantData(k.x, 'input'), depth, op.softmaxQuant, k.out as QuantArray);
    }
    return softmaxFloat(k.expect(k.x, Float32Array, 'input'), depth, op.beta, k.out as Float32Array);
  },
  emit,
  tflite: {
    builtins: [{ code: 25, options: { type: 9, name: 'SoftmaxOptions' } }], // SOFTMAX
    convert(t) {
      t.arity(1, 1);
      const beta = t.options()?.f32(0, 'beta') ?? 0;
      if (!(beta > 0) || !Number.isFinite(beta)) t.fail(`beta ${beta} must be positive and finite`);
      return { kind: 'softmax', name: t.name, inputs: [t.input(0)], outputs: [t.output()], beta };
    },
  },
  description: [
    {
      op: 'softmax',
      description: 'Softmax over the last axis.',
      required: [],
      properties: { beta: { description: 'exp(beta * x) (default 1).', type: 'number', exclusiveMinimum: 0 } },
      build(layer, d) {
        const y = d.tensor(d.name, d.shapeOf(d.x));
        d.push({ kind: 'softmax', name: d.name, inputs: [d.x], outputs: [y], beta: (layer.beta as number | undefined) ?? 1 } satisfies SoftmaxOp);
        d.setOutput(y);
      },
    },
  ],
});
