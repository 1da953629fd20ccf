/**
 * float32 → int8 / uint8 quantization on x86-64 AVX2: variant
 * `avx2/quantize/f32` (`mobilec_quantize_s8_avx2_t8_96x96x3`,
 * templates/kernels/quantize_avx2.c.hbs). A QDQ or float-input model's first
 * layer quantizes the whole input image; the generic C
 * (`mobilec_quantize_f32` per value: a division and branches) does not
 * vectorize, and on MobileNetV1 0.25/96 int8 it took about a fifth of the
 * inference. 8 values a step: the same IEEE float division, lane for lane the
 * generic function's result (NaN → zero point, the clamp to ±2^30 before the
 * conversion, truncation and the half-away step, + zp, the dtype clamp), so it
 * is bit-exact; the last n mod 8 values run the generic function.
 */
import { dtypeRange, elementCount, type QuantizeOp } from '../../../model/ir.js';
import { f32Literal, perTensorQuant, quantDType, shapeTag } from '../../ops/common.js';
import { formatKernelId, kernelDType, type KernelId } from '../../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { common, isX86 } from './shared.js';

type QLayer = Layer<QuantizeOp>;

function plan(l: QLayer) {
  const { op, ctx } = l;
  if (!isX86(ctx)) return null;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  if (quantDType(xT, op) !== 'float32') return null;
  const out = quantDType(yT, op);
  if (out !== 'int8' && out !== 'uint8') return null;
  const n = elementCount(xT.shape);
  if (n !== elementCount(yT.shape) || n < 8) return null;
  return { xT, yT, out, n, q: perTensorQuant(yT, op) };
}
type Plan = NonNullable<ReturnType<typeof plan>>;

const id = (_l: QLayer, p: Plan): KernelId => ({ op: 'quantize', dtype: kernelDType(p.out), isa: 'avx2', tile: '8', shape: shapeTag(p.xT.shape) });

function emit(l: QLayer, p: Plan): OpEmission {
  const { ctx } = l;
  const kernel = formatKernelId(id(l, p));
  const [qmin, qmax] = dtypeRange(p.out);
  return {
    family: 'quantize_avx2',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      to: p.out,
      tout: p.out === 'int8' ? 'int8_t' : 'uint8_t',
      n: p.n,
      body: p.n - (p.n % 8),
      qmin: String(qmin),
      qmax: String(qmax),
      unsigned: p.out === 'uint8',
    },
    call: `${kernel}(${[ctx.arena(p.xT.id, false), f32Literal(p.q.scale), String(p.q.zeroPoint), ctx.arena(p.yT.id, true)].join(', ')});`,
    macs: 0,
  };
}

export const quantizeF32Variant: SimdVariant<Plan, QuantizeOp> = {
  key: 'avx2/quantize/f32',
  isa: 'avx2',
  ops: ['quantize'],
  applies: plan,
  id,
  emit,
};
