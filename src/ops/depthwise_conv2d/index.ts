/** depthwise_conv2d: NHWC input, filter [1, KH, KW, I·M], output channel c = ic·M + k reads input channel ic. */
import type { Activation, OpBase, Padding } from '../../model/ir.js';
import { depthwiseMacs } from '../../model/cost.js';
import { defineOp } from '../types.js';
import { convOptions, filterWindow, quantizeWeighted, requantizeWeighted, runConvLike, validateConvLike } from '../shared/weighted.js';
import { depthwiseConv2dFloat, depthwiseConv2dQuant } from './reference.js';
import { emit } from './emit.js';

export interface DepthwiseConv2DOp extends OpBase {
  readonly kind: 'depthwise_conv2d';
  /** inputs: [x, filter, bias?] */
  readonly strideH: number;
  readonly strideW: number;
  readonly padding: Padding;
  readonly activation: Activation;
  readonly depthMultiplier: number;
}

interface DepthwiseDesc {
  kernel: number;
  stride?: number;
  padding?: Padding;
  depthMultiplier?: number;
  activation?: Activation;
  batchNorm?: boolean;
  bias?: boolean;
}

export const depthwiseConv2d = defineOp<DepthwiseConv2DOp>({
  kinds: ['depthwise_conv2d'],
  operands: [2, 3],
  validate: (op, v) =>
    validateConvLike(op, v, (f, o, i) => {
      const m = op.depthMultiplier;
      if (o !== 1 || i !== v.x.shape[3]! * m)
        v.fail(`filter ${f.name} [${f.shape.join(', ')}] must be [1, KH, KW, ${v.x.shape[3]! * m}] (channels x depthMultiplier ${m})`);
      return i;
    }),
  quantize: (op, q) => quantizeWeighted(op, q, 3),
  requantize: (op, r) => requantizeWeighted(op, r, false),
  run: (op, k) => runConvLike(op, k, depthwiseConv2dFloat, depthwiseConv2dQuant),
  emit,
  window: (op, graph) => filterWindow(op, graph, op.depthMultiplier),
  macs(op, graph) {
    const f = graph.tensors[op.inputs[1]!]!.shape;
    const y = graph.tensors[op.outputs[0]!]!.shape;
    return depthwiseMacs(f[1]!, f[2]!, f[3]! / op.depthMultiplier, op.depthMultiplier, y[1]!, y[2]!);
  },
  tflite: {
    builtins: [{ code: 4, options: { type: 2, name: 'DepthwiseConv2DOptions' } }], // DEPTHWISE_CONV_2D
    optionalInputs: [2],
    convert(t) {
      const o = convOptions(t, true);
      const inputs = t.withBias();
      const x = t.tensor(inputs[0]!);
      const f = t.tensor(inputs[1]!);
      const inC = x.shape[3];
      const outC = f.shape[3];
      if (x.shape.length !== 4 || f.shape.length !== 4 || inC === undefined || outC === undefined || outC % inC !== 0) {
        t.fail(`filter [${f.shape.join(', ')}] does not fit input [${x.shape.join(', ')}]: expected [1, KH, KW, C x multiplier]`);
      }
      // TFLite ignores depth_multiplier in the options in newer versions; the shapes decide.
      return {
        kind: 'depthwise_conv2d',
        name: t.name,
        inputs,
        outputs: [t.output()],
        strideH: o.strideH,
        strideW: o.strideW,
        padding: t.padding(o.padding),
        activation: t.activation(o.activation),
        depthMultiplier: outC! / inC!,
      };
    },
  },
  description: [
    {
      op: 'depthwise',
      description: 'Depthwise convolution.',
      required: ['kernel'],
      properties: {
        kernel: 'kernel',
        stride: 'stride',
        padding: 'padding',
        depthMultiplier: { description: 'Output channels per input channel (default 1).', type: 'integer', minimum: 1 },
        activation: 'activation',
        batchNorm: 'batchNorm',
        bias: 'bias',
      },
      build(layer, d) {
        const l = layer as unknown as DepthwiseDesc;
        const batchNorm = l.batchNorm ?? true;
        const stride = l.stride ?? 1;
        const padding = l.padding ?? 'same';
        const dm = l.depthMultiplier ?? 1;
        const [n, h, w, c] = d.need4d();
        const [oh, ow] = d.spatial(h, w, l.kernel, stride, padding);
        const oc = c * dm;
        const fanIn = l.kernel * l.kernel;
        const f = d.tensor(`${d.name}/depthwise_weights`, [1, l.kernel, l.kernel, oc], d.param('filter', fanIn * oc, fanIn));
        const inputs = [d.x, f];
        if (l.bias ?? !batchNorm) inputs.push(d.tensor(`${d.name}/biases`, [oc], d.param('bias', oc, fanIn)));
        const y = d.tensor(d.name, [n, oh, ow, oc]);
        d.push({
          kind: 'depthwise_conv2d',
          name: d.name,
          inputs,
          outputs: [y],
          strideH: stride,
          strideW: stride,
          padding,
          activation: 'none',
          depthMultiplier: dm,
        } satisfies DepthwiseConv2DOp);
        d.setOutput(d.tail(batchNorm, l.activation ?? 'none', y, oc));
      },
    },
  ],
});
