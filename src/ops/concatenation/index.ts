/**
 * concatenation: TFLite CONCATENATION (builtin 2) along the last (channel) axis, any number of inputs,
 * float32 (a copy), int8 and uint8 with TFLite's reference ConcatenationWithScaling: an input quantized
 * like the output is copied, another rescaled in float32 (ConcatQuant). TFLite's own int8 kernel requires
 * equal quantization (a copy) and TFLite Micro copies int8 without rescaling; both agree with this op
 * wherever they accept the model.
 */
import { dtypeRange, type OpBase } from '../../model/ir.js';
import { internalError } from '../../model/errors.js';
import { defineOp } from '../types.js';
import { concatenate } from './reference.js';
import { emit } from './emit.js';

/** Per input: copied (quantized like the output) or rescaled by float32 `scale` and `bias`; set by the requantize pass. */
export interface ConcatQuant {
  readonly inputs: readonly { readonly copy: boolean; readonly scale: number; readonly bias: number }[];
  readonly outputZeroPoint: number;
}

export interface ConcatenationOp extends OpBase {
  readonly kind: 'concatenation';
  /** The axis as the model gives it (−1 or rank − 1: the last axis). */
  readonly axis: number;
  readonly concatQuant?: ConcatQuant;
}

/** The inputs' last dimensions and the blocks before them. */
export function concatGeometry(shapes: readonly (readonly number[])[]): { channels: number[]; outer: number } {
  const s0 = shapes[0]!;
  return { channels: shapes.map((s) => s[s.length - 1] ?? 1), outer: s0.slice(0, -1).reduce((a, b) => a * b, 1) };
}

export const concatenation = defineOp<ConcatenationOp>({
  kinds: ['concatenation'],
  operands: [1, 64],
  validate(op, v) {
    const shapes = op.inputs.map((id) => v.graph.tensors[id]!);
    const rank = v.x.shape.length;
    if (rank < 1) v.fail(`input ${v.x.name} has no axis to concatenate along`);
    if (op.axis !== -1 && op.axis !== rank - 1) v.fail(`axis ${op.axis} is not supported (supported: the last axis, -1 or ${rank - 1})`);
    let total = 0;
    shapes.forEach((t, k) => {
      if (t.dtype !== v.x.dtype) v.fail(`input ${k} ${t.name} has dtype ${t.dtype}, input 0 ${v.x.dtype}`);
      v.expectShape(t, [...v.x.shape.slice(0, -1), t.shape[rank - 1] ?? 0], `input ${k}`);
      total += t.shape[rank - 1]!;
      if (v.quant) v.perTensor(t, `input ${k}`);
    });
    v.expectShape(v.y, [...v.x.shape.slice(0, -1), total], 'output');
    if (v.quant) v.perTensor(v.y, 'output');
  },
  quantize(op, q) {
    op.inputs.forEach((id, k) => {
      if (!q.isQuantized(id)) {
        if (q.graph.tensors[id]!.data === undefined) throw internalError(`post-training quantization: op ${op.name}: input ${k} is not quantized`);
        q.quantizeConstant(id);
      }
    });
    q.setAct(op.outputs[0]!, q.rangeQuant(op.outputs[0]!));
  },
  requantize(op, r) {
    const sOut = r.scaleOf(r.y);
    const zpOut = r.y.quant!.zeroPoint[0]!;
    const inverse = Math.fround(1 / sOut);
    const inputs = op.inputs.map((id) => {
      const t = r.graph.tensors[id]!;
      const s = r.scaleOf(t);
      const zp = t.quant!.zeroPoint[0]!;
      const scale = Math.fround(s * inverse);
      return { copy: s === sOut && zp === zpOut, scale, bias: Math.fround(-zp * scale) };
    });
    return { ...op, concatQuant: { inputs, outputZeroPoint: zpOut } };
  },
  run(op, k) {
    const { channels, outer } = concatGeometry(op.inputs.map((id) => k.graph.tensors[id]!.shape));
    const data = op.inputs.map((_, i) => k.read(i));
    if (!k.quantized)
      return concatenate(
        data.map((d) => k.expect(d, Float32Array, 'input')),
        channels,
        outer,
        k.out,
      );
    if (op.concatQuant === undefined) throw internalError(`quantized op ${op.name} (concatenation) has no concatQuant parameters`);
    return concatenate(
      data.map((d) => k.quantData(d, 'input')),
      channels,
      outer,
      k.out,
      op.concatQuant,
      dtypeRange(k.yT.dtype as 'int8' | 'uint8'),
    );
  },
  emit,
  tflite: {
    builtins: [{ code: 2, options: { type: 10, name: 'ConcatenationOptions' } }], // CONCATENATION
    convert(t) {
      t.arity(1, 64);
      const o = t.options();
      const axis = o?.i32(0, 'axis') ?? 0;
      const act = o?.i8(1, 'fused_activation_function') ?? 0;
      if (act !== 0) t.fail('a fused activation is not supported (TFLite requires none)');
      const inputs = t.inputs.map((_, k) => t.input(k));
      const rank = t.tensor(inputs[0]!).shape.length;
      if (axis !== -1 && axis !== rank - 1) t.fail(`axis ${axis} of a ${rank}-D input is not supported; supported: the last (channel) axis`);
      return { kind: 'concatenation', name: t.name, inputs, outputs: [t.output()], axis };
    },
  },
  description: [
    {
      op: 'concat',
      description: 'Concatenation along channels of the current activation and earlier layers (`with`: names, or "input"), in that order.',
      required: ['with'],
      properties: {
        with: {
          description: 'Names of earlier layers (or "input") whose outputs follow the current activation.',
          type: 'array',
          minItems: 1,
          items: { type: 'string', minLength: 1 },
        },
      },
      build(layer, d) {
        const inputs = [d.x, ...(layer.with as string[]).map((n, i) => d.ref(n, `with/${i}`))];
        const s0 = d.shapeOf(d.x);
        let total = 0;
        for (const id of inputs) {
          const s = d.shapeOf(id);
          if (s.length !== s0.length || s.slice(0, -1).some((v, i) => v !== s0[i])) {
            d.fail(`shapes [${s0.join(', ')}] and [${s.join(', ')}] differ outside the channel axis`);
          }
          total += s[s.length - 1]!;
        }
        const y = d.tensor(d.name, [...s0.slice(0, -1), total]);
        d.push({ kind: 'concatenation', name: d.name, inputs, outputs: [y], axis: -1 } satisfies ConcatenationOp);
        d.setOutput(y);
      },
    },
  ],
});
