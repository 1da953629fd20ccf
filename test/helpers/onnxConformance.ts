/**
 * Held-out ONNX operator conformance cases (the kit: the case type and the builders' shorthands; the cases are
 * onnxConformanceFloat.ts and onnxConformanceQdq.ts), in the spirit of ONNX's own node tests
 * (onnx/backend/test/case/node: which attributes and attribute combinations each operator is tested
 * with), written here as tiny models with the test builder. Each case says whether mobilec supports it
 * (the answer must equal ONNX Runtime's) or refuses it (exit 2, one line naming the node and its op
 * type, or the graph input it cannot take), so a regression either way fails.
 */
import { attr, type OnnxBuilder, type QParams } from './onnxBuilder.js';

export interface ConformanceCase {
  readonly name: string;
  /** The input's shape (NCHW, or [N, K]). */
  readonly shape: readonly number[];
  /** Adds the nodes after input `x`; returns the output's name. */
  readonly build: (b: OnnxBuilder, x: string) => string;
  readonly opset?: number;
  /** 'ok': the answer must match ORT; otherwise the op type the refusal names ('input': the graph input, or an output that is it). */
  readonly want: 'ok' | string;
  /** Inputs uniform in [-range, range) (default 1). */
  readonly range?: number;
  /** A quantized case: the output's quantization step (the answer within 1 step of ORT's). */
  readonly lsb?: number;
  /** ONNX Runtime cannot run the model (a valid one its own rewrites reject): no oracle. */
  readonly ortRejects?: boolean;
  /** Also build and run the generated C (host). */
  readonly c?: boolean;
}

export const ints = attr.ints;
export const k = (n: number) => ({ kernel_shape: ints([n, n]) });
export const S = [1, 3, 7, 7];
export const w = (b: OnnxBuilder, dims: number[]) => b.random(`w${b.rng.int(0, 1e9)}`, dims);
export const conv = (b: OnnxBuilder, x: string, cin: number, cout: number, kk: number, a: Record<string, ReturnType<typeof attr.i>> = {}, group = 1) =>
  b.node('Conv', [x, w(b, [cout, cin / group, kk, kk]), w(b, [cout])], { ...k(kk), ...(group !== 1 ? { group: attr.i(group) } : {}), ...a });
export const pool = (op: string, b: OnnxBuilder, x: string, kk: number, a: Record<string, ReturnType<typeof attr.i>> = {}) =>
  b.node(op, [x], { ...k(kk), ...a });
export const init = (b: OnnxBuilder, dims: number[], data: number[]) => b.init(`c${b.rng.int(0, 1e9)}`, dims, data);
export const i64 = (b: OnnxBuilder, data: number[], dims = [data.length]) => b.int64(`i${b.rng.int(0, 1e9)}`, dims, data);

export const P_IN: QParams = { scale: 2 / 255, zp: 0, type: 'int8' };
export const P_OUT: QParams = { scale: 0.05, zp: -5, type: 'int8' };
export const P_U8: QParams = { scale: 0.03, zp: 128, type: 'uint8' };

/** x → QuantizeLinear → DequantizeLinear → conv with int8 weights (per channel along O when `axis` is 0) → Q → DQ. */
export function qdqConv(b: OnnxBuilder, x: string, cout: number, axis: number | undefined, out: QParams, group = 1): string {
  const cin = 3;
  const xq = b.qdq(x, P_IN);
  const dims = [cout, cin / group, 3, 3];
  const wq = b.qWeights(
    `qw${b.rng.int(0, 1e9)}`,
    dims,
    b.values(
      dims.reduce((a, c) => a * c, 1),
      -0.6,
      0.6,
    ),
    axis,
  );
  const bias = b.qBias(`qb${b.rng.int(0, 1e9)}`, b.values(cout, -0.2, 0.2), P_IN.scale, wq.scales);
  const y = b.node('Conv', [xq, wq.name, bias], { ...k(3), pads: ints([1, 1, 1, 1]), ...(group !== 1 ? { group: attr.i(group) } : {}) });
  return b.qdq(y, out);
}
