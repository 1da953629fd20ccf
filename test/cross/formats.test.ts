/**
 * `compile --format arduino|zephyr`, checked without installing Arduino or
 * Zephyr:
 * - arduino: library.properties carries the 1.5 specification's fields; every
 *   source under src/ compiles from another directory with only -I<lib>/src
 *   and the board's flags (as the Arduino build does), the example sketch
 *   compiles as C++ against a stub Arduino.h, everything links with
 *   newlib-nano (nosys) and, on the MPS2 board under QEMU, the sketch prints
 *   the reference's top class and score.
 * - zephyr: module.yml and Kconfig name what CMakeLists.txt uses; a CMake
 *   harness that stubs Zephyr's zephyr_library* functions configures the
 *   module, builds the recorded sources into a static library with the
 *   Cortex-M4 toolchain and links it into a program (a wrong source list
 *   fails there), and the Kconfig section option places the weights.
 * - usage: arduino / zephyr on a non-Cortex-M target, or arduino with
 *   --weights incbin, is exit 2 with one line and nothing written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dequantize, topK } from '../../src/cli/run.js';
import { FIRMWARE_DIR, mcuToolsAvailable, qemuSystemArgs } from '../../src/cross/mcu.js';
import { elementCount } from '../../src/model/ir.js';
import { loadModel } from '../../src/pipeline.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { targetByName } from '../../src/targets/index.js';
import { seededInput } from '../../src/util/tensors.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';
import { MOBILENET_QUANT, PERSON_DETECT, skipShared } from '../helpers/shared.js';

const CI = process.env.CI === 'true';
const M4 = targetByName('cortex-m4');
/** The board's flags, as an Arduino core for a Cortex-M4F passes them (the core chooses -Os). */
const BOARD = [...M4.cflags.filter((f) => f.startsWith('-m')), '-Os', '-ffunction-sections', '-fdata-sections'];
const hasCmake = spawnSync('cmake', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = (!mcuToolsAvailable(M4) || !hasCmake) && !CI;
if (skip) console.warn('skipping --format tests: arm-none-eabi-gcc, newlib, qemu-system-arm or cmake missing (see scripts/ensure-tools.sh)');

const work = mkdtempSync(join(tmpdir(), 'mobilec-formats-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a command; returns what it printed (stdout, then stderr: QEMU's semihosting console is there when stdout is a pipe). */
function run(cmd: string, args: readonly string[], cwd: string, timeout = 120_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, maxBuffer: 1 << 26 });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.error?.message}):\n${r.stderr}${r.stdout}`);
  return `${r.stdout}${r.stderr}`;
}

/** Every file under `dir` (relative paths, `/`-separated). */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name)).split('\\').join('/')],
  );
}

/** `key=value` lines of a .properties file (comments skipped). */
function properties(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
}

/** The reference's top class and score for the input of `--seed 1`. */
function referenceTop(modelPath: string): { index: number; score: number } {
  const g = loadModel(modelPath);
  const inT = g.tensors[g.inputs[0]!]!;
  const out = runGraph(g, [seededInput(inT.dtype, elementCount(inT.shape), 1)]).outputs[0]!;
  const top = topK(dequantize(g.tensors[g.outputs[0]!]!, out), 1, null)[0]!;
  return { index: top.index, score: top.score };
}

describe('--format: usage errors (exit 2, one line, nothing written)', () => {
  const model = join(EXAMPLES, 'tiny_layers.json');
  it.each([
    [['--format', 'arduino'], /--format arduino is for Cortex-M targets \(cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m55\); target host is not one/],
    [['--format', 'zephyr', '--target', 'rpi4'], /--format zephyr is for Cortex-M targets .*target rpi4 is not one/],
    [['--format', 'arduino', '--target', 'cortex-m4', '--weights', 'incbin'], /--format arduino writes the weights as C arrays \(--weights c\)/],
    [['--format', 'makefile'], /--format must be cmake, arduino or zephyr \(got 'makefile'\)/],
    [['--weights', 'hex'], /--weights must be incbin or c \(got 'hex'\)/],
  ])('%j', (args, message) => {
    const out = join(work, `usage-${args.join('-')}`);
    const r = mobilec(['compile', model, ...args, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});

/** A minimal Arduino core: what the sketch uses, printing through semihosting. */
const ARDUINO_H = `#ifndef ARDUINO_STUB_H
#define ARDUINO_STUB_H
#include <stddef.h>
#include <stdint.h>
class StubSerial {
public:
    void begin(unsigned long baud) { (void)baud; }
    explicit operator bool() const { return true; }
    size_t print(const char *s);
    size_t print(int v);
    size_t print(unsigned long v);
    size_t print(double v, int digits = 2);
    size_t println(const char *s);
    size_t println(int v);
};
extern StubSerial Serial;
unsigned long micros(void);
void delay(unsigned long ms);
void setup(void);
void loop(void);
#endif
`;

const ARDUINO_CPP = `#include "Arduino.h"
extern "C" {
#include "semihosting.h"
}
StubSerial Serial;
static unsigned long fake_us;
unsigned long micros(void) { return fake_us += 1000u; }
void delay(unsigned long ms) { (void)ms; }
static size_t put(const char *s) { size_t n = 0; while (s[n] != 0) ++n; sh_puts(s); return n; }
static size_t put_ulong(unsigned long v, bool negative)
{
    char buf[24];
    int n = (int)sizeof buf - 1;
    buf[n] = 0;
    do { buf[--n] = (char)('0' + v % 10u); v /= 10u; } while (v != 0u);
    if (negative) buf[--n] = '-';
    return put(buf + n);
}
size_t StubSerial::print(const char *s) { return put(s); }
size_t StubSerial::print(int v) { return v < 0 ? put_ulong((unsigned long)-(long)v, true) : put_ulong((unsigned long)v, false); }
size_t StubSerial::print(unsigned long v) { return put_ulong(v, false); }
/* As Arduino's Print::printFloat: round at the last digit, then digit by digit. */
size_t StubSerial::print(double v, int digits)
{
    size_t n = 0;
    if (v < 0.0) { n += put("-"); v = -v; }
    double rounding = 0.5;
    for (int i = 0; i < digits; ++i) rounding /= 10.0;
    v += rounding;
    unsigned long whole = (unsigned long)v;
    double rest = v - (double)whole;
    n += put_ulong(whole, false);
    if (digits > 0) n += put(".");
    char d[2] = { 0, 0 };
    while (digits-- > 0) { rest *= 10.0; int k = (int)rest; d[0] = (char)('0' + k); n += put(d); rest -= k; }
    return n;
}
size_t StubSerial::println(const char *s) { return put(s) + put("\\n"); }
size_t StubSerial::println(int v) { return print(v) + put("\\n"); }
`;

/** Stands in for the core's main.cpp: setup() once, loop() once. */
const STUB_MAIN = `#include "Arduino.h"
int main(void) { setup(); loop(); return 0; }
`;

const SHARED_MODEL = [
  ['person_detect', PERSON_DETECT],
  ['mobilenet_v1_0.25_128_quant (uint8)', MOBILENET_QUANT],
] as const;
/** [label, model, skip]: an int8 MobileNet, a float model whose top class is not 0 (class 2 of 10), two real models (int8, uint8). */
const ARDUINO_MODELS: readonly (readonly [string, string, boolean])[] = [
  ['mobilenet_v1_0.25_96_int8', join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'), false],
  ['tiny_layers (float32)', join(EXAMPLES, 'tiny_layers.json'), false],
  ...SHARED_MODEL.map(([n, p]) => [n, p, skipShared] as const),
];

describe.skipIf(skip)('--format arduino', () => {
  it.each(ARDUINO_MODELS.filter(([, , skipThis]) => !skipThis))(
    '%s: compiles as the Arduino build does, links, and the sketch prints the reference top class',
    (label, modelPath) => {
      const lib = join(work, `arduino-${label.replace(/\W+/g, '_')}`, 'mobilec_lib');
      const r = mobilec(['compile', modelPath, '--target', 'cortex-m4', '--format', 'arduino', '--out', lib]);
      expect(r.code, r.stderr).toBe(0);
      const files = walk(lib)
        .filter((f) => f !== '.mobilec-output')
        .sort();
      const name = readdirSync(join(lib, 'src'))
        .find((f) => f.endsWith('_weights.c'))!
        .replace(/_weights\.c$/, '');
      expect(files).toEqual(
        ['examples/Classify/Classify.ino', 'library.properties', 'src/mobilec_runtime.h', `src/${name}.c`, `src/${name}.h`, `src/${name}_weights.c`].sort(),
      );

      // library.properties: every field of the 1.5 specification, well-formed.
      const props = properties(readFileSync(join(lib, 'library.properties'), 'utf8'));
      for (const key of ['name', 'version', 'author', 'maintainer', 'sentence', 'paragraph', 'category', 'url', 'architectures', 'includes']) {
        expect(props.get(key)?.trim() ?? '', key).not.toBe('');
      }
      expect(props.get('name')).toBe(`mobilec_${name}`);
      expect(props.get('name')).toMatch(/^[A-Za-z][A-Za-z0-9 _.-]{0,62}$/);
      expect(props.get('version')).toMatch(/^\d+\.\d+\.\d+$/);
      expect(['Display', 'Communication', 'Signal Input/Output', 'Sensors', 'Device Control', 'Timing', 'Data Storage', 'Data Processing', 'Other']).toContain(
        props.get('category'),
      );
      expect(props.get('url')).toMatch(/^https:\/\/\S+$/);
      expect(props.get('includes')).toBe(`${name}.h`);
      expect(props.get('architectures')).toBe('*');

      // The Arduino build: each .c/.cpp/.S under src/, recursively, from its own
      // build directory, with only -I<lib>/src.
      const build = join(lib, '..', 'build');
      const core = join(lib, '..', 'core');
      mkdirSync(build, { recursive: true });
      mkdirSync(core, { recursive: true });
      const objects: string[] = [];
      for (const f of walk(join(lib, 'src')).filter((f) => /\.(c|cpp|S)$/.test(f))) {
        const obj = `${f.replace(/[/.]/g, '_')}.o`;
        const cc = f.endsWith('.cpp') ? 'arm-none-eabi-g++' : 'arm-none-eabi-gcc';
        run(cc, [...BOARD, '-std=gnu11', '-Wall', '-Wextra', '-Werror', `-I${join(lib, 'src')}`, '-c', join(lib, 'src', f), '-o', obj], build);
        objects.push(obj);
      }
      expect(objects).toHaveLength(2);
      // The sketch: C++ with <Arduino.h> included first, as the Arduino build does.
      writeFileSync(join(core, 'Arduino.h'), ARDUINO_H);
      writeFileSync(join(core, 'Arduino.cpp'), ARDUINO_CPP);
      writeFileSync(join(core, 'main.cpp'), STUB_MAIN);
      const cxx = [...BOARD, '-std=gnu++17', '-fno-exceptions', '-fno-rtti', '-fno-threadsafe-statics', '-Wall', '-Wextra', '-Werror'];
      run(
        'arm-none-eabi-g++',
        [
          ...cxx,
          '-x',
          'c++',
          '-include',
          'Arduino.h',
          `-I${core}`,
          `-I${join(lib, 'src')}`,
          '-c',
          join(lib, 'examples', 'Classify', 'Classify.ino'),
          '-o',
          'sketch.o',
        ],
        build,
      );
      run('arm-none-eabi-g++', [...cxx, `-I${core}`, `-I${FIRMWARE_DIR}`, '-c', join(core, 'Arduino.cpp'), '-o', 'core.o'], build);
      run('arm-none-eabi-g++', [...cxx, `-I${core}`, '-c', join(core, 'main.cpp'), '-o', 'main.o'], build);
      for (const [src, obj] of [
        [join(FIRMWARE_DIR, 'semihosting.c'), 'semihosting.o'],
        [join(FIRMWARE_DIR, 'startup.c'), 'startup.o'],
      ]) {
        run('arm-none-eabi-gcc', [...BOARD, '-std=c99', '-Wall', '-Wextra', '-Werror', `-I${FIRMWARE_DIR}`, '-c', src!, '-o', obj!], build);
      }
      const common = [...objects, 'sketch.o', 'core.o', 'main.o', 'semihosting.o'];
      // Linked by the C driver: the sketch and the stub core use no C++ runtime,
      // and this machine's arm-none-eabi toolchain has no libstdc++ for newlib-nano.
      const link = [...BOARD, '--specs=nano.specs', '-Wl,--gc-sections'];
      // Every symbol resolves with newlib-nano and the nosys stubs (any board).
      run('arm-none-eabi-gcc', [...link, '--specs=nosys.specs', ...common, '-lm', '-o', 'sketch_nosys.elf'], build);
      // On the MPS2 Cortex-M4 board under QEMU, the sketch prints what the reference says.
      run(
        'arm-none-eabi-gcc',
        [...link, '-nostartfiles', `-L${FIRMWARE_DIR}`, '-T', 'mps2-an386.ld', ...common, 'startup.o', '-lm', '-o', 'sketch.elf'],
        build,
      );
      const emu = M4.emulator as { machine: string; cpu: string };
      const said = run('qemu-system-arm', qemuSystemArgs(emu, 'sketch.elf'), build, 120_000);
      const m = /^top class (\d+) score (-?\d+\.\d{6}) time (\d+) us$/m.exec(said);
      expect(m, said).not.toBeNull();
      const ref = referenceTop(modelPath);
      console.log(`arduino ${label}: sketch says "${m![0]}", reference top class ${ref.index} score ${ref.score}`);
      expect(Number(m![1])).toBe(ref.index);
      // Printed with 6 decimals; a float model's C may differ from the reference in the last float bits.
      expect(Math.abs(Number(m![2]) - ref.score)).toBeLessThanOrEqual(label.includes('float') ? 2e-6 : 5e-7 + 1e-12);
      expect(Number(m![3])).toBe(1000);
    },
  );
});

/** A CMake project that plays Zephyr: the zephyr_* functions the module may call, recording their arguments. */
function zephyrHarness(module: string, config: Readonly<Record<string, string>>, name: string): string {
  const flags = M4.cflags.filter((f) => f.startsWith('-m')).join(' ');
  const sets = Object.entries(config)
    .map(([k, v]) => `set(${k} "${v}")`)
    .join('\n');
  return `cmake_minimum_required(VERSION 3.13)
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
project(zephyr_harness C ASM)
set(CMAKE_C_FLAGS "${flags} -O2 -std=c99 -Wall -Wextra -Werror -pedantic")
set(CMAKE_ASM_FLAGS "${flags}")
set(CMAKE_EXE_LINKER_FLAGS "--specs=nano.specs --specs=nosys.specs")

