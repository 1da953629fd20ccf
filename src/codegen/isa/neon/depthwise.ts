/** Depthwise 3x3 convolution on NEON, vectorized across channels. */
import type { DepthwiseConv2DOp } from '../../../model/ir.js';
import { type WindowGeometry } from '../../../model/geometry.js';
import type { EmitContext, OpEmission } from '../../types.js';
import { DTYPE_TAG, cType, floatActRange, requireRequant, strideTag, zeroPoint } from '../../ops/common.js';
import { common, actDType, weightValues, biasValues, quantArgs, quantChannelsOk, ceil, wrap, asmText, CLOBBERS } from './shared.js';

// ---------------------------------------------------------------- depthwise

/** First and one-past-last output index whose 3-wide window lies inside [0, n). */
function interior(outN: number, inN: number, stride: number, pad: number): [number, number] {
  let lo = 0;
  while (lo < outN && lo * stride - pad < 0) lo++;
  let hi = lo;
  while (hi < outN && hi * stride - pad + 2 <= inN - 1) hi++;
  return [lo, Math.max(lo, hi)];
}

/**
 * The int8/uint8 stride-1 interior as aarch64 assembly, three outputs of 8 channels per iteration:
 * weights v0-v8, three rotating column triples v9-v17 (each input column loaded and widened once),
 * accumulators v18-v23, y_zp/min/max v24-v26, requantization parameters and temporaries v27-v31.
 */
function dwQAsm(u8: boolean, hasLsh: boolean, allNeg: boolean, stride: number): string[] {
  const L: string[] = [];
  const xtl = u8 ? 'uxtl' : 'sxtl';
  for (let t = 0; t < 9; t++) L.push(`ld1 {v${t}.8h}, [%[w]], %[ws]`);
  L.push('dup v24.8h, %w[yzp]', 'dup v25.8b, %w[amin]', 'dup v26.8b, %w[amax]');
  const load = (base: number) => {
    for (let k = 0; k < 3; k++) L.push(`ld1 {v${base + k}.8b}, [%[r${k}]], %[cb]`);
    for (let k = 0; k < 3; k++) L.push(`${xtl} v${base + k}.8h, v${base + k}.8b`);
  };
  const out = (o: number, cols: number[]) => {
    const lo = 18 + 2 * o;
    L.push(`ld1 {v${lo}.4s, v${lo + 1}.4s}, [%[b]]`);
    for (let kx = 0; kx < 3; kx++)
      for (let ky = 0; ky < 3; ky++) {
        const c = cols[kx]! + ky;
        const t = ky * 3 + kx;
        L.push(`smlal v${lo}.4s, v${c}.4h, v${t}.4h`, `smlal2 v${lo + 1}.4s, v${c}.8h, v${t}.8h`);
      }
  };
  if (stride === 1) {
    load(9);
    load(12);
    L.push('1:');
    load(15);
    out(0, [9, 12, 15]);
    load(9);
    out(1, [12, 15, 9]);
    load(12);
    out(2, [15, 9, 12]);
  } else {
    // stride 2: the window's last column is the next window's first
    load(9);
    L.push('1:');
    load(12);
    load(15);
    out(0, [9, 12, 15]);
    load(9);
    load(12);
    out(1, [15, 9, 12]);
    load(15);
    load(9);
    out(2, [12, 15, 9]);
  }
  const accs = [18, 19, 20, 21, 22, 23];
  const par = (a: number) => (a % 2 === 0 ? 27 : 28);
  if (hasLsh) {
    L.push('ld1 {v27.4s, v28.4s}, [%[l]]');
    for (const a of accs) L.push(`sshl v${a}.4s, v${a}.4s, v${par(a)}.4s`);
  }
  L.push('ld1 {v27.4s, v28.4s}, [%[m]]');
  for (const a of accs) L.push(`sqrdmulh v${a}.4s, v${a}.4s, v${par(a)}.4s`);
  L.push('ld1 {v27.4s, v28.4s}, [%[nr]]');
  for (const [i, a] of accs.entries()) {
    const t = 29 + (i % 3);
    if (allNeg) L.push(`cmlt v${t}.4s, v${a}.4s, #0`);
    else L.push(`and v${t}.16b, v${a}.16b, v${par(a)}.16b`, `sshr v${t}.4s, v${t}.4s, #31`);
    L.push(`sqadd v${a}.4s, v${a}.4s, v${t}.4s`, `srshl v${a}.4s, v${a}.4s, v${par(a)}.4s`);
  }
  for (let o = 0; o < 3; o++) {
    const t = 29 + o;
    L.push(`sqxtn v${t}.4h, v${18 + 2 * o}.4s`, `sqxtn2 v${t}.8h, v${19 + 2 * o}.4s`, `sqadd v${t}.8h, v${t}.8h, v24.8h`);
    L.push(`${u8 ? 'sqxtun' : 'sqxtn'} v${t}.8b, v${t}.8h`, `${u8 ? 'umax' : 'smax'} v${t}.8b, v${t}.8b, v25.8b`, `${u8 ? 'umin' : 'smin'} v${t}.8b, v${t}.8b, v26.8b`);
    L.push(`st1 {v${t}.8b}, [%[y]], %[cb]`);
  }
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  return L;
}

