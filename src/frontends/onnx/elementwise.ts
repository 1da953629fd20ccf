/**
 * Elementwise and per-channel ops: Relu, Clip, HardSigmoid (→ mul, add with relu6, mul; or with the Mul
 * after it PyTorch's Hardswish → hard_swish), HardSwish, Sigmoid, Add and Mul, Softmax (over the
 * channels); Identity and Dropout vanish.
 */
import type { Activation } from '../../model/ir.js';
import type { Ctx } from './context.js';
import { broadcastPlan } from '../../ops/shared/broadcast.js';
import { fmt, irShape, product, type Act, type Const, type NodeRef } from './values.js';

export function relu(cx: Ctx, r: NodeRef): void {
  cx.attrs(r, []);
  activation(cx, r, 'relu');
}

/** HardSwish → hard_swish, Sigmoid → logistic. */
export function unary(cx: Ctx, r: NodeRef): void {
  cx.attrs(r, []);
  const x = cx.act(r, 0);
  const y = cx.out(r, x.shape);
  cx.push(
    r.node.opType === 'HardSwish'
      ? { kind: 'hard_swish', name: cx.opName(r), inputs: [x.id], outputs: [y.id] }
      : { kind: 'logistic', name: cx.opName(r), inputs: [x.id], outputs: [y.id] },
  );
}

/** Identity and Dropout (inference): the output is the input. */
export function identity(cx: Ctx, r: NodeRef): void {
  cx.attrs(r, r.node.opType === 'Dropout' ? ['ratio', 'seed', 'is_test'] : []);
  if (r.node.opType === 'Dropout' && cx.has(r, 2)) {
    const t = cx.value(r, 2);
    if (t.kind !== 'const' || (t.ints ?? [0]).some((b) => b !== 0)) throw cx.nodeErr(r, 'training_mode must be a constant false');
  }
  r.node.output.slice(1).forEach((o) => {
    if (o !== '' && (cx.uses.get(o) ?? 0) > 0) throw cx.nodeErr(r, `output '${o}' (the mask) is read; only output 0 is supported`);
  });
  cx.define(r, cx.value(r, 0));
}

export function activation(cx: Ctx, r: NodeRef, activation: Activation): void {
  const x = cx.act(r, 0);
  const y = cx.out(r, x.shape);
  cx.push({ kind: 'activation', name: cx.opName(r), inputs: [x.id], outputs: [y.id], activation });
}

export function clip(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['min', 'max']);
  // Opset 6's defaults are ±FLT_MAX: as good as infinite.
  const inf = (v: number) => (v <= -3.4e38 ? Number.NEGATIVE_INFINITY : v >= 3.4e38 ? Number.POSITIVE_INFINITY : v);
  const lo = inf(cx.has(r, 1) ? cx.scalar(r, 1, 'min') : a.float('min', Number.NEGATIVE_INFINITY));
  const hi = inf(cx.has(r, 2) ? cx.scalar(r, 2, 'max') : a.float('max', Number.POSITIVE_INFINITY));
  const act: Activation | undefined =
    lo === 0 && hi === 6 ? 'relu6' : lo === 0 && hi === Number.POSITIVE_INFINITY ? 'relu' : lo === -1 && hi === 1 ? 'relu_n1_to_1' : undefined;
  if (lo === Number.NEGATIVE_INFINITY && hi === Number.POSITIVE_INFINITY) {
    cx.define(r, cx.act(r, 0));
    return;
  }
  if (act === undefined) throw cx.nodeErr(r, `range [${lo}, ${hi}] is not supported; supported: [0, 6], [0, inf), [-1, 1]`);
  activation(cx, r, act);
}

/** max(0, min(1, αx + β)) = relu6(6αx + 6β) / 6: mul, add with relu6, mul. */
export function hardSigmoid(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['alpha', 'beta']);
  const alpha = a.float('alpha', 0.2);
  const beta = a.float('beta', 0.5);
  const x = cx.act(r, 0);
  const name = r.node.output[0] ?? '';
  // PyTorch's Hardswish before opset 14: x · HardSigmoid(x; 1/6, 1/2) is one hard_swish.
  if (Math.fround(alpha) === Math.fround(1 / 6) && beta === 0.5 && (cx.uses.get(name) ?? 0) === 1) {
    const next = cx.g.node.findIndex((n, i) => i > r.index && n.input.includes(name));
    const mul = cx.g.node[next];
    const xName = r.node.input[0]!;
    if (
      mul &&
      mul.opType === 'Mul' &&
      (mul.domain === '' || mul.domain === 'ai.onnx') &&
      mul.attribute.length === 0 &&
      mul.input.length === 2 &&
      mul.input.includes(xName) &&
      mul.output.length === 1 &&
      mul.output[0]
    ) {
      cx.absorbed.add(next);
      const y = cx.newAct(mul.output[0], x.shape);
      if (cx.values.has(mul.output[0])) throw cx.nodeErr({ node: mul, index: next }, `output '${mul.output[0]}' is already defined (a duplicate write)`);
      cx.values.set(mul.output[0], y);
      cx.push({ kind: 'hard_swish', name: cx.opName(r), inputs: [x.id], outputs: [y.id] });
      return;
    }
  }
  const k = (v: number, what: string) => cx.newConst(`${name}_${what}`, [1], Float32Array.of(v));
  const t1 = cx.newAct(`${name}_scaled`, x.shape);
  cx.push({ kind: 'mul', name: cx.opName(r, '_mul'), inputs: [x.id, k(6 * alpha, 'alpha6')], outputs: [t1.id], activation: 'none' });
  const t2 = cx.newAct(`${name}_relu6`, x.shape);
  cx.push({ kind: 'add', name: cx.opName(r, '_add'), inputs: [t1.id, k(6 * beta, 'beta6')], outputs: [t2.id], activation: 'relu6' });
  const y = cx.out(r, x.shape);
  cx.push({ kind: 'mul', name: cx.opName(r), inputs: [t2.id, k(1 / 6, 'sixth')], outputs: [y.id], activation: 'none' });
}

