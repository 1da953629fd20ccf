/**
 * Description → float32 IR graph, with batch norm and activations as their own
 * ops (the passes fold and fuse them). Shapes are inferred here; a layer that
 * cannot fit its input is a one-line error naming the layer.
 */
import type { Activation, Graph, Op, Padding, Tensor, TensorData } from '../../model/ir.js';
import { elementCount } from '../../model/ir.js';
import { outputExtent } from '../../model/geometry.js';
import { badInput } from '../../model/errors.js';
import type { ParamSource } from './params.js';
import type { LayersDesc, MobileNetV1Desc } from './schema.js';

/** Batch-norm epsilon of TF-slim MobileNetV1 (and of every described layer). */
export const BN_EPSILON = 1e-3;

/** A layer with every default applied; `at` locates it in the description. */
export type Layer = { name: string; at: string } & (
  | { op: 'conv'; filters: number; kernel: number; stride: number; padding: Padding; activation: Activation; batchNorm: boolean; bias: boolean }
  | { op: 'depthwise'; kernel: number; stride: number; padding: Padding; depthMultiplier: number; activation: Activation; batchNorm: boolean; bias: boolean }
  | { op: 'pool'; kind: 'average_pool2d' | 'max_pool2d'; size: number | 'global'; stride: number; padding: Padding; activation: Activation }
  | { op: 'fc'; units: number; activation: Activation; bias: boolean }
  | { op: 'softmax'; beta: number }
  | { op: 'reshape'; shape: number[] }
);

export interface Network {
  input: [number, number, number, number];
  layers: Layer[];
}

/** TF-slim's MobileNetV1 (mobilenet_v1.py): the 13 depthwise-separable blocks. */
const V1_STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1];
const V1_CHANNELS = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];

export function mobilenetV1Layers(d: MobileNetV1Desc): Network {
  const depth = (c: number) => Math.max(8, Math.floor(c * d.alpha));
  const dm = d.depthwiseMultiplier ?? 1;
  const bn = { activation: 'relu6' as const, batchNorm: true, bias: false, padding: 'same' as const };
  const layers: Layer[] = [{ op: 'conv', name: 'Conv2d_0', at: '/', filters: depth(32), kernel: 3, stride: 2, ...bn }];
  V1_STRIDES.forEach((stride, i) => {
    layers.push({ op: 'depthwise', name: `Conv2d_${i + 1}_depthwise`, at: '/', kernel: 3, stride, depthMultiplier: dm, ...bn });
    layers.push({ op: 'conv', name: `Conv2d_${i + 1}_pointwise`, at: '/', filters: depth(V1_CHANNELS[i]!), kernel: 1, stride: 1, ...bn });
  });
  if (d.includeTop ?? true) {
    layers.push({ op: 'pool', kind: 'average_pool2d', name: 'AvgPool_1a', at: '/', size: 'global', stride: 1, padding: 'valid', activation: 'none' });
    layers.push({ op: 'conv', name: 'Conv2d_1c_1x1', at: '/', filters: d.classes, kernel: 1, stride: 1, padding: 'same', activation: 'none', batchNorm: false, bias: true });
    layers.push({ op: 'reshape', name: 'Reshape', at: '/', shape: [1, d.classes] });
    layers.push({ op: 'softmax', name: 'Softmax', at: '/', beta: 1 });
  }
  return { input: [1, d.resolution, d.resolution, d.channels ?? 3], layers };
}

