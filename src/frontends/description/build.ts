/**
 * Description → float32 IR graph, with batch norm and activations as their own
 * ops (the passes fold and fuse them). Each layer's `op` is one of the
 * registry's description forms (src/ops/<op>/), which infers its shapes; a
 * layer that cannot fit its input is a one-line error naming the layer.
 */
import type { Graph, Op, Tensor, TensorData } from '../../model/ir.js';
import { outputExtent } from '../../model/geometry.js';
import { badInput } from '../../model/errors.js';
import { descriptionForms } from '../../ops/registry.js';
import type { DescriptionContext } from '../../ops/types.js';
import type { ParamSource } from './params.js';
import { BudgetTally, DEFAULT_BUDGET, type Budget } from '../../model/budget.js';
import type { LayerDesc, LayersDesc, MobileNetV1Desc } from './schema.js';

/** Batch-norm epsilon of TF-slim MobileNetV1 (and of every described layer). */
export const BN_EPSILON = 1e-3;

/** A layer of the description (one of the registry's description forms); `at` locates it in the description. */
export interface Layer {
  readonly name: string;
  readonly at: string;
  readonly desc: LayerDesc;
}

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
  const bn = { activation: 'relu6', batchNorm: true, bias: false, padding: 'same' } as const;
  const layer = (name: string, desc: LayerDesc): Layer => ({ name, at: '/', desc });
  const layers: Layer[] = [layer('Conv2d_0', { op: 'conv', filters: depth(32), kernel: 3, stride: 2, ...bn })];
  V1_STRIDES.forEach((stride, i) => {
    layers.push(layer(`Conv2d_${i + 1}_depthwise`, { op: 'depthwise', kernel: 3, stride: stride as 1 | 2, depthMultiplier: dm, ...bn }));
    layers.push(layer(`Conv2d_${i + 1}_pointwise`, { op: 'conv', filters: depth(V1_CHANNELS[i]!), kernel: 1, stride: 1, ...bn }));
  });
  if (d.includeTop ?? true) {
    layers.push(layer('AvgPool_1a', { op: 'avgpool', size: 'global', stride: 1, padding: 'valid', activation: 'none' }));
    layers.push(
      layer('Conv2d_1c_1x1', { op: 'conv', filters: d.classes, kernel: 1, stride: 1, padding: 'same', activation: 'none', batchNorm: false, bias: true }),
    );
    layers.push(layer('Reshape', { op: 'reshape', shape: [1, d.classes] }));
    layers.push(layer('Softmax', { op: 'softmax', beta: 1 }));
  }
  return { input: [1, d.resolution, d.resolution, d.channels ?? 3], layers };
}

export function explicitLayers(d: LayersDesc): Network {
  const layers = d.layers.map((desc, i): Layer => ({ name: desc.name ?? `${desc.op}_${i}`, at: `/layers/${i}`, desc }));
  return { input: [1, d.input.height, d.input.width, d.input.channels], layers };
}

