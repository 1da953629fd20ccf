/**
 * The README's commands, run exactly as written. A fenced block right after
 * a line `<!-- readme-test: <id> [file=<path>] -->` belongs to test <id>:
 * `sh` blocks run in bash (set -euo pipefail) in a sandbox that looks like a
 * fresh checkout after `npm ci` (every top-level entry of the repository
 * linked but dist/, which is copied; the working directory its root); a block with `file=` is written
 * to that path first, so code a user is told to save is compiled as shown.
 * Every tagged id must have a case below, and every case a block.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { README_BLOCKS, sandboxCheckout, userEnv } from './helpers/readme.js';

const blocks = README_BLOCKS;
const work = mkdtempSync(join(tmpdir(), 'mobilec-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** README blocks that other test files run (they hold more checks than fit here). */
const ELSEWHERE: Readonly<Record<string, string>> = {
  binding: 'test/e2e/binding.test.ts',
  rpi: 'test/cmake/readme-boards.test.ts',
  firmware: 'test/cmake/readme-boards.test.ts',
};

const sandbox = (id: string): string => sandboxCheckout(join(work, id));

interface Ran {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs test <id>'s blocks in order in `cwd`; throws with the output on failure. */
function runBlocks(id: string, cwd: string, env: NodeJS.ProcessEnv = {}): Ran {
  const mine = blocks.filter((b) => b.id === id);
  expect(mine.length, `README has no block tagged readme-test: ${id}`).toBeGreaterThan(0);
  let stdout = '';
  let stderr = '';
  for (const b of mine) {
    if (b.file) {
      mkdirSync(dirname(join(cwd, b.file)), { recursive: true });
      writeFileSync(join(cwd, b.file), `${b.text}\n`);
      continue;
    }
    expect(b.lang, `block of ${id}`).toBe('sh');
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', b.text], {
      cwd,
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...userEnv(), ...env },
    });
    stdout += r.stdout;
    stderr += r.stderr;
    if (r.status !== 0) throw new Error(`README block ${id} failed (exit ${r.status}):\n${b.text}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return { stdout, stderr };
}

/** Each README test: what its commands must print. */
const CASES: Record<string, (cwd: string) => void> = {
  'quick-start': (cwd) => {
    const { stdout } = runBlocks('quick-start', cwd);
    expect(stdout).toMatch(/^wrote .*\/mymodel: /m);
    expect(stdout).toMatch(/model mobilenet_v1_0_25_96_int8: 31 layers, 7,489,664 MACs/);
    expect(stdout).toMatch(/verify: OK, the C on host matches the reference on every layer/);
    expect(readFileSync(join(cwd, 'in.bin')).length).toBe(96 * 96 * 3);
    expect(readFileSync(join(cwd, 'out.bin')).length).toBe(2);
    const html = readFileSync(join(cwd, 'report.html'), 'utf8');
    expect(stdout).toMatch(/^wrote report\.html: /m);
    expect(html).toMatch(/<script type="application\/json" id="report-data">/);
    expect(html).not.toMatch(/\b(?:src|href)="https?:/);
  },
  arduino: (cwd) => {
    runBlocks('arduino', cwd);
    const props = readFileSync(join(cwd, 'mobilec_mymodel', 'library.properties'), 'utf8');
    expect(props).toMatch(/^name=mobilec_mobilenet_v1_0_25_96_int8$/m);
    expect(readdirSync(join(cwd, 'mobilec_mymodel', 'src')).sort()).toEqual([
      'mobilec_runtime.h',
      'mobilenet_v1_0_25_96_int8.c',
      'mobilenet_v1_0_25_96_int8.h',
      'mobilenet_v1_0_25_96_int8_weights.c',
    ]);
    expect(readdirSync(join(cwd, 'mobilec_mymodel', 'examples', 'Classify'))).toEqual(['Classify.ino']);
  },
  zephyr: (cwd) => {
    runBlocks('zephyr', cwd);
    expect(readFileSync(join(cwd, 'mymodel-zephyr', 'zephyr', 'module.yml'), 'utf8')).toMatch(/kconfig: Kconfig/);
    expect(readFileSync(join(cwd, 'mymodel-zephyr', 'Kconfig'), 'utf8')).toMatch(/^config MOBILEC_MOBILENET_V1_0_25_96_INT8$/m);
    expect(readFileSync(join(cwd, 'mymodel-zephyr', 'Kconfig'), 'utf8')).toMatch(/^config MOBILEC_MOBILENET_V1_0_25_96_INT8_WEIGHTS_SECTION$/m);
  },
  'weights-c': (cwd) => {
    const { stdout } = runBlocks('weights-c', cwd);
    // objdump -h: the section line, then its flags (READONLY: weights stay in flash).
    expect(stdout).toMatch(/^\s+\d+ \.qspi_rodata\s+[0-9a-f]{8}\s/m);
    expect(readdirSync(join(cwd, 'mymodel-c'))).not.toContain('mobilenet_v1_0_25_96_int8_weights.bin');
  },
  'npm-link': () => {
    // `npm link` builds the package (its prepare script), so it runs in a
    // copy of the sources rather than next to the dist/ other tests use.
    const copy = join(work, 'link-copy');
    mkdirSync(copy);
    for (const e of ['src', 'templates', 'native', 'examples', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md']) {
      cpSync(join(PACKAGE_ROOT, e), join(copy, e), { recursive: true, filter: (p) => !p.includes(`${join('native', 'build')}`) });
    }
    symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(copy, 'node_modules'));
    const prefix = join(work, 'prefix');
    runBlocks('npm-link', copy, { NPM_CONFIG_PREFIX: prefix });
    expect(readdirSync(join(prefix, 'bin'))).toEqual(['mobilec']);
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere);
    const r = spawnSync('mobilec', ['compile', join(copy, 'examples', 'models', 'tiny_layers.json'), '--out', 'tiny'], {
      cwd: elsewhere,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(elsewhere, 'tiny'))).toContain('tiny_layers.c');
  },
};

describe('README commands run as written', () => {
  it('every tagged block has a test case, and every case a block', () => {
    const ids = [...new Set(blocks.map((b) => b.id))].sort();
    expect(ids).toEqual([...Object.keys(CASES), ...Object.keys(ELSEWHERE)].sort());
    for (const [id, file] of Object.entries(ELSEWHERE)) {
      expect(readFileSync(join(PACKAGE_ROOT, file), 'utf8'), `${file} runs the README's ${id} block`).toContain(`'${id}'`);
    }
  });
  for (const [id, check] of Object.entries(CASES)) {
    it(id, () => {
      // Other test files run the CLI from dist/ at the same time: a README
      // command must never rebuild it (the first `npx mobilec` in a new
      // directory runs the package's prepare script).
      const built = statSync(join(PACKAGE_ROOT, 'dist', 'cli', 'main.js')).mtimeMs;
      check(id === 'npm-link' ? work : sandbox(id));
      expect(statSync(join(PACKAGE_ROOT, 'dist', 'cli', 'main.js')).mtimeMs, `${id} rewrote dist/`).toBe(built);
    });
  }
});