export function selectDepthwise(op: DepthwiseConv2DOp, ctx: EmitContext, g: WindowGeometry): OpEmission | null {
  if (g.kH !== 3 || g.kW !== 3 || g.strideH !== g.strideW || (g.strideH !== 1 && g.strideH !== 2) || g.depthMultiplier !== 1) return null;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const C = g.inC;
  const cb = quant ? 8 : 4;
  const ncb = Math.floor(C / cb);
  if (ncb === 0) return null;
  const wv = weightValues(op, ctx, dtype);
  const bv = biasValues(op, ctx, C, quant);
  if (!wv || !bv) return null;
  if (quant && !quantChannelsOk(op, C)) return null;
  const cpad = ceil(C, cb);
  const packed = new Array<number>(9 * cpad).fill(0);
  for (let t = 0; t < 9; t++) for (let c = 0; c < C; c++) packed[t * cpad + c] = wv.w[t * C + c]!;
  const [oyLo, oyHi] = interior(g.outH, g.inH, g.strideH, g.padTop);
  const [oxLo, oxHi] = interior(g.outW, g.inW, g.strideW, g.padLeft);
  const args = [ctx.arena(xT.id, false)];
  let hasLsh = false;
  if (quant) {
    const xZp = zeroPoint(xT);
    const raw = new Int32Array(cpad);
    const adj = new Int32Array(cpad);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let t = 0; t < 9; t++) s = wrap(s + wv.w[t * C + c]!);
      raw[c] = bv[c]!;
      adj[c] = wrap(bv[c]! - Math.imul(xZp, s));
    }
    args.push(ctx.table('nw', Int16Array.from(packed)), ctx.table('nbiasin', adj), ctx.table('nbias', raw));
    const q = quantArgs(op, ctx, yT, C, cpad);
    hasLsh = q.hasLsh;
    args.push(q.args[0]!, q.args[1]!, q.args[2]!, String(xZp), ...q.args.slice(3));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from({ length: cpad }, (_, i) => (i < C ? bv[i]! : 0))));
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  const rq = quant ? requireRequant(op) : null;
  const allNeg = rq !== null && rq.shift.every((v) => v < 0);
  const dwAsm = quant ? asmText(dwQAsm(dtype === 'uint8', hasLsh, allNeg, g.strideH)) : '';
  // `_rn`: every shift is a right shift (the assembly's rounding fix-up is a compare), part of the name so kernels dedupe correctly
  const kernel = `mobilec_dwconv_3x3${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}${hasLsh ? '_lsh' : ''}${allNeg ? '_rn' : ''}_neon_${g.inH}x${g.inW}x${C}`;
  return {
    family: 'dwconv_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? 'int16 widened' : 'f32',
      quant,
      dtype,
      t: cType(dtype),
      isU8: dtype === 'uint8' ? 1 : 0,
      hasLsh: hasLsh ? 1 : 0,
      padding: op.padding,
      s: g.strideH,
      s1: g.strideH === 1,
      ih: g.inH, iw: g.inW, c: C, oh: g.outH, ow: g.outW, pt: g.padTop, pl: g.padLeft,
      cb, ncb, cpad,
      tailC: C - ncb * cb,
      c0Tail: ncb * cb,
      oyLo, oyHi, oyHiM1: oyHi - 1, oxLo, oxHi, oxHiM1: oxHi - 1,
      dwAsm,
      clobbers: CLOBBERS(32),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * C * 9,
    // One output row at a time, every channel block; reads only the rows of that row's windows.
    streaming: { pixelBlock: g.outW },
  };
}
