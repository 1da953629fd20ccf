/**
 * src/codegen/isa/neon/schedule.ts: the int8 depthwise row programs, one op per instruction and
 * reordered for in-order issue, compute what the unscheduled programs compute. Both run
 * symbolically (every register value a term naming the loads, weights, tables and operations it
 * comes from; the unscheduled ops interpreted as the partials row_op/row_qout spell them) and must
 * store the same terms in the same order, over strides, paddings, row variants, split taps and
 * every epilogue configuration. Plus: the schedule moves instructions (it is not the identity), and
 * it keeps the instruction count.
 */
import { describe, expect, it } from 'vitest';
import type { WindowGeometry } from '../../src/model/geometry.js';
import { type RowOp, rowKernel, type SplitTap } from '../../src/codegen/isa/neon/regalloc.js';
import { type RowFlags, scheduleRow } from '../../src/codegen/isa/neon/schedule.js';

type Regs = Map<number, string>;

function geometry(inH: number, inW: number, s: number, same: boolean): WindowGeometry {
  const out = (n: number) => (same ? Math.ceil(n / s) : Math.floor((n - 3) / s) + 1);
  const pad = (n: number) => (same ? Math.floor(Math.max(0, (out(n) - 1) * s + 3 - n) / 2) : 0);
  return {
    inH,
    inW,
    inC: 32,
    outH: out(inH),
    outW: out(inW),
    outC: 32,
    kH: 3,
    kW: 3,
    strideH: s,
    strideW: s,
    padTop: pad(inH),
    padLeft: pad(inW),
    depthMultiplier: 1,
  };
}

/** Runs a program (loop bodies repeated), returning the stored terms and the instruction count. */
function run(ops: readonly RowOp[], f: RowFlags): { stores: string[]; count: number } {
  const reg: Regs = new Map();
  const get = (n: number) => reg.get(n) ?? `v${n}`;
  const ptr = new Map<string, number>();
  const stores: string[] = [];
  let count = 0;
  const load = (r: number) => {
    const k = ptr.get(`r${r}`) ?? 0;
    ptr.set(`r${r}`, k + 1);
    return f.isU8 ? `eor(ld${r}.${k})` : `ld${r}.${k}`;
  };
  const lo = (x: number, w: number) => `l(${get(x)})*l(${get(w)})`;
  const hi = (x: number, w: number) => `h(${get(x)})*h(${get(w)})`;
  const widen = (a: number, p: string, h: boolean) => reg.set(a, `${get(a)}+${h ? 'hi' : 'lo'}(${p})`);
  // the unscheduled kinds, as row_op.hbs spells them (products in scratch registers, then widened)
  const half = (a: number, x0: number, w0: number, x1: number | null, w1: number, h: number | null) => {
    if (h !== 1) {
      const p = `[${lo(x0, w0)}]${x1 === null ? '' : `+[${lo(x1, w1)}]`}`;
      widen(a, p, false);
      widen(a + 1, p, true);
    }
    if (h !== 0) {
      const q = `[${hi(x0, w0)}]${x1 === null ? '' : `+[${hi(x1, w1)}]`}`;
      widen(a + 2, q, false);
      widen(a + 3, q, true);
    }
  };
  const qout = (a: number) => {
    const acc = [0, 1, 2, 3].map((i) => {
      let t = get(a + i);
      if (f.hasLsh) t = `sshl(${t},tab10.${i})`;
      t = `sqrdmulh(${t},tab9.${i})`;
      t = f.rn ? `srshl(ssra(${t}),tab11.${i})` : `round(${t},tab${i < 2 ? 11 : 12}.${i % 2})`;
      return t;
    });
    const h0 = `z(cat(n(${acc[0]}),n(${acc[1]})))`;
    const h1 = `z(cat(n(${acc[2]}),n(${acc[3]})))`;
    let o = `cat8(n8(${h0}),n8(${h1}))`;
    if (f.clampLo) o = `max(${o},min)`;
    if (f.clampHi) o = `min(${o},max)`;
    stores.push(o);
    count += (f.hasLsh ? 5 : 0) + 5 + (f.rn ? 9 : 14) + 8 + (f.clampLo || f.clampHi ? 1 : 0) + (f.clampLo ? 1 : 0) + (f.clampHi ? 1 : 0) + 1;
  };
  const step = (o: RowOp) => {
    switch (o.k) {
      case 'qld':
      case 'xld':
        reg.set(o.x, load(o.r));
        count += o.k === 'qld' && f.isU8 ? 2 : 1;
        return;
      case 'xeor':
        reg.set(o.x, `eor(${get(o.x)})`.replace(/^eor\(eor\((.*)\)\)$/, 'eor($1)'));
        count++;
        return;
      case 'qbias':
        for (let i = 0; i < 4; i++) reg.set(o.a + i, `bias${o.b}.${i}`);
        count++;
        return;
      case 'wld':
        reg.set(o.v, `w@${o.off}`);
        count++;
        return;
      case 'pair':
        half(o.a, o.x0, o.w0, o.x1, o.w1, null);
        count += 8;
        return;
      case 'odd':
        half(o.a, o.x, o.w, null, 0, null);
        count += 6;
        return;
      case 'hpair':
        half(o.a, o.x0, o.w0, o.x1, o.w1, o.h);
        count += 4;
        return;
      case 'hodd':
        half(o.a, o.x, o.w, null, 0, o.h);
        count += 3;
        return;
      case 'qout':
        qout(o.a);
        return;
      case 'mul': {
        const t = o.m === 'smull' || o.m === 'smlal' ? lo(o.x, o.w) : hi(o.x, o.w);
        reg.set(o.p, o.m.startsWith('smlal') ? `${get(o.p)}+[${t}]` : `[${t}]`);
        break;
      }
      case 'wid':
        widen(o.a, get(o.p), o.hi);
        break;
      case 'rqld':
        for (let i = 0; i < o.n; i++) reg.set(o.v + i, `tab${o.t}.${i}`);
        break;
      case 'rq': {
        const a = get(o.a);
        if (o.step === 'shift') reg.set(o.a, `sshl(${a},${get(o.l)})`);
        else if (o.step === 'mul') reg.set(o.a, `sqrdmulh(${a},${get(o.m)})`);
        else if (o.step === 'fix') reg.set(o.a, `ssra(${a})`);
        else if (o.step === 'rshift') reg.set(o.a, `srshl(${a},${get(o.r)})`);
        else {
          reg.set(o.a, `round(${a},${get(o.r)})`);
          reg.set(o.t, 'scratch');
          count += 2;
        }
        break;
      }
      case 'nar':
        reg.set(o.d, o.hi ? `cat(${get(o.d)},n(${get(o.s)}))` : `n(${get(o.s)})`);
        break;
      case 'zadd':
        reg.set(o.d, `z(${get(o.d)})`);
        break;
      case 'nar8':
        reg.set(o.d, o.hi ? `cat8(${get(o.d)},n8(${get(o.s)}))` : `n8(${get(o.s)})`);
        break;
      case 'cld':
        reg.set(30, 'min');
        reg.set(31, 'max');
        break;
      case 'cmax':
        reg.set(o.d, `max(${get(o.d)},${get(30)})`);
        break;
      case 'cmin':
        reg.set(o.d, `min(${get(o.d)},${get(31)})`);
        break;
      case 'qst':
        stores.push(get(o.d));
        break;
      default:
        throw new Error(`unexpected ${o.k}`);
    }
    count++;
  };
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    if (o.k === 'loop') {
      const end = ops.findIndex((e, j) => j > i && e.k === 'end');
      for (let n = 0; n < o.n; n++) for (const b of ops.slice(i + 1, end)) step(b);
      count += 1 + 2 * o.n;
      i = end;
    } else step(o);
  }
  return { stores, count };
}

