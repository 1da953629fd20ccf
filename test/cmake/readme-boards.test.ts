/**
 * The README's "Running on the boards" commands, run as written with sh from
 * a directory laid out like the repository root after `npm ci` (examples/ and
 * `npx mobilec`), on the 0.25/96 int8 example and a PNG photo: the Raspberry
 * Pi app cross-built for rpi4 and run under qemu-aarch64, the firmware
 * example for cortex-m4 run under qemu-system-arm. Both print what
 * `mobilec run` prints for the same input tensor.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { targetByName } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { mobilec } from '../helpers/cli.js';
import { readmeShell, sandboxCheckout, userEnv } from '../helpers/readme.js';

/** README, "Running on the boards": examples/rpi, then examples/firmware (the user's photo.png is written by the test). */
const README_RPI = readmeShell('rpi');
const README_FIRMWARE = readmeShell('firmware');

const MODEL = join(PACKAGE_ROOT, 'examples', 'models', 'mobilenet_v1_0.25_96_int8.json');
const hasCmake = spawnSync('cmake', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = (!hasCmake || missingLinuxTools(targetByName('rpi4')).length > 0 || !mcuToolsAvailable(targetByName('cortex-m4'))) && process.env.CI !== 'true';
if (skip) console.warn('skipping test/cmake/readme-boards: cmake, the rpi4 or the cortex-m4 tools are missing');

const work = mkdtempSync(join(tmpdir(), 'mobilec-readme-boards-'));
const root = join(work, 'checkout');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What `mobilec run` says of input.bin: the top two classes and the raw top value. */
let top: { index: number; score: number; raw: number }[] = [];

beforeAll(() => {
  if (skip) return;
  sandboxCheckout(root);
  // A 120x90 RGB gradient: `run --image` resizes it to 96x96.
  const png = new pngjs.PNG({ width: 120, height: 90 });
  for (let i = 0; i < 120 * 90; i++) png.data.set([(i * 7) % 256, (i >> 3) % 256, (i * 13) % 251, 255], i * 4);
  writeFileSync(join(root, 'photo.png'), pngjs.PNG.sync.write(png));
});

function sh(script: string): string {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, encoding: 'utf8', timeout: 300_000, env: userEnv() });
  if (r.status !== 0) throw new Error(`README commands failed (${r.status ?? r.signal}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function expectedTop(): void {
  const r = mobilec(['run', MODEL, '--input', join(root, 'input.bin'), '--json', '--top', '2']);
  expect(r.code, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as { output: number[]; topK: { index: number; score: number }[] };
  top = j.topK.map((t) => ({ ...t, raw: j.output[t.index]! }));
}

describe.skipIf(skip)('README: running on the boards, as written', () => {
  it('examples/rpi cross-built for rpi4 with the toolchain file, run under qemu-aarch64', () => {
    const out = sh(README_RPI);
    expectedTop();
    const m = /\ntop-2:\n\s+(\d+)\s+([0-9.]+)\s*\n\s+(\d+)\s+([0-9.]+)\s*\nmedian [0-9.]+ ms per inference over 10 runs\n$/.exec(out);
    expect(m, out).not.toBeNull();
    // printf's %.6f rounds ties to even, toFixed away from zero: compare the numbers.
    expect([Number(m![1]), Number(m![3])]).toEqual(top.map((t) => t.index));
    expect(Math.abs(Number(m![2]) - top[0]!.score)).toBeLessThanOrEqual(5e-7);
    expect(Math.abs(Number(m![4]) - top[1]!.score)).toBeLessThanOrEqual(5e-7);
  });

  it('examples/firmware for cortex-m4 with the input compiled in, run under qemu-system-arm', () => {
    const out = sh(README_FIRMWARE);
    expectedTop();
    const t = top[0]!;
    expect(out.endsWith(`top class ${t.index} score ${t.score.toFixed(6)} (raw ${t.raw})\ncycles 0\n`), out).toBe(true);
    // The firmware image embeds exactly the tensor the host ran.
    expect(readFileSync(join(root, 'build-m4', 'mobilec_input.bin'))).toEqual(readFileSync(join(root, 'input.bin')));
  });
});
