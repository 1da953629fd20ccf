/**
 * mean: TFLite MEAN over H and W of a 4-D NHWC tensor (axes [1, 2] in any
 * order, or negative), keep_dims true ([N, 1, 1, C]) or false ([N, C]);
 * float32, int8 and uint8 with TFLite's reference arithmetic (see MeanQuant).
 */
import { dtypeRange, type OpBase } from '../../model/ir.js';
import { internalError } from '../../model/errors.js';
import { quantizeMultiplier } from '../../numerics/fixedpoint.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import { defineOp } from '../types.js';
import { meanFloat, meanQuant } from './reference.js';
import { emit } from './emit.js';

/**
 * Quantized mean parameters, set by the requantize pass, following the path
 * TFLite's reference kernel (reduce.cc, EvalMeanReferenceOps) takes:
 *  - 'direct' (keep_dims, axes exactly [1, 2] or [2, 1]): int8 is reference_integer_ops::Mean,
 *    y = clamp(round(MBQM(Σ(x − zpIn), sIn / sOut) / (H·W)) + zpOut) with C's division of acc ± H·W/2;
 *    uint8 is reference_ops::Mean, y = clamp(MBQM(Σx, sIn / (H·W·sOut) in float32) + zpOut − round(zpIn·sIn/sOut))
 *    (inputZeroPoint 0, divisor 1, the rounded term folded into `offset`);
 *  - 'average' (otherwise, equal input and output quantization): y = Σx / (H·W), C's truncating division;
 *  - 'float' (otherwise): QuantizedMeanOrSum's float32 arithmetic, y = clamp(round(fround(Σx / (H·W)) · scale + bias) + zpOut)
 *    with scale = sIn / sOut and bias = −zpIn · scale in float32, rounding half away from zero.
 */
export interface MeanQuant {
  readonly path: 'direct' | 'average' | 'float';
  readonly inputZeroPoint: number;
  readonly multiplier: number;
  readonly shift: number;
  readonly divisor: number;
  readonly offset: number;
  /** 'float' path: float32 values. */
  readonly scale: number;
  readonly bias: number;
}

export interface MeanOp extends OpBase {
  readonly kind: 'mean';
  /** Output [N, 1, 1, C] when true, [N, C] when false. */
  readonly keepDims: boolean;
  /** The axes as the model gives them ({1, 2} after resolving negatives); they choose TFLite's kernel path. */
  readonly axes: readonly number[];
  readonly meanQuant?: MeanQuant;
}

/** [N, H, W, C] of the input. */
const dims = (shape: readonly number[]) => shape as readonly [number, number, number, number];

export const mean = defineOp<MeanOp>({
  kinds: ['mean'],
  operands: [1, 1],
  validate(op, v) {
    v.need4d(v.x, 'input');
    const [n, , , c] = dims(v.x.shape);
    v.expectShape(v.y, op.keepDims ? [n, 1, 1, c] : [n, c], 'output');
    if (v.quant) {
      v.perTensor(v.x, 'input');
      v.perTensor(v.y, 'output');
    }
  },
  quantize: (op, q) => q.setAct(op.outputs[0]!, q.rangeQuant(op.outputs[0]!)),
  requantize(op, r) {
    const [, h, w] = dims(r.x.shape);
    const sIn = r.scaleOf(r.x);
    const sOut = r.scaleOf(r.y);
    const zpIn = r.x.quant!.zeroPoint[0]!;
    const zpOut = r.y.quant!.zeroPoint[0]!;
    const none = { inputZeroPoint: 0, multiplier: 0, shift: 0, divisor: h * w, offset: zpOut, scale: 0, bias: 0 };
    const [a0, a1] = op.axes;
    if (op.keepDims && op.axes.length === 2 && ((a0 === 1 && a1 === 2) || (a0 === 2 && a1 === 1))) {
      if (r.dtype === 'int8') {
        return { ...op, meanQuant: { ...none, path: 'direct', inputZeroPoint: zpIn, ...quantizeMultiplier(sIn / sOut) } };
      }
      // uint8: float32 arithmetic for the multiplier and the zero-point term, which rounds half away from zero.
      const m = quantizeMultiplier(Math.fround(sIn / Math.fround(h * w * sOut)));
      const zpTerm = Math.fround(Math.fround(zpIn * sIn) / sOut);
      const rounded = Math.fround(zpTerm > 0 ? zpTerm + 0.5 : zpTerm - 0.5);
      return { ...op, meanQuant: { ...none, path: 'direct', ...m, divisor: 1, offset: zpOut - Math.trunc(rounded) } };
    }
    if (zpIn === zpOut && sIn === sOut) return { ...op, meanQuant: { ...none, path: 'average' } };
    const scale = Math.fround(sIn / sOut);
    return { ...op, meanQuant: { ...none, path: 'float', scale, bias: Math.fround(-zpIn * scale) } };
  },
  run(op, k) {
    const [n, h, w, c] = dims(k.xT.shape);
    if (!k.quantized) return meanFloat(k.expect(k.x, Float32Array, 'input'), n, h * w, c, k.out as Float32Array);
    if (op.meanQuant === undefined) throw internalError(`quantized op ${op.name} (mean) has no meanQuant parameters`);
    const [qmin, qmax] = dtypeRange(k.yT.dtype as 'int8' | 'uint8');
    return meanQuant(k.quantData(k.x, 'input'), n, h * w, c, op.meanQuant, qmin, qmax, k.out as QuantArray);
  },
  emit,
  tflite: {
    builtins: [{ code: 40, options: { type: 27, name: 'ReducerOptions' } }], // MEAN
    convert(t) {
      t.arity(2, 2);
      const x = t.tensor(t.input(0));
      const axes = t.constInts(1, 'axes');
      const rank = x.shape.length;
      const resolved = axes.values.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
      if (rank !== 4 || resolved.length !== 2 || resolved[0] !== 1 || resolved[1] !== 2) {
        t.fail(`axes [${axes.values.join(', ')}] of a ${rank}-D input are not supported; supported: the mean over H and W (axes [1, 2]) of a 4-D NHWC input`);
      }
      const keepDims = t.options()?.bool(0, 'keep_dims') ?? false;
      return { kind: 'mean', name: t.name, inputs: [x.id], outputs: [t.output()], keepDims, axes: axes.values };
    },
  },
  description: [
    {
      op: 'mean',
      description: 'Mean over height and width (global average), output [1, 1, 1, C] with keepDims, else [1, C].',
      required: [],
      properties: { keepDims: { description: 'Keep the reduced H and W as 1 (default true).', type: 'boolean' } },
      build(layer, d) {
        const [n, , , c] = d.need4d();
        const keepDims = (layer.keepDims as boolean | undefined) ?? true;
        const y = d.tensor(d.name, keepDims ? [n, 1, 1, c] : [n, c]);
        d.push({ kind: 'mean', name: d.name, inputs: [d.x], outputs: [y], keepDims, axes: [1, 2] } satisfies MeanOp);
        d.setOutput(y);
      },
    },
  ],
});
