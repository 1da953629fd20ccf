/** average_pool2d and max_pool2d: NHWC, in-bounds taps only, fused activation. */
import type { Activation, OpBase, Padding } from '../../model/ir.js';
import { outputExtent } from '../../model/geometry.js';
import { activationRange } from '../../numerics/fixedpoint.js';
import { BuiltinOp, OptionsType, pool2DOptions } from '../../frontends/tflite/schema.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import { defineOp, type DescriptionForm } from '../types.js';
import { pool2dFloat, pool2dQuant } from './reference.js';
import { emit } from './emit.js';

export interface Pool2DOp extends OpBase {
  readonly kind: 'average_pool2d' | 'max_pool2d';
  readonly filterH: number;
  readonly filterW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padding: Padding;
  readonly activation: Activation;
}

interface PoolDesc {
  size: number | 'global';
  stride?: number;
  padding?: Padding;
  activation?: Activation;
}

function form(op: 'avgpool' | 'maxpool', kind: Pool2DOp['kind']): DescriptionForm {
  return {
    op,
    description: op === 'avgpool' ? 'Average pooling.' : 'Max pooling.',
    required: ['size'],
    properties: {
      size: {
        description: 'Square window size, or "global" for the whole input (VALID, one output pixel).',
        oneOf: [{ type: 'integer', minimum: 1 }, { const: 'global' }],
      },
      stride: { description: 'Stride (default: the window size, 1 for "global").', type: 'integer', minimum: 1 },
      padding: ['padding', { description: 'Padding (default "valid").' }],
      activation: 'activation',
    },
    build(layer, d) {
      const l = layer as unknown as PoolDesc;
      const global = l.size === 'global';
      const stride = l.stride ?? (global ? 1 : (l.size as number));
      const [n, h, w, c] = d.need4d();
      const [kh, kw] = global ? [h, w] : [l.size as number, l.size as number];
      const padding = global ? 'valid' : (l.padding ?? 'valid');
      const oh = outputExtent(h, kh, stride, padding);
      const ow = outputExtent(w, kw, stride, padding);
      if (oh < 1 || ow < 1) d.fail(`window ${kh}x${kw} does not fit the ${h}x${w} input with padding "${padding}"`);
      const y = d.tensor(d.name, [n, oh, ow, c]);
      d.push({
        kind, name: d.name, inputs: [d.x], outputs: [y], filterH: kh, filterW: kw,
        strideH: stride, strideW: stride, padding, activation: l.activation ?? 'none',
      } satisfies Pool2DOp);
      d.setOutput(y);
    },
  };
}

export const pool2d = defineOp<Pool2DOp>({
  kinds: ['average_pool2d', 'max_pool2d'],
  operands: [1, 1],
  validate(op, v) {
    v.need4d(v.x, 'input');
    v.window(op.filterH, op.filterW, op.strideH, op.strideW, op.padding, v.x.shape[3]!);
  },
  quantize: (op, q) => q.setAct(op.outputs[0]!, q.xq),
  requantize(op, r) {
    const [actMin, actMax] = activationRange(op.activation, r.scaleOf(r.y), r.y.quant!.zeroPoint[0]!, r.dtype);
    return { ...op, requant: { multiplier: [], shift: [], actMin, actMax } };
  },
  run(op, k) {
    const g = k.window();
    const kind = op.kind === 'average_pool2d' ? 'average' : 'max';
    if (k.quantized) {
      const r = k.requant();
      return pool2dQuant(k.quantData(k.x, 'input'), g, kind, r.actMin, r.actMax, k.out as QuantArray);
    }
    return pool2dFloat(k.expect(k.x, Float32Array, 'input'), g, kind, op.activation, k.out as Float32Array);
  },
  emit,
  window: (op) => ({ kH: op.filterH, kW: op.filterW, strideH: op.strideH, strideW: op.strideW, padding: op.padding, depthMultiplier: 1 }),
  tflite: {
    builtins: [BuiltinOp.AVERAGE_POOL_2D, BuiltinOp.MAX_POOL_2D],
    convert(t) {
      t.arity(1, 1);
      const o = pool2DOptions(t.options(OptionsType.Pool2DOptions, 'Pool2DOptions'));
      t.strides(o.strideH, o.strideW);
      if (o.filterH < 1 || o.filterW < 1) t.fail(`filter ${o.filterH}x${o.filterW} must be >= 1`);
      const kind = t.code === BuiltinOp.AVERAGE_POOL_2D ? 'average_pool2d' : 'max_pool2d';
      return { kind, name: t.name, inputs: [t.input(0)], outputs: [t.output()], filterH: o.filterH, filterW: o.filterW, strideH: o.strideH, strideW: o.strideW, padding: t.padding(o.padding), activation: t.activation(o.activation) };
    },
  },
  description: [form('avgpool', 'average_pool2d'), form('maxpool', 'max_pool2d')],
});
