/**
 * examples/rpi: the CMake project and example program a Raspberry Pi user
 * builds around a compiled model — cross-compiled with its toolchain file
 * and run under QEMU user mode, from a raw tensor and from an image.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { decodeImage } from '../../src/image/decode.js';
import { targetByName } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { mobilec } from '../helpers/cli.js';
import { EXPECTED_DIR, IMAGES_DIR, PERSON_DETECT, skipShared } from '../helpers/shared.js';

const EXAMPLE = join(PACKAGE_ROOT, 'examples', 'rpi');
const rpi4 = targetByName('rpi4');
const skip = skipShared || ((missingLinuxTools(rpi4).length > 0 || spawnSync('cmake', ['--version']).status !== 0) && process.env.CI !== 'true');
const work = mkdtempSync(join(tmpdir(), 'mobilec-rpi-example-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: work, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe('the toolchain files carry the targets flags', () => {
  for (const name of ['rpi3', 'rpi4', 'rpi5', 'rpi-armv7']) {
    it(name, () => {
      const t = targetByName(name);
      const text = readFileSync(join(EXAMPLE, 'toolchains', `${name}.cmake`), 'utf8');
      expect(text).toContain(`set(CMAKE_C_COMPILER ${t.cc})`);
      for (const flag of t.cflags.filter((f) => !f.startsWith('-O'))) expect(text).toContain(flag);
    });
  }
});

describe.skipIf(skip)('examples/rpi around person_detect, cross-compiled for rpi4', () => {
  it('builds warning-free and gives the exact output from a raw tensor and from a PGM image', () => {
    const model = join(work, 'model');
    expect(mobilec(['compile', PERSON_DETECT, '--target', 'rpi4', '--out', model]).code).toBe(0);
    const configure = [
      '-S',
      EXAMPLE,
      '-B',
      join(work, 'build'),
      `-DCMAKE_TOOLCHAIN_FILE=${join(EXAMPLE, 'toolchains', 'rpi4.cmake')}`,
      `-DMOBILEC_MODEL_DIR=${model}`,
      '-DMOBILEC_MODEL_NAME=person_detect',
      // Not -DCMAKE_C_FLAGS=-Werror: that would replace the toolchain file's flags.
      '-DCMAKE_COMPILE_WARNING_AS_ERROR=ON',
    ];
    run('cmake', configure);
    run('cmake', ['--build', join(work, 'build')]);
    const app = join(work, 'build', 'mobilec_rpi_app');
    const qemu = (args: string[]) => run('qemu-aarch64', ['-cpu', 'cortex-a72', '-L', '/usr/aarch64-linux-gnu', app, ...args]);

    const out = join(work, 'out.bin');
    const text = qemu(['--input', join(EXPECTED_DIR, 'person_detect.person.input.bin'), '--output', out, '--repeat', '3', '--top', '2']);
    expect(Array.from(new Int8Array(readFileSync(out)))).toEqual([-113, 113]);
    expect(text).toMatch(/top-2:\n\s+1\s+0\.941406/);
    expect(text).toMatch(/median [0-9.]+ ms per inference over 3 runs/);

    // The same picture as a PGM: 96x96 needs no resize, so the int8 mapping gives what `mobilec run --image` gives.
    const img = decodeImage(join(IMAGES_DIR, 'person.bmp'));
    const pgm = join(work, 'person.pgm');
    writeFileSync(pgm, Buffer.concat([Buffer.from(`P5\n${img.width} ${img.height}\n255\n`), Buffer.from(img.data)]));
    qemu(['--image', pgm, '--output', out, '--repeat', '1']);
    expect(Array.from(new Int8Array(readFileSync(out)))).toEqual([4, -4]);
  });
});
