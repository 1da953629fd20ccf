/**
 * The requantization epilogues outside NEON on edge values, bit for bit
 * against the TypeScript reference (MultiplyByQuantizedMultiplier of
 * src/numerics/fixedpoint.ts, then zero point and clamp as the reference
 * kernels do), each through exactly the template code its kernels use:
 * the DSP forms (partials dsp/requant + dsp/requant_call) under
 * qemu-system-arm on cortex-m4 and cortex-m33, the Helium forms (mve/requant +
 * mve/requant_call) on cortex-m55, and the generic C (c/requant in
 * runtime.h) on the host. The tables come from the one builder
 * (requantTable) and the ISAs' own encoders (dsp/requant.ts, mve/requant.ts).
 * Multipliers and shifts span TFLite's QuantizeMultiplier limits: 0 and
 * [2^30, 2^31 - 1], shifts from 30 left to 31 right.
 */
import { describe, expect, it } from 'vitest';
import { dspRequant, generalRequant, leftRequant, mix64Requant, mixRequant, smmlarRequant, totalRequant } from '../../src/codegen/isa/dsp/requant.js';
import { mveRequant } from '../../src/codegen/isa/mve/requant.js';
import { requantTable, type RequantTable } from '../../src/codegen/requant.js';
import type { EmitContext } from '../../src/codegen/types.js';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import type { Op } from '../../src/model/ir.js';
import { INT32_MAX, INT32_MIN, multiplyByQuantizedMultiplier } from '../../src/numerics/fixedpoint.js';
import { targetByName } from '../../src/targets/index.js';
import { C_IN, C_OUT, DSP_IN, DSP_OUT, MVE_IN, MVE_OUT, runCHarness, runDspHarness, runMveHarness } from '../helpers/mcuRequantHarness.js';
import { EDGE_ACCS, EDGE_MULTS, NARROWINGS, rng, type Narrowing } from '../helpers/requantCases.js';

const M4 = targetByName('cortex-m4');
/** The DSP forms also on the Armv8-M Mainline core (same kernels, -mcpu=cortex-m33 code generation). */
const DSP_CORES = [M4, targetByName('cortex-m33')];
const M55 = targetByName('cortex-m55');
const skipM4 = !DSP_CORES.every(mcuToolsAvailable) && process.env.CI !== 'true';
const skipM55 = !mcuToolsAvailable(M55) && process.env.CI !== 'true';
if (skipM4 || skipM55)
  console.warn('skipping cross/mcu-requant on Cortex-M: arm-none-eabi-gcc, newlib or qemu-system-arm missing (see scripts/ensure-tools.sh)');

const SHIFT_MIN = -31;
const SHIFT_MAX = 30;
const Q30 = 1 << 30;

interface Lane {
  readonly acc: number;
  readonly mult: number;
  readonly shift: number;
  readonly nar: Narrowing;
  readonly tag: string;
}

const inInt32 = (v: number) => Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;

/** Edge grid, exact .5 ties of every right shift, every narrowing over results -300..300, seeded random lanes. */
function buildLanes(): Lane[] {
  const rand = rng(0x5eed_0411);
  const lanes: Lane[] = [];
  let n = 0;
  const push = (acc: number, mult: number, shift: number, tag: string, nar?: Narrowing) =>
    lanes.push({ acc, mult, shift, tag, nar: nar ?? NARROWINGS[n++ % NARROWINGS.length]! });
  for (let shift = SHIFT_MIN; shift <= SHIFT_MAX; shift++) for (const mult of EDGE_MULTS) for (const acc of EDGE_ACCS) push(acc, mult, shift, 'edge grid');
  for (let e = 1; e <= 31; e++) {
    const half = 2 ** (e - 1);
    for (const k of [0, 1, 2, 3, 1000, Math.floor(rand() * 2 ** 20)])
      for (const sign of [1, -1])
        for (const d of [-1, 0, 1]) {
          const tie = sign * (2 * k + 1) * half;
          if (inInt32(tie + d) && Math.abs(tie) < 2 ** 30) push(tie + d, INT32_MAX, -e, 'ties');
          if (inInt32(2 * tie + d)) push(2 * tie + d, Q30, -e, 'ties');
        }
  }
  // Shift 0 and left shifts at the SMMLAR left form's bound: |acc| 2^(ls+1) < 2^31, i.e. |acc| <= 2^(30-ls) - 1, and one past it.
  for (let ls = 0; ls <= 30; ls++) {
    const b = 2 ** (30 - ls) - 1;
    for (const mult of [0, Q30, Q30 + 1, 1518500250, INT32_MAX - 1, INT32_MAX, Q30 + Math.floor(rand() * 2 ** 30)])
      for (const acc of [b, -b, b - 1, -(b - 1), b + 1, -(b + 1), 1, -1, 0, Math.floor((rand() * 2 - 1) * b)])
        if (Math.abs(acc) <= b + 1) push(acc, mult, ls, 'left bound');
  }
  for (const nar of NARROWINGS)
    for (let r = -300; r <= 300; r += 3) {
      const e = 1 + (((r + 300) / 3) % 12);
      push(2 * r * 2 ** e + (r % 2 === 0 ? 2 ** e : 0), Q30, -e, 'narrowing', nar);
    }
  for (let i = 0; i < 3000; i++) {
    const mag = rand() < 0.8 ? Math.floor(2 ** (rand() * 31)) : Math.floor(rand() * 2 ** 31);
    const shift =
      i % 3 === 0 ? -1 - Math.floor(rand() * 31) : i % 3 === 1 ? -1 - Math.floor(rand() * 12) : SHIFT_MIN + Math.floor(rand() * (SHIFT_MAX - SHIFT_MIN + 1));
    push(rand() < 0.5 ? -mag : Math.min(mag, INT32_MAX), rand() < 0.02 ? 0 : Q30 + Math.floor(rand() * 2 ** 30), shift, 'random');
  }
  return lanes;
}

