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

export type QType = 'int8' | 'uint8';

/** An activation's quantization: real = scale · (q − zp). */
export interface QParams {
  readonly scale: number;
  readonly zp: number;
  readonly type: QType;
}

/** Asymmetric parameters covering [min, max] (widened to include 0), as a calibration would choose. */
export function rangeParams(min: number, max: number, type: QType = 'int8'): QParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = Math.fround((hi - lo) / 255 || 1);
  const base = type === 'int8' ? -128 : 0;
  const zp = Math.max(base, Math.min(base + 255, Math.round(base - lo / scale)));
  return { scale, zp, type };
}

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

  /** An INT8, UINT8 or INT32 initializer (raw_data). */
  ints(name: string, dims: number[], data: readonly number[], type: QType | 'int32'): string {
    const bytes =
      type === 'int8' ? new Uint8Array(Int8Array.from(data).buffer) : type === 'uint8' ? Uint8Array.from(data) : new Uint8Array(Int32Array.from(data).buffer);
    const dataType = type === 'int8' ? OnnxDataType.INT8 : type === 'uint8' ? OnnxDataType.UINT8 : OnnxDataType.INT32;
    this.inits.push({ name, dims, dataType, rawData: bytes });
    return name;
  }

  /** A QuantizeLinear with constant scale and zero point (scalars: per tensor). */
  quantize(x: string, q: QParams, name?: string): string {
    const k = this.count;
    return this.node(
      'QuantizeLinear',
      [x, this.init(`${name ?? `q${k}`}_scale`, [], [q.scale]), this.ints(`${name ?? `q${k}`}_zp`, [], [q.zp], q.type)],
      {},
      name ? [name] : 1,
      name,
    );
  }

  /** A DequantizeLinear of a computed tensor. */
  dequantize(x: string, q: QParams, name?: string): string {
    const k = this.count;
    return this.node(
      'DequantizeLinear',
      [x, this.init(`${name ?? `dq${k}`}_scale`, [], [q.scale]), this.ints(`${name ?? `dq${k}`}_zp`, [], [q.zp], q.type)],
      {},
      name ? [name] : 1,
      name,
    );
  }

  /** QuantizeLinear then DequantizeLinear: the float view of `x` quantized with `q`. */
  qdq(x: string, q: QParams): string {
    return this.dequantize(this.quantize(x, q), q);
  }

  /**
   * Weights as onnxruntime's quantize_static stores them: int8 symmetric (zero point 0), per tensor or per
   * channel along `axis` (scale max|w| / 127), read through a DequantizeLinear. Returns its output and the scales.
   */
  qWeights(name: string, dims: number[], w: Float32Array, axis: number | undefined): { name: string; scales: number[] } {
    const channels = axis === undefined ? 1 : dims[axis]!;
    const inner = axis === undefined ? w.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const ch = (i: number) => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
    const max = new Array<number>(channels).fill(0);
    w.forEach((v, i) => {
      max[ch(i)] = Math.max(max[ch(i)]!, Math.abs(v));
    });
    const scales = max.map((m) => Math.fround(m > 0 ? m / 127 : 1));
    const q = Array.from(w, (v, i) => Math.max(-127, Math.min(127, Math.round(v / scales[ch(i)]!))));
    const sDims = axis === undefined ? [] : [channels];
    const out = this.node(
      'DequantizeLinear',
      [
        this.ints(`${name}_q`, dims, q, 'int8'),
        this.init(`${name}_scale`, sDims, scales),
        this.ints(`${name}_zp`, sDims, new Array<number>(channels).fill(0), 'int8'),
      ],
      axis === undefined ? {} : { axis: attr.i(axis) },
      [name],
    );
    return { name: out, scales };
  }

  /** An int32 bias at input scale × weight scale (per channel when the weights are), through a DequantizeLinear. */
  qBias(name: string, b: Float32Array, inScale: number, wScales: readonly number[]): string {
    const scales = Array.from(b, (_, c) => Math.fround(inScale * wScales[wScales.length === 1 ? 0 : c]!));
    const q = Array.from(b, (v, c) => Math.round(v / scales[c]!));
    const per = wScales.length > 1;
    return this.node(
      'DequantizeLinear',
      [
        this.ints(`${name}_q`, [b.length], q, 'int32'),
        this.init(`${name}_scale`, per ? [b.length] : [], per ? scales : [scales[0]!]),
        this.ints(`${name}_zp`, per ? [b.length] : [], per ? new Array<number>(b.length).fill(0) : [0], 'int32'),
      ],
      per ? { axis: attr.i(0) } : {},
      [name],
    );
  }

  /** Uniform random float32 values (not an initializer). */
  values(n: number, lo = -0.5, hi = 0.5): Float32Array {
    return Float32Array.from({ length: n }, () => this.rng.uniform(lo, hi));
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