export function explicitLayers(d: LayersDesc): Network {
  const layers = d.layers.map((l, i): Layer => {
    const at = `/layers/${i}`;
    const name = l.name ?? `${l.op}_${i}`;
    switch (l.op) {
      case 'conv':
      case 'pointwise': {
        const batchNorm = l.batchNorm ?? true;
        const pw = l.op === 'pointwise';
        return {
          op: 'conv', name, at, filters: l.filters,
          kernel: pw ? 1 : l.kernel, stride: pw ? 1 : (l.stride ?? 1), padding: pw ? 'same' : (l.padding ?? 'same'),
          activation: l.activation ?? 'none', batchNorm, bias: l.bias ?? !batchNorm,
        };
      }
      case 'depthwise': {
        const batchNorm = l.batchNorm ?? true;
        return {
          op: 'depthwise', name, at, kernel: l.kernel, stride: l.stride ?? 1, padding: l.padding ?? 'same',
          depthMultiplier: l.depthMultiplier ?? 1, activation: l.activation ?? 'none', batchNorm, bias: l.bias ?? !batchNorm,
        };
      }
      case 'avgpool':
      case 'maxpool':
        return {
          op: 'pool', kind: l.op === 'avgpool' ? 'average_pool2d' : 'max_pool2d', name, at, size: l.size,
          stride: l.stride ?? (l.size === 'global' ? 1 : l.size), padding: l.padding ?? 'valid', activation: l.activation ?? 'none',
        };
      case 'fc':
        return { op: 'fc', name, at, units: l.units, activation: l.activation ?? 'none', bias: l.bias ?? true };
      case 'softmax':
        return { op: 'softmax', name, at, beta: l.beta ?? 1 };
      case 'reshape':
        return { op: 'reshape', name, at, shape: [...l.shape] };
    }
  });
  return { input: [1, d.input.height, d.input.width, d.input.channels], layers };
}