set(CALLS "\${CMAKE_BINARY_DIR}/calls.txt")
file(WRITE "\${CALLS}" "")
# As Zephyr: every Zephyr library links zephyr_interface, which carries the global include directories.
add_library(zephyr_interface INTERFACE)
macro(zephyr_library_named lib)
  file(APPEND "\${CALLS}" "zephyr_library_named \${lib}\\n")
  set(ZEPHYR_CURRENT_LIBRARY \${lib})
  add_library(\${lib} STATIC)
  target_link_libraries(\${lib} PUBLIC zephyr_interface)
  set_property(GLOBAL APPEND PROPERTY ZEPHYR_LIBS \${lib})
endmacro()
function(zephyr_library_sources)
  list(JOIN ARGN " " args)
  file(APPEND "\${CALLS}" "zephyr_library_sources \${args}\\n")
  target_sources(\${ZEPHYR_CURRENT_LIBRARY} PRIVATE \${ARGN})
endfunction()
function(zephyr_include_directories)
  list(JOIN ARGN " " args)
  file(APPEND "\${CALLS}" "zephyr_include_directories \${args}\\n")
  foreach(dir \${ARGN})
    get_filename_component(abs "\${dir}" ABSOLUTE)
    target_include_directories(zephyr_interface INTERFACE "\${abs}")
  endforeach()
