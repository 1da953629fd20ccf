/** pad: constant padding of an up-to-4-D tensor; quantized tensors pad with the output zero point (real 0), float with 0. */
import type { OpBase } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import { dtypeOfData } from '../../util/tensors.js';
import { defineOp } from '../types.js';
import { pad as padKernel } from './reference.js';
import { emit } from './emit.js';

export interface PadOp extends OpBase {
  readonly kind: 'pad';
  /** [before, after] for each of the input's dimensions. */
  readonly paddings: readonly (readonly [number, number])[];
}

export const pad = defineOp<PadOp>({
  kinds: ['pad'],
  operands: [1, 1],
  validate(op, v) {
    const { x, y } = v;
    const p = op.paddings;
    if (x.shape.length > 4) v.fail(`input ${x.name} [${x.shape.join(', ')}] has more than 4 dimensions`);
    if (p.length !== x.shape.length) v.fail(`has ${p.length} [before, after] paddings for the ${x.shape.length}-D input ${x.name}`);
    if (p.some((ba) => ba.length !== 2 || ba.some((n) => !Number.isInteger(n) || n < 0))) {
      v.fail(`paddings ${JSON.stringify(p)} must be non-negative integer [before, after] pairs`);
    }
    v.expectShape(
      y,
      x.shape.map((d, i) => d + p[i]![0] + p[i]![1]),
      'output',
    );
    if (v.quant) {
      v.perTensor(x, 'input');
      v.perTensor(y, 'output');
      if (x.quant!.scale[0] !== y.quant!.scale[0] || x.quant!.zeroPoint[0] !== y.quant!.zeroPoint[0]) {
        v.fail(`output ${y.name} must have its input's scale and zero point (quantized pad copies values)`);
      }
    }
  },
  quantize: (op, q) => q.setAct(op.outputs[0]!, q.xq),
  run(op, k) {
    if (dtypeOfData(k.x) !== k.yT.dtype) {
      throw badInput(`op ${op.name} (pad): ${dtypeOfData(k.x)} input with ${k.yT.dtype} output is not supported`);
    }
    return padKernel(k.x, k.xT.shape, op.paddings, k.quantized ? k.zeroPoint(k.yT, 'output') : 0, k.out);
  },
  emit,
  tflite: {
    builtins: [{ code: 34 }], // PAD
    convert(t) {
      t.arity(2, 2);
      const x = t.tensor(t.input(0));
      const p = t.constInts(1, 'paddings');
      const rank = x.shape.length;
      if (p.shape.length !== 2 || p.shape[0] !== rank || p.shape[1] !== 2) {
        t.fail(`paddings have shape [${p.shape.join(', ')}], expected [${rank}, 2]`);
      }
      const paddings: [number, number][] = [];
      for (let i = 0; i < rank; i++) {
        const b = p.values[2 * i]!;
        const a = p.values[2 * i + 1]!;
        if (b < 0 || a < 0 || b > 1 << 16 || a > 1 << 16) t.fail(`padding [${b}, ${a}] of dimension ${i} is out of range`);
        paddings.push([b, a]);
      }
      return { kind: 'pad', name: t.name, inputs: [x.id], outputs: [t.output()], paddings };
    },
  },
});