export function binary(cx: Ctx, r: NodeRef): void {
  cx.attrs(r, []);
  const kind = r.node.opType === 'Add' ? 'add' : 'mul';
  let a = cx.value(r, 0);
  let b = cx.value(r, 1);
  if (a.kind === 'const' && b.kind === 'const') throw cx.nodeErr(r, 'both inputs are constants; supported: at least one computed tensor');
  if (a.kind === 'const') [a, b] = [b, a]; // commutative: the IR's input 0 is computed
  const x = a as Act;
  let other: number;
  let shape: readonly number[];
  if (b.kind === 'act') {
    if (b.shape.length !== x.shape.length) throw cx.nodeErr(r, `inputs of shapes ${fmt(x.shape)} and ${fmt(b.shape)} differ in rank`);
    // The IR broadcasts one operand that is a scalar or a suffix of the other's (NHWC) shape: [1, C, 1, 1] (per
    // channel) against [1, C, H, W], either way round; others ([1, 1, H, W], both broadcast) are refused here.
    const plan = b.shape.every((d, k) => d === x.shape[k] || d === 1 || x.shape[k] === 1) ? broadcastPlan(irShape(x.shape), irShape(b.shape)) : 'no';
    if (typeof plan === 'string')
      throw cx.nodeErr(
        r,
        `inputs of shapes ${fmt(x.shape)} and ${fmt(b.shape)} are not supported; supported: equal shapes, or one a scalar or one value per channel (${x.shape.length === 4 ? '[1, C, 1, 1]' : 'the last axis'})`,
      );
    other = b.id;
    shape = x.shape.map((d, k) => Math.max(d, b.shape[k]!));
  } else {
    other = constOperand(cx, r, x, b);
    shape = x.shape;
  }
  const y = cx.out(r, shape);
  cx.push({ kind, name: cx.opName(r), inputs: [x.id, other], outputs: [y.id], activation: 'none' });
}

export function softmax(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['axis']);
  const x = cx.act(r, 0);
  const rank = x.shape.length;
  let axis = a.int('axis', cx.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += rank;
  // The IR's softmax runs along its last axis: NCHW's channels (axis 1) for rank 4, the last axis otherwise.
  // Before opset 13 the axis flattens every axis after it into one: the same when those are the last (or 1s).
  const irLast = rank === 4 ? 1 : rank - 1;
  const ok = cx.opset >= 13 ? axis === irLast : axis === irLast && product(x.shape.slice(axis + 1)) === 1 && (rank !== 4 || product(x.shape.slice(2)) === 1);
  if (!ok) throw cx.nodeErr(r, `axis ${axis} on shape ${fmt(x.shape)} is not supported; supported: the channels`);
  const y = cx.out(r, x.shape);
  cx.push({ kind: 'softmax', name: cx.opName(r), inputs: [x.id], outputs: [y.id], beta: 1 });
}

/** The IR constant for a constant operand of add / mul: a scalar or one value per channel (the last axis below rank 4). */
function constOperand(cx: Ctx, r: NodeRef, x: Act, c: Const): number {
  if (c.floats === undefined) throw cx.nodeErr(r, `constant '${c.name}' must be FLOAT`);
  const dims = [...c.shape];
  while (dims.length > 0 && dims[0] === 1) dims.shift();
  const n = c.floats.length;
  let irDims: number[];
  if (n === 1) irDims = [1];
  else if (x.shape.length === 4 && dims.length === 3 && dims[0] === x.shape[1] && dims[1] === 1 && dims[2] === 1) irDims = [n];
  else if (x.shape.length !== 4 && c.shape.length <= x.shape.length && dims.every((d, k) => d === x.shape[x.shape.length - dims.length + k])) irDims = dims;
  else
    throw cx.nodeErr(
      r,
      `constant '${c.name}' of shape ${fmt(c.shape)} is not supported with input ${fmt(x.shape)}; supported: a scalar or one value per channel`,
    );
  if (c.shape.length > x.shape.length) throw cx.nodeErr(r, `constant '${c.name}' of shape ${fmt(c.shape)} has a higher rank than the input ${fmt(x.shape)}`);
  return cx.newConst(c.name, irDims, Float32Array.from(c.floats));
}

/** Div of a computed tensor by a constant: a mul by the reciprocal (x · fround(1 / c) is within 2 ulp of x / c). */
export function div(cx: Ctx, r: NodeRef): void {
  cx.attrs(r, []);
  const x = cx.value(r, 0);
  const c = cx.value(r, 1);
  if (x.kind !== 'act' || c.kind !== 'const') throw cx.nodeErr(r, 'supported only as a computed tensor divided by a constant');
  if (c.floats === undefined) throw cx.nodeErr(r, `constant '${c.name}' must be FLOAT`);
  const reciprocal = Float32Array.from(c.floats, (v) => 1 / v);
  if (reciprocal.some((v) => !Number.isFinite(v) || v === 0))
    throw cx.nodeErr(r, `constant '${c.name}' holds a divisor whose reciprocal is not a finite non-zero float32`);
  // Its own name: a divisor read through DequantizeLinear must not lend the mul its integers (lower.ts reads them by name).
  const other = constOperand(cx, r, x, { ...c, name: `${c.name}_reciprocal`, floats: reciprocal });
  const y = cx.out(r, x.shape);
  cx.push({ kind: 'mul', name: cx.opName(r), inputs: [x.id, other], outputs: [y.id], activation: 'none' });
}
