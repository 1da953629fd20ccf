/**
 * examples/firmware: the bare-metal application a user copies, built through
 * CMake around `mobilec compile --target cortex-m…` output for each QEMU board
 * and run under qemu-system-arm, printing the top class with newlib-nano's
 * printf (semihosting). person_detect when the shared models are here (always
 * under CI), the 0.25/96 int8 example otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcuToolsAvailable, qemuSystemArgs } from '../../src/cross/mcu.js';
import { targetByName, type Target } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { seededInput, toBytes } from '../../src/util/tensors.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';
import { EXPECTED_DIR, PERSON_DETECT, SKIP_SHARED } from '../helpers/shared.js';

const FIRMWARE = join(PACKAGE_ROOT, 'examples', 'firmware');
const BOARDS = [
  { target: 'cortex-m3', machine: 'mps2-an385', input: 'semihosting' },
  { target: 'cortex-m4', machine: 'mps2-an386', input: 'compiled-in' },
  { target: 'cortex-m7', machine: 'mps2-an500', input: 'semihosting' },
  { target: 'cortex-m33', machine: 'mps2-an505', input: 'semihosting' },
  { target: 'cortex-m55', machine: 'mps3-an547', input: 'compiled-in' },
] as const;

const hasCmake = spawnSync('cmake', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = (!hasCmake || !BOARDS.every((b) => mcuToolsAvailable(targetByName(b.target)))) && process.env.CI !== 'true';
if (skip) console.warn('skipping test/cmake/firmware-example: cmake, arm-none-eabi-gcc, newlib or qemu-system-arm missing');

// Under CI the shared models are always there (SKIP_SHARED only outside it).
const usePersonDetect = !SKIP_SHARED || process.env.CI === 'true';
const MODEL = usePersonDetect ? PERSON_DETECT : join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');
const NAME = usePersonDetect ? 'person_detect' : 'mobilenet_v1_0_25_96_int8';

const work = mkdtempSync(join(tmpdir(), 'mobilec-firmware-'));
const elsewhere = join(work, 'elsewhere');
mkdirSync(elsewhere);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: readonly string[], cwd = elsewhere): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}${r.stdout}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** The command the README shows, plus the board. */
function qemu(machine: string, elf: string, cwd: string): { stdout: string; stderr: string } {
  return run(
    'qemu-system-arm',
    ['-M', machine, '-nographic', '-monitor', 'none', '-serial', 'none', '-semihosting-config', 'enable=on,target=native', '-kernel', elf],
    cwd,
  );
}

const input = join(work, 'input.bin');
/** What main.c must print for `input`. */
let expected = '';