const LANES = buildLanes();

/** The one table builder (requantTable) on a synthetic op: `mult.length` channels, one narrowing. */
function table(mult: readonly number[], shift: readonly number[], nar: Narrowing, pad = 1): RequantTable {
  const dtype = nar.u8 ? 'uint8' : 'int8';
  const op = {
    kind: 'conv2d',
    name: 'edge',
    inputs: [0],
    outputs: [1],
    requant: { multiplier: mult, shift, actMin: nar.actMin, actMax: nar.actMax },
  } as unknown as Op;
  const tensors = [
    { id: 0, dtype, quant: { scale: [1], zeroPoint: [0] } },
    { id: 1, dtype, quant: { scale: [1], zeroPoint: [nar.zp] } },
  ];
  return requantTable(op, { tensor: (id: number) => tensors[id] } as unknown as EmitContext, mult.length, { pad, fill: 'last' });
}

/** What a lane must give: MultiplyByQuantizedMultiplier + zp, then the dtype saturation and the activation clamp. */
function expected(l: Lane): { v: number; sat: number; clamp: number } {
  const v = multiplyByQuantizedMultiplier(l.acc, l.mult, l.shift) + l.nar.zp;
  const [lo, hi] = l.nar.u8 ? [0, 255] : [-128, 127];
  const c = (x: number, a: number, b: number) => (x < a ? a : x > b ? b : x);
  return { v, sat: c(v, lo, hi), clamp: c(v, l.nar.actMin, l.nar.actMax) };
}

const describeLane = (l: Lane) =>
  `${l.tag}: acc ${l.acc} m ${l.mult} shift ${l.shift} zp ${l.nar.zp} [${l.nar.actMin}, ${l.nar.actMax}]${l.nar.u8 ? ' u8' : ''}`;

