/**
 * The insn_count QEMU plugin counts exactly: a loop of N ≥ 1 iterations
 * between the markers costs a + b·N instructions with integer a, b, the same in
 * every window and every run; for aarch64 and for Thumb-2 (bit 0 cleared).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureInsnCountPlugin, parseInsnCounts } from '../../src/cross/plugin.js';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { targetByName } from '../../src/targets/index.js';
import { execTool } from '../../src/util/exec.js';

const PROGRAM = `
#include <stdlib.h>
__attribute__((noinline)) void mark_start(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void mark_stop(void) { __asm__ volatile("" ::: "memory"); }
volatile int sink;
__attribute__((noinline)) void work(int n) { int i; for (i = 0; i < n; i++) sink += i; }
int main(int argc, char **argv) {
  int n = atoi(argv[1]), k;
  (void)argc;
  for (k = 0; k < 3; k++) { mark_start(); work(n); mark_stop(); }
  return 0;
}
`;

const ARCHES = [
  { target: targetByName('rpi4'), extra: [] as string[] },
  { target: targetByName('rpi-armv7'), extra: ['-mthumb'] },
];
const missing = [...new Set(ARCHES.flatMap((a) => missingLinuxTools(a.target)))];
const skip = missing.length > 0 && process.env.CI !== 'true';
if (skip) console.warn(`skipping plugin tests: missing ${missing.join(', ')} (see scripts/ensure-tools.sh)`);

const work = mkdtempSync(join(tmpdir(), 'mobilec-plugin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(skip).each(ARCHES.map((a) => [a.target.name, a] as const))('insn_count on %s', (_n, { target, extra }) => {
  it('counts a + b·N, identically in every window and run', () => {
    const emu = target.emulator.kind === 'user' ? target.emulator : null;
    if (!emu) throw new Error('not a user-mode target');
    writeFileSync(join(work, 'loop.c'), PROGRAM);
    const exe = join(work, `loop-${target.name}`);
    execTool(target.cc, [...extra, '-O2', '-std=c99', '-static', '-no-pie', 'loop.c', '-o', exe], { cwd: work, what: 'compiling the loop' });
    const nm = execTool(target.cc.replace(/gcc$/, 'nm'), [exe], { what: 'nm' }).stdout;
    const addr = (sym: string) => `0x${(parseInt(new RegExp(`^([0-9a-f]+) T ${sym}$`, 'm').exec(nm)![1]!, 16) & ~1).toString(16)}`;
    const so = ensureInsnCountPlugin();
    const count = (n: number): number[] => {
      const out = join(work, `counts-${target.name}-${n}.txt`);
      execTool(emu.command, ['-cpu', emu.cpu, '-plugin', `${so},start=${addr('mark_start')},stop=${addr('mark_stop')},out=${out}`, exe, String(n)], {
        what: 'running the loop',
      });
      return parseInsnCounts(readFileSync(out, 'utf8'));
    };
    const ns = [0, 1, 10, 100, 1000];
    const counts = ns.map(count);
    for (const c of counts) expect(c).toEqual([c[0], c[0], c[0]]);
    expect(count(100)).toEqual(counts[3]);
    // N = 0 skips the loop set-up; from N = 1 on every iteration adds the same
    // whole number of instructions.
    const one = counts[1]![0]!;
    const perIteration = (counts[2]![0]! - one) / 9;
    expect(Number.isInteger(perIteration) && perIteration > 0).toBe(true);
    ns.forEach((n, i) => {
      if (n > 0) expect(counts[i]![0]).toBe(one + perIteration * (n - 1));
    });
    expect(counts[0]![0]).toBeGreaterThan(0);
    expect(counts[0]![0]).toBeLessThan(one);
    console.log(`${target.name}: loop window = ${counts.map((c, i) => `N=${ns[i]}: ${c[0]}`).join(', ')}`);
  });
});
