/**
 * Instruction scheduling of the int8 depthwise row programs (aarch64) for in-order cores
 * (rpi3's Cortex-A53; the out-of-order Cortex-A72 is indifferent to the order).
 *
 * `scheduleRow` expands a row program (regalloc.ts RowOp: pair, odd, hpair, hodd, qout ...) into
 * one op per instruction (the kinds `mul`, `wid`, `xld`, `xeor`, `rqld`, `rq`, `nar`, `zadd`,
 * `nar8`, `cld`, `cmax`, `cmin`, `qst`, spelt by templates/partials/neon/dw/row_op.hbs) and
 * reorders them by greedy list scheduling: each next op is the one the in-order pipeline can
 * issue soonest (critical path to the end of the region breaking ties), under the dependences
 * of its registers (read after write, write after read, write after write), the row pointers
 * and the memory order of row loads and output stores. Straight-line regions between the
 * counted loop's `loop` and `end` are scheduled apart. The arithmetic is unchanged: every
 * instruction of the unscheduled program is emitted once with the same operands, except that
 * (a) the int16 products of pairs take registers in turn from the free ones (v28-v31, and
 * v17-v20 / v26 where the program leaves them free) instead of always v28/v29, and (b) the
 * epilogue narrows in place (sqxtn into the accumulator registers v{a}, v{a+2} instead of v28 /
 * v29): the same values in other registers, the same instruction count.
 *
 * The pipeline model (llvm-mca's Cortex-A53 model, which bench:a53 measures): two instructions
 * per cycle in order, one NEON instruction per cycle (latency 6), one load or store per cycle
 * (a 4-register LD1 holds the unit 4 cycles, latency 7; 2 registers: 2, 5), and results written
 * back in order: an instruction whose earliest result (a post-incremented pointer: 1 cycle)
 * would be written before an earlier instruction's waits for it.
 */
import type { RowOp } from './regalloc.js';

/** The kernel's epilogue configuration (templates/partials/neon/dw/row_qout.hbs). */
export interface RowFlags {
  readonly hasLsh: boolean;
  readonly rn: boolean;
  readonly clampLo: boolean;
  readonly clampHi: boolean;
  readonly isU8: boolean;
  /** y_zp register; uint8: the 0x80 mask register. */
  readonly zp: number;
  readonly mask: number;
}

/** One instruction: its op, the resources it reads and writes, unit, latency, unit occupancy, earliest write-back. */
interface Insn {
  readonly op: RowOp;
  readonly uses: string[];
  readonly defs: string[];
  readonly unit: 'v' | 'm';
  readonly lat: number;
  readonly busy: number;
  readonly minLat: number;
  readonly idx: number;
}

const V = (n: number) => `v${n}`;

/** Registers a program's ops name (other than the products v28/v29 of pair/odd ops and the epilogue's v28-v31). */
function named(ops: readonly RowOp[]): Set<number> {
  const s = new Set<number>();
  for (const o of ops) {
    if (o.k === 'qld') s.add(o.x);
    if (o.k === 'wld') s.add(o.v);
    if (o.k === 'pair' || o.k === 'hpair') for (const r of [o.x0, o.x1, o.w0, o.w1]) s.add(r);
    if (o.k === 'odd' || o.k === 'hodd') for (const r of [o.x, o.w]) s.add(r);
    if (o.k === 'qbias' || o.k === 'qout' || o.k === 'pair' || o.k === 'odd' || o.k === 'hpair' || o.k === 'hodd') for (let i = 0; i < 4; i++) s.add(o.a + i);
  }
  return s;
}

/** One instruction per op, products in registers taken in turn from `pool`. */
function expand(ops: readonly RowOp[], f: RowFlags, pool: readonly number[]): RowOp[] {
  let next = 0;
  const take = () => pool[next++ % pool.length]!;
  const out: RowOp[] = [];
  const mulPair = (a: number, x0: number, w0: number, x1: number | null, w1: number, h: number | null) => {
    const p = h === 1 ? -1 : take();
    const q = h === 0 ? -1 : take();
    if (p >= 0) out.push({ k: 'mul', m: 'smull', p, x: x0, w: w0 });
    if (q >= 0) out.push({ k: 'mul', m: 'smull2', p: q, x: x0, w: w0 });
    if (x1 !== null && p >= 0) out.push({ k: 'mul', m: 'smlal', p, x: x1, w: w1 });
    if (x1 !== null && q >= 0) out.push({ k: 'mul', m: 'smlal2', p: q, x: x1, w: w1 });
    if (p >= 0) out.push({ k: 'wid', a, p, hi: false }, { k: 'wid', a: a + 1, p, hi: true });
    if (q >= 0) out.push({ k: 'wid', a: a + 2, p: q, hi: false }, { k: 'wid', a: a + 3, p: q, hi: true });
  };
  for (const o of ops) {
    if (o.k === 'pair') mulPair(o.a, o.x0, o.w0, o.x1, o.w1, null);
    else if (o.k === 'odd') mulPair(o.a, o.x, o.w, null, 0, null);
    else if (o.k === 'hpair') mulPair(o.a, o.x0, o.w0, o.x1, o.w1, o.h);
    else if (o.k === 'hodd') mulPair(o.a, o.x, o.w, null, 0, o.h);
    else if (o.k === 'qld') {
      out.push({ k: 'xld', x: o.x, r: o.r });
      if (f.isU8) out.push({ k: 'xeor', x: o.x });
    } else if (o.k === 'qout') out.push(...epilogue(o.a, f));
    else out.push(o);
  }
  return out;
}

