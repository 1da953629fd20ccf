/**
 * QDQ at import: QuantizeLinear and DequantizeLinear record quantization facts on the float graph
 * (activations' parameters, constants' integers), and QLinearConv / QLinearMatMul are read as
 * DequantizeLinear → Conv / MatMul → QuantizeLinear; lower.ts lowers the whole at the end of the import.
 */
import type { Ctx } from './context.js';
import { matmul } from './dense.js';
import { OnnxDataType, dataTypeName } from './proto.js';
import { conv } from './spatial.js';
import { Q_DTYPES, fmt, product, sameQ, type Act, type Const, type NodeRef, type QParams } from './values.js';

/**
 * A QuantizeLinear's or DequantizeLinear's scale (input 1) and zero point (input 2): constants, per tensor or
 * along `axis` (length `n`). The zero point's type is the integer type (absent: `def`).
 */
export function qdqParams(cx: Ctx, r: NodeRef, def: number, axisLen: number | undefined, k = 1) {
  const sv = cx.value(r, k);
  if (sv.kind !== 'const' || sv.floats === undefined) throw cx.nodeErr(r, `the scale (input ${k}) must be a FLOAT constant`);
  const scale = [...sv.floats];
  if (scale.length === 0) throw cx.nodeErr(r, `the scale (input ${k}) is empty`);
  if (scale.length !== 1 && (axisLen === undefined || scale.length !== axisLen || sv.shape.length !== 1))
    throw cx.nodeErr(
      r,
      axisLen === undefined
        ? `the scale has shape ${fmt(sv.shape)}; supported: a scalar (per tensor) for a computed tensor`
        : `the scale has shape ${fmt(sv.shape)}; supported: a scalar or [${axisLen}] (the axis)`,
    );
  scale.forEach((s) => {
    if (!(s > 0) || !Number.isFinite(s)) throw cx.nodeErr(r, `scale ${s} must be positive and finite`);
  });
  let type = def;
  let zp = scale.map(() => 0);
  if (cx.has(r, k + 1)) {
    const zv = cx.value(r, k + 1);
    if (zv.kind !== 'const' || zv.ints === undefined || zv.type === undefined)
      throw cx.nodeErr(r, `the zero point (input ${k + 1}) must be an integer constant`);
    if (Q_DTYPES[zv.type] === undefined) throw cx.nodeErr(r, `the zero point has type ${dataTypeName(zv.type)}; supported: INT8, UINT8 (INT32 for a bias)`);
    if (zv.ints.length !== scale.length) throw cx.nodeErr(r, `the zero point has shape ${fmt(zv.shape)}, the scale ${fmt(sv.shape)}`);
    type = zv.type;
    zp = [...zv.ints];
  }
  const dtype = Q_DTYPES[type];
  if (dtype === undefined) throw cx.nodeErr(r, `type ${dataTypeName(type)} is not supported; supported: INT8, UINT8 (INT32 for a bias)`);
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : dtype === 'uint8' ? [0, 255] : [0, 0];
  zp.forEach((z) => {
    if (!(z >= lo && z <= hi))
      throw cx.nodeErr(r, `zero point ${z} is outside [${lo}, ${hi}] for ${dtype}${dtype === 'int32' ? ' (an INT32 zero point must be 0)' : ''}`);
  });
  return { scale: scale.map((v) => Math.fround(v)), zp, dtype, type };
}

/** The axis attribute of a QuantizeLinear / DequantizeLinear on a value of rank `rank`. */
export function qdqAxis(cx: Ctx, r: NodeRef, rank: number): number {
  const a = cx.attrs(r, r.node.opType === 'QuantizeLinear' ? ['axis', 'saturate'] : ['axis']);
  const axis = a.int('axis', 1);
  const norm = axis < 0 ? axis + rank : axis;
  return norm;
}

/**
 * QuantizeLinear: of a float value computed by one op and read by nothing else, that op's output becomes the
 * quantized tensor (lowerQdq gives the op its quantized form); otherwise (a graph input, a value read elsewhere
 * too) a quantize op. Of a DequantizeLinear's view: a requantization (a quantize op), or the same tensor when
 * the parameters agree. Of a float constant: folded (a quantized constant for a DequantizeLinear to read).
 */
