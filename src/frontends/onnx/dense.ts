/**
 * Gemm and MatMul by constant weights (+ the Add of a constant bias after a MatMul) → fully_connected,
 * with the weights in the IR's [O, K] layout (columns permuted when the input is an NCHW tensor
 * flattened in NHWC order: shapes.ts).
 */
import type { Ctx } from './context.js';
import { weightAxis } from './spatial.js';
import { readTensor } from './tensors.js';
import { fmt, type Act, type Const, type NodeRef } from './values.js';

/** A fully connected op from weights [O, K] (already in the IR's layout) and a bias of O values. */
export function fc(
  cx: Ctx,
  r: NodeRef,
  x: Act,
  o: number,
  w: Float32Array,
  wName: string,
  bias: Float32Array | undefined,
  bName: string,
  outName?: string,
): void {
  const k = x.shape[1]!;
  cx.tally.check(`'${wName}'`, o * k, 4);
  const chw = cx.flattenedNchw.get(x.id);
  if (chw !== undefined) {
    // Column c·H·W + p of the ONNX weights reads what the IR's flattened NHWC holds at p·C + c.
    const [c, h, ww] = chw;
    const hw = h * ww;
    const src = Float32Array.from(w);
    for (let i = 0; i < o; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < hw; p++) w[i * k + p * c + ch] = src[i * k + ch * hw + p]!;
  }
  const wid = cx.newConst(wName, [o, k], w);
  const inputs = [x.id, wid];
  if (bias) inputs.push(cx.newConst(bName, [o], bias));
  const y = cx.newAct(outName ?? r.node.output[0] ?? '', [x.shape[0]!, o]);
  if (outName !== undefined) cx.values.set(outName, y);
  else cx.define(r, y);
  cx.push({ kind: 'fully_connected', name: cx.opName(r), inputs, outputs: [y.id], activation: 'none' });
}

export function gemm(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['alpha', 'beta', 'transA', 'transB']);
  if (a.int('transA', 0) !== 0) throw cx.nodeErr(r, 'transA 1 is not supported');
  const x = cx.act(r, 0, 2);
  const b = cx.floats(r, 1, 'B');
  if (b.shape.length !== 2) throw cx.nodeErr(r, `B has shape ${fmt(b.shape)}, expected rank 2`);
  const transB = a.int('transB', 0) === 1;
  const [o, k] = transB ? [b.shape[0]!, b.shape[1]!] : [b.shape[1]!, b.shape[0]!];
  if (k !== x.shape[1]) throw cx.nodeErr(r, `B ${fmt(b.shape)} (transB ${transB ? 1 : 0}) does not multiply an input of shape ${fmt(x.shape)}`);
  const alpha = a.float('alpha', 1);
  const beta = a.float('beta', 1);
  weightAxis(cx, r, b.name, transB ? 0 : 1, `axis ${transB ? 0 : 1} (the outputs, transB ${transB ? 1 : 0})`);
  if (alpha !== 1 && cx.dqConsts.has(b.name)) throw cx.nodeErr(r, `alpha ${alpha} with quantized weights is not supported; supported: 1`);
  const cName = r.node.input[2] ?? '';
  if (cx.dqConsts.has(cName)) {
    if (beta !== 1) throw cx.nodeErr(r, `beta ${beta} with a quantized C is not supported; supported: 1`);
    if (cx.dqConsts.get(cName)!.ints.length !== o) throw cx.nodeErr(r, `a quantized C must hold one value per output (${o})`);
  }
  const w = new Float32Array(o * k);
  for (let i = 0; i < o; i++) for (let j = 0; j < k; j++) w[i * k + j] = alpha * b.floats[transB ? i * k + j : j * o + i]!;
  let bias: Float32Array | undefined;
  let bName = '';
  if (cx.has(r, 2)) {
    const c = cx.floats(r, 2, 'C');
    const n = c.floats.length;
    const dims = c.shape.filter((d) => d !== 1);
    if (!(n === 1 || (n === o && dims.length === 1 && c.shape[c.shape.length - 1] === o)))
      throw cx.nodeErr(r, `C of shape ${fmt(c.shape)} is not supported; supported: a scalar or [${o}]`);
    bias = new Float32Array(o);
    for (let i = 0; i < o; i++) bias[i] = beta * c.floats[n === 1 ? 0 : i]!;
    bName = c.name;
  }
  fc(cx, r, x, o, w, b.name, bias, bName);
}

/** MatMul by constant weights, with the Add of a constant bias that follows it (its only reader) folded in. */
export function matmul(cx: Ctx, r: NodeRef): void {
  cx.attrs(r, []);
  const x = cx.act(r, 0, 2);
  const b = cx.floats(r, 1, 'B');
  if (b.shape.length !== 2 || b.shape[0] !== x.shape[1]) throw cx.nodeErr(r, `B of shape ${fmt(b.shape)} does not multiply an input of shape ${fmt(x.shape)}`);
  const [k, o] = b.shape as [number, number];
  weightAxis(cx, r, b.name, 1, 'axis 1 (the outputs)');
  const w = new Float32Array(o * k);
  for (let i = 0; i < o; i++) for (let j = 0; j < k; j++) w[i * k + j] = b.floats[j * o + i]!;
  const out = r.node.output[0] ?? '';
  if ((cx.uses.get(out) ?? 0) === 1) {
    const next = cx.g.node.findIndex((n, i) => i > r.index && n.opType === 'Add' && n.input.includes(out));
    const add = cx.g.node[next];
    if (add && add.input.length === 2 && add.attribute.length === 0 && (add.domain === '' || add.domain === 'ai.onnx')) {
      const other = add.input[0] === out ? add.input[1]! : add.input[0]!;
      earlyDequantize(cx, other, r.index);
      const init = cx.initializers.get(other);
      const c = cx.values.get(other) ?? (init ? readTensor(cx, init, `initializer '${other}'`) : undefined);
      // A bias of higher rank than the product ([1, 1, O]) broadcasts the sum to that rank: not folded (the Add refuses it).
      const shapeOk = c?.kind === 'const' && c.floats !== undefined && c.floats.length === o && c.shape[c.shape.length - 1] === o && c.shape.length <= 2;
      if (shapeOk && add.output[0]) {
        cx.absorbed.add(next);
        fc(cx, r, x, o, w, b.name, Float32Array.from((c as Const).floats!), (c as Const).name, add.output[0]);
        return;
      }
    }
  }
  fc(cx, r, x, o, w, b.name, undefined, '');
}

/** A bias read through a DequantizeLinear of initializers that comes later in the node list: converted now. */
export function earlyDequantize(cx: Ctx, name: string, after: number): void {
  if (cx.values.has(name)) return;
  const k = cx.g.node.findIndex((n, i) => i > after && n.output[0] === name);
  const n = cx.g.node[k];
  if (n?.opType !== 'DequantizeLinear' || (n.domain !== '' && n.domain !== 'ai.onnx') || cx.absorbed.has(k)) return;
  if (!n.input.every((i) => i === '' || cx.initializers.has(i))) return;
  cx.absorbed.add(k);
  cx.convert({ node: n, index: k });
}
