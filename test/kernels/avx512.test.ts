/**
 * The AVX-512F bodies of the host's float32 GEMM kernels (kernel-name flag
 * `x512`: `avx2/gemm/f32` and `avx2/conv/f32`, partials/avx2/pw_tile512.hbs),
 * chosen at run time by the model's invoke, and the AVX2 bodies beside them.
 *
 * One set of cases — every rest group of the 512 body (0..3 whole panels of
 * 16 channels after the groups of 64, then no tail, an 8-wide tail panel or a
 * 16-wide one with 1..15 channels: cout 1..64, odd ones + 64), pixel tails
 * 0..5 and fewer than 6 pixels, K of every unroll, plus random pointwise /
 * FC / conv geometries — runs three ways, each checked against the
 * reference within the float tolerance:
 *  - natively: on a CPU with AVX-512F the AVX-512F body runs;
 *  - natively built with -DMOBILEC_NO_AVX512: the AVX-512F body is not in the
 *    program (no zmm register in its code), so the AVX2 body runs;
 *  - under qemu-x86_64 -cpu max (AVX2 + FMA, no AVX-512, as TCG emulates
 *    it), the same program as natively: invoke finds no AVX-512F and runs
 *    the AVX2 body.
 * Which body ran is asserted through the CPU, not a hook: one model built
 * with `__builtin_cpu_supports` defined to 1 (the 512 body forced) dies with
 * SIGILL under that emulated CPU, while the default build of the same model
 * returns 0 there, and the -DMOBILEC_NO_AVX512 build has no zmm instruction.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { isaKernelsFor } from '../../src/codegen/isa/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { host, type Target } from '../../src/targets/index.js';
import { FLOAT_TOLERANCE } from '../../src/verify/compare.js';
import { convCase, type Family } from '../helpers/kernelCases.js';
import { describeFailures, KernelTester } from '../helpers/kernelTester.js';
import { FULL, SEED } from './config.js';

const provider = isaKernelsFor(host);
const skip = provider?.isa !== 'avx2';
const cpuAvx512 = /^flags\s*:.*\bavx512f\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
// qemu-x86_64 comes with Debian's qemu-user (scripts/ensure-tools.sh installs it for qemu-aarch64): under CI it must be
// there, so a missing one fails the test instead of skipping it.
const qemu = spawnSync('qemu-x86_64', ['--version']).status === 0 || process.env.CI === 'true';

/** The host target built with extra flags, or run under qemu-x86_64 -cpu max (the kernel tester's user-mode runner). */
const withFlags = (...flags: string[]): Target => ({ ...host, cflags: [...host.cflags, ...flags] });
// qemu-x86_64 is not one of the declared cross emulators; the tester's user-mode runner takes any command.
const underQemu = { ...host, emulator: { kind: 'user', command: 'qemu-x86_64', cpu: 'max' } } as unknown as Target;

/** Fixed pointwise shapes: cout i (+ 64 when i is odd) for i in 1..64, pixels 1..13, K 1..9. */
function fixedShapes() {
  return Array.from({ length: 64 }, (_, j) => {
    const i = j + 1;
    const npix = 1 + ((i * 5) % 13);
    return { h: 1, w: npix, cin: 1 + (i % 9), cout: i + (i % 2) * 64, kH: 1, kW: 1, sH: 1, sW: 1, padding: 'same' as const };
  });
}

/** Queues the same cases on a tester: the fixed pointwise shapes, a stem conv, random pointwise / FC / conv. */
function queue(tester: KernelTester): void {
  const gemm = provider!.variants.find((v) => v.key === 'avx2/gemm/f32')!;
  const conv = provider!.variants.find((v) => v.key === 'avx2/conv/f32')!;
  for (const [i, shape] of fixedShapes().entries()) {
    const graph = convCase(`kz${i}`, 'float32', SEED + 300 + i, shape).graph;
    expect(tester.addIfSelected({ family: 'pointwise', dtype: 'float32', seed: SEED + 300 + i, graph, variant: gemm })).toBe(true);
  }
  const stems = [
    { h: 32, w: 30, cin: 3, cout: 32, kH: 3, kW: 3, sH: 2, sW: 2, padding: 'same' as const },
    { h: 9, w: 7, cin: 5, cout: 83, kH: 3, kW: 2, sH: 1, sW: 2, padding: 'valid' as const },
  ];
  for (const [i, shape] of stems.entries()) {
    const graph = convCase(`kzc${i}`, 'float32', SEED + 400 + i, shape).graph;
    expect(tester.addIfSelected({ family: 'conv', dtype: 'float32', seed: SEED + 400 + i, graph, variant: conv })).toBe(true);
  }
  const want: [Family, number, typeof gemm][] = [
    ['pointwise', FULL ? 40 : 8, gemm],
    ['fc', FULL ? 20 : 4, gemm],
    ['conv', FULL ? 20 : 4, conv],
  ];
  for (const [fi, [family, n, v]] of want.entries()) {
    let got = 0;
    for (let i = 0; got < n && i < 40 * n; i++)
      if (tester.addIfSelected({ family, dtype: 'float32', seed: SEED + 500_000 + 10_000 * fi + i, variant: v })) got++;
    expect(got, `${family}: cases taken`).toBe(n);
  }
}

