/** What the binary elementwise ops (add, mul) share: their TFLite mapping, reference run and description form. */
import type { Activation, TensorData } from '../../model/ir.js';
import { badInput, internalError } from '../../model/errors.js';
import { dtypeOfData } from '../../util/tensors.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import type { AnyOp, DescriptionForm, QuantizeContext, RunContext, TfliteBuiltin, TfliteContext, TfliteMapping, ValidateContext } from '../types.js';
import { broadcastPlan, operandIndex } from './broadcast.js';
import type { OperandIndex } from '../add/reference.js';

/**
 * The IR inputs of a commutative binary builtin (ADD, MUL): the TFLite operands in order, swapped when
 * the first is a constant (the IR's input 0 is an activation). Swapping changes no bit of either op:
 * each operand keeps its own zero point and multiplier, and the int32 sum or product commutes.
 */
export function binaryTfliteInputs(t: TfliteContext): [number, number] {
  const a = t.input(0);
  const b = t.input(1);
  return t.tensor(a).data !== undefined && t.tensor(b).data === undefined ? [b, a] : [a, b];
}

interface BinaryOp extends AnyOp {
  readonly activation: Activation;
}

/** Validation of ADD or MUL: one dtype, shapes that broadcast to the output's, per-tensor quantization. */
export function validateBinary(op: BinaryOp, v: ValidateContext): void {
  const { x, y } = v;
  const x2 = v.graph.tensors[op.inputs[1]!]!;
  if (x2.dtype !== x.dtype) v.fail(`input 1 ${x2.name} has dtype ${x2.dtype}, input 0 ${x.dtype}`);
  const plan = broadcastPlan(x.shape, x2.shape);
  if (typeof plan === 'string') v.fail(plan);
  v.expectShape(y, (plan as Exclude<typeof plan, string>).shape, 'output');
  if (v.quant) {
    v.perTensor(x, 'input 0');
    v.perTensor(x2, 'input 1');
    v.perTensor(y, 'output');
  }
}

/** Post-training quantization of ADD or MUL: a constant second operand gets its own per-tensor quantization, the output its range. */
export function quantizeBinary(op: BinaryOp, q: QuantizeContext): void {
  const x2 = op.inputs[1]!;
  if (!q.isQuantized(x2)) {
    if (q.graph.tensors[x2]!.data === undefined) {
      throw badInput(`post-training quantization: op ${q.index} (${op.name}, ${op.kind}): input 1 is not quantized`);
    }
    q.quantizeConstant(x2);
  }
  q.setAct(op.outputs[0]!, q.rangeQuant(op.outputs[0]!));
}

/** The TFLite mapping of ADD or MUL: one builtin with a fused activation in its options. */
export function binaryTflite<O extends BinaryOp>(kind: O['kind'], builtin: TfliteBuiltin): TfliteMapping<O> {
  return {
    builtins: [builtin],
    convert(t) {
      t.arity(2, 2);
      const act = t.options()?.i8(0, 'fused_activation_function') ?? 0;
      return { kind, name: t.name, inputs: binaryTfliteInputs(t), outputs: [t.output()], activation: t.activation(act) } as unknown as O;
    },
  };
}

/** The reference run of ADD or MUL: the broadcast plan, then the op's quantized kernel (with its parameters) or float kernel. */
export function runBinary<P>(
  op: BinaryOp,
  k: RunContext,
  params: P | undefined,
  quant: (x1: QuantArray, x2: QuantArray, zp1: number, zp2: number, zpOut: number, p: P, out: QuantArray, i1: OperandIndex, i2: OperandIndex) => QuantArray,
  float: (x1: Float32Array, x2: Float32Array, activation: Activation, out: Float32Array, i1: OperandIndex, i2: OperandIndex) => Float32Array,
): TensorData {
  const x2T = k.graph.tensors[op.inputs[1]!]!;
  const x2 = k.read(1);
  const plan = broadcastPlan(k.xT.shape, x2T.shape);
  if (typeof plan === 'string' || dtypeOfData(x2) !== dtypeOfData(k.x) || k.out.length !== plan.n) {
    throw badInput(`op ${op.name} (${op.kind}): operands must have one dtype and broadcast to the output`);
  }
  const [i1, i2] = [operandIndex(plan, 0), operandIndex(plan, 1)];
  if (k.quantized) {
    if (params === undefined) throw internalError(`quantized op ${op.name} (${op.kind}) has no quantization parameters`);
    return quant(
      k.quantData(k.x, 'input 1'),
      k.quantData(x2, 'input 2'),
      k.perTensor(k.xT, 'input 1').zeroPoint,
      k.perTensor(x2T, 'input 2').zeroPoint,
      k.perTensor(k.yT, 'output').zeroPoint,
      params,
      k.out as Int8Array | Uint8Array,
      i1,
      i2,
    );
  }
  return float(k.expect(k.x, Float32Array, 'input 1'), k.expect(x2, Float32Array, 'input 2'), op.activation, k.out as Float32Array, i1, i2);
}

/**
 * The layer form of a binary op: the current activation with an earlier layer's output (`with`, its
 * name or "input") or with a float constant (`scalar`, a [1] tensor), broadcast as the op allows;
 * `activation` follows as its own op (fused by the passes).
 */
export function binaryDescription(kind: 'add' | 'mul', description: string): DescriptionForm {
  return {
    op: kind,
    description,
    required: [],
    properties: {
      with: { description: 'Name of an earlier layer (or "input") whose output is the second operand.', type: 'string', minLength: 1 },
      scalar: { description: 'A constant second operand (one float32 value, broadcast to every element).', type: 'number' },
      activation: 'activation',
    },
    build(layer, d) {
      const w = layer.with as string | undefined;
      const s = layer.scalar as number | undefined;
      if ((w === undefined) === (s === undefined)) d.fail('give exactly one of "with" (an earlier layer) and "scalar" (a constant)');
      const other = w !== undefined ? d.ref(w, 'with') : d.tensor(`${d.name}/scalar`, [1], Float32Array.of(s!));
      const plan = broadcastPlan(d.shapeOf(d.x), d.shapeOf(other));
      if (typeof plan === 'string') d.fail(plan);
      const shape = (plan as Exclude<typeof plan, string>).shape;
      const y = d.tensor(d.name, shape);
      d.push({ kind, name: d.name, inputs: [d.x, other], outputs: [y], activation: 'none' } satisfies BinaryOp);
      d.setOutput(d.tail(false, (layer.activation as Activation | undefined) ?? 'none', y, shape[shape.length - 1] ?? 1));
    },
  };
}
