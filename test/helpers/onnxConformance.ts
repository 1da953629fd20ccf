/**
 * Held-out ONNX operator conformance cases, in the spirit of ONNX's own node tests
 * (onnx/backend/test/case/node: which attributes and attribute combinations each operator is tested
 * with), written here as tiny models with the test builder. Each case says whether mobilec supports it
 * (the answer must equal ONNX Runtime's) or refuses it (exit 2, one line naming the node and its op
 * type, or the graph input it cannot take), so a regression either way fails.
 */
import { attr, type OnnxBuilder, rangeParams, type QParams } from './onnxBuilder.js';

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

const ints = attr.ints;
const k = (n: number) => ({ kernel_shape: ints([n, n]) });
const S = [1, 3, 7, 7];
const w = (b: OnnxBuilder, dims: number[]) => b.random(`w${b.rng.int(0, 1e9)}`, dims);
const conv = (b: OnnxBuilder, x: string, cin: number, cout: number, kk: number, a: Record<string, ReturnType<typeof attr.i>> = {}, group = 1) =>
  b.node('Conv', [x, w(b, [cout, cin / group, kk, kk]), w(b, [cout])], { ...k(kk), ...(group !== 1 ? { group: attr.i(group) } : {}), ...a });
const pool = (op: string, b: OnnxBuilder, x: string, kk: number, a: Record<string, ReturnType<typeof attr.i>> = {}) => b.node(op, [x], { ...k(kk), ...a });
const init = (b: OnnxBuilder, dims: number[], data: number[]) => b.init(`c${b.rng.int(0, 1e9)}`, dims, data);
const i64 = (b: OnnxBuilder, data: number[], dims = [data.length]) => b.int64(`i${b.rng.int(0, 1e9)}`, dims, data);

const P_IN: QParams = { scale: 2 / 255, zp: 0, type: 'int8' };
const P_OUT: QParams = { scale: 0.05, zp: -5, type: 'int8' };
const P_U8: QParams = { scale: 0.03, zp: 128, type: 'uint8' };

