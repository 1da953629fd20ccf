/**
 * The cycle model of the insn_count plugin (cycles=m4|m3): hand-written
 * micro-benchmarks (test/cross/fixtures/cycles/bench.S) run on the Cortex-M4
 * board under qemu-system-arm, one window each, and the estimated cycles must
 * equal the sums derived below from the timing table (P = 2, zero wait states).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRMWARE_DIR, mcuToolsAvailable, qemuSystemArgs } from '../../src/cross/mcu.js';
import { type CycleModel, ensureInsnCountPlugin, parseWindowCounts } from '../../src/cross/plugin.js';
import { targetByName } from '../../src/targets/index.js';
import { execTool } from '../../src/util/exec.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';
import { PERSON_DETECT } from '../helpers/shared.js';

const target = targetByName('cortex-m4');
const skip = !mcuToolsAvailable(target) && process.env.CI !== 'true';
if (skip) console.warn('skipping cross/cycles tests: arm-none-eabi-gcc, newlib or qemu-system-arm missing (see scripts/ensure-tools.sh)');

const FIXTURES = join(import.meta.dirname, 'fixtures', 'cycles');
const work = mkdtempSync(join(tmpdir(), 'mobilec-cycles-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let symbols = '';
beforeAll(() => {
  if (skip) return;
  for (const f of ['startup.c', 'semihosting.c', 'semihosting.h', 'sections.ld', 'mps2-an386.ld'])
    writeFileSync(join(work, f), readFileSync(join(FIRMWARE_DIR, f)));
  for (const f of ['bench.S', 'main.c']) writeFileSync(join(work, f), readFileSync(join(FIXTURES, f)));
  const flags = [...target.cflags, '-std=c99', '-Wall', '-Wextra', '-Werror'];
  const ld = ['-nostartfiles', '--specs=nano.specs', '-T', 'mps2-an386.ld', '-Wl,--defsym=__heap_size=0'];
  execTool(target.cc, [...flags, ...ld, 'main.c', 'startup.c', 'semihosting.c', 'bench.S', '-o', 'fw.elf'], { cwd: work, what: 'building the benchmarks' });
  symbols = execTool(target.cc.replace(/gcc$/, 'nm'), ['fw.elf'], { cwd: work, what: 'nm' }).stdout;
});

function addr(sym: string): string {
  const m = new RegExp(`^([0-9a-f]+) t ${sym}$`, 'm').exec(symbols);
  if (!m) throw new Error(`no symbol ${sym}`);
  return `0x${(parseInt(m[1]!, 16) & ~1).toString(16)}`;
}

/** Runs the image once with the window [name_start, name_stop). */
function measure(name: string, model: CycleModel): { instructions: number; cycles: number | null } {
  const emu = target.emulator.kind === 'system' ? target.emulator : null;
  if (!emu) throw new Error('not a system target');
  const out = join(work, `${name}-${model}.txt`);
  const so = ensureInsnCountPlugin();
  execTool(
    emu.command,
    [...qemuSystemArgs(emu, join(work, 'fw.elf')), '-plugin', `${so},start=${addr(`${name}_start`)},stop=${addr(`${name}_stop`)},out=${out},cycles=${model}`],
    {
      cwd: work,
      what: `running benchmark ${name}`,
      timeoutMs: 60_000,
    },
  );
  const windows = parseWindowCounts(readFileSync(out, 'utf8'));
  expect(windows).toHaveLength(1);
  return windows[0]!;
}

const P = 2;

