/**
 * The generated CMakeLists.txt as a CMake citizen, built with the host
 * compiler and with every toolchain file (examples/rpi/toolchains,
 * examples/firmware/toolchains), always configured from an unrelated working
 * directory: the model's sources build at their target's -O level whatever
 * the build type (unless MOBILEC_OPT_FLAGS says otherwise), the target's
 * architecture flags reach whoever links the model, libm is linked on every
 * toolchain, and a consumer links `mobilec::<name>`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { targetByName, type Target } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';

const RPI_TOOLCHAINS = join(PACKAGE_ROOT, 'examples', 'rpi', 'toolchains');
const MCU_TOOLCHAINS = join(PACKAGE_ROOT, 'examples', 'firmware', 'toolchains');
const TOOLCHAINS: readonly { target: Target; file: string | null }[] = [
  { target: targetByName('host'), file: null },
  ...['rpi3', 'rpi4', 'rpi5', 'rpi-armv7'].map((t) => ({ target: targetByName(t), file: join(RPI_TOOLCHAINS, `${t}.cmake`) })),
  ...['cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55'].map((t) => ({ target: targetByName(t), file: join(MCU_TOOLCHAINS, `${t}.cmake`) })),
];

const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const tools = ['cmake', 'aarch64-linux-gnu-gcc', 'arm-linux-gnueabihf-gcc', 'arm-none-eabi-gcc', 'qemu-aarch64', 'qemu-arm'];
const skip = !tools.every(has) && process.env.CI !== 'true';
if (skip) console.warn(`skipping test/cmake/generated-project: needs ${tools.join(', ')}`);

const work = mkdtempSync(join(tmpdir(), 'mobilec-cmake-'));
/** Every cmake command runs from here, a directory unrelated to the sources and the build trees. */
const elsewhere = join(work, 'elsewhere');
mkdirSync(elsewhere);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { cwd: elsewhere, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function compileModel(model: string, target: Target, name: string, out: string, extra: readonly string[] = []): void {
  const r = mobilec(['compile', join(EXAMPLES, model), '--target', target.name, '--name', name, '--out', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
}

function configure(src: string, build: string, file: string | null, defs: readonly string[]): void {
  run('cmake', ['-S', src, '-B', build, '-DCMAKE_EXPORT_COMPILE_COMMANDS=ON', ...(file ? [`-DCMAKE_TOOLCHAIN_FILE=${file}`] : []), ...defs]);
}

/** The compile command of `source` (a file name) in a build tree, split into arguments. */
function compileCommand(build: string, source: string): string[] {
  const entries = JSON.parse(readFileSync(join(build, 'compile_commands.json'), 'utf8')) as { file: string; command: string }[];
  const entry = entries.find((e) => e.file.endsWith(`/${source}`));
  if (!entry) throw new Error(`no compile command for ${source} in ${build}`);
  return entry.command.split(/\s+/);
}

const optOf = (t: Target): string => t.cflags.find((f) => f.startsWith('-O'))!;
const archOf = (t: Target): string[] => t.cflags.filter((f) => !f.startsWith('-O'));
const lastOpt = (cmd: readonly string[]): string | undefined => cmd.filter((a) => /^-O/.test(a)).pop();

describe.skipIf(skip)('the generated project under every toolchain, configured from another directory', () => {
  for (const { target, file } of TOOLCHAINS) {
    it(`${target.name}: the model builds at ${optOf(target)} with no build type and with Debug`, () => {
      const dir = join(work, target.name);
      const model = join(dir, 'model');
      compileModel('tiny_layers.json', target, 'tiny', model);

      // No build type: CMake adds no -O at all, the model must still get its own.
      const plain = join(dir, 'build-plain');
      configure(model, plain, file, []);
      run('cmake', ['--build', plain]);
      const cmd = compileCommand(plain, 'tiny.c');
      expect(lastOpt(cmd)).toBe(optOf(target));
      for (const flag of archOf(target)) expect(cmd).toContain(flag);
      // The toolchain file itself sets the target's compiler and flags (not only the model's usage requirements).
      const cache = readFileSync(join(plain, 'CMakeCache.txt'), 'utf8');
      if (file) {
        expect(cmd[0]).toMatch(new RegExp(`/${target.cc}$`));
        expect(cache).toContain(`\nCMAKE_C_FLAGS:STRING=${archOf(target).join(' ')}\n`);
      }

      // Debug: -g stays, but the model's -O comes after every configuration flag.
      const debug = join(dir, 'build-debug');
      configure(model, debug, file, ['-DCMAKE_BUILD_TYPE=Debug']);
      run('cmake', ['--build', debug]);
      const dcmd = compileCommand(debug, 'tiny.c');
      expect(dcmd).toContain('-g');
      expect(lastOpt(dcmd)).toBe(optOf(target));
      expect(dcmd.lastIndexOf(optOf(target))).toBeGreaterThan(dcmd.indexOf('-g'));
    });
  }

  it('MOBILEC_OPT_FLAGS overrides the level (several flags), and Release -O3 does not win over the target -O2', () => {
    const host = targetByName('host');
    const model = join(work, 'host', 'model');
    const over = join(work, 'host', 'build-override');
    configure(model, over, null, ['-DCMAKE_BUILD_TYPE=Release', '-DMOBILEC_OPT_FLAGS=-Os -fno-unroll-loops']);
    const cmd = compileCommand(over, 'tiny.c');
    expect(lastOpt(cmd)).toBe('-Os');
    expect(cmd).toContain('-fno-unroll-loops');
    expect(cmd.lastIndexOf('-Os')).toBeGreaterThan(cmd.indexOf('-O3'));

    const release = join(work, 'host', 'build-release');
    configure(model, release, null, ['-DCMAKE_BUILD_TYPE=Release']);
    const rcmd = compileCommand(release, 'tiny.c');
    expect(rcmd).toContain('-O3');
    expect(lastOpt(rcmd)).toBe(optOf(host));
  });
});

describe.skipIf(skip)('-O0 and the Cortex-M DSP kernels', () => {
  it('MOBILEC_OPT_FLAGS=-O0 on a cortex-m4 int8 model warns at configure time; the -Og it suggests builds', () => {
    const dir = join(work, 'dsp-o0');
    compileModel('mobilenet_v1_0.25_96_int8.json', targetByName('cortex-m4'), 'q', join(dir, 'q'));
    const file = join(MCU_TOOLCHAINS, 'cortex-m4.cmake');
    const r = spawnSync('cmake', ['-S', join(dir, 'q'), '-B', join(dir, 'b0'), `-DCMAKE_TOOLCHAIN_FILE=${file}`, '-DMOBILEC_OPT_FLAGS=-O0'], {
      cwd: elsewhere,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.replace(/\s+/g, ' ')).toContain(
      "MOBILEC_OPT_FLAGS '-O0': the cortex-m4 DSP kernels of model q use inline assembly that needs 14 registers, which -O0 does not leave free; debug with -Og instead",
    );
    configure(join(dir, 'q'), join(dir, 'bg'), file, ['-DMOBILEC_OPT_FLAGS=-Og']);
    run('cmake', ['--build', join(dir, 'bg')]);
    expect(lastOpt(compileCommand(join(dir, 'bg'), 'q.c'))).toBe('-Og');
    // A model without DSP kernels (float32) says nothing.
    const f = spawnSync('cmake', ['-S', join(work, 'cortex-m4', 'model'), '-B', join(dir, 'bf'), `-DCMAKE_TOOLCHAIN_FILE=${file}`, '-DMOBILEC_OPT_FLAGS=-O0'], {
      cwd: elsewhere,
      encoding: 'utf8',
    });
    expect(f.status, f.stderr).toBe(0);
    expect(f.stderr).not.toContain('MOBILEC_OPT_FLAGS');
  });
});

/** A consumer of the model: add_subdirectory + mobilec::<name>. */
const CONSUMER_CMAKE = `cmake_minimum_required(VERSION 3.13)
project(consumer C ASM)
set(MODEL_DIR "" CACHE PATH "generated model")
add_subdirectory(\${MODEL_DIR} model)
add_executable(app app.c)
target_link_libraries(app PRIVATE mobilec::fm)
`;

/** Zero input, one inference, the output as text: index, sum of the scores, top class. */
const CONSUMER_C = `#include <stdio.h>
#include <string.h>
#include "fm.h"
int main(void)
{
    const float *y;
    double sum = 0.0;
    int k, best = 0;
    memset(mobilec_fm_input(), 0, MOBILEC_FM_INPUT_BYTES);
    if (mobilec_fm_invoke() != 0) return 1;
    y = mobilec_fm_output();
    for (k = 0; k < MOBILEC_FM_OUTPUT_ELEMENTS; ++k) {
        sum += y[k];
        if (y[k] > y[best]) best = k;
    }
    printf("sum %.4f top %d %.6f\\n", sum, best, (double)y[best]);
    return 0;
}
`;

describe.skipIf(skip)('a consumer links mobilec::<name>, a float32 model links libm on a cross toolchain', () => {
  const consumer = join(work, 'consumer');
  mkdirSync(consumer, { recursive: true });
  writeFileSync(join(consumer, 'CMakeLists.txt'), CONSUMER_CMAKE);
  writeFileSync(join(consumer, 'app.c'), CONSUMER_C);

  // rpi-armv7's float softmax and every generic one call expf; rpi4's NEON softmax has its own exp.
  const cases = [
    { target: 'rpi-armv7', kernels: 'simd', qemu: ['qemu-arm', '-L', '/usr/arm-linux-gnueabihf'] },
    { target: 'rpi4', kernels: 'generic', qemu: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'] },
  ];
  for (const c of cases) {
    it(`${c.target} (${c.kernels} kernels): mobilenet_v1_0.25_96 float32 links and runs`, () => {
      const target = targetByName(c.target);
      const dir = join(work, `consumer-${c.target}`);
      compileModel('mobilenet_v1_0.25_96.json', target, 'fm', join(dir, 'fm'), ['--kernels', c.kernels]);
      expect(readFileSync(join(dir, 'fm', 'fm.c'), 'utf8')).toMatch(/\bexpf\(/);
      const build = join(dir, 'build');
      configure(consumer, build, join(RPI_TOOLCHAINS, `${c.target}.cmake`), [`-DMODEL_DIR=${join(dir, 'fm')}`]);
      run('cmake', ['--build', build]);
      const [qemu, ...args] = c.qemu;
      const out = run(qemu!, [...args, join(build, 'app')]);
      const m = /^sum ([0-9.]+) top (\d+) ([0-9.]+)\n$/.exec(out);
      expect(m, out).not.toBeNull();
      expect(Number(m![1])).toBeCloseTo(1, 3);
      expect(Number(m![3])).toBeGreaterThan(0);
    });
  }

  it('cortex-m4 without any flags of its own (no toolchain file): the consumer compiles and links with the target flags', () => {
    const target = targetByName('cortex-m4');
    const dir = join(work, 'consumer-bare');
    compileModel('tiny_layers.json', target, 'fm', join(dir, 'fm'));
    const build = join(dir, 'build');
    configure(consumer, build, null, [
      '-DCMAKE_SYSTEM_NAME=Generic',
      '-DCMAKE_C_COMPILER=arm-none-eabi-gcc',
      '-DCMAKE_ASM_COMPILER=arm-none-eabi-gcc',
      '-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY',
      `-DMODEL_DIR=${join(dir, 'fm')}`,
    ]);
    const cmd = compileCommand(build, 'app.c');
    for (const flag of archOf(target)) expect(cmd).toContain(flag);
    // The link line (CMake writes it before building) selects newlib's Armv7E-M hard-float variant the same way.
    const link = readFileSync(join(build, 'CMakeFiles', 'app.dir', 'link.txt'), 'utf8');
    for (const flag of archOf(target)) expect(link).toContain(flag);
    expect(link).toMatch(/ -lm\b/);
    // The object really is Thumb-2 Armv7E-M code passing floats in VFP registers.
    // CMAKE_SYSTEM_NAME Generic names objects .obj.
    run('cmake', ['--build', build, '--target', 'app.c.obj']);
    const attrs = run('arm-none-eabi-readelf', ['-A', join(build, 'CMakeFiles', 'app.dir', 'app.c.obj')]);
    expect(attrs).toMatch(/Tag_CPU_arch: v7E-M\n/);
    expect(attrs).toMatch(/Tag_THUMB_ISA_use: Thumb-2\n/);
    expect(attrs).toMatch(/Tag_ABI_VFP_args: VFP registers\n/);
  });
});

describe.skipIf(skip)('--weights c: the generated CMake project needs no assembler', () => {
  it('cortex-m4 with its toolchain file: a C-only project (no ASM language) whose library defines every weight symbol', () => {
    const target = targetByName('cortex-m4');
    const dir = join(work, 'weights-c');
    compileModel('mobilenet_v1_0.25_96_int8.json', target, 'wc', join(dir, 'wc'), ['--weights', 'c']);
    const cmake = readFileSync(join(dir, 'wc', 'CMakeLists.txt'), 'utf8');
    expect(cmake).toContain('project(wc LANGUAGES C)');
    expect(cmake).not.toContain('wc_weights.S');
    const build = join(dir, 'build');
    configure(join(dir, 'wc'), build, join(MCU_TOOLCHAINS, 'cortex-m4.cmake'), []);
    run('cmake', ['--build', build]);
    expect(lastOpt(compileCommand(build, 'wc_weights.c'))).toBe(optOf(target));
    const declared = [...readFileSync(join(dir, 'wc', 'wc.c'), 'utf8').matchAll(/^extern const \w+ (mobilec_wc_\w+)\[/gm)].map((m) => m[1]!);
    expect(declared.length).toBeGreaterThan(50);
    const defined = new Set([...run('arm-none-eabi-nm', [join(build, 'libwc.a')]).matchAll(/ [RrDd] (mobilec_wc_\w+)$/gm)].map((m) => m[1]!));
    for (const sym of declared) expect(defined.has(sym), sym).toBe(true);
  });
});
