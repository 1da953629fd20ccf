/**
 * hard_swish: x · relu6(x + 3) / 6 elementwise (TFLite HARD_SWISH, builtin
 * 117); float32, and int8/uint8 with TFLite's int16 fixed-point arithmetic
 * (reference_ops::HardSwish, parameters as activations.cc HardSwishPrepare).
 */
import { dtypeRange, type OpBase } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import { downScaleInt32ToInt16Multiplier, quantizeMultiplier } from '../../numerics/fixedpoint.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import { defineOp } from '../types.js';
import { byteTable, floatUnaryEmission, lutEmission } from '../shared/unary.js';
import { hardSwishFloat, hardSwishQuant } from './reference.js';

/**
 * TFLite's HardSwishParams, set by the requantize pass. With hires = sIn / 128
 * (float32): the output multiplier is hires / sOut and the "reluish"
 * multiplier hires / (3 / 32768), each through QuantizeMultiplier and rounded
 * to its high 16 bits (DownScaleInt32ToInt16Multiplier); TFLite requires the
 * output exponent ≤ 0 (sIn / 128 < sOut, about).
 */
export interface HardSwishQuant {
  readonly inputZeroPoint: number;
  readonly outputZeroPoint: number;
  readonly reluishMultiplier: number;
  readonly reluishExponent: number;
  readonly outputMultiplier: number;
  readonly outputExponent: number;
}

export interface HardSwishOp extends OpBase {
  readonly kind: 'hard_swish';
  readonly hardSwishQuant?: HardSwishQuant;
}

/** HardSwishPrepare's arithmetic: float32 scales and quotients, QuantizeMultiplier, the int16 down-scaling. */
export function prepareHardSwish(inputScale: number, inputZeroPoint: number, outputScale: number, outputZeroPoint: number): HardSwishQuant {
  const hires = Math.fround(Math.fround(1 / 128) * Math.fround(inputScale));
  const out = quantizeMultiplier(Math.fround(hires / Math.fround(outputScale)));
  const reluish = quantizeMultiplier(Math.fround(hires / Math.fround(3 / 32768)));
  return {
    inputZeroPoint,
    outputZeroPoint,
    reluishMultiplier: downScaleInt32ToInt16Multiplier(reluish.multiplier),
    reluishExponent: reluish.shift,
    outputMultiplier: downScaleInt32ToInt16Multiplier(out.multiplier),
    outputExponent: out.shift,
  };
}

export const hardSwish = defineOp<HardSwishOp>({
  kinds: ['hard_swish'],
  operands: [1, 1],
  validate(_op, v) {
    v.expectShape(v.y, v.x.shape, 'output');
    if (v.quant) {
      v.perTensor(v.x, 'input');
      v.perTensor(v.y, 'output');
    }
  },
  quantize: (op, q) => q.setAct(op.outputs[0]!, q.rangeQuant(op.outputs[0]!)),
  requantize(op, r) {
    const p = prepareHardSwish(r.scaleOf(r.x), r.x.quant!.zeroPoint[0]!, r.scaleOf(r.y), r.y.quant!.zeroPoint[0]!);
    if (p.outputExponent > 0) {
      throw badInput(`op ${op.name} (hard_swish): input scale / 128 must be below the output scale (TFLite requires a non-positive output exponent)`);
    }
    return { ...op, hardSwishQuant: p };
  },
  run(op, k) {
    if (!k.quantized) return hardSwishFloat(k.expect(k.x, Float32Array, 'input'), k.out as Float32Array);
    if (op.hardSwishQuant === undefined) throw internalError(`quantized op ${op.name} (hard_swish) has no hardSwishQuant parameters`);
    const [qmin, qmax] = dtypeRange(k.yT.dtype as 'int8' | 'uint8');
    return hardSwishQuant(k.quantData(k.x, 'input'), op.hardSwishQuant, qmin, qmax, k.out as QuantArray);
  },
  emit(op, ctx) {
    const dtype = ctx.tensor(op.inputs[0]!).dtype;
    if (dtype === 'float32') return floatUnaryEmission(op, ctx, { op: 'hardswish' });
    const q = op.hardSwishQuant;
    if (q === undefined || (dtype !== 'int8' && dtype !== 'uint8'))
      throw badInput(`op ${op.name} (hard_swish) is quantized but has no parameters; run the requantize pass`);
    const [qmin, qmax] = dtypeRange(dtype);
    return lutEmission(
      op,
      ctx,
      byteTable(dtype, (x, out) => hardSwishQuant(x, q, qmin, qmax, out)),
    );
  },
  tflite: {
    builtins: [{ code: 117 }], // HARD_SWISH (HardSwishOptions is empty)
    convert(t) {
      t.arity(1, 1);
      return { kind: 'hard_swish', name: t.name, inputs: [t.input(0)], outputs: [t.output()] };
    },
  },
  description: [
    {
      op: 'hard_swish',
      description: 'Hard swish x * relu6(x + 3) / 6, elementwise (MobileNetV3).',
      required: [],
      properties: {},
      build(_layer, d) {
        const y = d.tensor(d.name, d.shapeOf(d.x));
        d.push({ kind: 'hard_swish', name: d.name, inputs: [d.x], outputs: [y] } satisfies HardSwishOp);
        d.setOutput(y);
      },
    },
  ],
});