/** Builds the float graph. `file` prefixes errors; `params` supplies every constant in layer order. */
export function buildGraph(net: Network, graphName: string, params: ParamSource, file: string, budget: Budget = DEFAULT_BUDGET): Graph {
  const tensors: Tensor[] = [];
  const ops: Op[] = [];
  const tally = new BudgetTally(budget, `${file}: `);
  // Every size is checked before its array exists: parameters when taken, activations when shaped.
  const take = (name: string, kind: Parameters<ParamSource['take']>[0], count: number, fanIn: number): Float32Array => {
    tally.tensor(name, count, 4, true);
    return params.take(kind, count, fanIn);
  };
  const elements = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);
  const tensor = (name: string, shape: readonly number[], data?: TensorData): number => {
    // Each tensor against the per-tensor limit; the activations' sum counts layer outputs only (a layer's
    // batch norm and activation tensors fold into it).
    if (data === undefined) tally.check(name, elements(shape), 4);
    const id = tensors.length;
    tensors.push(data ? { id, name, shape: [...shape], dtype: 'float32', data } : { id, name, shape: [...shape], dtype: 'float32' });
    return id;
  };
  const fail = (l: Layer, msg: string): never => {
    throw badInput(`${file}: ${l.at === '/' ? `layer ${l.name}` : `${l.at} (${l.name})`}: ${msg}`);
  };

  let x = tensor('input', net.input);
  tally.tensor('input', elements(net.input), 4, false);
  const shapeOf = (id: number) => tensors[id]!.shape;
  // Each layer's output by layer name, for `input` and the binary layers' second operand ("input" is the model input).
  const outputs = new Map<string, number>([['input', x]]);
  const ambiguous = new Set<string>();
  const forms = new Map(descriptionForms().map((f) => [f.op, f]));
  for (const [i, l] of net.layers.entries()) {
    tally.ops(i + 1); // a layer is one op once its batch norm and activation are folded and fused
    const form = forms.get(l.desc.op);
    if (form === undefined) fail(l, `unknown layer op "${l.desc.op}"`);
    const lfail = (msg: string): never => fail(l, msg);
    const ref = (name: string, field: string): number => {
      const id = outputs.get(name);
      if (id === undefined) {
        const known = [...outputs.keys()];
        const shown = known.length > 12 ? [...known.slice(0, 5), '...', ...known.slice(-5)] : known;
        return lfail(`${field}: no earlier layer is named "${name}" (earlier layers: ${shown.join(', ')})`);
      }
      if (ambiguous.has(name)) return lfail(`${field}: more than one earlier layer is named "${name}" (give the layers unique names)`);
      return id;
    };
    if (typeof l.desc.input === 'string') x = ref(l.desc.input, 'input');
    const ctx: DescriptionContext = {
      name: l.name,
      x,
      shapeOf,
      ref,
      fail: lfail,
      need4d() {
        const s = shapeOf(x);
        if (s.length !== 4) lfail(`needs a 4-D NHWC input, got shape [${s.join(', ')}]`);
        return s as [number, number, number, number];
      },
      spatial(h, w, k, stride, padding) {
        const oh = outputExtent(h, k, stride, padding);
        const ow = outputExtent(w, k, stride, padding);
        if (oh < 1 || ow < 1) lfail(`kernel ${k} does not fit the ${h}x${w} input with padding "${padding}"`);
        return [oh, ow];
      },
      tensor,
      param: (kind, count, fanIn) => take(`${l.name}/${kind}`, kind, count, fanIn),
      push: (op) => ops.push(op as Op),
      tail(batchNorm, activation, y, channels) {
        // Batch norm and activation after a conv-like layer, as their own ops (the passes fold and fuse them).
        if (batchNorm) {
          const g = tensor(`${l.name}/BatchNorm/gamma`, [channels], take(`${l.name}/BatchNorm/gamma`, 'gamma', channels, 1));
          const b = tensor(`${l.name}/BatchNorm/beta`, [channels], take(`${l.name}/BatchNorm/beta`, 'beta', channels, 1));
          const m = tensor(`${l.name}/BatchNorm/moving_mean`, [channels], take(`${l.name}/BatchNorm/mean`, 'mean', channels, 1));
          const v = tensor(`${l.name}/BatchNorm/moving_variance`, [channels], take(`${l.name}/BatchNorm/variance`, 'variance', channels, 1));
          const out = tensor(`${l.name}/BatchNorm`, shapeOf(y));
          ops.push({ kind: 'batch_norm', name: `${l.name}/BatchNorm`, inputs: [y, g, b, m, v], outputs: [out], epsilon: BN_EPSILON });
          y = out;
        }
        if (activation !== 'none') {
          const opName = `${l.name}/${activation === 'relu6' ? 'Relu6' : 'Relu'}`;
          const out = tensor(opName, shapeOf(y));
          ops.push({ kind: 'activation', name: opName, inputs: [y], outputs: [out], activation });
          y = out;
        }
        return y;
      },
      setOutput: (id) => {
        x = id;
      },
    };
    form!.build(l.desc as unknown as Record<string, unknown>, ctx);
    tally.tensor(l.name, elements(shapeOf(x)), 4, false);
    if (outputs.has(l.name)) ambiguous.add(l.name);
    outputs.set(l.name, x);
  }
  if (x === 0) throw badInput(`${file}: /layers: the model has no layers`);
  return { name: graphName, tensors, ops, inputs: [0], outputs: [x] };
}