/** The epilogue of accumulators v{a}..v{a+3}, one op per instruction (row_qout.hbs's order). */
function epilogue(a: number, f: RowFlags): RowOp[] {
  const out: RowOp[] = [];
  const acc = [0, 1, 2, 3].map((i) => a + i);
  if (f.hasLsh) {
    out.push({ k: 'rqld', t: 10, v: 28, n: 4 });
    out.push(...acc.map((r, i): RowOp => ({ k: 'rq', step: 'shift', a: r, m: 0, r: 0, l: 28 + i, t: 30 })));
  }
  out.push({ k: 'rqld', t: 9, v: 28, n: 4 });
  out.push(...acc.map((r, i): RowOp => ({ k: 'rq', step: 'mul', a: r, m: 28 + i, r: 0, l: 0, t: 30 })));
  if (f.rn) {
    out.push(...acc.map((r): RowOp => ({ k: 'rq', step: 'fix', a: r, m: 0, r: 0, l: 0, t: 30 })));
    out.push({ k: 'rqld', t: 11, v: 28, n: 4 });
    out.push(...acc.map((r, i): RowOp => ({ k: 'rq', step: 'rshift', a: r, m: 0, r: 28 + i, l: 0, t: 30 })));
  } else {
    out.push({ k: 'rqld', t: 11, v: 28, n: 2 });
    out.push(...acc.slice(0, 2).map((r, i): RowOp => ({ k: 'rq', step: 'round', a: r, m: 0, r: 28 + i, l: 0, t: 30 + i })));
    out.push({ k: 'rqld', t: 12, v: 28, n: 2 });
    out.push(...acc.slice(2).map((r, i): RowOp => ({ k: 'rq', step: 'round', a: r, m: 0, r: 28 + i, l: 0, t: 30 + i })));
  }
  out.push(
    { k: 'nar', d: a, s: a, hi: false },
    { k: 'nar', d: a + 2, s: a + 2, hi: false },
    { k: 'nar', d: a, s: a + 1, hi: true },
    { k: 'nar', d: a + 2, s: a + 3, hi: true },
    { k: 'zadd', d: a },
    { k: 'zadd', d: a + 2 },
    { k: 'nar8', d: a, s: a, hi: false },
    { k: 'nar8', d: a, s: a + 2, hi: true },
  );
  if (f.clampLo || f.clampHi) out.push({ k: 'cld' });
  if (f.clampLo) out.push({ k: 'cmax', d: a });
  if (f.clampHi) out.push({ k: 'cmin', d: a });
  out.push({ k: 'qst', d: a });
  return out;
}

/** What an instruction reads and writes, its unit and timing. */
function describe(op: RowOp, idx: number, f: RowFlags): Insn {
  const v = (uses: number[], defs: number[]): Insn => ({ op, uses: uses.map(V), defs: defs.map(V), unit: 'v', lat: 6, busy: 1, minLat: 6, idx });
  const m = (uses: string[], defs: string[], lat: number, busy: number, minLat: number): Insn => ({ op, uses, defs, unit: 'm', lat, busy, minLat, idx });
  const range = (b: number, n: number) => Array.from({ length: n }, (_, i) => b + i);
  switch (op.k) {
    case 'mul':
      return v(op.m.startsWith('smlal') ? [op.x, op.w, op.p] : [op.x, op.w], [op.p]);
    case 'wid':
      return v([op.a, op.p], [op.a]);
    case 'xld':
      return m([`r${op.r}`, 'mem'], [V(op.x), `r${op.r}`], 4, 1, 1);
    case 'xeor':
      return v([op.x, f.mask], [op.x]);
    case 'qbias':
      return m([], range(op.a, 4).map(V), 7, 4, 7);
    case 'wld':
      return m([], [V(op.v)], 4, 1, 4);
    case 'rqld':
      return m([], range(op.v, op.n).map(V), op.n === 4 ? 7 : 5, op.n, op.n === 4 ? 7 : 5);
    case 'rq':
      if (op.step === 'shift') return v([op.a, op.l], [op.a]);
      if (op.step === 'mul') return v([op.a, op.m], [op.a]);
      if (op.step === 'fix') return v([op.a], [op.a]);
      if (op.step === 'rshift') return v([op.a, op.r], [op.a]);
      // round: and t, a, r; ssra a, t; srshl a, r (three instructions, one unit here)
      return { ...v([op.a, op.r], [op.a, op.t]), lat: 18, busy: 3 };
    case 'nar':
      return v(op.hi ? [op.s, op.d] : [op.s], [op.d]);
    case 'zadd':
      return v([op.d, f.zp], [op.d]);
    case 'nar8':
      return v(op.hi ? [op.s, op.d] : [op.s], [op.d]);
    case 'cld':
      return m([], [V(30), V(31)], 4, 1, 4);
    case 'cmax':
      return v([op.d, 30], [op.d]);
    case 'cmin':
      return v([op.d, 31], [op.d]);
    case 'qst':
      return m([V(op.d), 'y', 'mem'], ['y', 'mem'], 1, 1, 1);
    default:
      throw new Error(`scheduleRow: unexpected op ${op.k}`);
  }
}

