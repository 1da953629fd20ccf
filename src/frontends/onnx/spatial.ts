/**
 * Windowed ops: Conv (→ conv2d / depthwise_conv2d, filters OIHW → the IR's layouts), BatchNormalization
 * (right after a Conv, folded by the passes), AveragePool / MaxPool, GlobalAveragePool (→ mean); ONNX
 * pads and auto_pad → the IR's SAME / VALID, or an explicit pad op in front.
 */
import { paddingBefore } from '../../model/geometry.js';
import type { Padding } from '../../model/ir.js';
import type { Ctx } from './context.js';
import { fmt, type Act, type Attrs, type NodeRef } from './values.js';

/**
 * The spatial window of a Conv or pool: per axis the ONNX pads and output extent (auto_pad resolved),
 * then the IR's form: 'valid' (no padding), 'same' (TFLite's SAME reads the same pixels: equal output
 * extent and leading pad) or explicit pads for a PAD op in front.
 */
export function window(cx: Ctx, r: NodeRef, a: Attrs, x: Act, k: readonly [number, number], ceil = false) {
  // The IR's windowed ops run one image (their C kernels have no batch loop).
  if (x.shape[0] !== 1) throw cx.nodeErr(r, `input 0 has shape ${fmt(x.shape)}, batch ${x.shape[0]}; supported: batch 1`);
  const strides = a.ints('strides', [1, 1]);
  if (strides.length !== 2 || strides.some((s) => !Number.isSafeInteger(s) || s < 1))
    throw cx.nodeErr(r, `strides ${fmt(strides)} must be two positive integers`);
  const dil = a.ints('dilations', [1, 1]);
  if (dil.some((d) => d !== 1)) throw cx.nodeErr(r, `dilations ${fmt(dil)} are not supported (only 1)`);
  const autoPad = a.string('auto_pad', 'NOTSET');
  const pads = a.ints('pads', [0, 0, 0, 0]);
  if (pads.length !== 4 || pads.some((p) => !Number.isSafeInteger(p) || p < 0)) throw cx.nodeErr(r, `pads ${fmt(pads)} must be four non-negative integers`);
  const axes = [0, 1].map((i) => {
    const n = x.shape[2 + i]!;
    const kk = k[i]!;
    const s = strides[i]!;
    let before: number;
    let after: number;
    let out: number;
    if (autoPad === 'NOTSET') {
      [before, after] = [pads[i]!, pads[i + 2]!];
      const span = n + before + after - kk;
      out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
      if (ceil && out !== Math.floor(span / s) + 1) throw cx.nodeErr(r, 'ceil_mode 1 changes the output size here; supported: ceil_mode 0');
    } else if (autoPad === 'VALID') {
      [before, after] = [0, 0];
      out = Math.floor((n - kk) / s) + 1;
    } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out = Math.ceil(n / s);
      const total = Math.max((out - 1) * s + kk - n, 0);
      before = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      after = total - before;
    } else {
      throw cx.nodeErr(r, `auto_pad ${autoPad} is not supported; supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
    }
    if (!(out >= 1) || kk > n + before + after) throw cx.nodeErr(r, `window ${kk} with pads ${before}, ${after} does not fit the input extent ${n}`);
    const same = out === Math.ceil(n / s) && before === paddingBefore(n, out, kk, s, 'same');
    return { before, after, out, s, same, zero: before === 0 && after === 0 };
  });
  const padding: Padding | 'explicit' = axes.every((v) => v.zero) ? 'valid' : axes.every((v) => v.same) ? 'same' : 'explicit';
  return { padding, axes, strideH: axes[0]!.s, strideW: axes[1]!.s, outH: axes[0]!.out, outW: axes[1]!.out };
}

/** A PAD op (zeros) in front of a windowed op whose pads the IR's SAME cannot express. */
export function padBefore(cx: Ctx, r: NodeRef, x: Act, axes: readonly { before: number; after: number }[]): Act {
  const [h, w] = axes as [{ before: number; after: number }, { before: number; after: number }];
  const shape = [x.shape[0]!, x.shape[1]!, x.shape[2]! + h.before + h.after, x.shape[3]! + w.before + w.after];
  const y = cx.newAct(`${r.node.output[0]}_pad`, shape);
  cx.push({
    kind: 'pad',
    name: cx.opName(r, '_pad'),
    inputs: [x.id],
    outputs: [y.id],
    paddings: [
      [0, 0],
      [h.before, h.after],
      [w.before, w.after],
      [0, 0],
    ],
  });
  return y;
}

export function conv(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const x = cx.act(r, 0, 4);
  const w = cx.floats(r, 1, 'the weights');
  if (w.shape.length !== 4) throw cx.nodeErr(r, `weights have shape ${fmt(w.shape)}; supported: OIHW (2-D convolution)`);
  const [o, ig, kh, kw] = w.shape as [number, number, number, number];
  const c = x.shape[1]!;
  const group = a.int('group', 1);
  const depthwise = group !== 1;
  if (group === 1) {
    if (ig !== c) throw cx.nodeErr(r, `weights ${fmt(w.shape)} read ${ig} channels, the input has ${c}`);
  } else if (group !== c || ig !== 1 || o % c !== 0) {
    throw cx.nodeErr(r, `group ${group} is not supported with weights ${fmt(w.shape)} on ${c} channels; supported: 1, or the input's channels (depthwise)`);
  }
  weightAxis(cx, r, w.name, 0, 'OIHW axis 0 (the output channels)');
  const ks = a.ints('kernel_shape', [kh, kw]);
  if (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw) throw cx.nodeErr(r, `kernel_shape ${fmt(ks)} differs from the weights' ${fmt([kh, kw])}`);
  let bias: number | undefined;
  if (cx.has(r, 2)) {
    const b = cx.floats(r, 2, 'the bias');
    if (b.floats.length !== o) throw cx.nodeErr(r, `bias has shape ${fmt(b.shape)}, expected [${o}]`);
    cx.tally.check(`'${b.name}'`, o, 4);
    bias = cx.newConst(b.name, [o], Float32Array.from(b.floats));
  }
  const win = window(cx, r, a, x, [kh, kw]);
  const input = win.padding === 'explicit' ? padBefore(cx, r, x, win.axes) : x;
  const padding: Padding = win.padding === 'same' ? 'same' : 'valid';
  const src = w.floats;
  const dst = new Float32Array(src.length);
  if (depthwise) {
    // [C·M, 1, KH, KW] → [1, KH, KW, C·M]: ONNX output channel g·M + m is the IR's channel c·M + m.
    for (let oc = 0; oc < o; oc++) for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) dst[(y * kw + xx) * o + oc] = src[(oc * kh + y) * kw + xx]!;
  } else {
    // OIHW → OHWI
    for (let oc = 0; oc < o; oc++)
      for (let i = 0; i < ig; i++)
        for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) dst[((oc * kh + y) * kw + xx) * ig + i] = src[((oc * ig + i) * kh + y) * kw + xx]!;
  }
  const filter = cx.newConst(w.name, depthwise ? [1, kh, kw, o] : [o, kh, kw, ig], dst);
  const y = cx.out(r, [x.shape[0]!, o, win.outH, win.outW]);
  const common = {
    name: cx.opName(r),
    inputs: bias === undefined ? [input.id, filter] : [input.id, filter, bias],
    outputs: [y.id],
    strideH: win.strideH,
    strideW: win.strideW,
    padding,
    activation: 'none' as const,
  };
  cx.push(depthwise ? { kind: 'depthwise_conv2d', ...common, depthMultiplier: o / c } : { kind: 'conv2d', ...common });
}

