/**
 * Builds small ONNX models in tests, with protobufjs and the frontend's
 * onnx.proto descriptor (src/frontends/onnx/proto.ts); ONNX Runtime parses
 * the bytes with its own copy of onnx.proto, so every cross-check also checks
 * the descriptor's field numbers. Attributes are typed explicitly (an ONNX
 * float 0 and int 0 differ on the wire): attr.i(1), attr.f(0.2), attr.ints([1, 1]),
 * attr.s('SAME_UPPER'), attr.t(tensor).
 */
import { AttrType, OnnxDataType, onnxRoot } from '../../src/frontends/onnx/proto.js';
import { Prng } from '../../src/util/prng.js';

type AttrValue =
  | { type: typeof AttrType.INT; i: number }
  | { type: typeof AttrType.FLOAT; f: number }
  | { type: typeof AttrType.INTS; ints: number[] }
  | { type: typeof AttrType.FLOATS; floats: number[] }
  | { type: typeof AttrType.STRING; s: Uint8Array }
  | { type: typeof AttrType.TENSOR; t: object };

export const attr = {
  i: (i: number): AttrValue => ({ type: AttrType.INT, i }),
  f: (f: number): AttrValue => ({ type: AttrType.FLOAT, f }),
  ints: (ints: number[]): AttrValue => ({ type: AttrType.INTS, ints }),
  floats: (floats: number[]): AttrValue => ({ type: AttrType.FLOATS, floats }),
  s: (s: string): AttrValue => ({ type: AttrType.STRING, s: new TextEncoder().encode(s) }),
  t: (name: string, dims: number[], data: Float32Array | number[], type: 'float' | 'int64' = 'float'): AttrValue => ({
    type: AttrType.TENSOR,
    t: tensorProto(name, dims, data, type),
  }),
};

function tensorProto(name: string, dims: number[], data: Float32Array | number[], type: 'float' | 'int64', raw = true): object {
  if (type === 'int64') return { name, dims, dataType: OnnxDataType.INT64, int64Data: [...data] };
  const f = Float32Array.from(data);
  return raw
    ? { name, dims, dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) }
    : { name, dims, dataType: OnnxDataType.FLOAT, floatData: [...f] };
}

const valueInfo = (name: string, shape: (number | string)[]) => ({
  name,
  type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});

export class OnnxBuilder {
  private readonly nodes: object[] = [];
  private readonly inits: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private count = 0;
  readonly rng: Prng;

  constructor(seed = 1) {
    this.rng = new Prng(seed);
  }

  input(name: string, shape: (number | string)[]): string {
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  output(name: string, shape: (number | string)[] = []): void {
    this.outputs.push(shape.length ? valueInfo(name, shape) : { name });
  }

  /** A FLOAT initializer (raw_data, or float_data when `raw` is false). */
  init(name: string, dims: number[], data: Float32Array | number[], raw = true): string {
    this.inits.push(tensorProto(name, dims, data, 'float', raw));
    return name;
  }

  /** A FLOAT initializer whose data lives in another file (`location`, at `offset`): the caller writes that file. */
  external(name: string, dims: number[], location: string, offset: number, length: number): string {
    this.inits.push({
      name,
      dims,
      dataType: OnnxDataType.FLOAT,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    });
    return name;
  }

  int64(name: string, dims: number[], data: number[]): string {
    this.inits.push(tensorProto(name, dims, data, 'int64'));
    return name;
  }

  /** Random weights uniform in [lo, hi). */
  random(name: string, dims: number[], lo = -0.5, hi = 0.5): string {
    const n = dims.reduce((a, b) => a * b, 1);
    return this.init(
      name,
      dims,
      Float32Array.from({ length: n }, () => this.rng.uniform(lo, hi)),
    );
  }

  /** Adds a node; returns its first output's name (fresh names when `outputs` is a count). */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: string[] | number = 1, name?: string): string {
    const k = this.count++;
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => `${opType.toLowerCase()}_${k}${i ? `_${i}` : ''}`) : outputs;
    this.nodes.push({
      name: name ?? `${opType.toLowerCase()}_${k}`,
      opType,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([n, v]) => ({ name: n, ...v })),
    });
    return outs[0]!;
  }

  /** Conv (+ BatchNormalization with random statistics when `bn`). */
  conv(
    x: string,
    cin: number,
    cout: number,
    k: number,
    opts: { stride?: number; pads?: number[]; autoPad?: string; group?: number; bias?: boolean; bn?: boolean } = {},
  ): string {
    const group = opts.group ?? 1;
    const w = this.random(`w${this.count}`, [cout, cin / group, k, k]);
    const ins = [x, w];
    if (opts.bias ?? !opts.bn) ins.push(this.random(`b${this.count}`, [cout]));
    const attrs: Record<string, AttrValue> = { kernel_shape: attr.ints([k, k]), strides: attr.ints([opts.stride ?? 1, opts.stride ?? 1]) };
    if (group !== 1) attrs.group = attr.i(group);
    if (opts.autoPad) attrs.auto_pad = attr.s(opts.autoPad);
    else attrs.pads = attr.ints(opts.pads ?? [0, 0, 0, 0]);
    const y = this.node('Conv', ins, attrs);
    return opts.bn ? this.bn(y, cout) : y;
  }

  /** BatchNormalization with random scale, shift, mean and (positive) variance. */
  bn(x: string, c: number): string {
    const k = this.count;
    const scale = this.random(`bn_scale${k}`, [c], 0.5, 1.5);
    const bias = this.random(`bn_bias${k}`, [c], -0.2, 0.2);
    const mean = this.random(`bn_mean${k}`, [c], -0.2, 0.2);
    const variance = this.random(`bn_var${k}`, [c], 0.5, 1.5);
    return this.node('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: attr.f(1e-5) });
  }

  /** Clip(0, 6) with min and max as constant inputs (opset ≥ 11). */
  relu6(x: string): string {
    const k = this.count;
    return this.node('Clip', [x, this.init(`clip_min${k}`, [], [0]), this.init(`clip_max${k}`, [], [6])]);
  }

  build(opset = 13): Uint8Array {
    const root = onnxRoot();
    const Model = root.lookupType('onnx.ModelProto');
    const msg = Model.fromObject({
      irVersion: 8,
      producerName: 'mobilec-test',
      opsetImport: [{ domain: '', version: opset }],
      graph: { name: 'g', node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return Model.encode(msg).finish();
  }
}

/** NCHW → NHWC of a rank-4 tensor's data. */
export function toNhwc(data: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n!; b++)
    for (let ch = 0; ch < c!; ch++)
      for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) out[((b * h! + y) * w! + x) * c! + ch] = data[((b * c! + ch) * h! + y) * w! + x]!;
  return out;
}

/** NHWC → NCHW of a rank-4 tensor's data (`shape` is the NCHW shape). */
export function toNchw(data: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n!; b++)
    for (let ch = 0; ch < c!; ch++)
      for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) out[((b * c! + ch) * h! + y) * w! + x] = data[((b * h! + y) * w! + x) * c! + ch]!;
  return out;
}
