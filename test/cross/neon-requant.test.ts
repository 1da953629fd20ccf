/**
 * The vectorized NEON requantization on edge values, bit for bit against
 * the TypeScript reference (MultiplyByQuantizedMultiplier of
 * src/numerics/fixedpoint.ts, then zero point and clamp as the reference
 * kernels do): the intrinsics of templates/kernels/neon_common.c.hbs and
 * the inline-assembly epilogue partials the kernels render
 * (templates/partials/neon/requant_a64.hbs on rpi4, requant_a32.hbs on
 * rpi-armv7: the fast form `rn` and the general form, with and without left
 * shifts `ls`, both fix-up spellings, int8 and uint8 narrowing), under QEMU
 * user mode. Harness: test/helpers/requantHarness.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { INT32_MAX, INT32_MIN, multiplyByQuantizedMultiplier } from '../../src/numerics/fixedpoint.js';
import { targetByName, type Target } from '../../src/targets/index.js';
import { execTool } from '../../src/util/exec.js';
import { ASM_FIXES, ASM_OUT, encodeCases, expectedLane, harnessSource, isAllNeg, RECORD_OUT, type RqCase } from '../helpers/requantHarness.js';
import { EDGE_ACCS, EDGE_MULTS, NARROWINGS, rng } from '../helpers/requantCases.js';

const TARGETS: readonly Target[] = ['rpi4', 'rpi-armv7'].map(targetByName);
const missing = [...new Set(TARGETS.flatMap((t) => missingLinuxTools(t)))];
const skip = missing.length > 0 && process.env.CI !== 'true';
if (skip) console.warn(`skipping cross/neon-requant tests: missing ${missing.join(', ')} (see scripts/ensure-tools.sh)`);

/** The shift range quantizeMultiplier produces (and the requantize pass hands the kernels). */
const SHIFT_MIN = -31;
const SHIFT_MAX = 30;
const Q30 = 1 << 30; // 0.5 in Q0.31: the smallest non-zero multiplier
const RANDOM_RECORDS = 3000;

/** Some channels with a left shift: the kernels then load the lsh table (hasLsh). */
const hasLshFor = (shift: readonly number[], alt: boolean) => shift.some((s) => s > 0) || alt;

function pack(lanes: readonly { acc: number; mult: number; shift: number }[], tag: string, start: number, push: (c: RqCase) => void): number {
  let n = start;
  for (let i = 0; i < lanes.length; i += 4) {
    const four = [0, 1, 2, 3].map((l) => lanes[(i + l) % lanes.length]!);
    const shift = four.map((x) => x.shift);
    const nar = NARROWINGS[n % NARROWINGS.length]!;
    push({
      acc: four.map((x) => x.acc),
      mult: four.map((x) => x.mult),
      shift,
      ...nar,
      // Shifts all <= 0: alternately with the (all-zero) left shifts applied, as a kernel with a left-shifting channel elsewhere does.
      hasLsh: hasLshFor(shift, n % 2 === 1),
      tag,
    });
    n++;
  }
  return n;
}

