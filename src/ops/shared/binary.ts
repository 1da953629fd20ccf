/** What the binary elementwise ops (add, mul) share: their TFLite operands and their description form. */
import type { Activation } from '../../model/ir.js';
import type { AnyOp, DescriptionForm, TfliteContext } from '../types.js';
import { broadcastPlan } from './broadcast.js';

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