describe('the DSP encoders: the cheap forms refuse what they cannot compute, the total form takes the rest', () => {
  const nar = { u8: false, zp: 0, actMin: -128, actMax: 127 };
  it('general form: right shifts 1..24 only, the SMMLAR form: 1..30 with a bounded accumulator', () => {
    const ok = (s: number) => [generalRequant(table([Q30], [s], nar)) !== null, smmlarRequant(table([Q30], [s], nar), () => 1000) !== null];
    for (let s = SHIFT_MIN; s <= SHIFT_MAX; s++) expect(ok(s), `shift ${s}`).toEqual([s <= -1 && s >= -24, s <= -1 && s >= -30]);
    expect(smmlarRequant(table([Q30], [-8], nar), () => 2 ** 30)).toBeNull();
    expect(smmlarRequant(table([Q30], [-8], nar), () => 2 ** 30 - 1 - 129 * 2 ** 8)).not.toBeNull();
  });
  it('general form: no K without 64-bit headroom (e = 24 with a uint8 zero point above 127)', () => {
    const u8 = (zp: number, s: number) => generalRequant(table([Q30], [s], { u8: true, zp, actMin: 0, actMax: 255 }));
    expect(u8(127, -24)).not.toBeNull();
    expect(u8(128, -24)).toBeNull();
    expect(u8(255, -23)).not.toBeNull();
    expect(generalRequant(table([Q30], [-24], { u8: false, zp: -128, actMin: -128, actMax: 127 }))).not.toBeNull();
  });
  it('dspRequant is total: every shift in [-31, 30], multiplier 0 and any zero point get a form', () => {
    for (let s = SHIFT_MIN; s <= SHIFT_MAX; s++)
      for (const m of [0, Q30, INT32_MAX])
        for (const nar of [
          { u8: false, zp: -128, actMin: -128, actMax: 127 },
          { u8: true, zp: 255, actMin: 0, actMax: 255 },
        ]) {
          const t = table([m], [s], nar);
          const x64 = s <= -1 && s >= -24 && !(s === -24 && nar.zp > 127);
          const smm = s <= -1 && s >= -30 && 1002 + Math.abs(2 ** (-s - 1) + nar.zp * 2 ** -s) < 2 ** 31;
          const left = s >= 0 && 1000 * 2 ** (s + 1) < 2 ** 31;
          const what = `shift ${s} m ${m} zp ${nar.zp}`;
          expect(dspRequant(t, true, () => 1000).form, what).toBe(smm ? 'smmlar' : left ? 'left' : x64 ? 'x64' : 'any');
          expect(dspRequant(t, false, () => 1000).form, what).toBe(x64 ? 'x64' : 'any');
        }
  });
  it('the SMMLAR left form: shifts 0..30 with |acc| 2^(ls+1) < 2^31, constants {m, zp, ls, 1}', () => {
    const nar = { u8: false, zp: -128, actMin: -128, actMax: 127 };
    for (let ls = 0; ls <= 30; ls++) {
      const b = 2 ** (30 - ls) - 1;
      expect([...leftRequant(table([INT32_MAX], [ls], nar), () => b)!], `ls ${ls}`).toEqual([INT32_MAX, -128, ls, 1]);
      expect(
        leftRequant(table([INT32_MAX], [ls], nar), () => b + 1),
        `ls ${ls}`,
      ).toBeNull();
    }
    expect(leftRequant(table([Q30], [-1], nar), () => 1)).toBeNull();
  });
  it('per channel: a doubled kernel mixes right {m, rnd, e, 0}, left {m, zp, ls, 1} and total {m, zp, shift, -1}; a 64-bit one SMLAL and total', () => {
    const nar = { u8: true, zp: 200, actMin: 0, actMax: 255 };
    const t = table([Q30, Q30 + 5, INT32_MAX, 0], [-8, 2, 30, -31], nar);
    const k = 2 ** 30 + 2 ** 38 + 200 * 2 ** 39;
    const smlal8 = [Q30, k | 0, Math.floor(k / 2 ** 32), 7];
    expect([...mixRequant(t, () => 1000)!]).toEqual([Q30, 128 + 200 * 256, 8, 0, Q30 + 5, 200, 2, 1, INT32_MAX, 200, 30, -1, 0, 200, -31, -1]);
    expect(dspRequant(t, true, () => 1000).form).toBe('mix');
    expect([...mix64Requant(t)!]).toEqual([...smlal8, Q30 + 5, 200, 2, -1, INT32_MAX, 200, 30, -1, 0, 200, -31, -1]);
    expect(dspRequant(t, false, () => 1000).form).toBe('mix64');
    // A doubled accumulator that could wrap: no doubled kernel at all.
    expect(mixRequant(t, (c) => (c === 3 ? 2 ** 30 : 1000))).toBeNull();
    expect(dspRequant(t, true, (c) => (c === 3 ? 2 ** 30 : 1000)).form).toBe('mix64');
    // Right shifts SMLAL takes but SMMLAR does not (e = 24, zp -128, |acc| up to 2^23): the one-form 64-bit kernel stays.
    const e24 = table([Q30, Q30], [-24, -3], { u8: false, zp: -128, actMin: -128, actMax: 127 });
    expect(mixRequant(e24, () => 2 ** 23)![3]).toBe(-1);
    expect(dspRequant(e24, true, () => 2 ** 23).form).toBe('x64');
    expect(dspRequant(e24, true, () => 2 ** 23 - 2 ** 9).form).toBe('smmlar');
    // No channel of a fast class: the total form alone.
    expect(mixRequant(table([Q30], [30], nar), () => 1000)).toBeNull();
    expect(mix64Requant(table([Q30], [30], nar))).toBeNull();
  });
  it('total constants: {m, max(shift, 0), max(-shift, 0), zp}', () => {
    const nar = { u8: true, zp: 200, actMin: 0, actMax: 255 };
    expect([...totalRequant(table([Q30 + 5, 0, INT32_MAX], [3, 0, -31], nar))]).toEqual([Q30 + 5, 3, 0, 200, 0, 0, 0, 200, INT32_MAX, 0, 31, 200]);
  });
  it('general constants: {m, K lo, K hi, e - 1} with K = 2^30 + 2^(30+e) + zp 2^(31+e)', () => {
    const k = 2 ** 30 + 2 ** 37 + -17 * 2 ** 38;
    expect([...generalRequant(table([Q30 + 5], [-7], { u8: false, zp: -17, actMin: -128, actMax: 127 }))!]).toEqual([
      Q30 + 5,
      k | 0,
      Math.floor(k / 2 ** 32),
      6,
    ]);
  });
});