function shuffle<T>(a: T[], rand: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const inInt32 = (v: number) => Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;

function buildCases(): { cases: RqCase[]; families: Map<string, number> } {
  const cases: RqCase[] = [];
  const families = new Map<string, number>();
  const push = (c: RqCase) => {
    cases.push(c);
    families.set(c.tag, (families.get(c.tag) ?? 0) + 1);
  };
  const rand = rng(0x5eed_0401);
  let n = 0;

  // 1. Edge accumulators x edge multipliers x every shift; lanes of a record share the shift
  //    (all-negative records take the all-right-shift form too), then the same lanes shuffled across records
  //    so one vector mixes right shifts, zero and left shifts per lane.
  const grid: { acc: number; mult: number; shift: number }[] = [];
  for (let shift = SHIFT_MIN; shift <= SHIFT_MAX; shift++) for (const mult of EDGE_MULTS) for (const acc of EDGE_ACCS) grid.push({ acc, mult, shift });
  n = pack(grid, 'edge grid', n, push);
  n = pack(shuffle([...grid], rand), 'edge grid, mixed lanes', n, push);

  // 2. Exact .5 ties of the rounding right shift by e (and one off either side): with multiplier
  //    2^31 - 1 the high multiply keeps small values, with 2^30 it halves exactly (2·tie).
  const ties: { acc: number; mult: number; shift: number }[] = [];
  for (let e = 1; e <= 31; e++) {
    const half = 2 ** (e - 1);
    for (const k of [0, 1, 2, 3, 1000, Math.floor(rand() * 2 ** 20)]) {
      for (const sign of [1, -1])
        for (const d of [-1, 0, 1]) {
          const tie = sign * (2 * k + 1) * half;
          if (inInt32(tie + d) && Math.abs(tie) < 2 ** 30) ties.push({ acc: tie + d, mult: INT32_MAX, shift: -e });
          if (inInt32(2 * tie + d)) ties.push({ acc: 2 * tie + d, mult: Q30, shift: -e });
        }
    }
  }
  n = pack(ties, 'ties', n, push);
  n = pack(shuffle([...ties], rand), 'ties, mixed lanes', n, push);

  // 3. Every narrowing (zero point, clamp) against results -300..300: acc = 2·r·2^e halves to r·2^e.
  for (const nar of NARROWINGS) {
    for (let r = -300; r <= 300; r += 4) {
      const shift = -1 - (((r + 300) >> 2) % 8);
      const accLanes = [0, 1, 2, 3].map((l) => 2 * (r + l) * 2 ** -shift + (l === 3 ? 2 ** -shift : 0)); // the last lane a tie
      const sh = [shift, shift, shift, shift];
      push({ acc: accLanes, mult: [Q30, Q30, Q30, Q30], shift: sh, ...nar, hasLsh: n % 2 === 1, tag: 'narrowing' });
      n++;
    }
  }

  // 4. Seeded random records: log-uniform or uniform accumulators, valid multipliers, shifts all
  //    negative, mixed, or left (with small accumulators so the result is not all wrap-around).
  for (let i = 0; i < RANDOM_RECORDS; i++) {
    const mode = i % 3; // 0 all-negative, 1 mixed, 2 mostly left
    const acc: number[] = [];
    const mult: number[] = [];
    const shift: number[] = [];
    for (let l = 0; l < 4; l++) {
      const logUniform = rand() < 0.8;
      const mag = logUniform ? Math.floor(2 ** (rand() * (mode === 2 ? 20 : 31))) : Math.floor(rand() * 2 ** 31);
      acc.push(rand() < 0.5 ? -mag : Math.min(mag, INT32_MAX));
      mult.push(rand() < 0.02 ? 0 : Q30 + Math.floor(rand() * 2 ** 30));
      const s =
        mode === 0
          ? -1 - Math.floor(rand() * (rand() < 0.7 ? 12 : 31))
          : mode === 1
            ? SHIFT_MIN + Math.floor(rand() * (SHIFT_MAX - SHIFT_MIN + 1))
            : rand() < 0.75
              ? Math.floor(rand() * 12)
              : -Math.floor(rand() * 12);
      shift.push(s);
    }
    const nar = NARROWINGS[Math.floor(rand() * NARROWINGS.length)]!;
    push({ acc, mult, shift, ...nar, hasLsh: hasLshFor(shift, rand() < 0.5), tag: 'random' });
  }
  return { cases, families };
}

const { cases: CASES, families: FAMILIES } = buildCases();

/** Builds the harness for `target` with its own compiler and flags, runs it under its emulator, returns the output records. */
function runHarness(target: Target, cases: readonly RqCase[]): Int32Array {
  if (target.emulator.kind !== 'user') throw new Error(`${target.name} does not run under QEMU user mode`);
  const { command, cpu } = target.emulator;
  const dir = mkdtempSync(join(tmpdir(), `mobilec-requant-${target.name}-`));
  try {
    writeFileSync(join(dir, 'harness.c'), harnessSource());
    writeFileSync(join(dir, 'in.bin'), encodeCases(cases));
    execTool(target.cc, [...target.cflags, '-std=c99', '-Wall', '-Wextra', '-Werror', '-static', 'harness.c', '-o', 'harness'], {
      cwd: dir,
      what: `compiling the requantization harness for ${target.name}`,
    });
    execTool(command, ['-cpu', cpu, join(dir, 'harness'), join(dir, 'in.bin'), join(dir, 'out.bin')], {
      cwd: dir,
      timeoutMs: 60_000,
      what: `running the requantization harness on ${target.name} (${command} -cpu ${cpu})`,
    });
    const bytes = readFileSync(join(dir, 'out.bin'));
    const out = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    if (out.length !== cases.length * RECORD_OUT) throw new Error(`harness wrote ${out.length} values, expected ${cases.length * RECORD_OUT}`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Mismatch {
  readonly form: string;
  readonly lane: number;
  readonly case: RqCase;
  readonly expected: number;
  readonly got: number;
}

/** Compares every produced lane; returns the mismatches and how many lanes each form checked. */
function compare(cases: readonly RqCase[], out: Int32Array): { mismatches: Mismatch[]; checked: Map<string, number> } {
  const mismatches: Mismatch[] = [];
  const checked = new Map<string, number>();
  const check = (form: string, c: RqCase, lane: number, expected: number, got: number) => {
    checked.set(form, (checked.get(form) ?? 0) + 1);
    if (got !== expected) mismatches.push({ form, lane, case: c, expected, got });
  };
  cases.forEach((c, i) => {
    const o = i * RECORD_OUT;
    for (let l = 0; l < 4; l++) {
      const { raw, out: q } = expectedLane(c, l);
      check('intrinsics mbqm', c, l, raw, out[o + l]!);
      // Lanes where raw + zp leaves the int32 range must saturate to the near bound (vqaddq_s32).
      const zpForm = 'intrinsics zp stage';
      const qi = q;
      check(`${zpForm}: requant4`, c, l, qi, out[o + 4 + l]!);
      check(`${zpForm}: store4`, c, l, qi, out[o + 8 + l]!);
      check(`${zpForm}: store8`, c, l, qi, out[o + 12 + l]!);
      check(`${zpForm}: store8`, c, l + 4, qi, out[o + 16 + l]!);
      ASM_FIXES.forEach((fix, f) => {
        const at = o + ASM_OUT + 24 * f;
        check(`asm ${fix} general raw`, c, l, raw, out[at + l]!);
        check(`asm ${fix} general narrowed`, c, l, q, out[at + 4 + l]!);
        check(`asm ${fix} general narrowed`, c, l + 4, q, out[at + 8 + l]!);
        if (!isAllNeg(c)) return;
        check(`asm ${fix} rn raw`, c, l, raw, out[at + 12 + l]!);
        check(`asm ${fix} rn narrowed`, c, l, q, out[at + 16 + l]!);
        check(`asm ${fix} rn narrowed`, c, l + 4, q, out[at + 20 + l]!);
      });
    }
  });
  return { mismatches, checked };
}

/** One line per mismatch, with everything needed to reproduce it. */
function describeMismatch(m: Mismatch): string {
  const c = m.case;
  const l = m.lane % 4;
  return `${m.form} [${c.tag}] lane ${m.lane}: acc=${c.acc[l]} mult=${c.mult[l]} shift=${c.shift[l]} ${c.u8 ? 'uint8' : 'int8'} zp=${c.zp} clamp=[${c.actMin}, ${c.actMax}] hasLsh=${c.hasLsh} allNeg=${isAllNeg(c)}: expected ${m.expected}, got ${m.got}`;
}

describe('NEON requantization cases', () => {
  it('cover every shift, both fix-up forms, ties and every narrowing', () => {
    const shifts = new Set(CASES.flatMap((c) => c.shift));
    for (let s = SHIFT_MIN; s <= SHIFT_MAX; s++) expect(shifts.has(s), `shift ${s}`).toBe(true);
    const allNeg = CASES.filter(isAllNeg).length;
    expect(allNeg).toBeGreaterThan(1000);
    expect(CASES.length - allNeg).toBeGreaterThan(1000);
    expect(CASES.filter((c) => c.hasLsh && c.shift.some((s) => s > 0) && c.shift.some((s) => s < 0)).length).toBeGreaterThan(100);
    expect(FAMILIES.get('random')).toBe(RANDOM_RECORDS);
    // The tie family really sits on ties: the rounding goes away from zero, one off goes the other way.
    expect(multiplyByQuantizedMultiplier(3 * 2 ** 4, INT32_MAX, -5)).toBe(2);
    expect(multiplyByQuantizedMultiplier(-(3 * 2 ** 4), INT32_MAX, -5)).toBe(-2);
    expect(multiplyByQuantizedMultiplier(-(3 * 2 ** 4) + 1, INT32_MAX, -5)).toBe(-1);
    for (const n of NARROWINGS) {
      const hits = CASES.filter((c) => c.u8 === n.u8 && c.zp === n.zp && c.actMin === n.actMin && c.actMax === n.actMax);
      const outs = new Set(hits.flatMap((c) => [0, 1, 2, 3].map((l) => expectedLane(c, l).out)));
      expect(outs.has(n.actMin) && outs.has(n.actMax), JSON.stringify(n)).toBe(true);
    }
  });
});

describe.skipIf(skip).each(TARGETS.map((t) => [t.name, t] as const))('%s NEON requantization', (_name, target) => {
  const partial = target.arch === 'aarch64' ? 'requant_a64' : 'requant_a32';
  it(`every lane of the intrinsics and of the partial neon/${partial} matches the reference`, () => {
    const out = runHarness(target, CASES);
    const { mismatches, checked } = compare(CASES, out);
    console.log(
      `${target.name}: ${CASES.length} records (${[...FAMILIES].map(([k, v]) => `${k} ${v}`).join(', ')}); lanes checked: ${[...checked].map(([k, v]) => `${k} ${v}`).join(', ')}; mismatches ${mismatches.length}`,
    );
    expect(checked.get('intrinsics mbqm')).toBe(4 * CASES.length);
    expect(checked.get('intrinsics zp stage: requant4')).toBeGreaterThan(4 * CASES.length - 100);
    for (const fix of ASM_FIXES) {
      expect(checked.get(`asm ${fix} general raw`)).toBe(4 * CASES.length);
      expect(checked.get(`asm ${fix} rn raw`)).toBe(4 * CASES.filter(isAllNeg).length);
    }
    expect(mismatches.slice(0, 20).map(describeMismatch)).toEqual([]);
    expect(mismatches.length).toBe(0);
  });
});
