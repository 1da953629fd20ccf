/**
 * mul: elementwise product of two tensors (TFLite MUL, builtin 18), float32 and TFLite's quantized MUL
 * for int8/uint8. Equal shapes, or one operand broadcast (a scalar, a per-channel vector: the
 * squeeze-excite scale, hard-sigmoid's 1/6; src/ops/shared/broadcast.ts); either operand may be the
 * broadcast one, the second may be a constant (an imported constant first operand is swapped: MUL commutes).
 */
import type { Activation, OpBase } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import { activationRange, quantizeMultiplier } from '../../numerics/fixedpoint.js';
import { dtypeOfData } from '../../util/tensors.js';
import { defineOp } from '../types.js';
import { broadcastPlan, operandIndex, type BroadcastPlan } from '../shared/broadcast.js';
import { binaryDescription, binaryTfliteInputs } from '../shared/binary.js';
import { mulFloat, mulQuant } from './reference.js';
import { emit } from './emit.js';

/**
 * TFLite's quantized MUL parameters (mul_common.cc CalculateOpDataMul), set by the requantize pass:
 * QuantizeMultiplier of the real multiplier s1 · s2 / sOut computed in double (any shift, left when
 * it exceeds 1), and the fused activation's clamp in the output's integer domain.
 */
export interface MulQuant {
  readonly multiplier: number;
  readonly shift: number;
  readonly actMin: number;
  readonly actMax: number;
}

export interface MulOp extends OpBase {
  readonly kind: 'mul';
  readonly activation: Activation;
  readonly mulQuant?: MulQuant;
}

export const mul = defineOp<MulOp>({
  kinds: ['mul'],
  operands: [2, 2],
  validate(op, v) {
    const { x, y } = v;
    const x2 = v.graph.tensors[op.inputs[1]!]!;
    if (x2.dtype !== x.dtype) v.fail(`input 1 ${x2.name} has dtype ${x2.dtype}, input 0 ${x.dtype}`);
    const plan = broadcastPlan(x.shape, x2.shape);
    if (typeof plan === 'string') v.fail(plan);
    v.expectShape(y, (plan as BroadcastPlan).shape, 'output');
    if (v.quant) {
      v.perTensor(x, 'input 0');
      v.perTensor(x2, 'input 1');
      v.perTensor(y, 'output');
    }
  },
  quantize(op, q) {
    const x2 = op.inputs[1]!;
    if (!q.isQuantized(x2)) {
      if (q.graph.tensors[x2]!.data === undefined) {
        throw badInput(`post-training quantization: op ${q.index} (${op.name}, mul): input 1 is not quantized`);
      }
      q.quantizeConstant(x2);
    }
    q.setAct(op.outputs[0]!, q.rangeQuant(op.outputs[0]!));
  },
  requantize(op, r) {
    const x2 = r.graph.tensors[op.inputs[1]!]!;
    // double(s1) · double(s2) / double(sOut): the scales are float32 values held exactly in doubles.
    const m = quantizeMultiplier((r.scaleOf(r.x) * r.scaleOf(x2)) / r.scaleOf(r.y));
    const [actMin, actMax] = activationRange(op.activation, r.scaleOf(r.y), r.y.quant!.zeroPoint[0]!, r.dtype);
    return { ...op, mulQuant: { multiplier: m.multiplier, shift: m.shift, actMin, actMax } };
  },
  run(op, k) {
    const x2T = k.graph.tensors[op.inputs[1]!]!;
    const x2 = k.read(1);
    const plan = broadcastPlan(k.xT.shape, x2T.shape);
    if (typeof plan === 'string' || dtypeOfData(x2) !== dtypeOfData(k.x) || k.out.length !== plan.n) {
      throw badInput(`op ${op.name} (mul): operands must have one dtype and broadcast to the output`);
    }
    const [i1, i2] = [operandIndex(plan, 0), operandIndex(plan, 1)];
    if (k.quantized) {
      if (op.mulQuant === undefined) throw internalError(`quantized op ${op.name} (mul) has no mulQuant parameters`);
      return mulQuant(
        k.quantData(k.x, 'input 1'),
        k.quantData(x2, 'input 2'),
        k.perTensor(k.xT, 'input 1').zeroPoint,
        k.perTensor(x2T, 'input 2').zeroPoint,
        k.perTensor(k.yT, 'output').zeroPoint,
        op.mulQuant,
        k.out as Int8Array | Uint8Array,
        i1,
        i2,
      );
    }
    return mulFloat(k.expect(k.x, Float32Array, 'input 1'), k.expect(x2, Float32Array, 'input 2'), op.activation, k.out as Float32Array, i1, i2);
  },
  emit,
  tflite: {
    builtins: [{ code: 18, options: { type: 21, name: 'MulOptions' } }], // MUL
    convert(t) {
      t.arity(2, 2);
      const act = t.options()?.i8(0, 'fused_activation_function') ?? 0;
      return { kind: 'mul', name: t.name, inputs: binaryTfliteInputs(t), outputs: [t.output()], activation: t.activation(act) };
    },
  },
  description: [
    binaryDescription(
      'mul',
      'Elementwise product with an earlier layer (`with`: a squeeze-excite scale) or a constant (`scalar`), broadcasting a scalar or a per-channel [1, 1, 1, C] operand.',
    ),
  ],
});