export function quantizeLinear(cx: Ctx, r: NodeRef): void {
  const x = cx.value(r, 0);
  const axis = qdqAxis(cx, r, x.shape.length);
  if (x.kind === 'const') {
    if (x.floats === undefined) throw cx.nodeErr(r, `input 0 ('${x.name}') must be FLOAT`);
    const p = qdqParams(cx, r, OnnxDataType.UINT8, x.shape[axis]);
    if (p.dtype === 'int32') throw cx.nodeErr(r, 'the output type INT32 is not supported; supported: INT8, UINT8');
    const [lo, hi] = p.dtype === 'int8' ? [-128, 127] : [0, 255];
    const inner = p.scale.length === 1 ? 1 : product(x.shape.slice(axis + 1));
    const n = p.scale.length;
    const ints = [...x.floats].map((f, i) => {
      const c = n === 1 ? 0 : Math.floor(i / inner) % n;
      const v = Math.fround(f / p.scale[c]!);
      const fl = Math.floor(v);
      const rounded = v - fl === 0.5 ? (fl % 2 === 0 ? fl : fl + 1) : Math.round(v); // half to even, as ONNX
      return Math.min(hi, Math.max(lo, rounded + p.zp[c]!));
    });
    cx.define(r, { kind: 'const', name: r.node.output[0] ?? '', shape: x.shape, ints, type: p.type });
    return;
  }
  const p = qdqParams(cx, r, OnnxDataType.UINT8, undefined);
  if (p.dtype === 'int32') throw cx.nodeErr(r, 'the output type INT32 is not supported; supported: INT8, UINT8');
  const q: QParams = { dtype: p.dtype, scale: p.scale[0]!, zp: p.zp[0]! };
  const src = cx.actQuant.get(x.id);
  if (src !== undefined && !x.dq) throw cx.nodeErr(r, `input 0 ('${r.node.input[0]}') is already quantized`);
  if (src !== undefined && sameQ(src, q)) {
    cx.define(r, { kind: 'act', id: x.id, shape: x.shape });
    return;
  }
  const readers = [...cx.values].filter(([, v]) => v.kind === 'act' && v.id === x.id).reduce((n, [name]) => n + (cx.uses.get(name) ?? 0), 0);
  if (src === undefined && cx.producer.has(x.id) && readers === 1 && !cx.g.output.some((o) => cx.values.get(o.name) === x)) {
    cx.actQuant.set(x.id, q);
    cx.define(r, { kind: 'act', id: x.id, shape: x.shape });
    return;
  }
  const y = cx.out(r, x.shape);
  cx.actQuant.set(y.id, q);
  cx.push({ kind: 'quantize', name: cx.opName(r), inputs: [x.id], outputs: [y.id] });
}

/**
 * DequantizeLinear: of a QuantizeLinear's output, a float view of the same quantized tensor (its parameters
 * must be the QuantizeLinear's); of an integer constant, the dequantized constant, its integers and
 * parameters kept for lowerQdq (weights per tensor or per channel, int32 biases).
 */
export function dequantizeLinear(cx: Ctx, r: NodeRef): void {
  const x = cx.value(r, 0);
  const axis = qdqAxis(cx, r, x.shape.length);
  if (x.kind === 'const') {
    if (x.ints === undefined || x.type === undefined || Q_DTYPES[x.type] === undefined)
      throw cx.nodeErr(r, `input 0 ('${x.name}') must be an INT8, UINT8 or INT32 constant`);
    const name = r.node.output[0] ?? '';
    cx.define(r, dqConst(cx, r, x, axis, 1, name));
    return;
  }
  const src = cx.actQuant.get(x.id);
  if (src === undefined || x.dq)
    throw cx.nodeErr(r, `input 0 ('${r.node.input[0]}') is not a QuantizeLinear's output; supported: QuantizeLinear → DequantizeLinear`);
  const p = qdqParams(cx, r, OnnxDataType.UINT8, undefined);
  const q = { dtype: p.dtype, scale: p.scale[0]!, zp: p.zp[0]! };
  if (!sameQ(q as QParams, src))
    throw cx.nodeErr(
      r,
      `scale ${q.scale} and zero point ${q.zp} (${q.dtype}) differ from its QuantizeLinear's ${src.scale} and ${src.zp} (${src.dtype}); supported: the same`,
    );
  cx.define(r, { kind: 'act', id: x.id, shape: x.shape, dq: true });
}