/** Greedy list scheduling of one straight-line region. */
function scheduleRegion(ins: Insn[]): Insn[] {
  const n = ins.length;
  const preds: number[][] = ins.map(() => []);
  const succs: { j: number; lat: number }[][] = ins.map(() => []);
  const lastDef = new Map<string, number>();
  const readers = new Map<string, number[]>();
  ins.forEach((x, i) => {
    const add = (j: number, lat: number) => {
      if (j === i || preds[i]!.includes(j)) return;
      preds[i]!.push(j);
      succs[j]!.push({ j: i, lat });
    };
    for (const u of x.uses) {
      const d = lastDef.get(u);
      if (d !== undefined) add(d, ins[d]!.lat);
    }
    for (const d of x.defs) {
      const p = lastDef.get(d);
      if (p !== undefined) add(p, 1);
      for (const r of readers.get(d) ?? []) add(r, 0);
    }
    for (const u of x.uses) readers.set(u, [...(readers.get(u) ?? []), i]);
    for (const d of x.defs) {
      lastDef.set(d, i);
      readers.set(d, []);
    }
  });
  // priority: the longest latency path to the region's end
  const height = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) height[i] = Math.max(ins[i]!.lat, ...succs[i]!.map((s) => s.lat + height[s.j]!));
  const left = preds.map((p) => p.length);
  const ready = new Set<number>(ins.map((_, i) => i).filter((i) => left[i] === 0));
  const regReady = new Map<string, number>();
  const unitFree = { v: 0, m: 0 };
  let cycle = 0;
  let slots = 0;
  let lastWB = 0;
  const issueAt = (x: Insn) => {
    let t = Math.max(cycle, unitFree[x.unit], lastWB - x.minLat);
    for (const u of x.uses) t = Math.max(t, regReady.get(u) ?? 0);
    if (t === cycle && slots >= 2) t++;
    return t;
  };
  // the cost of issuing x at t: t, plus the cycles it makes the other ready loads and stores
  // (short write-back latency) wait longer, had they been issued right after it
  const cost = (i: number, t: number) => {
    const x = ins[i]!;
    const wb = Math.max(lastWB, t + x.lat);
    let c = t;
    for (const j of ready) {
      const y = ins[j]!;
      if (j === i || y.unit !== 'm') continue;
      const before = Math.max(t, issueAt(y));
      let after = Math.max(t, wb - y.minLat, y.unit === x.unit ? t + x.busy : unitFree[y.unit]);
      for (const u of y.uses) after = Math.max(after, regReady.get(u) ?? 0);
      c += Math.max(0, after - before);
    }
    return c;
  };
  const out: Insn[] = [];
  while (ready.size > 0) {
    let best = -1;
    let bestT = Infinity;
    let bestC = Infinity;
    for (const i of ready) {
      const t = issueAt(ins[i]!);
      const c = cost(i, t);
      if (c < bestC || (c === bestC && (height[i]! > height[best]! || (height[i] === height[best] && i < best)))) {
        best = i;
        bestT = t;
        bestC = c;
      }
    }
    const x = ins[best]!;
    ready.delete(best);
    out.push(x);
    if (bestT > cycle) {
      cycle = bestT;
      slots = 0;
    }
    slots++;
    unitFree[x.unit] = bestT + x.busy;
    lastWB = Math.max(lastWB, bestT + x.lat);
    for (const d of x.defs) regReady.set(d, bestT + x.lat);
    for (const s of succs[best]!) if (--left[s.j]! === 0) ready.add(s.j);
  }
  if (out.length !== n) throw new Error('scheduleRow: dependence cycle');
  return out;
}

/** The int8 row program `ops` one instruction per op, scheduled for in-order issue. */
export function scheduleRow(ops: readonly RowOp[], f: RowFlags): RowOp[] {
  const used = named(ops);
  used.add(f.zp);
  if (f.isU8) used.add(f.mask);
  // products in turn: the registers no op names (v30, v31, v26, v28, v29, stride 2 also v17-v20)
  const pool = [30, 31, 26, 28, 29, 17, 18, 19, 20].filter((r) => !used.has(r));
  const fine = expand(ops, f, pool);
  const out: RowOp[] = [];
  let region: Insn[] = [];
  const flush = () => {
    out.push(...scheduleRegion(region).map((x) => x.op));
    region = [];
  };
  fine.forEach((op, i) => {
    if (op.k === 'loop' || op.k === 'end') {
      flush();
      out.push(op);
    } else region.push(describe(op, i, f));
  });
  flush();
  return out;
}
