/**
 * What the SIMD pooling and mean variants of every ISA share: the 8-bit
 * clamp a vector kernel applies in 8-bit lanes, the operands of a quantized
 * average / max pool, and the variant factories of the Cortex-M families
 * (`<isa>/avgpool/any`, `<isa>/maxpool/any`, `<isa>/mean/any`).
 *
 * Quantized pools keep the input's quantization; their only value-dependent
 * part is the activation clamp, which every kernel takes whatever it is
 * (through `poolClamp`). MEAN follows the generic emission's path
 * (src/ops/mean/emit.ts: direct / average / float, with the same call
 * arguments); only the H x W sums run in SIMD, the per-channel epilogue is
 * the generic one (templates/partials/mean/out.hbs).
 */
import { dtypeRange, type Pool2DOp, type Tensor } from '../../model/ir.js';
import { internalError } from '../../model/errors.js';
import { windowGeometry, type WindowGeometry } from '../../model/geometry.js';
import type { MeanOp } from '../../ops/mean/index.js';
import { meanEmission } from '../../ops/mean/emit.js';
import { cType, int32Literal, windowParams } from '../ops/common.js';
import { formatKernelId, kernelDType, parseKernelName, type KernelIsa } from '../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../types.js';

type QDType = 'int8' | 'uint8';
export type PoolFamily = 'avgpool' | 'maxpool';

/** Values an 8-bit lane holds: v modulo 256 in the dtype's range (what storing v as int8_t / uint8_t gives). */
function wrap8(v: number, dtype: QDType): number {
  const u = ((v % 256) + 256) % 256;
  return dtype === 'int8' && u > 127 ? u - 256 : u;
}

/**
 * The activation clamp [lo, hi] of a pool as an equivalent pair inside the
 * dtype's range: for every 8-bit value m, clamp(m, lo', hi') stored as the
 * dtype equals the reference's clamp(m, lo, hi) stored as the dtype. Bounds
 * outside the range are cut to it; a clamp that maps every value to one
 * constant (the whole range below lo or above hi) becomes [k, k]. Ordered
 * clamps are all the requantize pass makes (activationRange of an in-range
 * zero point); an unordered one is an internal error.
 */
export function poolClamp(lo: number, hi: number, dtype: QDType): [number, number] {
  if (lo > hi) throw internalError(`pool clamp [${lo}, ${hi}] is not ordered`);
  const [qmin, qmax] = dtypeRange(dtype);
  if (hi < qmin) return [wrap8(hi, dtype), wrap8(hi, dtype)];
  if (lo > qmax) return [wrap8(lo, dtype), wrap8(lo, dtype)];
  return [Math.max(lo, qmin), Math.min(hi, qmax)];
}

/** The clamp arguments of a quantized pool (`poolClamp` of its activation range), as C literals. */
export function poolClampArgs(op: Pool2DOp, dtype: QDType): [string, string] {
  const [lo, hi] = op.requant ? [op.requant.actMin, op.requant.actMax] : dtypeRange(dtype);
  return poolClamp(lo, hi, dtype).map(int32Literal) as [string, string];
}

/** The operands of an int8 / uint8 pool whose output has the input's dtype and channels, else null. */
export interface QuantPool {
  readonly g: WindowGeometry;
  readonly dtype: QDType;
  readonly x: Tensor;
  readonly y: Tensor;
}

export function quantPool(layer: Layer<Pool2DOp>): QuantPool | null {
  const { op, ctx } = layer;
  const x = ctx.tensor(op.inputs[0]!);
  const y = ctx.tensor(op.outputs[0]!);
  const dtype = x.dtype;
  if ((dtype !== 'int8' && dtype !== 'uint8') || y.dtype !== dtype) return null;
  const g = windowGeometry(ctx.graph, op);
  return g.outC === g.inC ? { g, dtype, x, y } : null;
}

/**
 * Taps per chunk of a window sum in 16-bit lanes: 256 8-bit values sum
 * within int16 (int8: −32768 .. 32512) and uint16 (uint8: at most 65280).
 * A window of rows x cols sums in chunks of `rows` rows of `cols` columns,
 * each widened into the 32-bit sums; a window of at most 256 taps is one chunk.
 */
export function sumChunks(kh: number, kw: number): { chunkRows: number; chunkCols: number } {
  const chunkCols = Math.min(kw, 256);
  return { chunkRows: Math.min(kh, Math.floor(256 / chunkCols)), chunkCols };
}

/**
 * A Cortex-M pooling variant `<isa>/<family>/any`: every int8 / uint8
 * pool, template `templates/kernels/<family>_<isa>.c.hbs` with the window,
 * the dtype and `extra` parameters; call (x, act_min, act_max, y). The kernels
 * write output pixels in row-major order, each after its window is read, as
 * the generic kernel does (may run in place).
 */
export function poolVariant(isa: KernelIsa, family: PoolFamily, extra: (dtype: QDType) => Readonly<Record<string, unknown>>): SimdVariant<QuantPool, Pool2DOp> {
  const id = (layer: Layer<Pool2DOp>, p: QuantPool) => ({
    op: family,
    dtype: kernelDType(p.dtype),
    isa,
    window: { kH: p.g.kH, kW: p.g.kW, sH: p.g.strideH, sW: p.g.strideW, padding: layer.op.padding },
    shape: `${p.g.inH}x${p.g.inW}x${p.g.inC}`,
  });
  return {
    key: `${isa}/${family}/any`,
    isa,
    ops: [family === 'avgpool' ? 'average_pool2d' : 'max_pool2d'],
    applies: quantPool,
    id,
    emit(layer, p) {
      const { ctx, op } = layer;
      const kernel = formatKernelId(id(layer, p));
      return {
        family: `${family}_${isa}`,
        kernel,
        params: {
          fn: kernel,
          t: cType(p.dtype),
          dtype: p.dtype,
          unsigned: p.dtype === 'uint8',
          padding: op.padding,
          ...windowParams(p.g),
          ...sumChunks(p.g.kH, p.g.kW),
          ...extra(p.dtype),
        },
        call: `${kernel}(${[ctx.arena(p.x.id, false), ...poolClampArgs(op, p.dtype), ctx.arena(p.y.id, true)].join(', ')});`,
        macs: 0,
        streaming: { pixelBlock: 1 },
      };
    },
  };
}

/**
 * A SIMD MEAN variant `<isa>/mean/any`: every int8 / uint8 MEAN over H and W,
 * the generic emission's path, parameters and call under the ISA's kernel
 * name and template `templates/kernels/<family>.c.hbs`, with H and W
 * (`mh`, `mw`), the sum chunks and `extra` parameters of the dtype.
 */
export function meanVariant(isa: KernelIsa, family: string, extra: (dtype: QDType) => Readonly<Record<string, unknown>>): SimdVariant<OpEmission, MeanOp> {
  return {
    key: `${isa}/mean/any`,
    isa,
    ops: ['mean'],
    applies(layer) {
      const x = layer.ctx.tensor(layer.op.inputs[0]!);
      const y = layer.ctx.tensor(layer.op.outputs[0]!);
      if ((x.dtype !== 'int8' && x.dtype !== 'uint8') || y.dtype !== x.dtype) return null;
      const em = meanEmission(layer.op, layer.ctx, isa);
      const [, h, w] = x.shape as [number, number, number, number];
      return { ...em, family, params: { ...em.params, unsigned: x.dtype === 'uint8', mh: h, mw: w, ...sumChunks(h, w), ...extra(x.dtype) } };
    },
    id: (_l, plan) => parseKernelName(plan.kernel!),
    emit: (_l, plan) => plan,
  };
}