/** An integer constant dequantized with the scale and zero point at inputs k, k + 1 (per tensor or along `axis`); its integers kept. */
export function dqConst(cx: Ctx, r: NodeRef, x: Const, axis: number, k: number, name: string): Const {
  if (x.ints === undefined || x.type === undefined || Q_DTYPES[x.type] === undefined)
    throw cx.nodeErr(r, `'${x.name}' must be an INT8, UINT8 or INT32 constant`);
  const p = qdqParams(cx, r, x.type, x.shape[axis], k); // per axis only where the axis exists
  if (p.type !== x.type) throw cx.nodeErr(r, `the zero point's type ${dataTypeName(p.type)} differs from '${x.name}''s ${dataTypeName(x.type)}`);
  const n = p.scale.length;
  const inner = n === 1 ? 1 : product(x.shape.slice(axis + 1));
  const floats = Float32Array.from(x.ints, (q, i) => {
    const c = n === 1 ? 0 : Math.floor(i / inner) % n;
    return Math.fround((q - p.zp[c]!) * p.scale[c]!);
  });
  cx.dqConsts.set(name, { dtype: p.dtype, scale: p.scale, zp: p.zp, axis: n === 1 ? 0 : axis, ints: x.ints });
  return { kind: 'const', name, shape: x.shape, floats };
}

/**
 * QLinearConv / QLinearMatMul: read as DequantizeLinear (input, weights, the int32 bias at x_scale × w_scale)
 * → Conv / MatMul → QuantizeLinear, so the same lowering takes them. The input must be a QuantizeLinear's
 * (or another QLinear op's) output with the parameters the node gives it.
 */
export function qlinear(cx: Ctx, r: NodeRef, as: 'Conv' | 'MatMul'): void {
  const out = r.node.output[0] ?? '';
  const x = cx.value(r, 0);
  const xq = x.kind === 'act' && !x.dq ? cx.actQuant.get(x.id) : undefined;
  if (x.kind !== 'act' || xq === undefined)
    throw cx.nodeErr(r, `input 0 ('${r.node.input[0]}') must be a quantized tensor (a QuantizeLinear's or QLinear op's output)`);
  const xp = qdqParams(cx, r, OnnxDataType.UINT8, undefined, 1);
  if (xp.dtype === 'int32' || !sameQ({ dtype: xp.dtype, scale: xp.scale[0]!, zp: xp.zp[0]! }, xq))
    throw cx.nodeErr(r, `x_scale ${xp.scale[0]} and x_zero_point ${xp.zp[0]} differ from input 0's ${xq.scale} and ${xq.zp}; supported: the same`);
  const w = cx.value(r, 3);
  if (w.kind !== 'const') throw cx.nodeErr(r, 'the weights (input 3) must be a constant');
  const wc = dqConst(cx, r, w, as === 'Conv' ? 0 : 1, 4, `${out}::w`);
  const yp = qdqParams(cx, r, OnnxDataType.UINT8, undefined, 6);
  if (yp.dtype === 'int32') throw cx.nodeErr(r, 'the output type INT32 is not supported; supported: INT8, UINT8');
  cx.values.set(`${out}::x`, { ...x, dq: true });
  cx.values.set(`${out}::w`, wc);
  const inputs = [`${out}::x`, `${out}::w`];
  if (as === 'Conv' && cx.has(r, 8)) {
    const b = cx.value(r, 8);
    if (b.kind !== 'const' || b.ints === undefined || b.type !== OnnxDataType.INT32) throw cx.nodeErr(r, 'the bias (input 8) must be an INT32 constant');
    const ws = cx.dqConsts.get(`${out}::w`)!.scale;
    const o = w.shape[0] ?? 0;
    if (b.ints.length !== o) throw cx.nodeErr(r, `the bias has shape ${fmt(b.shape)}, expected [${o}]`);
    const scale = Array.from({ length: o }, (_, c) => Math.fround(xq.scale * ws[ws.length === 1 ? 0 : c]!));
    cx.dqConsts.set(`${out}::b`, { dtype: 'int32', scale, zp: scale.map(() => 0), axis: 0, ints: b.ints });
    const floats = Float32Array.from(b.ints, (v, c) => Math.fround(v * scale[c]!));
    cx.values.set(`${out}::b`, { kind: 'const', name: `${out}::b`, shape: b.shape, floats });
    inputs.push(`${out}::b`);
  }
  const node = { ...r.node, opType: as, input: inputs, output: [`${out}::y`], attribute: as === 'Conv' ? r.node.attribute : [] };
  if (as === 'Conv') conv(cx, { node, index: r.index });
  else {
    cx.attrs(r, []);
    matmul(cx, { node, index: r.index });
  }
  const y = cx.values.get(`${out}::y`) as Act;
  cx.actQuant.set(y.id, { dtype: yp.dtype, scale: yp.scale[0]!, zp: yp.zp[0]! });
  cx.define(r, { kind: 'act', id: y.id, shape: y.shape });
}