/** Builds the float graph. `file` prefixes errors; `params` supplies every constant in layer order. */
export function buildGraph(net: Network, graphName: string, params: ParamSource, file: string): Graph {
  const tensors: Tensor[] = [];
  const ops: Op[] = [];
  const tensor = (name: string, shape: readonly number[], data?: TensorData): number => {
    const id = tensors.length;
    tensors.push(data ? { id, name, shape: [...shape], dtype: 'float32', data } : { id, name, shape: [...shape], dtype: 'float32' });
    return id;
  };
  const fail = (l: Layer, msg: string): never => {
    throw badInput(`${file}: ${l.at === '/' ? `layer ${l.name}` : `${l.at} (${l.name})`}: ${msg}`);
  };

  let x = tensor('input', net.input);
  const shapeOf = (id: number) => tensors[id]!.shape;
  const need4d = (l: Layer): [number, number, number, number] => {
    const s = shapeOf(x);
    if (s.length !== 4) fail(l, `needs a 4-D NHWC input, got shape [${s.join(', ')}]`);
    return s as [number, number, number, number];
  };
  const spatial = (l: Layer, h: number, w: number, k: number, stride: number, padding: Padding): [number, number] => {
    const oh = outputExtent(h, k, stride, padding);
    const ow = outputExtent(w, k, stride, padding);
    if (oh < 1 || ow < 1) fail(l, `kernel ${k} does not fit the ${h}x${w} input with padding "${padding}"`);
    return [oh, ow];
  };
  /** Batch norm and activation after a conv-like layer. */
  const tail = (l: Layer & { batchNorm: boolean; activation: Activation }, y: number, channels: number): number => {
    if (l.batchNorm) {
      const g = tensor(`${l.name}/BatchNorm/gamma`, [channels], params.take('gamma', channels, 1));
      const b = tensor(`${l.name}/BatchNorm/beta`, [channels], params.take('beta', channels, 1));
      const m = tensor(`${l.name}/BatchNorm/moving_mean`, [channels], params.take('mean', channels, 1));
      const v = tensor(`${l.name}/BatchNorm/moving_variance`, [channels], params.take('variance', channels, 1));
      const out = tensor(`${l.name}/BatchNorm`, shapeOf(y));
      ops.push({ kind: 'batch_norm', name: `${l.name}/BatchNorm`, inputs: [y, g, b, m, v], outputs: [out], epsilon: BN_EPSILON });
      y = out;
    }
    if (l.activation !== 'none') {
      const out = tensor(`${l.name}/${l.activation === 'relu6' ? 'Relu6' : 'Relu'}`, shapeOf(y));
      ops.push({ kind: 'activation', name: `${l.name}/${l.activation === 'relu6' ? 'Relu6' : 'Relu'}`, inputs: [y], outputs: [out], activation: l.activation });
      y = out;
    }
    return y;
  };

  for (const l of net.layers) {
    switch (l.op) {
      case 'conv': {
        const [n, h, w, c] = need4d(l);
        const [oh, ow] = spatial(l, h, w, l.kernel, l.stride, l.padding);
        const fanIn = l.kernel * l.kernel * c;
        const f = tensor(`${l.name}/weights`, [l.filters, l.kernel, l.kernel, c], params.take('filter', l.filters * fanIn, fanIn));
        const inputs = [x, f];
        if (l.bias) inputs.push(tensor(`${l.name}/biases`, [l.filters], params.take('bias', l.filters, fanIn)));
        const y = tensor(l.name, [n, oh, ow, l.filters]);
        ops.push({ kind: 'conv2d', name: l.name, inputs, outputs: [y], strideH: l.stride, strideW: l.stride, padding: l.padding, activation: 'none' });
        x = tail(l, y, l.filters);
        break;
      }
      case 'depthwise': {
        const [n, h, w, c] = need4d(l);
        const [oh, ow] = spatial(l, h, w, l.kernel, l.stride, l.padding);
        const oc = c * l.depthMultiplier;
        const fanIn = l.kernel * l.kernel;
        const f = tensor(`${l.name}/depthwise_weights`, [1, l.kernel, l.kernel, oc], params.take('filter', fanIn * oc, fanIn));
        const inputs = [x, f];
        if (l.bias) inputs.push(tensor(`${l.name}/biases`, [oc], params.take('bias', oc, fanIn)));
        const y = tensor(l.name, [n, oh, ow, oc]);
        ops.push({
          kind: 'depthwise_conv2d', name: l.name, inputs, outputs: [y], strideH: l.stride, strideW: l.stride,
          padding: l.padding, activation: 'none', depthMultiplier: l.depthMultiplier,
        });
        x = tail(l, y, oc);
        break;
      }
      case 'pool': {
        const [n, h, w, c] = need4d(l);
        const [kh, kw] = l.size === 'global' ? [h, w] : [l.size, l.size];
        const padding = l.size === 'global' ? 'valid' : l.padding;
        const oh = outputExtent(h, kh, l.stride, padding);
        const ow = outputExtent(w, kw, l.stride, padding);
        if (oh < 1 || ow < 1) fail(l, `window ${kh}x${kw} does not fit the ${h}x${w} input with padding "${padding}"`);
        const y = tensor(l.name, [n, oh, ow, c]);
        ops.push({
          kind: l.kind, name: l.name, inputs: [x], outputs: [y], filterH: kh, filterW: kw,
          strideH: l.stride, strideW: l.stride, padding, activation: l.activation,
        });
        x = y;
        break;
      }
      case 'fc': {
        const s = shapeOf(x);
        const batch = s[0]!;
        const inputs = elementCount(s) / batch;
        const wt = tensor(`${l.name}/weights`, [l.units, inputs], params.take('filter', l.units * inputs, inputs));
        const ins = [x, wt];
        if (l.bias) ins.push(tensor(`${l.name}/biases`, [l.units], params.take('bias', l.units, inputs)));
        let y = tensor(l.name, [batch, l.units]);
        ops.push({ kind: 'fully_connected', name: l.name, inputs: ins, outputs: [y], activation: 'none' });
        if (l.activation !== 'none') y = tail({ ...l, batchNorm: false }, y, l.units);
        x = y;
        break;
      }
      case 'softmax': {
        const y = tensor(l.name, shapeOf(x));
        ops.push({ kind: 'softmax', name: l.name, inputs: [x], outputs: [y], beta: l.beta });
        x = y;
        break;
      }
      case 'reshape': {
        const from = elementCount(shapeOf(x));
        const to = elementCount(l.shape);
        if (from !== to) {
          fail(l, `shape [${l.shape.join(', ')}] has ${to} elements, the input [${shapeOf(x).join(', ')}] has ${from}`);
        }
        const y = tensor(l.name, l.shape);
        ops.push({ kind: 'reshape', name: l.name, inputs: [x], outputs: [y] });
        x = y;
        break;
      }
    }
  }
  if (x === 0) throw badInput(`${file}: /layers: the model has no layers`);
  return { name: graphName, tensors, ops, inputs: [0], outputs: [x] };
}
