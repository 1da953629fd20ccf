/** conv2d: standard convolution, NHWC input, filter [O, KH, KW, I], bias [O]. */
import type { Activation, OpBase, Padding } from '../../model/ir.js';
import { convMacs } from '../../model/cost.js';
import { defineOp, type DescriptionContext } from '../types.js';
import { convOptions, filterWindow, quantizeWeighted, requantizeWeighted, runConvLike, validateConvLike } from '../shared/weighted.js';
import { conv2dFloat, conv2dQuant } from './reference.js';
import { emit } from './emit.js';

export interface Conv2DOp extends OpBase {
  readonly kind: 'conv2d';
  /** inputs: [x, filter, bias?] */
  readonly strideH: number;
  readonly strideW: number;
  readonly padding: Padding;
  readonly activation: Activation;
}

interface ConvDesc {
  filters: number;
  kernel?: number;
  stride?: number;
  padding?: Padding;
  activation?: Activation;
  batchNorm?: boolean;
  bias?: boolean;
}

const filters = { description: 'Output channels.', type: 'integer', minimum: 1 };

/** conv and pointwise layers: the conv, then batch norm and activation as their own ops. */
function buildConv(l: ConvDesc, pointwise: boolean, d: DescriptionContext): void {
  const batchNorm = l.batchNorm ?? true;
  const bias = l.bias ?? !batchNorm;
  const kernel = pointwise ? 1 : l.kernel!;
  const stride = pointwise ? 1 : (l.stride ?? 1);
  const padding = pointwise ? 'same' : (l.padding ?? 'same');
  const [n, h, w, c] = d.need4d();
  const [oh, ow] = d.spatial(h, w, kernel, stride, padding);
  const fanIn = kernel * kernel * c;
  const f = d.tensor(`${d.name}/weights`, [l.filters, kernel, kernel, c], d.param('filter', l.filters * fanIn, fanIn));
  const inputs = [d.x, f];
  if (bias) inputs.push(d.tensor(`${d.name}/biases`, [l.filters], d.param('bias', l.filters, fanIn)));
  const y = d.tensor(d.name, [n, oh, ow, l.filters]);
  d.push({ kind: 'conv2d', name: d.name, inputs, outputs: [y], strideH: stride, strideW: stride, padding, activation: 'none' } satisfies Conv2DOp);
  d.setOutput(d.tail(batchNorm, l.activation ?? 'none', y, l.filters));
}

export const conv2d = defineOp<Conv2DOp>({
  kinds: ['conv2d'],
  operands: [2, 3],
  validate: (op, v) =>
    validateConvLike(op, v, (f, o, i) => {
      if (i !== v.x.shape[3]) v.fail(`filter ${f.name} [${f.shape.join(', ')}] expects ${i} input channels, input has ${v.x.shape[3]}`);
      return o;
    }),
  quantize: (op, q) => quantizeWeighted(op, q, 0),
  requantize: (op, r) => requantizeWeighted(op, r, false),
  run: (op, k) => runConvLike(op, k, conv2dFloat, conv2dQuant),
  emit,
  window: (op, graph) => filterWindow(op, graph, 1),
  macs(op, graph) {
    const f = graph.tensors[op.inputs[1]!]!.shape;
    const y = graph.tensors[op.outputs[0]!]!.shape;
    return convMacs(f[1]!, f[2]!, f[3]!, f[0]!, y[1]!, y[2]!);
  },
  tflite: {
    builtins: [{ code: 3, options: { type: 1, name: 'Conv2DOptions' } }], // CONV_2D
    optionalInputs: [2],
    convert(t) {
      const o = convOptions(t, false);
      return {
        kind: 'conv2d',
        name: t.name,
        inputs: t.withBias(),
        outputs: [t.output()],
        strideH: o.strideH,
        strideW: o.strideW,
        padding: t.padding(o.padding),
        activation: t.activation(o.activation),
      };
    },
  },
  description: [
    {
      op: 'conv',
      description: 'Standard convolution.',
      required: ['filters', 'kernel'],
      properties: { filters, kernel: 'kernel', stride: 'stride', padding: 'padding', activation: 'activation', batchNorm: 'batchNorm', bias: 'bias' },
      build: (l, d) => buildConv(l as unknown as ConvDesc, false, d),
    },
    {
      op: 'pointwise',
      description: '1x1 convolution, stride 1.',
      required: ['filters'],
      properties: { filters, activation: 'activation', batchNorm: 'batchNorm', bias: 'bias' },
      build: (l, d) => buildConv(l as unknown as ConvDesc, true, d),
    },
  ],
});