async function runAll(target: Target, prefix: string) {
  const tester = new KernelTester(target, prefix);
  queue(tester);
  const run = await tester.run();
  expect(describeFailures(run.results)).toEqual([]);
  expect(run.results.every((r) => r.isa === 'avx2' && r.tolerance >= FLOAT_TOLERANCE)).toBe(true);
  expect(run.results.every((r) => parseKernelName(r.kernel).flags?.x512 === true)).toBe(true);
  return run;
}

describe.skipIf(skip)('AVX-512F bodies of the float32 GEMM (host)', () => {
  it('the tiles cover every rest group and pixel tail', () => {
    const rest = new Set(fixedShapes().map((s) => `${Math.floor((s.cout % 64) / 16)}:${s.cout % 16}`));
    expect(rest.size).toBe(64);
    expect(new Set(fixedShapes().map((s) => (s.w >= 6 ? s.w % 6 : -s.w))).size).toBe(11);
    expect(new Set(fixedShapes().map((s) => (s.cin % 4 === 0 ? 4 : s.cin % 2 === 0 ? 2 : 1))).size).toBe(3);
  });

  it.skipIf(!cpuAvx512)(
    'natively on this AVX-512F CPU (the AVX-512F body) equals the reference',
    async () => {
      const run = await runAll(host, 'kz_');
      console.log(`avx512 body on host: ${run.results.length} cases, ${run.builds} build(s) (${run.cached} cached), ${(run.ms / 1000).toFixed(1)} s`);
    },
    900_000,
  );

  it('natively built with -DMOBILEC_NO_AVX512 (the AVX2 body) equals the reference', async () => {
    const run = await runAll(withFlags('-DMOBILEC_NO_AVX512'), 'kz_');
    console.log(`AVX2 body (MOBILEC_NO_AVX512): ${run.results.length} cases, ${(run.ms / 1000).toFixed(1)} s`);
  }, 900_000);

  it.skipIf(!qemu)(
    'under qemu-x86_64 -cpu max (AVX2, no AVX-512) the default build runs the AVX2 body, equal to the reference',
    async () => {
      const run = await runAll(underQemu, 'kz_');
      console.log(`qemu -cpu max (AVX2 body at run time): ${run.results.length} cases, ${(run.ms / 1000).toFixed(1)} s`);
    },
    900_000,
  );

  it.skipIf(!qemu)('which body runs: the CPU check chooses it, -DMOBILEC_NO_AVX512 removes the AVX-512F body (gcc and clang, strict flags)', () => {
    const g = convCase('m', 'float32', SEED, { h: 3, w: 5, cin: 12, cout: 77, kH: 1, kW: 1, sH: 1, sW: 1, padding: 'same' }).graph;
    const p = generateProject(g, { name: 'm', target: host, kernels: 'simd', weights: 'c' });
    expect([p.layers[0]!.variantKey, p.params.avx512]).toEqual(['avx2/gemm/f32', true]);
    expect(p.files.get('m.c')).toContain('mobilec_x86_avx512f = mobilec_m_cpu_ok && __builtin_cpu_supports("avx512f") ? 1 : 0;');
    expect(p.files.get('m.h')).toContain('-DMOBILEC_NO_AVX512');
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-avx512-'));
    try {
      for (const [f, content] of p.files) writeFileSync(join(dir, f), content);
      writeFileSync(join(dir, 'main.c'), '#include "m.h"\nint main(void) { return mobilec_m_invoke() == 0 ? 0 : 7; }\n');
      for (const cc of ['gcc', 'clang']) {
        const build = (name: string, defines: string[]) => {
          const exe = join(dir, `${cc}_${name}`);
          const obj = `${exe}.o`;
          const strict = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', ...defines, '-I', dir];
          const c = spawnSync(cc, [...strict, '-c', join(dir, 'm.c'), '-o', obj], { encoding: 'utf8' });
          expect(c.status, `${cc} ${name}: ${c.stderr}`).toBe(0);
          const b = spawnSync(cc, [...strict, '-static', obj, join(dir, 'm_weights.c'), join(dir, 'main.c'), '-o', exe], { encoding: 'utf8' });
          expect(b.status, `${cc} ${name}: ${b.stderr}`).toBe(0);
          // the model's own code (the static C library has zmm code of its own)
          const dis = spawnSync('objdump', ['-d', '--no-show-raw-insn', obj], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
          return { exe, zmm: /%zmm\d/.test(dis) };
        };
        const def = build('default', []);
        const forced = build('forced', ['-D__builtin_cpu_supports(f)=1']);
        const none = build('no512', ['-DMOBILEC_NO_AVX512']);
        expect([def.zmm, forced.zmm, none.zmm], `${cc}: zmm code in default / forced / MOBILEC_NO_AVX512`).toEqual([true, true, false]);
        const emu = (exe: string) => spawnSync('qemu-x86_64', ['-cpu', 'max', exe], { encoding: 'utf8' });
        // Without AVX-512 the default build chooses the AVX2 body; forced onto the AVX-512F body it faults.
        expect(emu(def.exe).status, `${cc}: default build under qemu -cpu max`).toBe(0);
        const f = emu(forced.exe);
        expect([f.status, f.signal], `${cc}: forced AVX-512F body under qemu -cpu max`).toEqual([null, 'SIGILL']);
        expect(emu(none.exe).status).toBe(0);
        // Natively every build runs (on an AVX-512F CPU the default build takes the AVX-512F body).
        for (const b of cpuAvx512 ? [def, forced, none] : [def, none]) expect(spawnSync(b.exe).status, `${cc}: ${b.exe} natively`).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