const SPLITS: readonly (readonly SplitTap[])[] = [
  [],
  [
    { ky: 0, kx: 1, j: 0, lo: true, hi: false },
    { ky: 2, kx: 2, j: 1, lo: true, hi: true },
    { ky: 1, kx: 0, j: 2, lo: false, hi: true },
  ],
];

describe('depthwise row programs scheduled for in-order issue (schedule.ts)', () => {
  const geoms = [geometry(6, 24, 1, true), geometry(5, 13, 1, false), geometry(7, 24, 2, true), geometry(6, 17, 2, false), geometry(4, 5, 1, true)];
  const flagSets: RowFlags[] = [];
  for (const hasLsh of [false, true])
    for (const rn of [true, false])
      for (const clamp of [0, 1, 2, 3])
        for (const isU8 of [false, true]) flagSets.push({ hasLsh, rn, clampLo: (clamp & 1) > 0, clampHi: (clamp & 2) > 0, isU8, zp: 27, mask: 27 });

  it('store the same terms in the same order, with the same instruction count', () => {
    let programs = 0;
    let moved = 0;
    for (const g of geoms) {
      const k = rowKernel(g, true, SPLITS);
      expect(k, JSON.stringify(g)).not.toBeNull();
      for (const v of k!.variants)
        for (const prog of v.progs)
          for (const f0 of flagSets) {
            // uint8: stride 1 keeps y_zp in v26, the mask in v27; stride 2 the mask in v17
            const f = { ...f0, zp: f0.isU8 && g.strideW === 1 ? 26 : 27, mask: g.strideW === 1 ? 27 : 17 };
            const ref = run(prog, f);
            const sched = scheduleRow(prog, f);
            const got = run(sched, f);
            expect(got.stores.length).toBe(ref.stores.length);
            expect(got.stores).toEqual(ref.stores);
            expect(got.count).toBe(ref.count);
            programs++;
            // the first region's instructions in another order than the expansion's
            const firstMul = sched.findIndex((o) => o.k === 'mul');
            const firstWid = sched.findIndex((o) => o.k === 'wid');
            if (sched.slice(firstMul, firstWid).filter((o) => o.k === 'mul').length > 4) moved++;
          }
    }
    expect(programs).toBeGreaterThan(500);
    // products of several pairs in flight before the first widening, in most programs
    expect(moved).toBeGreaterThan(programs / 2);
  });
});