/** Per-channel quantized weights (through DequantizeLinear) must be quantized along the output axis. */
export function weightAxis(cx: Ctx, r: NodeRef, name: string, axis: number, what: string): void {
  const cq = cx.dqConsts.get(name);
  if (cq && cq.scale.length > 1 && cq.axis !== axis)
    throw cx.nodeErr(r, `weights '${name}' are quantized per channel along axis ${cq.axis}; supported: per tensor, or ${what}`);
}

export function batchNorm(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['epsilon', 'momentum', 'training_mode', 'spatial']);
  if (a.int('training_mode', 0) !== 0) throw cx.nodeErr(r, 'training_mode 1 is not supported (inference only)');
  if (a.int('spatial', 1) !== 1) throw cx.nodeErr(r, 'spatial 0 is not supported');
  const x = cx.act(r, 0, 4);
  const kind = cx.producer.get(x.id);
  if ((kind !== 'conv2d' && kind !== 'depthwise_conv2d') || (cx.uses.get(r.node.input[0]!) ?? 0) !== 1) {
    throw cx.nodeErr(r, 'is supported only right after a Conv whose output nothing else reads (it is folded into the Conv)');
  }
  const c = x.shape[1]!;
  const params = ['scale', 'B', 'mean', 'var'].map((what, k) => {
    const p = cx.floats(r, k + 1, what);
    if (p.floats.length !== c) throw cx.nodeErr(r, `${what} has shape ${fmt(p.shape)}, expected [${c}]`);
    return cx.newConst(p.name, [c], Float32Array.from(p.floats));
  });
  cx.batchNorms.push({ r, x: x.id });
  const epsilon = a.float('epsilon', 1e-5);
  if (!(epsilon >= 0 && Number.isFinite(epsilon))) throw cx.nodeErr(r, `epsilon ${epsilon} must be finite and non-negative`);
  const variance = cx.tensors[params[3]!]!.data as Float32Array;
  variance.forEach((v, k) => {
    if (!(v + epsilon > 0)) throw cx.nodeErr(r, `var[${k}] + epsilon = ${v + epsilon} must be positive`);
  });
  const y = cx.out(r, x.shape);
  cx.push({ kind: 'batch_norm', name: cx.opName(r), inputs: [x.id, ...params], outputs: [y.id], epsilon });
}

