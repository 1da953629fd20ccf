/**
 * mul: elementwise product of two tensors (TFLite MUL, builtin 18), float32 and TFLite's quantized MUL
 * for int8/uint8. Equal shapes, or one operand broadcast (a scalar, a per-channel vector: the
 * squeeze-excite scale, hard-sigmoid's 1/6; src/ops/shared/broadcast.ts); either operand may be the
 * broadcast one, the second may be a constant (an imported constant first operand is swapped: MUL commutes).
 */
import type { Activation, OpBase } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import { activationRange, quantizeMultiplier } from '../../numerics/fixedpoint.js';
import { defineOp } from '../types.js';
import { broadcastPlan, type BroadcastPlan } from '../shared/broadcast.js';
import { binaryDescription, binaryTflite, runBinary } from '../shared/binary.js';
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
  run: (op, k) => runBinary(op, k, op.mulQuant, mulQuant, mulFloat),
  emit,
  tflite: binaryTflite<MulOp>('mul', { code: 18, options: { type: 21, name: 'MulOptions' } }), // MUL
  description: [
    binaryDescription(
      'mul',
      'Elementwise product with an earlier layer (`with`: a squeeze-excite scale) or a constant (`scalar`), broadcasting a scalar or a per-channel [1, 1, 1, C] operand.',
    ),
  ],
});