endfunction()
function(zephyr_library_compile_definitions)
  list(JOIN ARGN " " args)
  file(APPEND "\${CALLS}" "zephyr_library_compile_definitions \${args}\\n")
  target_compile_definitions(\${ZEPHYR_CURRENT_LIBRARY} PRIVATE \${ARGN})
endfunction()

${sets}
add_subdirectory("${module}" module)

get_property(libs GLOBAL PROPERTY ZEPHYR_LIBS)
if(libs)
  # A program that calls the model: every symbol must resolve from the recorded sources.
  file(WRITE "\${CMAKE_BINARY_DIR}/app.c" "#include <${name}.h>\\nint main(void);\\nint main(void) { return mobilec_${name}_invoke(); }\\n")
  add_executable(app "\${CMAKE_BINARY_DIR}/app.c")
  target_link_libraries(app PRIVATE \${libs} zephyr_interface m)
endif()
`;
}

const ZEPHYR_MODELS: readonly (readonly [string, string, readonly string[], boolean])[] = [
  ['mobilenet_v1_0.25_96_int8 (C arrays)', join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'), [], false],
  ['tiny_layers float (--weights incbin)', join(EXAMPLES, 'tiny_layers.json'), ['--weights', 'incbin'], false],
  ['person_detect', PERSON_DETECT, [], skipShared],
];

describe.skipIf(skip)('--format zephyr', () => {
  it.each(ZEPHYR_MODELS.filter(([, , , skipThis]) => !skipThis))(
    '%s: module.yml, Kconfig and CMakeLists.txt agree; the stubbed Zephyr build compiles and links it',
    (label, modelPath, extra) => {
      const root = join(work, `zephyr-${label.replace(/\W+/g, '_')}`);
      const mod = join(root, 'module');
      const r = mobilec(['compile', modelPath, '--target', 'cortex-m4', '--format', 'zephyr', ...extra, '--out', mod]);
      expect(r.code, r.stderr).toBe(0);
      const name = readdirSync(join(mod, 'include'))[0]!.replace(/\.h$/, '');
      const NAME = name.toUpperCase();
      const incbin = extra.includes('incbin');
      const weights = incbin ? [`src/${name}_weights.S`, `src/${name}_weights.bin`] : [`src/${name}_weights.c`];
      expect(
        walk(mod)
          .filter((f) => f !== '.mobilec-output')
          .sort(),
      ).toEqual(['zephyr/module.yml', 'CMakeLists.txt', 'Kconfig', `include/${name}.h`, `src/${name}.c`, 'src/mobilec_runtime.h', ...weights].sort());

      // zephyr/module.yml: the module's name, and where its CMake and Kconfig are.
      const yml = readFileSync(join(mod, 'zephyr', 'module.yml'), 'utf8');
      expect(yml).toMatch(new RegExp(`^name: mobilec_${name}$`, 'm'));
      expect(yml).toMatch(/^build:\n {2}cmake: \.\n {2}kconfig: Kconfig$/m);
      // Kconfig: the symbol CMakeLists.txt tests, a bool with help; the section option depends on it.
      const kconfig = readFileSync(join(mod, 'Kconfig'), 'utf8');
      const symbols = [...kconfig.matchAll(/^config (\w+)$/gm)].map((m) => m[1]);
      expect(symbols).toEqual([`MOBILEC_${NAME}`, `MOBILEC_${NAME}_WEIGHTS_SECTION`]);
      expect(kconfig).toMatch(
        new RegExp(`^config MOBILEC_${NAME}\\n\\tbool "[^"]+"\\n\\tdepends on CPU_CORTEX_M\\n(\\tselect REQUIRES_FULL_LIBC\\n)?\\thelp\\n\\t {2}\\S`, 'm'),
      );
      expect(kconfig).toMatch(
        new RegExp(`^config MOBILEC_${NAME}_WEIGHTS_SECTION\\n\\tstring "[^"]+"\\n\\tdepends on MOBILEC_${NAME}\\n\\tdefault ""\\n\\thelp\\n`, 'm'),
      );
      // A float model calls expf(): it must not get the minimal libc.
      expect(kconfig.includes('select REQUIRES_FULL_LIBC')).toBe(label.includes('float'));
      const cmake = readFileSync(join(mod, 'CMakeLists.txt'), 'utf8');
      expect(cmake).toMatch(new RegExp(`^if\\(CONFIG_MOBILEC_${NAME}\\)$`, 'm'));

      // Zephyr adds every listed module; without the Kconfig symbol nothing is built.
      const off = join(root, 'harness-off');
      mkdirSync(off, { recursive: true });
      writeFileSync(join(off, 'CMakeLists.txt'), zephyrHarness(mod, {}, name));
      run('cmake', ['-S', off, '-B', join(off, 'build')], root);
      expect(readFileSync(join(off, 'build', 'calls.txt'), 'utf8')).toBe('');

      // With CONFIG_MOBILEC_<NAME>=y and a weights section: configure, build, link.
      const on = join(root, 'harness-on');
      mkdirSync(on, { recursive: true });
      writeFileSync(
        join(on, 'CMakeLists.txt'),
        zephyrHarness(mod, { [`CONFIG_MOBILEC_${NAME}`]: 'y', [`CONFIG_MOBILEC_${NAME}_WEIGHTS_SECTION`]: '.qspi_rodata' }, name),
      );
      run('cmake', ['-S', on, '-B', join(on, 'build')], root);
      const calls = readFileSync(join(on, 'build', 'calls.txt'), 'utf8')
        .trim()
        .split('\n');
      expect(calls).toEqual([
        `zephyr_library_named mobilec_${name}`,
        `zephyr_library_sources src/${name}.c src/${weights[0]!.slice(4)}`,
        'zephyr_include_directories include',
        'zephyr_library_compile_definitions MOBILEC_WEIGHTS_SECTION=".qspi_rodata"',
      ]);
      run('cmake', ['--build', join(on, 'build')], root, 300_000);
      const libPath = join(on, 'build', 'module', `libmobilec_${name}.a`);
      expect(existsSync(libPath)).toBe(true);
      expect(existsSync(join(on, 'build', 'app'))).toBe(true);
      // Every constant the model declares lands in the configured section.
      const table = run('arm-none-eabi-objdump', ['-t', libPath], root);
      const declared = [...readFileSync(join(mod, 'src', `${name}.c`), 'utf8').matchAll(/^extern const \w+ (mobilec_\w+)\[/gm)].map((m) => m[1]!);
      expect(declared.length).toBeGreaterThan(0);
      for (const s of declared) expect(table, s).toMatch(new RegExp(`\\s\\.qspi_rodata\\s+[0-9a-f]+\\s+(\\.hidden\\s+)?${s}$`, 'm'));
    },
  );
});