/** x → QuantizeLinear → DequantizeLinear → conv with int8 weights (per channel along O when `axis` is 0) → Q → DQ. */
function qdqConv(b: OnnxBuilder, x: string, cout: number, axis: number | undefined, out: QParams, group = 1): string {
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

export const CASES: readonly ConformanceCase[] = [
  // ---- Conv (test_conv_*, test_conv_with_*) ----
  { name: 'conv_basic (no padding)', shape: [1, 3, 5, 5], build: (b, x) => conv(b, x, 3, 4, 3), want: 'ok' },
  { name: 'conv_with_padding (pads 1)', shape: [1, 3, 5, 5], build: (b, x) => conv(b, x, 3, 4, 3, { pads: ints([1, 1, 1, 1]) }), want: 'ok' },
  {
    name: 'conv_with_strides_padding (s2, pads 1)',
    shape: [1, 3, 7, 5],
    build: (b, x) => conv(b, x, 3, 2, 3, { pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }),
    want: 'ok',
  },
  { name: 'conv_with_strides_no_padding (s2)', shape: [1, 3, 7, 5], build: (b, x) => conv(b, x, 3, 2, 3, { strides: ints([2, 2]) }), want: 'ok' },
  {
    name: 'conv_with_strides_and_asymmetric_padding (s2, pads [1, 0, 1, 0])',
    shape: [1, 3, 7, 5],
    build: (b, x) => conv(b, x, 3, 2, 3, { pads: ints([1, 0, 1, 0]), strides: ints([2, 2]) }),
    want: 'ok',
    c: true,
  },
  {
    name: 'conv_with_autopad_same (SAME_LOWER, s2)',
    shape: [1, 3, 5, 5],
    build: (b, x) => conv(b, x, 3, 2, 3, { auto_pad: attr.s('SAME_LOWER'), strides: ints([2, 2]) }),
    want: 'ok',
  },
  {
    name: 'conv auto_pad SAME_LOWER k2 (pads before > after)',
    shape: [1, 3, 6, 6],
    build: (b, x) => conv(b, x, 3, 2, 2, { auto_pad: attr.s('SAME_LOWER') }),
    want: 'ok',
  },
  {
    name: 'conv auto_pad SAME_UPPER s2',
    shape: [1, 3, 6, 6],
    build: (b, x) => conv(b, x, 3, 2, 3, { auto_pad: attr.s('SAME_UPPER'), strides: ints([2, 2]) }),
    want: 'ok',
  },
  {
    name: 'conv auto_pad VALID s2',
    shape: [1, 3, 6, 6],
    build: (b, x) => conv(b, x, 3, 2, 3, { auto_pad: attr.s('VALID'), strides: ints([2, 2]) }),
    want: 'ok',
  },
  {
    name: 'conv non-square kernel 1x3, strides [1, 2]',
    shape: S,
    build: (b, x) => b.node('Conv', [x, w(b, [2, 3, 1, 3])], { strides: ints([1, 2]) }),
    want: 'ok',
  },
  { name: 'conv without kernel_shape or bias', shape: S, build: (b, x) => b.node('Conv', [x, w(b, [2, 3, 3, 3])]), want: 'ok' },
  { name: 'conv depthwise (group = C), multiplier 2', shape: S, build: (b, x) => conv(b, x, 3, 6, 3, { pads: ints([1, 1, 1, 1]) }, 3), want: 'ok' },
  { name: 'conv grouped (group 2 of 4 channels)', shape: [1, 4, 5, 5], build: (b, x) => conv(b, x, 4, 4, 3, {}, 2), want: 'Conv' },
  { name: 'conv dilations 2', shape: S, build: (b, x) => conv(b, x, 3, 2, 3, { dilations: ints([2, 2]) }), want: 'Conv' },
  { name: 'conv 1-D (rank-3 input)', shape: [1, 3, 7], build: (b, x) => b.node('Conv', [x, w(b, [2, 3, 3])]), want: 'input' },
  { name: 'ConvTranspose', shape: S, build: (b, x) => b.node('ConvTranspose', [x, w(b, [3, 2, 3, 3])]), want: 'ConvTranspose' },
  // ---- pools (test_averagepool_*, test_maxpool_*, test_globalaveragepool) ----
  { name: 'averagepool_2d_default', shape: S, build: (b, x) => pool('AveragePool', b, x, 2), want: 'ok' },
  { name: 'averagepool_2d_strides (k5 s3)', shape: [1, 3, 11, 11], build: (b, x) => pool('AveragePool', b, x, 5, { strides: ints([3, 3]) }), want: 'ok' },
  {
    name: 'averagepool_2d_pads (pads 2, count_include_pad 0)',
    shape: S,
    build: (b, x) => pool('AveragePool', b, x, 3, { pads: ints([2, 2, 2, 2]) }),
    want: 'AveragePool',
  },
  {
    name: 'averagepool_2d_pads_count_include_pad',
    shape: S,
    build: (b, x) => pool('AveragePool', b, x, 3, { pads: ints([2, 2, 2, 2]), count_include_pad: attr.i(1) }),
    want: 'ok',
    c: true,
  },
  {
    name: 'averagepool pads 1 k3 (SAME extent, pads not counted)',
    shape: S,
    build: (b, x) => pool('AveragePool', b, x, 3, { pads: ints([1, 1, 1, 1]) }),
    want: 'ok',
  },
  { name: 'averagepool_2d_same_upper (k2)', shape: S, build: (b, x) => pool('AveragePool', b, x, 2, { auto_pad: attr.s('SAME_UPPER') }), want: 'ok' },
  { name: 'averagepool_2d_same_lower (k2)', shape: S, build: (b, x) => pool('AveragePool', b, x, 2, { auto_pad: attr.s('SAME_LOWER') }), want: 'AveragePool' },
  {
    name: 'averagepool_2d_ceil (k3 s2 on 4x4)',
    shape: [1, 3, 4, 4],
    build: (b, x) => pool('AveragePool', b, x, 3, { strides: ints([2, 2]), ceil_mode: attr.i(1) }),
    want: 'AveragePool',
  },
  {
    name: 'averagepool ceil_mode 1 where it changes nothing',
    shape: [1, 3, 5, 5],
    build: (b, x) => pool('AveragePool', b, x, 3, { strides: ints([2, 2]), ceil_mode: attr.i(1) }),
    want: 'ok',
  },
  { name: 'averagepool_1d (rank-3 input)', shape: [1, 3, 7], build: (b, x) => b.node('AveragePool', [x], { kernel_shape: ints([2]) }), want: 'input' },
  { name: 'maxpool_2d_default', shape: S, build: (b, x) => pool('MaxPool', b, x, 2), want: 'ok' },
  { name: 'maxpool_2d_strides (k5 s3)', shape: [1, 3, 11, 11], build: (b, x) => pool('MaxPool', b, x, 5, { strides: ints([3, 3]) }), want: 'ok' },
  { name: 'maxpool_2d_pads (pads 2)', shape: S, build: (b, x) => pool('MaxPool', b, x, 3, { pads: ints([2, 2, 2, 2]) }), want: 'MaxPool' },
  {
    name: 'maxpool pads 1 k3 s2 (PyTorch ResNet stem)',
    shape: [1, 3, 8, 8],
    build: (b, x) => pool('MaxPool', b, x, 3, { pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }),
    want: 'MaxPool',
  },
  {
    name: 'maxpool_2d_same_upper (k3 s2)',
    shape: S,
    build: (b, x) => pool('MaxPool', b, x, 3, { auto_pad: attr.s('SAME_UPPER'), strides: ints([2, 2]) }),
    want: 'ok',
  },
  { name: 'maxpool_2d_same_lower (k2)', shape: S, build: (b, x) => pool('MaxPool', b, x, 2, { auto_pad: attr.s('SAME_LOWER') }), want: 'MaxPool' },
  {
    name: 'maxpool_2d_ceil (k3 s2 on 4x4)',
    shape: [1, 3, 4, 4],
    build: (b, x) => pool('MaxPool', b, x, 3, { strides: ints([2, 2]), ceil_mode: attr.i(1) }),
    want: 'MaxPool',
  },
  { name: 'maxpool_2d_dilations', shape: S, build: (b, x) => pool('MaxPool', b, x, 2, { dilations: ints([2, 2]) }), want: 'MaxPool' },
  {
    name: 'maxpool_with_argmax (indices read)',
    shape: S,
    build: (b, x) => {
      const [y, idx] = [`mp_y`, `mp_i`];
      b.node('MaxPool', [x], k(2), [y, idx]);
      return b.node('Add', [y, b.node('Cast', [idx], { to: attr.i(1) })]);
    },
    want: 'MaxPool',
  },
  { name: 'maxpool indices unread', shape: S, build: (b, x) => b.node('MaxPool', [x], k(2), ['mp_y', 'mp_unused']), want: 'ok' },
  { name: 'globalaveragepool', shape: S, build: (b, x) => b.node('GlobalAveragePool', [x]), want: 'ok' },
  { name: 'globalmaxpool', shape: S, build: (b, x) => b.node('GlobalMaxPool', [x]), want: 'GlobalMaxPool' },
  // ---- Gemm / MatMul (test_gemm_*, test_matmul_2d) ----
  { name: 'gemm_default_vector_bias', shape: [1, 6], build: (b, x) => b.node('Gemm', [x, w(b, [6, 4]), w(b, [4])]), want: 'ok' },
  { name: 'gemm_default_no_bias', shape: [1, 6], build: (b, x) => b.node('Gemm', [x, w(b, [6, 4])]), want: 'ok' },
  { name: 'gemm_default_scalar_bias', shape: [1, 6], build: (b, x) => b.node('Gemm', [x, w(b, [6, 4]), init(b, [], [0.7])]), want: 'ok' },
  { name: 'gemm_default_single_elem_vector_bias [1]', shape: [1, 6], build: (b, x) => b.node('Gemm', [x, w(b, [6, 4]), init(b, [1], [0.7])]), want: 'ok' },
  { name: 'gemm bias [1, O]', shape: [1, 6], build: (b, x) => b.node('Gemm', [x, w(b, [6, 4]), w(b, [1, 4])]), want: 'ok' },
  { name: 'gemm_transposeB', shape: [1, 6], build: (b, x) => b.node('Gemm', [x, w(b, [4, 6]), w(b, [4])], { transB: attr.i(1) }), want: 'ok' },
  { name: 'gemm_transposeA', shape: [6, 1], build: (b, x) => b.node('Gemm', [x, w(b, [6, 4])], { transA: attr.i(1) }), want: 'Gemm' },
  { name: 'gemm_alpha', shape: [1, 6], build: (b, x) => b.node('Gemm', [x, w(b, [6, 4]), w(b, [4])], { alpha: attr.f(0.5) }), want: 'ok' },
  { name: 'gemm_beta', shape: [1, 6], build: (b, x) => b.node('Gemm', [x, w(b, [6, 4]), w(b, [4])], { beta: attr.f(0.5) }), want: 'ok' },
  {
    name: 'gemm_all_attributes (alpha, beta, transB)',
    shape: [1, 6],
    build: (b, x) => b.node('Gemm', [x, w(b, [4, 6]), w(b, [4])], { alpha: attr.f(0.25), beta: attr.f(0.35), transB: attr.i(1) }),
    want: 'ok',
    c: true,
  },
  { name: 'gemm batch 3, bias [O]', shape: [3, 6], build: (b, x) => b.node('Gemm', [x, w(b, [6, 4]), w(b, [4])]), want: 'ok' },
  { name: 'gemm_default_matrix_bias (batch 3, C [3, O])', shape: [3, 6], build: (b, x) => b.node('Gemm', [x, w(b, [6, 4]), w(b, [3, 4])]), want: 'Gemm' },
  {
    name: 'gemm bias [O, 1] (broadcast along the batch? no: along O)',
    shape: [4, 6],
    build: (b, x) => b.node('Gemm', [x, w(b, [6, 4]), w(b, [4, 1])]),
    want: 'Gemm',
  },
  { name: 'matmul_2d by constant weights', shape: [1, 6], build: (b, x) => b.node('MatMul', [x, w(b, [6, 4])]), want: 'ok' },
  { name: 'matmul + Add bias', shape: [1, 6], build: (b, x) => b.node('Add', [b.node('MatMul', [x, w(b, [6, 4])]), w(b, [4])]), want: 'ok' },
  {
    name: 'matmul + Add bias [1, 1, O] (a rank-3 sum)',
    shape: [1, 6],
    build: (b, x) => b.node('Add', [b.node('MatMul', [x, w(b, [6, 4])]), w(b, [1, 1, 4])]),
    want: 'Add',
  },
  {
    name: 'matmul of two activations',
    shape: [1, 6],
    build: (b, x) => b.node('MatMul', [b.node('Relu', [x]), b.node('Reshape', [x, i64(b, [6, 1])])]),
    want: 'MatMul',
  },
  { name: 'matmul_3d (rank-3 input)', shape: [2, 3, 4], build: (b, x) => b.node('MatMul', [x, w(b, [4, 2])]), want: 'input' },
  // ---- Flatten / Reshape (test_flatten_axis*, test_reshape_*) ----
  {
    name: 'flatten axis 1 → Gemm (NCHW columns)',
    shape: [1, 3, 4, 5],
    build: (b, x) => b.node('Gemm', [b.node('Flatten', [x]), w(b, [60, 4])]),
    want: 'ok',
    c: true,
  },
  {
    name: 'flatten_axis0 → Gemm',
    shape: [1, 3, 4, 5],
    build: (b, x) => b.node('Gemm', [b.node('Flatten', [x], { axis: attr.i(0) }), w(b, [60, 4])]),
    want: 'ok',
  },
  { name: 'flatten_axis1 as an output (channels-first order)', shape: [1, 3, 4, 5], build: (b, x) => b.node('Flatten', [x]), want: 'Flatten' },
  { name: 'flatten_axis2', shape: [1, 3, 4, 5], build: (b, x) => b.node('Flatten', [x], { axis: attr.i(2) }), want: 'Flatten' },
  { name: 'flatten_axis3', shape: [1, 3, 4, 5], build: (b, x) => b.node('Flatten', [x], { axis: attr.i(3) }), want: 'Flatten' },
  { name: 'flatten_negative_axis (-1) of one channel', shape: [1, 1, 4, 5], build: (b, x) => b.node('Flatten', [x], { axis: attr.i(-1) }), want: 'ok' },
  { name: 'flatten_axis0 of [1, C, 1, 1]', shape: S, build: (b, x) => b.node('Flatten', [b.node('GlobalAveragePool', [x])], { axis: attr.i(0) }), want: 'ok' },
  { name: 'flatten_axis2 of [1, C, 1, 1]', shape: S, build: (b, x) => b.node('Flatten', [b.node('GlobalAveragePool', [x])], { axis: attr.i(2) }), want: 'ok' },
  {
    name: 'reshape_negative_dim [1, -1] of [1, C, 1, 1]',
    shape: S,
    build: (b, x) => b.node('Reshape', [b.node('GlobalAveragePool', [x]), i64(b, [1, -1])]),
    want: 'ok',
  },
  {
    name: 'reshape_zero_dim (0 copies the input dim)',
    shape: S,
    build: (b, x) => b.node('Reshape', [b.node('GlobalAveragePool', [x]), i64(b, [0, 3])]),
    want: 'ok',
  },
  {
    name: 'reshape_allowzero_reordered (allowzero 1, no zero)',
    shape: S,
    opset: 14,
    build: (b, x) => b.node('Reshape', [b.node('GlobalAveragePool', [x]), i64(b, [1, 3])], { allowzero: attr.i(1) }),
    want: 'ok',
  },
  { name: 'reshape_reordered_all_dims', shape: [1, 3, 4, 5], build: (b, x) => b.node('Reshape', [x, i64(b, [1, 4, 5, 3])]), want: 'Reshape' },
  { name: 'reshape [1, K] → [1, K, 1, 1] → Conv', shape: [1, 6], build: (b, x) => conv(b, b.node('Reshape', [x, i64(b, [1, 6, 1, 1])]), 6, 2, 1), want: 'ok' },
  { name: 'reshape [1, 12] → [1, 3, 2, 2] (channels-first)', shape: [1, 12], build: (b, x) => b.node('Reshape', [x, i64(b, [1, 3, 2, 2])]), want: 'Reshape' },
  // ---- Pad (test_constant_pad, test_reflect_pad, test_edge_pad) ----
  { name: 'constant_pad (zeros, H and W)', shape: S, build: (b, x) => b.node('Pad', [x, i64(b, [0, 0, 1, 2, 0, 0, 2, 1])]), want: 'ok' },
  { name: 'constant_pad value 1.5', shape: S, build: (b, x) => b.node('Pad', [x, i64(b, [0, 0, 1, 1, 0, 0, 1, 1]), init(b, [], [1.5])]), want: 'Pad' },
  { name: 'constant_pad of the channels', shape: S, build: (b, x) => b.node('Pad', [x, i64(b, [0, 1, 0, 0, 0, 2, 0, 0])]), want: 'ok' },
  { name: 'constant_pad negative (a crop)', shape: S, build: (b, x) => b.node('Pad', [x, i64(b, [0, 0, -1, 0, 0, 0, 0, 0])]), want: 'Pad' },
  { name: 'reflect_pad', shape: S, build: (b, x) => b.node('Pad', [x, i64(b, [0, 0, 1, 1, 0, 0, 1, 1])], { mode: attr.s('reflect') }), want: 'Pad' },
  { name: 'edge_pad', shape: S, build: (b, x) => b.node('Pad', [x, i64(b, [0, 0, 1, 1, 0, 0, 1, 1])], { mode: attr.s('edge') }), want: 'Pad' },
  { name: 'pad opset 2 (pads attribute)', shape: S, opset: 2, build: (b, x) => b.node('Pad', [x], { pads: ints([0, 0, 1, 1, 0, 0, 1, 1]) }), want: 'ok' },
  // ---- Concat (test_concat_*) ----
  { name: 'concat_4d_axis_1', shape: S, build: (b, x) => b.node('Concat', [x, b.node('Relu', [x])], { axis: attr.i(1) }), want: 'ok' },
  { name: 'concat_4d_axis_negative_3', shape: S, build: (b, x) => b.node('Concat', [x, b.node('Relu', [x])], { axis: attr.i(-3) }), want: 'ok' },
  { name: 'concat_4d_axis_2', shape: S, build: (b, x) => b.node('Concat', [x, b.node('Relu', [x])], { axis: attr.i(2) }), want: 'Concat' },
  { name: 'concat_4d_axis_3', shape: S, build: (b, x) => b.node('Concat', [x, b.node('Relu', [x])], { axis: attr.i(3) }), want: 'Concat' },
  { name: 'concat_4d_axis_0', shape: S, build: (b, x) => b.node('Concat', [x, b.node('Relu', [x])], { axis: attr.i(0) }), want: 'Concat' },
  { name: 'concat_2d_axis_1', shape: [1, 6], build: (b, x) => b.node('Concat', [x, b.node('Relu', [x])], { axis: attr.i(1) }), want: 'ok' },
  { name: 'concat_2d_axis_negative_1', shape: [1, 6], build: (b, x) => b.node('Concat', [x, b.node('Relu', [x])], { axis: attr.i(-1) }), want: 'ok' },
  { name: 'concat of an activation and a constant', shape: [1, 6], build: (b, x) => b.node('Concat', [x, w(b, [1, 2])], { axis: attr.i(1) }), want: 'Concat' },
  // ---- Softmax (test_softmax_*) ----
  { name: 'softmax_axis_1 on [1, K]', shape: [1, 10], range: 3, build: (b, x) => b.node('Softmax', [x], { axis: attr.i(1) }), want: 'ok' },
  { name: 'softmax_default_axis on [1, K]', shape: [1, 10], range: 3, build: (b, x) => b.node('Softmax', [x]), want: 'ok' },
  { name: 'softmax_negative_axis (-1)', shape: [1, 10], range: 3, build: (b, x) => b.node('Softmax', [x], { axis: attr.i(-1) }), want: 'ok' },
  { name: 'softmax_axis_0 on [3, K]', shape: [3, 10], build: (b, x) => b.node('Softmax', [x], { axis: attr.i(0) }), want: 'Softmax' },
  {
    name: 'softmax_axis_1 on NCHW (channels per pixel)',
    shape: S,
    range: 3,
    build: (b, x) => b.node('Softmax', [x], { axis: attr.i(1) }),
    want: 'ok',
    c: true,
  },
  { name: 'softmax_axis_2 on NCHW', shape: S, build: (b, x) => b.node('Softmax', [x], { axis: attr.i(2) }), want: 'Softmax' },
  { name: 'softmax default axis (-1) on NCHW', shape: S, build: (b, x) => b.node('Softmax', [x]), want: 'Softmax' },
  { name: 'softmax opset 11 axis 1 on [1, K]', shape: [1, 10], opset: 11, range: 3, build: (b, x) => b.node('Softmax', [x], { axis: attr.i(1) }), want: 'ok' },
  {
    name: 'softmax opset 11 axis 1 on NCHW (flattens C·H·W)',
    shape: S,
    opset: 11,
    build: (b, x) => b.node('Softmax', [x], { axis: attr.i(1) }),
    want: 'Softmax',
  },
  { name: 'softmax opset 11 axis 1 on [1, C, 1, 1]', shape: S, opset: 11, build: (b, x) => b.node('Softmax', [b.node('GlobalAveragePool', [x])]), want: 'ok' },
  // ---- activations (test_relu, test_sigmoid, test_hardsigmoid*, test_hardswish, test_clip*) ----
  { name: 'relu', shape: S, build: (b, x) => b.node('Relu', [x]), want: 'ok' },
  { name: 'sigmoid', shape: S, range: 6, build: (b, x) => b.node('Sigmoid', [x]), want: 'ok' },
  { name: 'hardsigmoid_default', shape: S, range: 4, build: (b, x) => b.node('HardSigmoid', [x]), want: 'ok' },
  {
    name: 'hardsigmoid (alpha 0.5, beta 0.6)',
    shape: S,
    range: 4,
    build: (b, x) => b.node('HardSigmoid', [x], { alpha: attr.f(0.5), beta: attr.f(0.6) }),
    want: 'ok',
  },
  { name: 'hardswish', shape: S, opset: 14, range: 5, build: (b, x) => b.node('HardSwish', [x]), want: 'ok' },
  {
    name: 'x · HardSigmoid(x; 1/6, 1/2) (hardswish before opset 14)',
    shape: S,
    range: 5,
    build: (b, x) => b.node('Mul', [x, b.node('HardSigmoid', [x], { alpha: attr.f(1 / 6), beta: attr.f(0.5) })]),
    want: 'ok',
  },
  { name: 'clip [0, 6] (inputs)', shape: S, range: 8, build: (b, x) => b.node('Clip', [x, init(b, [], [0]), init(b, [], [6])]), want: 'ok' },
  { name: 'clip [-1, 1]', shape: S, range: 3, build: (b, x) => b.node('Clip', [x, init(b, [], [-1]), init(b, [], [1])]), want: 'ok' },
  { name: 'clip_default_min (min 0 only)', shape: S, build: (b, x) => b.node('Clip', [x, init(b, [], [0])]), want: 'ok' },
  { name: 'clip_default_max (max 0 only)', shape: S, build: (b, x) => b.node('Clip', [x, '', init(b, [], [0])]), want: 'Clip' },
  { name: 'clip_default_inbounds (no bounds) → Relu', shape: S, build: (b, x) => b.node('Relu', [b.node('Clip', [x])]), want: 'ok' },
  { name: 'clip_default_inbounds (no bounds) as the output', shape: S, build: (b, x) => b.node('Clip', [x]), want: 'input' },
  { name: 'clip [-0.5, 0.5]', shape: S, build: (b, x) => b.node('Clip', [x, init(b, [], [-0.5]), init(b, [], [0.5])]), want: 'Clip' },
  {
    name: 'clip opset 6 attributes [0, 6]',
    shape: S,
    opset: 6,
    range: 8,
    build: (b, x) => b.node('Clip', [x], { min: attr.f(0), max: attr.f(6) }),
    want: 'ok',
  },
  { name: 'LeakyRelu', shape: S, build: (b, x) => b.node('LeakyRelu', [x]), want: 'LeakyRelu' },
  // ---- BatchNormalization (test_batchnorm_*) ----
  { name: 'batchnorm after conv', shape: S, build: (b, x) => b.bn(conv(b, x, 3, 4, 3), 4), want: 'ok' },
  {
    name: 'batchnorm_epsilon (1e-2) after conv',
    shape: S,
    build: (b, x) => {
      const y = conv(b, x, 3, 4, 3);
      const p = (lo: number, hi: number) => b.random(`bnp${b.rng.int(0, 1e9)}`, [4], lo, hi);
      return b.node('BatchNormalization', [y, p(0.5, 1.5), p(-0.2, 0.2), p(-0.2, 0.2), p(0.01, 0.05)], { epsilon: attr.f(1e-2) });
    },
    want: 'ok',
  },
  { name: 'batchnorm of the input (not after a conv)', shape: S, build: (b, x) => b.bn(x, 3), want: 'BatchNormalization' },
  // ---- Add / Mul (test_add*, test_mul*) ----
  { name: 'add of two activations', shape: S, build: (b, x) => b.node('Add', [x, b.node('Relu', [x])]), want: 'ok' },
  { name: 'mul of two activations', shape: S, build: (b, x) => b.node('Mul', [x, b.node('Sigmoid', [x])]), want: 'ok' },
  { name: 'add scalar constant', shape: S, build: (b, x) => b.node('Add', [x, init(b, [], [0.25])]), want: 'ok' },
  { name: 'mul per-channel constant [C, 1, 1]', shape: S, build: (b, x) => b.node('Mul', [x, w(b, [3, 1, 1])]), want: 'ok' },
  { name: 'add per-channel constant [1, C, 1, 1] as input 0', shape: S, build: (b, x) => b.node('Add', [w(b, [1, 3, 1, 1]), x]), want: 'ok' },
  { name: 'add_bcast constant [W] (broadcast along W)', shape: S, build: (b, x) => b.node('Add', [x, w(b, [7])]), want: 'Add' },
  { name: 'mul constant [1, H, W]', shape: S, build: (b, x) => b.node('Mul', [x, w(b, [1, 7, 7])]), want: 'Mul' },
  { name: 'add constant [K] on [1, K]', shape: [1, 6], build: (b, x) => b.node('Add', [x, w(b, [6])]), want: 'ok' },
  {
    name: 'mul broadcast of two activations [1, C, H, W] · [1, C, 1, 1] (squeeze-excite)',
    shape: S,
    build: (b, x) => b.node('Mul', [x, b.node('Sigmoid', [b.node('GlobalAveragePool', [x])])]),
    want: 'ok',
    c: true,
  },
  { name: 'add broadcast of two activations [1, C, H, W] + [1, 1, H, W]', shape: S, build: (b, x) => b.node('Add', [x, conv(b, x, 3, 1, 1)]), want: 'Add' },
  { name: 'add broadcast of two activations [1, 1, H, W] + [1, C, H, W]', shape: S, build: (b, x) => b.node('Add', [conv(b, x, 3, 1, 1), x]), want: 'Add' },
  { name: 'Sub', shape: S, build: (b, x) => b.node('Sub', [x, init(b, [], [0.25])]), want: 'Sub' },
  // ---- Identity, Dropout ----
  { name: 'identity', shape: S, build: (b, x) => b.node('Relu', [b.node('Identity', [x])]), want: 'ok' },
  { name: 'dropout_default (opset 13)', shape: S, build: (b, x) => b.node('Relu', [b.node('Dropout', [x])]), want: 'ok' },
  {
    name: 'dropout opset 7 (ratio attribute)',
    shape: S,
    opset: 7,
    build: (b, x) => b.node('Relu', [b.node('Dropout', [x], { ratio: attr.f(0.3) })]),
    want: 'ok',
  },
  {
    name: 'dropout_default_mask (mask read)',
    shape: S,
    build: (b, x) => {
      b.node('Dropout', [x], {}, ['d_y', 'd_mask']);
      return b.node('Add', [b.node('Relu', ['d_y']), b.node('Cast', ['d_mask'], { to: attr.i(1) })]);
    },
    want: 'Dropout',
  },
  // ---- QuantizeLinear / DequantizeLinear / QLinear (test_quantizelinear, test_dequantizelinear_axis, test_qlinear*) ----
  { name: 'quantizelinear → dequantizelinear (int8)', shape: S, build: (b, x) => b.qdq(b.node('Relu', [x]), P_OUT), want: 'ok', lsb: P_OUT.scale },
  { name: 'quantizelinear of the input (uint8) → dequantizelinear', shape: S, build: (b, x) => b.qdq(x, P_U8), want: 'ok', lsb: P_U8.scale },
  {
    name: 'quantizelinear without a zero point (uint8)',
    shape: S,
    build: (b, x) => {
      const q = b.node('QuantizeLinear', [b.node('Relu', [x]), init(b, [], [0.01])]);
      return b.node('DequantizeLinear', [q, init(b, [], [0.01])]);
    },
    want: 'ok',
    lsb: 0.01,
  },
  {
    name: 'dequantizelinear_axis (per-channel weights) in a QDQ conv',
    shape: S,
    build: (b, x) => qdqConv(b, x, 4, 0, P_OUT),
    want: 'ok',
    lsb: P_OUT.scale,
    c: true,
  },
  { name: 'QDQ conv per-tensor weights', shape: S, build: (b, x) => qdqConv(b, x, 4, undefined, P_OUT), want: 'ok', lsb: P_OUT.scale },
  { name: 'QDQ depthwise conv per-channel', shape: S, build: (b, x) => qdqConv(b, x, 3, 0, P_OUT, 3), want: 'ok', lsb: P_OUT.scale },
  {
    name: 'dequantizelinear of an activation per axis',
    shape: S,
    build: (b, x) => {
      const q = b.quantize(x, P_IN);
      return b.node('DequantizeLinear', [q, init(b, [3], [0.01, 0.02, 0.03]), b.ints(`zp${b.rng.int(0, 1e9)}`, [3], [0, 0, 0], 'int8')], { axis: attr.i(1) });
    },
    want: 'DequantizeLinear',
  },
  {
    name: 'QDQ average pool + add, requantized',
    shape: S,
    build: (b, x) => {
      const p = rangeParams(-1, 1);
      const xq = b.qdq(x, P_IN);
      const y = b.qdq(b.node('AveragePool', [xq], { ...k(3), auto_pad: attr.s('SAME_UPPER') }), p);
      return b.qdq(b.node('Add', [y, xq]), P_OUT);
    },
    want: 'ok',
    lsb: P_OUT.scale,
  },
  {
    name: 'qlinearmatmul_2D (int8)',
    shape: [1, 8],
    build: (b, x) => {
      const xq = b.quantize(x, P_IN);
      const wq = b.ints(
        `qmw${b.rng.int(0, 1e9)}`,
        [8, 12],
        Array.from({ length: 96 }, () => b.rng.int(-127, 127)),
        'int8',
      );
      const s = (v: number) => init(b, [], [v]);
      const z = (v: number) => b.ints(`z${b.rng.int(0, 1e9)}`, [], [v], 'int8');
      const y = b.node('QLinearMatMul', [xq, s(P_IN.scale), z(P_IN.zp), wq, s(0.004), z(0), s(P_OUT.scale), z(P_OUT.zp)]);
      return b.dequantize(y, P_OUT);
    },
    want: 'ok',
    lsb: P_OUT.scale,
  },
  {
    name: 'qlinearmatmul_3D (rank-3 input)',
    shape: [2, 3, 8],
    build: (b, x) => {
      const xq = b.quantize(x, P_IN);
      const wq = b.ints(
        `qmw${b.rng.int(0, 1e9)}`,
        [8, 5],
        Array.from({ length: 40 }, () => b.rng.int(-127, 127)),
        'int8',
      );
      const s = (v: number) => init(b, [], [v]);
      const z = (v: number) => b.ints(`z${b.rng.int(0, 1e9)}`, [], [v], 'int8');
      return b.dequantize(b.node('QLinearMatMul', [xq, s(P_IN.scale), z(P_IN.zp), wq, s(0.004), z(0), s(P_OUT.scale), z(P_OUT.zp)]), P_OUT);
    },
    want: 'input',
  },
  {
    name: 'qlinearconv (uint8 weights with a zero point, per tensor)',
    shape: S,
    build: (b, x) => {
      const xq = b.quantize(x, P_U8);
      const wq = b.ints(
        `qcw${b.rng.int(0, 1e9)}`,
        [4, 3, 3, 3],
        Array.from({ length: 108 }, () => b.rng.int(0, 255)),
        'uint8',
      );
      const s = (v: number) => init(b, [], [v]);
      const z = (v: number) => b.ints(`z${b.rng.int(0, 1e9)}`, [], [v], 'uint8');
      const out: QParams = { scale: 0.2, zp: 120, type: 'uint8' };
      const y = b.node('QLinearConv', [xq, s(P_U8.scale), z(P_U8.zp), wq, s(0.003), z(130), s(out.scale), z(out.zp)], { ...k(3), pads: ints([1, 1, 1, 1]) });
      return b.dequantize(y, out);
    },
    want: 'ok',
    lsb: 0.2,
  },
  // ---- more combinations ----
  {
    name: 'mul broadcast, the smaller activation first [1, C, 1, 1] · [1, C, H, W]',
    shape: S,
    build: (b, x) => b.node('Mul', [b.node('GlobalAveragePool', [x]), x]),
    want: 'ok',
  },
  {
    name: 'add broadcast [1, C, H, W] + [1, C, H, 1] (a reduced W)',
    shape: S,
    build: (b, x) => b.node('Add', [x, b.node('AveragePool', [x], { kernel_shape: ints([1, 7]) })]),
    want: 'Add',
  },
  {
    name: 'matmul + Add of a [B, O] bias (batch 3)',
    shape: [3, 6],
    build: (b, x) => b.node('Add', [b.node('MatMul', [x, w(b, [6, 4])]), w(b, [3, 4])]),
    want: 'ok',
  },
  { name: 'pad of the batch axis', shape: S, build: (b, x) => b.node('Pad', [x, i64(b, [1, 0, 0, 0, 0, 0, 0, 0])]), want: 'ok' },
  { name: 'pad of [1, K] along K', shape: [1, 6], build: (b, x) => b.node('Pad', [x, i64(b, [0, 2, 0, 1])]), want: 'ok' },
  {
    name: 'pad opset 11 constant_value 0 input',
    shape: S,
    opset: 11,
    build: (b, x) => b.node('Pad', [x, i64(b, [0, 0, 1, 1, 0, 0, 1, 1]), init(b, [], [0])]),
    want: 'ok',
  },
  { name: 'concat of one tensor twice', shape: S, build: (b, x) => b.node('Concat', [x, x], { axis: attr.i(1) }), want: 'ok' },
  {
    name: 'concat of three on channels',
    shape: S,
    build: (b, x) => b.node('Concat', [x, b.node('Relu', [x]), b.node('Sigmoid', [x])], { axis: attr.i(1) }),
    want: 'ok',
  },
  { name: 'maxpool k1 s2 (subsampling)', shape: S, build: (b, x) => pool('MaxPool', b, x, 1, { strides: ints([2, 2]) }), want: 'ok' },
  { name: 'averagepool kernel = the input', shape: S, build: (b, x) => pool('AveragePool', b, x, 7), want: 'ok' },
  {
    name: 'averagepool SAME_UPPER with count_include_pad 1',
    shape: S,
    build: (b, x) => pool('AveragePool', b, x, 3, { auto_pad: attr.s('SAME_UPPER'), strides: ints([2, 2]), count_include_pad: attr.i(1) }),
    want: 'ok',
  },
  { name: 'globalaveragepool of [1, C, 1, 1]', shape: S, build: (b, x) => b.node('GlobalAveragePool', [b.node('GlobalAveragePool', [x])]), want: 'ok' },
  {
    name: 'conv strides [2, 1], SAME_UPPER',
    shape: S,
    build: (b, x) => conv(b, x, 3, 2, 3, { auto_pad: attr.s('SAME_UPPER'), strides: ints([2, 1]) }),
    want: 'ok',
  },
  {
    name: 'conv + BN where the conv output is also an output',
    shape: S,
    build: (b, x) => {
      const y = conv(b, x, 3, 4, 3);
      b.output(y);
      return b.bn(y, 4);
    },
    want: 'BatchNormalization',
  },
  { name: 'depthwise conv + batchnorm, asymmetric pads', shape: S, build: (b, x) => b.bn(conv(b, x, 3, 3, 3, { pads: ints([0, 1, 2, 1]) }, 3), 3), want: 'ok' },
  { name: 'clip min > max ([6, 0])', shape: S, build: (b, x) => b.node('Clip', [x, init(b, [], [6]), init(b, [], [0])]), want: 'Clip' },
  { name: 'sigmoid on [1, K]', shape: [1, 6], range: 5, build: (b, x) => b.node('Sigmoid', [x]), want: 'ok' },
  { name: 'GAP → Squeeze (axes 2, 3)', shape: S, build: (b, x) => b.node('Squeeze', [b.node('GlobalAveragePool', [x]), i64(b, [2, 3])]), want: 'Squeeze' },
  { name: 'Transpose', shape: S, build: (b, x) => b.node('Transpose', [x], { perm: ints([0, 2, 3, 1]) }), want: 'Transpose' },
  { name: 'Unsqueeze of an activation', shape: [1, 6], build: (b, x) => b.node('Unsqueeze', [x, i64(b, [2])]), want: 'Unsqueeze' },
  { name: 'reshape [1, C, 1, 1] → [C] (rank 1)', shape: S, build: (b, x) => b.node('Reshape', [b.node('GlobalAveragePool', [x]), i64(b, [3])]), want: 'ok' },
  {
    name: 'hardsigmoid 1/6, 1/2 whose Mul reads another tensor',
    shape: S,
    range: 5,
    build: (b, x) => b.node('Mul', [b.node('Relu', [x]), b.node('HardSigmoid', [x], { alpha: attr.f(1 / 6), beta: attr.f(0.5) })]),
    want: 'ok',
  },
  {
    name: 'QDQ Sigmoid (float between dequantize and quantize)',
    shape: S,
    range: 4,
    build: (b, x) => b.qdq(b.node('Sigmoid', [b.qdq(x, rangeParams(-4, 4))]), { scale: 1 / 256, zp: -128, type: 'int8' }),
    want: 'ok',
    lsb: 1 / 256,
  },
  {
    name: 'QDQ Softmax over the channels',
    shape: S,
    range: 3,
    build: (b, x) => b.qdq(b.node('Softmax', [b.qdq(x, rangeParams(-3, 3))], { axis: attr.i(1) }), { scale: 1 / 256, zp: -128, type: 'int8' }),
    want: 'ok',
    lsb: 1 / 256,
  },
  { name: 'QDQ MaxPool requantized', shape: S, build: (b, x) => b.qdq(pool('MaxPool', b, b.qdq(x, P_IN), 2), P_OUT), want: 'ok', lsb: P_OUT.scale },
  {
    name: 'QDQ Mul of two activations',
    shape: S,
    build: (b, x) => {
      const q = b.qdq(x, P_IN);
      return b.qdq(b.node('Mul', [q, b.qdq(b.node('Relu', [q]), P_IN)]), P_OUT);
    },
    want: 'ok',
    lsb: P_OUT.scale,
  },
  {
    name: 'QDQ Concat of differently quantized inputs',
    shape: S,
    build: (b, x) => b.qdq(b.node('Concat', [b.qdq(x, P_IN), b.qdq(b.node('Relu', [x]), P_OUT)], { axis: attr.i(1) }), P_OUT),
    want: 'ok',
    lsb: P_OUT.scale,
  },
  {
    name: 'QDQ conv weights per channel along axis 1',
    shape: S,
    build: (b, x) => {
      const wq = b.qWeights(`qw${b.rng.int(0, 1e9)}`, [4, 3, 1, 1], b.values(12, -0.5, 0.5), 1);
      return b.qdq(b.node('Conv', [b.qdq(x, P_IN), wq.name]), P_OUT);
    },
    want: 'Conv',
    ortRejects: true, // its QDQ → QLinearConv fusion: 'filter scale shape invalid'
  },
  {
    name: 'QDQ Gemm transB, per-channel weights',
    shape: [1, 6],
    build: (b, x) => {
      const wq = b.qWeights(`qw${b.rng.int(0, 1e9)}`, [4, 6], b.values(24, -0.5, 0.5), 0);
      return b.qdq(b.node('Gemm', [b.qdq(x, P_IN), wq.name], { transB: attr.i(1) }), P_OUT);
    },
    want: 'ok',
    lsb: P_OUT.scale,
  },
  {
    name: 'QDQ int8 weights with a zero point',
    shape: S,
    build: (b, x) => {
      const wi = b.ints(`wq${b.rng.int(0, 1e9)}`, [2, 3, 1, 1], [1, -5, 20, 7, 100, -90], 'int8');
      const wd = b.node('DequantizeLinear', [wi, init(b, [], [0.01]), b.ints(`wz${b.rng.int(0, 1e9)}`, [], [3], 'int8')]);
      return b.qdq(b.node('Conv', [b.qdq(x, P_IN), wd]), P_OUT);
    },
    want: 'Conv',
  },
  { name: 'flatten axis 1 → Gemm, batch 2', shape: [2, 3, 4, 5], build: (b, x) => b.node('Gemm', [b.node('Flatten', [x]), w(b, [60, 4])]), want: 'ok' },
  { name: 'conv batch 2 (the C runs one image)', shape: [2, 3, 5, 5], build: (b, x) => conv(b, x, 3, 2, 3, { pads: ints([1, 1, 1, 1]) }), want: 'Conv' },
  { name: 'maxpool batch 2', shape: [2, 3, 5, 5], build: (b, x) => pool('MaxPool', b, x, 2), want: 'MaxPool' },
  {
    name: 'globalaveragepool, relu, pad, concat, softmax batch 2',
    shape: [2, 3, 5, 5],
    build: (b, x) =>
      b.node(
        'Softmax',
        [
          b.node('Concat', [b.node('Pad', [b.node('Relu', [x]), i64(b, [0, 0, 1, 1, 0, 0, 1, 1])]), b.node('Pad', [x, i64(b, [0, 0, 1, 1, 0, 0, 1, 1])])], {
            axis: attr.i(1),
          }),
        ],
        { axis: attr.i(1) },
      ),
    want: 'ok',
    c: true,
  },
  {
    name: 'QDQ conv → Q → DQ → Relu → Q (other parameters)',
    shape: S,
    build: (b, x) => b.qdq(b.node('Relu', [qdqConv(b, x, 4, 0, rangeParams(-2, 2))]), P_OUT),
    want: 'ok',
    lsb: P_OUT.scale,
  },
  {
    name: 'QDQ Add of a quantized per-channel constant',
    shape: S,
    build: (b, x) => b.qdq(b.node('Add', [b.qdq(x, P_IN), b.qdq(w(b, [3, 1, 1]), P_IN)]), P_OUT),
    want: 'ok',
    lsb: P_OUT.scale,
  },
  {
    name: 'QDQ Mul by a quantized scalar',
    shape: S,
    build: (b, x) => b.qdq(b.node('Mul', [b.qdq(x, P_IN), b.qdq(init(b, [], [0.7]), P_IN)]), P_OUT),
    want: 'ok',
    lsb: P_OUT.scale,
  },
  {
    name: 'QDQ conv s2 pads 1 (a pad op in front) with input zero point 40',
    shape: [1, 3, 8, 8],
    build: (b, x) => {
      const pin: QParams = { scale: 0.01, zp: 40, type: 'int8' };
      const wq = b.qWeights(`qw${b.rng.int(0, 1e9)}`, [4, 3, 3, 3], b.values(108, -0.5, 0.5), 0);
      return b.qdq(b.node('Conv', [b.qdq(x, pin), wq.name], { ...k(3), pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }), P_OUT);
    },
    want: 'ok',
    lsb: P_OUT.scale,
    c: true,
  },
  {
    name: 'QDQ averagepool count_include_pad 1 with input zero point 40',
    shape: S,
    build: (b, x) => {
      const pin: QParams = { scale: 0.01, zp: 40, type: 'int8' };
      return b.qdq(pool('AveragePool', b, b.qdq(x, pin), 3, { pads: ints([1, 1, 1, 1]), count_include_pad: attr.i(1) }), P_OUT);
    },
    want: 'ok',
    lsb: P_OUT.scale,
  },
  {
    name: 'QDQ Pad (constant 0) of uint8 with zero point 70',
    shape: S,
    build: (b, x) =>
      b.qdq(b.node('Pad', [b.qdq(x, { scale: 0.01, zp: 70, type: 'uint8' }), i64(b, [0, 0, 1, 2, 0, 0, 2, 1])]), { scale: 0.01, zp: 70, type: 'uint8' }),
    want: 'ok',
    lsb: 0.01,
  },
  {
    name: 'QDQ weights from a float constant through QuantizeLinear (per channel)',
    shape: S,
    build: (b, x) => {
      const wf = w(b, [4, 3, 3, 3]);
      const sc = init(b, [4], [0.004, 0.003, 0.005, 0.002]);
      const zp = b.ints(`wz${b.rng.int(0, 1e9)}`, [4], [0, 0, 0, 0], 'int8');
      const wd = b.node('DequantizeLinear', [b.node('QuantizeLinear', [wf, sc, zp], { axis: attr.i(0) }), sc, zp], { axis: attr.i(0) });
      return b.qdq(b.node('Conv', [b.qdq(x, P_IN), wd], k(3)), P_OUT);
    },
    want: 'ok',
    lsb: P_OUT.scale,
  },
  { name: 'QDQ int8 graph output (no DequantizeLinear)', shape: S, build: (b, x) => b.quantize(qdqConv(b, x, 4, 0, P_OUT), P_OUT), want: 'ok', lsb: 1 },
  { name: 'QDQ uint8 graph output (no DequantizeLinear)', shape: S, build: (b, x) => b.quantize(b.node('Relu', [b.qdq(x, P_U8)]), P_U8), want: 'ok', lsb: 1 },
  {
    name: 'add broadcast [N, K] + [N, 1] of two activations',
    shape: [3, 6],
    build: (b, x) => b.node('Add', [x, b.node('MatMul', [x, w(b, [6, 1])])]),
    want: 'Add',
  },
  // ---- Div, Cast, Slice (test_div*, test_cast_*, test_slice*) ----
  { name: 'div by a scalar constant', shape: S, build: (b, x) => b.node('Div', [x, init(b, [], [6])]), want: 'ok' },
  { name: 'div by a per-channel constant [C, 1, 1]', shape: S, build: (b, x) => b.node('Div', [x, init(b, [3, 1, 1], [2, -0.5, 3])]), want: 'ok' },
  { name: 'div by zero', shape: S, build: (b, x) => b.node('Div', [x, init(b, [], [0])]), want: 'Div' },
  { name: 'div of two activations', shape: S, build: (b, x) => b.node('Div', [x, b.node('Sigmoid', [x])]), want: 'Div' },
  { name: 'div of a constant by an activation', shape: S, build: (b, x) => b.node('Div', [init(b, [], [1]), b.node('Sigmoid', [x])]), want: 'Div' },
  {
    name: 'hardswish as Paddle exports it: x · Clip(x + 3, 0, 6) / 6 (opset 9)',
    shape: S,
    opset: 9,
    range: 5,
    build: (b, x) =>
      b.node('Div', [b.node('Mul', [x, b.node('Clip', [b.node('Add', [x, init(b, [], [3])])], { min: attr.f(0), max: attr.f(6) })]), init(b, [], [6])]),
    want: 'ok',
  },
  {
    name: 'QDQ div by a quantized constant (float between dequantize and quantize)',
    shape: S,
    build: (b, x) => b.qdq(b.node('Div', [b.qdq(x, P_IN), b.qdq(init(b, [], [0.5]), P_IN)]), rangeParams(-2, 2)),
    want: 'ok',
    lsb: rangeParams(-2, 2).scale,
  },
  { name: 'cast of an activation', shape: S, build: (b, x) => b.node('Cast', [x], { to: attr.i(1) }), want: 'Cast' },
  {
    name: 'Paddle flatten chain: Shape → Cast → Slice (opset 9 attributes) → Cast → Concat → Reshape',
    shape: S,
    opset: 9,
    build: (b, x) => {
      const g = b.node('GlobalAveragePool', [x]);
      const n = b.node('Slice', [b.node('Cast', [b.node('Shape', [g])], { to: attr.i(6) })], { axes: ints([0]), starts: ints([0]), ends: ints([1]) });
      const spec = b.node('Concat', [b.node('Cast', [n], { to: attr.i(7) }), i64(b, [-1])], { axis: attr.i(0) });
      return b.node('Add', [b.node('MatMul', [b.node('Reshape', [g, spec]), w(b, [3, 4])]), w(b, [4])]);
    },
    want: 'ok',
  },
  {
    name: 'slice (opset 13 inputs, negative start, step -1) of a shape',
    shape: S,
    build: (b, x) => {
      const g = b.node('GlobalAveragePool', [x]);
      const sh = b.node('Slice', [b.node('Shape', [g]), i64(b, [-3]), i64(b, [-5]), i64(b, [0]), i64(b, [-1])]); // [C, 1]
      return b.node('Reshape', [g, b.node('Concat', [i64(b, [1]), sh], { axis: attr.i(0) })]);
    },
    want: 'ok',
  },
  { name: 'slice of an activation', shape: [1, 6], build: (b, x) => b.node('Slice', [x, i64(b, [1]), i64(b, [3]), i64(b, [1])]), want: 'Slice' },
];