beforeAll(() => {
  if (skip) return;
  if (usePersonDetect) {
    writeFileSync(input, readFileSync(join(EXPECTED_DIR, 'person_detect.person.input.bin')));
    // The shared expected output [-113, 113]: class 1, (113 + 128) / 256.
    expected = 'top class 1 score 0.941406 (raw 113)\ncycles 0\n';
  } else {
    writeFileSync(input, toBytes(seededInput('int8', 96 * 96 * 3, 5)));
    const r = mobilec(['run', MODEL, '--input', input, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { output: number[]; topK: { index: number; score: number }[] };
    const top = j.topK[0]!;
    expected = `top class ${top.index} score ${top.score.toFixed(6)} (raw ${j.output[top.index]})\ncycles 0\n`;
  }
});

function compileFor(target: Target, out: string): void {
  const r = mobilec(['compile', MODEL, '--target', target.name, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
}

describe.skipIf(skip)(`examples/firmware around ${NAME} on every QEMU board`, () => {
  for (const board of BOARDS) {
    it(`${board.target} on ${board.machine}, input ${board.input}: builds warning-free and prints the top class`, () => {
      const target = targetByName(board.target);
      const dir = join(work, board.target);
      compileFor(target, join(dir, 'model'));
      const build = join(dir, 'build');
      run('cmake', [
        '-S',
        FIRMWARE,
        '-B',
        build,
        `-DCMAKE_TOOLCHAIN_FILE=${join(FIRMWARE, 'toolchains', `${board.target}.cmake`)}`,
        `-DMOBILEC_MODEL_DIR=${join(dir, 'model')}`,
        `-DMOBILEC_MODEL_NAME=${NAME}`,
        '-DCMAKE_COMPILE_WARNING_AS_ERROR=ON',
        ...(board.input === 'compiled-in' ? [`-DMOBILEC_INPUT=${input}`] : []),
      ]);
      run('cmake', ['--build', build]);
      const elf = join(build, 'mobilec_firmware.elf');
      // Semihosting reads input.bin from QEMU's working directory; compiled in, none is there.
      const cwd = join(dir, 'run');
      mkdirSync(cwd);
      if (board.input === 'semihosting') writeFileSync(join(cwd, 'input.bin'), readFileSync(input));
      const { stdout } = qemu(board.machine, elf, cwd);
      expect(stdout).toBe(expected);
      // newlib's sbrk and printf found the heap the linker script sets aside below the stack.
      const syms = run('arm-none-eabi-nm', [elf]).stdout;
      expect(syms).toMatch(/ end\n/);
      expect(syms).toMatch(/ _printf_i\n/);
    });
  }

  it('cortex-m4 with a compiled-in input of the wrong size says so and fails', () => {
    const build = join(work, 'cortex-m4', 'build');
    const wrong = join(work, 'short.bin');
    writeFileSync(wrong, Buffer.alloc(100));
    run('cmake', ['-S', FIRMWARE, '-B', build, `-DMOBILEC_INPUT=${wrong}`]);
    run('cmake', ['--build', build]);
    const r = spawnSync('qemu-system-arm', qemuSystemArgs({ machine: 'mps2-an386' }, join(build, 'mobilec_firmware.elf')), {
      cwd: elsewhere,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`the compiled-in input has 100 bytes, the model takes ${readFileSync(input).length}\n`);
  });

  it('cortex-m4 without a toolchain file, only the compiler named: the model target supplies -mcpu/-mfpu/-mfloat-abi, the image runs', () => {
    const dir = join(work, 'cortex-m4');
    const build = join(dir, 'build-bare');
    run('cmake', [
      '-S',
      FIRMWARE,
      '-B',
      build,
      '-DCMAKE_SYSTEM_NAME=Generic',
      '-DCMAKE_C_COMPILER=arm-none-eabi-gcc',
      '-DCMAKE_ASM_COMPILER=arm-none-eabi-gcc',
      '-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY',
      '-DMOBILEC_BOARD=mps2-an386',
      `-DMOBILEC_MODEL_DIR=${join(dir, 'model')}`,
      `-DMOBILEC_MODEL_NAME=${NAME}`,
      `-DMOBILEC_INPUT=${input}`,
    ]);
    run('cmake', ['--build', build]);
    expect(qemu('mps2-an386', join(build, 'mobilec_firmware.elf'), elsewhere).stdout).toBe(expected);
  });

  it('a Debug firmware still gets the model at -O2', () => {
    const dir = join(work, 'cortex-m7');
    const build = join(dir, 'build-debug');
    run('cmake', [
      '-S',
      FIRMWARE,
      '-B',
      build,
      `-DCMAKE_TOOLCHAIN_FILE=${join(FIRMWARE, 'toolchains', 'cortex-m7.cmake')}`,
      '-DCMAKE_BUILD_TYPE=Debug',
      '-DCMAKE_EXPORT_COMPILE_COMMANDS=ON',
      `-DMOBILEC_MODEL_DIR=${join(dir, 'model')}`,
      `-DMOBILEC_MODEL_NAME=${NAME}`,
    ]);
    const entries = JSON.parse(readFileSync(join(build, 'compile_commands.json'), 'utf8')) as { file: string; command: string }[];
    const model = entries.find((e) => e.file.endsWith(`/${NAME}.c`))!.command.split(/\s+/);
    const main = entries.find((e) => e.file.endsWith('/main.c'))!.command.split(/\s+/);
    expect(model.filter((a) => a.startsWith('-O')).pop()).toBe('-O2');
    expect(main).toContain('-g');
    expect(main.filter((a) => a.startsWith('-O'))).toEqual([]);
  });
});
