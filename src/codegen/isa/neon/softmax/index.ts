/**
 * Softmax on aarch64 NEON, two variants:
 *   neon/softmax/f32  float32: a vector exp (range reduction and a degree-5 polynomial)
 *   neon/softmax/tbl  int8/uint8: every difference to the row maximum is one of 256 values, so exp
 *                     (TFLite's fixed point, computed here at compile time) is a table: the sum of
 *                     exps is three byte-plane TBL lookups (exact integer sums), the outputs a
 *                     256-entry byte table computed per row with SQRDMULH / SRSHL (operands
 *                     non-negative: bit-exact), then looked up. The name's `tbl` flag lists the
 *                     64-entry chunks each byte plane needs (the code reads only those).
 */
import type { SoftmaxOp } from '../../../../model/ir.js';
import { elementCount } from '../../../../model/ir.js';
import type { EmitContext, Layer, SimdVariant } from '../../../types.js';
import { formatKernelId, type KernelId } from '../../../kernelId.js';
import { cType } from '../../../ops/common.js';
import {
  expOnNegativeValues,
  multiplyByQuantizedMultiplierGreaterThanOne,
  rescale,
  SOFTMAX_ACCUMULATION_INTEGER_BITS,
  SOFTMAX_SCALED_DIFF_INTEGER_BITS,
} from '../../../../numerics/fixedpoint.js';

interface Rows {
  readonly op: SoftmaxOp;
  readonly ctx: EmitContext;
  readonly dtype: 'float32' | 'int8' | 'uint8';
  readonly depth: number;
  readonly outer: number;
}

/** The rows a NEON softmax takes: aarch64, same input and output dtype, 16..4095 values per row. */
function softmaxRows(layer: Layer): Rows | null {
  const { op, ctx } = layer;
  if (op.kind !== 'softmax' || ctx.target.arch !== 'aarch64') return null;
  const xT = ctx.tensor(op.inputs[0]!);
  const dtype = xT.dtype;
  if (ctx.tensor(op.outputs[0]!).dtype !== dtype || (dtype !== 'float32' && dtype !== 'int8' && dtype !== 'uint8')) return null;
  const depth = xT.shape[xT.shape.length - 1]!;
  const outer = elementCount(xT.shape) / depth;
  if (depth < 16 || depth > 4095 || !Number.isInteger(outer)) return null;
  return { op, ctx, dtype, depth, outer };
}

const softmaxId = (r: Rows, chunks?: number[]): KernelId => ({
  op: 'softmax',
  dtype: r.dtype === 'float32' ? 'f32' : r.dtype === 'int8' ? 's8' : 'u8',
  isa: 'neon',
  flags: chunks ? { tbl: Number(chunks.join('')) } : {},
  shape: `${r.outer}x${r.depth}`,
});

const f32: SimdVariant<Rows> = {
  key: 'neon/softmax/f32',
  isa: 'neon',
  ops: ['softmax'],
  applies(layer) {
    const r = softmaxRows(layer);
    return r && r.dtype === 'float32' && Number.isFinite(r.op.beta) ? r : null;
  },
  id: (_layer, r) => softmaxId(r),
  emit(_layer, r) {
    const kernel = formatKernelId(softmaxId(r));
    const b = String(Math.fround(r.op.beta));
    const beta = /[.e]/.test(b) ? `${b}f` : `${b}.0f`;
    const call = `${kernel}(${r.ctx.arena(r.op.inputs[0]!, false)}, ${beta}, ${r.ctx.arena(r.op.outputs[0]!, true)});`;
    return { family: 'softmax_neon', kernel, params: { quant: false, fn: kernel, depth: r.depth, outer: r.outer, tail: r.depth % 4 }, call, macs: 0 };
  },
};

interface Tables {
  readonly r: Rows;
  /** S[d] = Rescale<12>(exp(scaled(-d))) as three byte planes; zero below diff_min. */
  readonly planes: Uint8Array;
  /** E[d] = exp(scaled(-d)). */
  readonly E: Int32Array;
  /** 64-entry TBL chunks each plane needs (zero beyond). */
  readonly chunks: number[];
}

function expTables(r: Rows): Tables | null {
  const sq = r.op.softmaxQuant;
  if (!sq) return null;
  const planes = new Uint8Array(3 * 256);
  const E = new Int32Array(256);
  for (let d = 0; d < 256; d++) {
    if (-d < sq.diffMin) continue;
    const scaled = multiplyByQuantizedMultiplierGreaterThanOne(-d, sq.inputMultiplier, sq.inputLeftShift);
    const e = expOnNegativeValues(scaled, SOFTMAX_SCALED_DIFF_INTEGER_BITS);
    const s = rescale(e, 0, SOFTMAX_ACCUMULATION_INTEGER_BITS);
    if (s < 0 || s >= 1 << 24 || e < 0) return null;
    E[d] = e;
    planes[d] = s & 255;
    planes[256 + d] = (s >> 8) & 255;
    planes[512 + d] = (s >> 16) & 255;
  }
  const chunks = [0, 1, 2].map((pl) => {
    let last = -1;
    for (let d = 0; d < 256; d++) if (planes[pl * 256 + d]) last = d;
    return last < 0 ? 0 : (last >> 6) + 1;
  });
  return { r, planes, E, chunks };
}

const tbl: SimdVariant<Tables> = {
  key: 'neon/softmax/tbl',
  isa: 'neon',
  ops: ['softmax'],
  applies(layer) {
    const r = softmaxRows(layer);
    return r && r.dtype !== 'float32' ? expTables(r) : null;
  },
  id: (_layer, t) => softmaxId(t.r, t.chunks),
  emit(_layer, { r, planes, E, chunks }) {
    const kernel = formatKernelId(softmaxId(r, chunks));
    const { ctx, op } = r;
    const args = [ctx.arena(op.inputs[0]!, false), ctx.table('splanes', planes), ctx.table('sexp', E), ctx.arena(op.outputs[0]!, true)];
    const D = r.depth;
    const tail = D % 16;
    const nv = Math.floor(D / 16);
    const params = {
      quant: true,
      fn: kernel,
      t: cType(r.dtype),
      depth: D,
      outer: r.outer,
      isU8: r.dtype === 'uint8',
      tail,
      chunks,
      planes: chunks.flatMap((k, pl) => (k ? [{ k, base: 256 * pl, shift: 8 * pl }] : [])),
      // runs of at most 128 vectors: the uint16 partial sums of byte lookups cannot overflow
      blocks: Array.from({ length: Math.ceil(nv / 128) }, (_, i) => ({ from: 16 * 128 * i, to: 16 * Math.min(nv, 128 * (i + 1)) })),
      // the last 16 values overlap the vectors: lanes already counted are masked off
      tmask: Array.from({ length: 16 }, (_, j) => (j < 16 - tail ? 0 : 255)),
      tmin: r.dtype === 'int8' ? '-128' : '0',
    };
    return { family: 'softmax_neon', kernel, params, call: `${kernel}(${args.join(', ')});`, macs: 0 };
  },
};

/** Every NEON softmax variant, in preference order. */
export const softmaxVariants: readonly SimdVariant<any>[] = [f32, tbl];
