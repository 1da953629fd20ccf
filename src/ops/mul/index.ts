/**
 * mul: elementwise product of two tensors (TFLite MUL, builtin 18), float32 and TFLite's quantized MUL
 * for int8/uint8. Equal shapes, or one operand broadcast (a scalar, a per-channel vector: the
 * squeeze-excite scale, hard-sigmoid's 1/6; src/ops/shared/broadcast.ts); either operand may be the
 * broadcast one, the second may be a constant (an imported constant first operand is swapped: MUL commutes).
 */
import type { Activation, OpBase } from '../../model/ir.js';
import { activationRange, quantizeMultiplier } from '../../numerics/fixedpoint.js';
import { defineOp } from '../types.js';
import { binaryDescription, binaryTflite, quantizeBinary, runBinary, validateBinary } from '../shared/binary.js';
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
  validate: validateBinary,
  quantize: quantizeBinary,
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