export function pool(cx: Ctx, r: NodeRef): void {
  const max = r.node.opType === 'MaxPool';
  const a = cx.attrs(
    r,
    max
      ? ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']
      : ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
  );
  const x = cx.act(r, 0, 4);
  const ks = a.ints('kernel_shape', []);
  if (ks.length !== 2 || ks.some((k) => !Number.isSafeInteger(k) || k < 1)) throw cx.nodeErr(r, `kernel_shape ${fmt(ks)} must be two positive integers`);
  if (a.int('storage_order', 0) !== 0) throw cx.nodeErr(r, 'storage_order 1 is not supported');
  const win = window(cx, r, a, x, [ks[0]!, ks[1]!], a.int('ceil_mode', 0) === 1);
  const countPads = a.int('count_include_pad', 0) === 1;
  let input = x;
  let padding: Padding;
  if (win.padding === 'valid') padding = 'valid';
  else if (!max && countPads) {
    input = padBefore(cx, r, x, win.axes); // the padded zeros count in the average
    padding = 'valid';
  } else if (win.padding === 'same') padding = 'same';
  else
    throw cx.nodeErr(
      r,
      `pads ${fmt(win.axes.map((v) => v.before).concat(win.axes.map((v) => v.after)))} are not supported here; supported: none, or the SAME_UPPER form${max ? '' : ' (or count_include_pad 1)'}`,
    );
  const y = cx.out(r, [x.shape[0]!, x.shape[1]!, win.outH, win.outW]);
  cx.push({
    kind: max ? 'max_pool2d' : 'average_pool2d',
    name: cx.opName(r),
    inputs: [input.id],
    outputs: [y.id],
    filterH: ks[0]!,
    filterW: ks[1]!,
    strideH: win.strideH,
    strideW: win.strideW,
    padding,
    activation: 'none',
  });
}

export function globalAveragePool(cx: Ctx, r: NodeRef): void {
  cx.attrs(r, []);
  const x = cx.act(r, 0, 4);
  const y = cx.out(r, [x.shape[0]!, x.shape[1]!, 1, 1]);
  cx.push({ kind: 'mean', name: cx.opName(r), inputs: [x.id], outputs: [y.id], keepDims: true, axes: [1, 2] });
}
