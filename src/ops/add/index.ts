/**
 * add: elementwise sum of two tensors, TFLite's quantized ADD for int8/uint8. Equal shapes, or one operand
 * broadcast (a scalar, a per-channel vector: src/ops/shared/broadcast.ts); either operand may be the
 * broadcast one, the second may be a constant (an imported constant first operand is swapped: ADD commutes).
 */
import type { Activation, OpBase, Tensor } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import { activationRange, quantizeMultiplier } from '../../numerics/fixedpoint.js';
import { defineOp } from '../types.js';
import { binaryDescription, binaryTflite, quantizeBinary, runBinary, validateBinary } from '../shared/binary.js';
import { addFloat, addQuant } from './reference.js';
import { emit } from './emit.js';

/**
 * TFLite's quantized ADD parameters (left shift 20, each input rescaled to
 * twice the larger input scale, then to the output), set by the requantize pass.
 */
export interface AddQuant {
  readonly leftShift: number;
  readonly input1Multiplier: number;
  readonly input1Shift: number;
  readonly input2Multiplier: number;
  readonly input2Shift: number;
  readonly outputMultiplier: number;
  readonly outputShift: number;
  readonly actMin: number;
  readonly actMax: number;
}

export interface AddOp extends OpBase {
  readonly kind: 'add';
  readonly activation: Activation;
  readonly addQuant?: AddQuant;
}

/** TFLite's quantized ADD left shift for 8-bit inputs. */
export const ADD_LEFT_SHIFT = 20;

/**
 * TFLite CalculateOpDataAdd (int8/uint8): both inputs rescaled to twice the
 * larger input scale after a left shift of 20, the sum rescaled to the
 * output. Every real multiplier is < 1 (QuantizeMultiplierSmallerThanOneExp),
 * so every shift is ≤ 0.
 */
export function prepareAdd(op: AddOp, s1: number, s2: number, y: Tensor): AddQuant {
  const sOut = y.quant?.scale[0];
  if (sOut === undefined) throw internalError(`requantize: op ${op.name}: tensor ${y.name} has no quantization`);
  const twiceMax = 2 * Math.max(s1, s2);
  const real1 = s1 / twiceMax;
  const real2 = s2 / twiceMax;
  const realOut = twiceMax / ((1 << ADD_LEFT_SHIFT) * sOut);
  const fail = (what: string, r: number) =>
    badInput(`op ${op.name} (add): ${what} rescale ${r} must be in (0, 1) (input scales ${s1}, ${s2}, output scale ${sOut})`);
  for (const [what, r] of [
    ['input 1', real1],
    ['input 2', real2],
    ['output', realOut],
  ] as const) {
    if (!(r > 0 && r < 1)) throw fail(what, r);
  }
  const m1 = quantizeMultiplier(real1);
  const m2 = quantizeMultiplier(real2);
  const mOut = quantizeMultiplier(realOut);
  for (const [what, m, r] of [
    ['input 1', m1, real1],
    ['input 2', m2, real2],
    ['output', mOut, realOut],
  ] as const) {
    if (m.shift > 0) throw fail(what, r);
  }
  const [actMin, actMax] = activationRange(op.activation, sOut, y.quant!.zeroPoint[0]!, y.dtype as 'int8' | 'uint8');
  return {
    leftShift: ADD_LEFT_SHIFT,
    input1Multiplier: m1.multiplier,
    input1Shift: m1.shift,
    input2Multiplier: m2.multiplier,
    input2Shift: m2.shift,
    outputMultiplier: mOut.multiplier,
    outputShift: mOut.shift,
    actMin,
    actMax,
  };
}

export const add = defineOp<AddOp>({
  kinds: ['add'],
  operands: [2, 2],
  validate: validateBinary,
  quantize: quantizeBinary,
  requantize: (op, r) => ({ ...op, addQuant: prepareAdd(op, r.scaleOf(r.x), r.scaleOf(r.graph.tensors[op.inputs[1]!]!), r.y) }),
  run: (op, k) => runBinary(op, k, op.addQuant, addQuant, addFloat),
  emit,
  tflite: binaryTflite<AddOp>('add', { code: 0, options: { type: 11, name: 'AddOptions' } }), // ADD
  description: [
    binaryDescription(
      'add',
      'Elementwise sum with an earlier layer (`with`: a residual connection) or a constant (`scalar`), broadcasting a scalar or a per-channel [1, 1, 1, C] operand.',
    ),
  ],
});