describe.skipIf(skipM4).each(DSP_CORES.map((t) => [t.name, t] as const))('the DSP epilogue on %s (qemu-system-arm)', (_name, core) => {
  it('every form on every lane it takes (the total one on all), raw, saturated and clamped, equals the reference', () => {
    type Taken = { l: Lane; gen: boolean; smm: boolean; left: boolean; mix: number | null; mix64: number };
    const lanes: Taken[] = [];
    const recs: number[] = [];
    const nil = [0, 0, 0, 0];
    for (const l of LANES) {
      const t = table([l.mult], [l.shift], l.nar);
      const bound = () => Math.abs(l.acc);
      const gen = generalRequant(t);
      const smm = smmlarRequant(t, bound);
      const left = leftRequant(t, bound);
      // The lane beside a channel of a fast class, so that the per-channel kernels exist for it.
      const two = table([l.mult, Q30], [l.shift, -8], l.nar);
      const mix = mixRequant(two, (c) => (c === 0 ? Math.abs(l.acc) : 0))?.subarray(0, 4) ?? null;
      const mix64 = mix64Requant(two)!.subarray(0, 4);
      lanes.push({ l, gen: gen !== null, smm: smm !== null, left: left !== null, mix: mix ? mix[3]! : null, mix64: mix64[3]! });
      recs.push(
        l.acc,
        l.nar.u8 ? 1 : 0,
        l.nar.actMin,
        l.nar.actMax,
        ...(gen ?? nil),
        ...(smm ?? nil),
        Math.abs(l.acc) < Q30 ? 2 * l.acc : 0,
        ...totalRequant(t),
        ...(left ?? nil),
        ...(mix ?? nil),
        ...mix64,
      );
    }
    const records = Int32Array.from(recs);
    expect(records.length).toBe(lanes.length * DSP_IN);
    const out = runDspHarness(core, records);
    expect(out.length).toBe(lanes.length * DSP_OUT);
    const bad: string[] = [];
    const shifts = { gen: new Set<number>(), smm: new Set<number>(), any: new Set<number>(), left: new Set<number>() };
    const classes = { mix: new Set<number>(), mix64: new Set<number>() };
    let beyondInt32 = 0;
    lanes.forEach(({ l, gen, smm, left, mix, mix64 }, i) => {
      const e = expected(l);
      const o = out.subarray(i * DSP_OUT, (i + 1) * DSP_OUT);
      // The total form adds the zero point saturating: its raw value is the reference's, saturated to int32.
      const anyRaw = Math.min(Math.max(e.v, INT32_MIN), INT32_MAX);
      if (anyRaw !== e.v) beyondInt32++;
      const check = (form: string, at: number, raw: number) => {
        if (o[at] !== raw || o[at + 1] !== e.sat || o[at + 2] !== e.clamp)
          bad.push(`${form} ${describeLane(l)}: got ${[...o.subarray(at, at + 3)]}, want ${[raw, e.sat, e.clamp]}`);
      };
      if (gen) check('general', 0, e.v);
      if (smm) check('smmlar', 3, e.v);
      check('total', 6, anyRaw);
      if (left) check('left', 9, e.v);
      if (mix !== null) check(`mix class ${mix}`, 12, mix < 0 ? anyRaw : e.v);
      check(`mix64 class ${mix64}`, 15, mix64 < 0 ? anyRaw : e.v);
      shifts.any.add(l.shift);
      if (gen) shifts.gen.add(-l.shift);
      if (smm) shifts.smm.add(-l.shift);
      if (left) shifts.left.add(l.shift);
      if (mix !== null) classes.mix.add(mix);
      classes.mix64.add(Math.sign(mix64));
    });
    expect(bad.slice(0, 20)).toEqual([]);
    expect(lanes.filter((x) => x.gen).length).toBeGreaterThan(5000);
    expect(lanes.filter((x) => x.smm).length).toBeGreaterThan(5000);
    expect(lanes.filter((x) => x.left).length).toBeGreaterThan(2000);
    // Lanes at the left form's bound: |acc| = 2^(30-ls) - 1 with ls 0..29 (30 only takes acc 0) and every edge multiplier.
    expect(
      lanes.filter((x) => x.left && x.l.shift < 30 && Math.abs(x.l.acc) === 2 ** (30 - x.l.shift) - 1 && x.l.mult === INT32_MAX).length,
    ).toBeGreaterThanOrEqual(60);
    expect([...shifts.gen].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect([...shifts.smm].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect([...shifts.left].sort((a, b) => a - b)).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect([...classes.mix].sort()).toEqual([-1, 0, 1]);
    expect([...classes.mix64].sort()).toEqual([-1, 0, 1]);
    expect(lanes.length).toBe(LANES.length);
    expect([...shifts.any].sort((a, b) => a - b)).toEqual(Array.from({ length: SHIFT_MAX - SHIFT_MIN + 1 }, (_, i) => SHIFT_MIN + i));
    expect(beyondInt32).toBeGreaterThan(0);
  }, 240_000);
});

/** Four lanes per record, one narrowing: first as the lanes come (mostly one shift), then shuffled (mixed shifts). */
function mveRecords(): Lane[][] {
  const rand = rng(0x5eed_0555);
  const shuffled = [...LANES];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const out: Lane[][] = [];
  for (const list of [LANES, shuffled])
    for (let i = 0; i + 4 <= list.length; i += 4) {
      const nar = list[i]!.nar;
      out.push(list.slice(i, i + 4).map((l) => ({ ...l, nar })));
    }
  return out;
}

describe.skipIf(skipM55)('the Helium epilogue on cortex-m55 (qemu-system-arm)', () => {
  it('the ls, r and rn forms, on both vectors of the call, equal the reference on every lane they take', () => {
    const records = mveRecords();
    const forms = records.map((four) => {
      const rq = mveRequant(
        table(
          four.map((l) => l.mult),
          four.map((l) => l.shift),
          four[0]!.nar,
          4,
        ),
      );
      return { four, rq };
    });
    const recs = new Int32Array(records.length * MVE_IN);
    forms.forEach(({ four, rq }, i) => {
      recs.set([...four.map((l) => l.acc), ...rq.m, ...rq.ls, ...rq.rs, four[0]!.nar.zp, four[0]!.nar.actMin, four[0]!.nar.actMax, 0], i * MVE_IN);
    });
    const out = runMveHarness(M55, recs);
    const bad: string[] = [];
    const checked = { ls: 0, r: 0, rn: 0 };
    forms.forEach(({ four, rq }, i) => {
      const o = out.subarray(i * MVE_OUT, (i + 1) * MVE_OUT);
      const applies = { ls: true, r: !rq.left, rn: rq.rn };
      (['ls', 'r', 'rn'] as const).forEach((form, f) => {
        if (!applies[form]) return;
        checked[form]++;
        four.forEach((l, lane) => {
          const want = expected(l).clamp;
          const got = [o[f * 8 + lane], o[f * 8 + 4 + lane]];
          if (got[0] !== want || got[1] !== want) bad.push(`${form} lane ${lane} ${describeLane(l)}: got ${got}, want ${want}`);
        });
      });
    });
    expect(bad.slice(0, 20)).toEqual([]);
    expect(checked.ls).toBe(records.length);
    expect(checked.r).toBeGreaterThan(3000);
    expect(checked.rn).toBeGreaterThan(3000);
    expect(forms.filter((f) => f.rq.left).length).toBeGreaterThan(1000);
  }, 180_000);
});

describe('the generic C epilogue (runtime.h) on the host', () => {
  it('mobilec_mbqm, and with mobilec_add_zp and mobilec_clamp, equal the reference on every lane', () => {
    const recs = new Int32Array(LANES.length * C_IN);
    LANES.forEach((l, i) => {
      recs.set([l.acc, l.mult, l.shift, l.nar.zp, l.nar.actMin, l.nar.actMax], i * C_IN);
    });
    const out = runCHarness(targetByName('host').cc, recs);
    expect(out.length).toBe(LANES.length * C_OUT);
    const bad: string[] = [];
    LANES.forEach((l, i) => {
      const e = expected(l);
      const got = [out[i * C_OUT], out[i * C_OUT + 1]];
      const want = [e.v - l.nar.zp, e.clamp];
      if (got[0] !== want[0] || got[1] !== want[1]) bad.push(`${describeLane(l)}: got ${got}, want ${want}`);
    });
    expect(bad.slice(0, 20)).toEqual([]);
    expect(new Set(LANES.map((l) => l.shift)).size).toBe(SHIFT_MAX - SHIFT_MIN + 1);
  }, 60_000);
});
