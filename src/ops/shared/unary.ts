/**
 * Elementwise unary ops (HARD_SWISH, LOGISTIC, standalone RELU / RELU6 /
 * RELU_N1_TO_1): the shared emission.
 *
 * int8/uint8: the output is a function of one input byte, so the emitter runs
 * the op's reference kernel (TFLite's integer arithmetic) on the 256 possible
 * bytes at compile time and the C kernel reads `y[i] = table[byte of x[i]]`
 * (`templates/kernels/lut.c.hbs`, the table a `ctx.table` constant). It is
 * exact by construction: the table holds the reference's own outputs.
 * float32: `templates/kernels/unary_f32.c.hbs` spells TFLite's float formula.
 */
import { elementCount } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { cType, shapeTag } from '../../codegen/ops/common.js';
import type { AnyOp } from '../types.js';
import { formatKernelId, kernelDType, type KernelFlag } from '../../codegen/kernelId.js';
import type { QuantArray } from '../../reference/kernels/common.js';

/** The 256 outputs of a quantized unary kernel, indexed by the input's byte (int8 −1 is byte 255). */
export function byteTable(dtype: 'int8' | 'uint8', kernel: (x: QuantArray, out: QuantArray) => QuantArray): Int8Array | Uint8Array {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const x = dtype === 'int8' ? new Int8Array(bytes.buffer) : bytes;
  return kernel(x, dtype === 'int8' ? new Int8Array(256) : new Uint8Array(256)) as Int8Array | Uint8Array;
}

/** The generic table-lookup emission of a quantized unary op (each SIMD provider renames it for its ISA: src/codegen/isa/lut.ts). */
export function lutEmission(op: AnyOp, ctx: EmitContext, table: Int8Array | Uint8Array): OpEmission {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = xT.dtype;
  if ((dtype !== 'int8' && dtype !== 'uint8') || yT.dtype !== dtype)
    throw badInput(`op ${op.name} (${op.kind}): table lookup from ${xT.dtype} to ${yT.dtype} is not supported`);
  const n = elementCount(xT.shape);
  const kernel = formatKernelId({ op: 'lut', dtype: kernelDType(dtype), isa: 'c', shape: shapeTag(xT.shape) });
  return {
    family: 'lut',
    kernel,
    params: { fn: kernel, t: cType(dtype), n, neon: false, mve: false, words: false, common: '', blocks: 0, tail: 0 },
    call: `${kernel}(${[ctx.arena(xT.id, false), ctx.table('lut', table), ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
    elementwise: true,
  };
}

/** The float32 forms of unary_f32.c.hbs. */
export type UnaryFloat = { readonly op: 'hardswish' } | { readonly op: 'logistic' } | { readonly op: 'act'; readonly clamp: 'relu' | 'relu6' | 'relun1' };

/** The float32 emission of a unary op. */
export function floatUnaryEmission(op: AnyOp, ctx: EmitContext, form: UnaryFloat): OpEmission {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  if (xT.dtype !== 'float32' || yT.dtype !== 'float32') throw badInput(`op ${op.name} (${op.kind}): float kernel from ${xT.dtype} to ${yT.dtype}`);
  const n = elementCount(xT.shape);
  const flags: Partial<Record<KernelFlag, true>> = form.op === 'act' ? { [form.clamp]: true } : {};
  const kernel = formatKernelId({ op: form.op, dtype: 'f32', isa: 'c', flags, shape: shapeTag(xT.shape) });
  const clamp = form.op === 'act' ? form.clamp : null;
  return {
    family: 'unary_f32',
    kernel,
    params: {
      fn: kernel,
      n,
      hardswish: form.op === 'hardswish',
      logistic: form.op === 'logistic',
      relu: clamp === 'relu',
      relu6: clamp === 'relu6',
      relun1: clamp === 'relun1',
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
    elementwise: true,
  };
}
