/** Held-out ONNX conformance: the quantized cases (QDQ, QLinearConv, QLinearMatMul; see onnxConformance.ts). */
import { attr, rangeParams, type QParams } from './onnxBuilder.js';
import { ints, k, S, w, pool, init, i64, P_IN, P_OUT, P_U8, qdqConv, type ConformanceCase } from './onnxConformance.js';

export const QDQ_CASES: readonly ConformanceCase[] = [
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
    name: 'QDQ div by a quantized constant (float between dequantize and quantize)',
    shape: S,
    build: (b, x) => b.qdq(b.node('Div', [b.qdq(x, P_IN), b.qdq(init(b, [], [0.5]), P_IN)]), rangeParams(-2, 2)),
    want: 'ok',
    lsb: rangeParams(-2, 2).scale,
  },
];
