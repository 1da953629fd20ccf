/** average_pool2d and max_pool2d: NHWC, in-bounds taps only, fused activation. */
import type { Activation, OpBase, Padding } from '../../model/ir.js';
import { outputExtent } from '../../model/geometry.js';
import { activationRange } from '../../numerics/fixedpoint.js';
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

/** TFLite builtin codes. */
const AVERAGE_POOL_2D = 1;
const MAX_POOL_2D = 17;

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
        kind,
        name: d.name,
        inputs: [d.x],
        outputs: [y],
        filterH: kh,
        filterW: kw,
        strideH: stride,
        strideW: stride,
        padding,
        activation: l.activation ?? 'none',
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
    builtins: [AVERAGE_POOL_2D, MAX_POOL_2D].map((code) => ({ code, options: { type: 5, name: 'Pool2DOptions' } })),
    convert(t) {
      t.arity(1, 1);
      const t5 = t.options();
      const o = {
        padding: t5?.i8(0, 'padding') ?? 0,
        strideW: t5?.i32(1, 'stride_w') ?? 0,
        strideH: t5?.i32(2, 'stride_h') ?? 0,
        filterW: t5?.i32(3, 'filter_width') ?? 0,
        filterH: t5?.i32(4, 'filter_height') ?? 0,
        activation: t5?.i8(5, 'fused_activation_function') ?? 0,
      };
      t.strides(o.strideH, o.strideW);
      if (o.filterH < 1 || o.filterW < 1) t.fail(`filter ${o.filterH}x${o.filterW} must be >= 1`);
      const kind = t.code === AVERAGE_POOL_2D ? 'average_pool2d' : 'max_pool2d';
      return {
        kind,
        name: t.name,
        inputs: [t.input(0)],
        outputs: [t.output()],
        filterH: o.filterH,
        filterW: o.filterW,
        strideH: o.strideH,
        strideW: o.strideW,
        padding: t.padding(o.padding),
        activation: t.activation(o.activation),
      };
    },
  },
  description: [form('avgpool', 'average_pool2d'), form('maxpool', 'max_pool2d')],
});
