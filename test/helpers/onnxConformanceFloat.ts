/** Held-out ONNX conformance: the float32 cases (see onnxConformance.ts). */
import { attr } from './onnxBuilder.js';
import { ints, k, S, w, conv, pool, init, i64, type ConformanceCase } from './onnxConformance.js';

export const FLOAT_CASES: readonly ConformanceCase[] = [
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
