/**
 * activation: a standalone ReLU / ReLU6 / ReLU-1..1 (TFLite RELU 19,
 * RELU_N1_TO_1 20, RELU6 21). The fusion pass folds it into the op before it
 * where that is exact (float, or equal input and output quantization); what
 * remains runs as its own kernel: float32 a clamp, int8/uint8 TFLite's ReluX
 * (rescale to the output quantization, then clamp) as a 256-entry table.
 */
import type { Activation, OpBase } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import { activationRange, quantizeMultiplier } from '../../numerics/fixedpoint.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import { defineOp, type DescriptionForm } from '../types.js';
import { byteTable, floatUnaryEmission, lutEmission } from '../shared/unary.js';
import { activationFloat, reluQuant } from './reference.js';

/**
 * TFLite's ReluParams (TFLite Micro CalculateReluOpData): the multiplier of
 * sIn / sOut (double quotient of the float32 scales, QuantizeMultiplier) and
 * the activation's range on the output scale, clamped to the dtype.
 */
export interface ReluQuant {
  readonly inputZeroPoint: number;
  readonly outputZeroPoint: number;
  readonly multiplier: number;
  readonly shift: number;
  readonly actMin: number;
  readonly actMax: number;
}

export interface ActivationOp extends OpBase {
  readonly kind: 'activation';
  readonly activation: Activation;
  /** Set by the requantize pass when the op is quantized. */
  readonly reluQuant?: ReluQuant;
}

export function prepareRelu(activation: Activation, dtype: 'int8' | 'uint8', sIn: number, zpIn: number, sOut: number, zpOut: number): ReluQuant {
  const { multiplier, shift } = quantizeMultiplier(Math.fround(sIn) / Math.fround(sOut));
  const [actMin, actMax] = activationRange(activation, sOut, zpOut, dtype);
  return { inputZeroPoint: zpIn, outputZeroPoint: zpOut, multiplier, shift, actMin, actMax };
}

const CLAMP_FLAG = { relu: 'relu', relu6: 'relu6', relu_n1_to_1: 'relun1' } as const;

const TFLITE_CODES: Readonly<Record<number, Activation>> = { 19: 'relu', 20: 'relu_n1_to_1', 21: 'relu6' };

function form(op: 'relu' | 'relu6', description: string): DescriptionForm {
  return {
    op,
    description,
    required: [],
    properties: {},
    build(_layer, d) {
      const y = d.tensor(d.name, d.shapeOf(d.x));
      d.push({ kind: 'activation', name: d.name, inputs: [d.x], outputs: [y], activation: op } satisfies ActivationOp);
      d.setOutput(y);
    },
  };
}

export const activation = defineOp<ActivationOp>({
  kinds: ['activation'],
  operands: [1, 1],
  validate(op, v) {
    v.expectShape(v.y, v.x.shape, 'output');
    if (op.activation === 'none') v.fail(`op ${op.name} (activation): a standalone activation must be relu, relu6 or relu_n1_to_1`);
    if (v.quant) {
      v.perTensor(v.x, 'input');
      v.perTensor(v.y, 'output');
    }
  },
  quantize: (op, q) => q.setAct(op.outputs[0]!, q.rangeQuant(op.outputs[0]!)),
  requantize(op, r) {
    const zp = (t: typeof r.x) => t.quant!.zeroPoint[0]!;
    return { ...op, reluQuant: prepareRelu(op.activation, r.dtype, r.scaleOf(r.x), zp(r.x), r.scaleOf(r.y), zp(r.y)) };
  },
  run(op, k) {
    if (!k.quantized) return activationFloat(k.expect(k.x, Float32Array, 'input'), op.activation, k.out as Float32Array);
    if (op.reluQuant === undefined) throw internalError(`quantized op ${op.name} (activation) has no reluQuant parameters`);
    return reluQuant(k.quantData(k.x, 'input'), op.reluQuant, k.out as QuantArray);
  },
  emit(op, ctx) {
    const dtype = ctx.tensor(op.inputs[0]!).dtype;
    if (op.activation === 'none') throw badInput(`op ${op.name} (activation): a standalone activation must be relu, relu6 or relu_n1_to_1`);
    if (dtype === 'float32') return floatUnaryEmission(op, ctx, { op: 'act', clamp: CLAMP_FLAG[op.activation] });
    const q = op.reluQuant;
    if (q === undefined || (dtype !== 'int8' && dtype !== 'uint8'))
      throw badInput(`op ${op.name} (activation) is quantized but has no parameters; run the requantize pass`);
    return lutEmission(
      op,
      ctx,
      byteTable(dtype, (x, out) => reluQuant(x, q, out)),
    );
  },
  tflite: {
    builtins: [{ code: 19 }, { code: 20 }, { code: 21 }], // RELU, RELU_N1_TO_1, RELU6
    convert(t) {
      t.arity(1, 1);
      return { kind: 'activation', name: t.name, inputs: [t.input(0)], outputs: [t.output()], activation: TFLITE_CODES[t.code]! };
    },
  },
  description: [
    form('relu', 'ReLU max(x, 0) as its own layer (fused into the layer before it where exact).'),
    form('relu6', 'ReLU6 min(max(x, 0), 6) as its own layer.'),
  ],
});