// name, instructions, Cortex-M4 cycles (hand-derived), Cortex-M3 cycles where the tables differ
const CASES: [string, number, number, number | null, string][] = [
  // movs 1; 10 × (smlad 1 + smlad 1 + subs 1 + bne 1); bne taken 9 times: + 9P
  ['smlad', 1 + 10 * 4, 1 + 10 * 4 + 9 * P, null, 'SMLAD loop of 10, 9 taken branches and 1 not taken'],
  // independent: ldr 2, ldr 1, ldr 1 (pipelined); adds 1; dependent chain ldr r0,[r0] ×3: 2, 1, 1
  // (no dependency analysis); str 1; ldr after a store 2; ldrb 1; ldr.w 1
  ['loads', 11, 2 + 1 + 1 + 1 + (2 + 1 + 1) + 1 + 2 + 1 + 1, null, 'independent and dependent load chains'],
  // push {r4-r11} 1+8; ldm r0,{r1-r8} 1+8; ldmia r0!,{r1-r3} 1+3; pop {r4-r11} 1+8
  ['ldm', 4, 9 + 9 + 4 + 9, null, '8-register LDM, PUSH and POP'],
  // bl 1+P; push {r4,lr} 1+2; movs 1; pop {r4,pc} 1+2+P
  ['call', 4, 1 + P + 3 + 1 + (3 + P), null, 'BL and POP {pc}'],
  // movs 1; cmp 1; bne not taken 1; beq taken 1+P; cbz taken 1+P; cbnz not taken 1; b 1+P;
  // cmp 1; it 0 (folded); addeq 1 (fails, still issued); bne.w taken 1+P; nop 1
  ['branch', 12, 1 + 1 + 1 + (1 + P) + (1 + P) + 1 + (1 + P) + 1 + 0 + 1 + (1 + P) + 1, null, 'taken and not-taken branches, IT'],
  // vmov ×2 1; vadd 1; vmul 1; vmla 3; vfma 3; vdiv 14; vsqrt 14; vldr 2; vstr 2;
  // vldmia {s8-s11} 1+4; vstmia 1+4; vmov r0,s2 1; vcvt 1
  ['vfp', 14, 1 + 1 + 1 + 1 + 3 + 3 + 14 + 14 + 2 + 2 + 5 + 5 + 1 + 1, null, 'VFP data processing, VMLA, VDIV, loads and stores'],
  // M4: mul, mla, mls, smull, umlal, smlabb, smmla 1 each; sdiv, udiv 7 each (fixed); muls 1.
  // M3: mla 2, mls 2, smull 5, umlal 7 (upper bounds of the M3 ranges).
  ['mul', 10, 7 + 7 + 7 + 1, 1 + 2 + 2 + 5 + 7 + 1 + 1 + 7 + 7 + 1, 'multiplies and divides'],
];

describe.skipIf(skip)('insn_count cycles=m4 on the Cortex-M4 board', () => {
  it.each(CASES)('%s', (name, instructions, m4, m3, what) => {
    const got = measure(name, 'm4');
    console.log(`cycles ${name} (${what}): ${got.instructions} instructions, ${got.cycles} cycles (m4)`);
    expect(got).toEqual({ instructions, cycles: m4 });
    const m3Got = measure(name, 'm3');
    expect(m3Got).toEqual({ instructions, cycles: m3 ?? m4 });
  });

  it('parses lines without cycles as before', () => {
    expect(parseWindowCounts('12\n13 40\n')).toEqual([
      { instructions: 12, cycles: null },
      { instructions: 13, cycles: 40 },
    ]);
    expect(() => parseWindowCounts('12 x\n')).toThrow(/unexpected line/);
  });
});

describe.skipIf(skip)('run --json: estimated cycles', () => {
  // person_detect when the shared models are there, else the example MobileNet of the same size class.
  const model = existsSync(PERSON_DETECT) ? PERSON_DETECT : join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');

  it('cortex-m4 reports cycles in a plausible band and --clock-mhz the milliseconds', () => {
    const r = mobilec(['run', model, '--target', 'cortex-m4', '--seed', '1', '--json', '--clock-mhz', '120']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { instructions: number; cycles: number; estimatedMs: number; macs: number };
    const ratio = j.cycles / j.instructions;
    console.log(
      `${model.split('/').pop()} on cortex-m4: ${j.instructions} instructions, ${j.cycles} estimated cycles (${ratio.toFixed(3)} per instruction, ${(j.cycles / j.macs).toFixed(3)} per MAC), ${j.estimatedMs.toFixed(3)} ms at 120 MHz`,
    );
    // Mostly 1-cycle DSP and data instructions, with loads (2, or 1 pipelined) and loop branches (3 taken).
    expect(ratio).toBeGreaterThan(1.2);
    expect(ratio).toBeLessThan(1.6);
    expect(j.estimatedMs).toBeCloseTo(j.cycles / 120 / 1000, 9);
    const text = mobilec(['run', model, '--target', 'cortex-m4', '--seed', '1', '--clock-mhz', '120']);
    expect(text.stdout).toContain(`${j.cycles.toLocaleString('en-US')} estimated cycles per inference (${ratio.toFixed(3)} per instruction`);
    expect(text.stdout).toContain(`estimated ${j.estimatedMs.toFixed(3)} ms per inference at 120 MHz`);
  });

  it('no cycle model on the Cortex-M7 (dual issue): cycles null, and --clock-mhz refused', () => {
    const tiny = join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');
    const r = mobilec(['run', tiny, '--target', 'cortex-m7', '--seed', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { instructions: number; cycles: number | null; estimatedMs: number | null };
    expect(j.instructions).toBeGreaterThan(0);
    expect(j.cycles).toBeNull();
    expect(j.estimatedMs).toBeNull();
    const refused = mobilec(['run', tiny, '--target', 'cortex-m7', '--seed', '1', '--clock-mhz', '120']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'mobilec: run --clock-mhz converts estimated cycles to milliseconds: give a target with a cycle model (cortex-m3, cortex-m4, cortex-m33), not cortex-m7\n',
    );
    expect(mobilec(['run', tiny, '--seed', '1', '--clock-mhz', '0']).code).toBe(2);
  });
});
