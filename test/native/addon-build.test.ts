/**
 * The verification addon builds offline from a plain environment, as when a
 * user runs `mobilec verify` outside npm: cmake-js must take its headers from
 * the node-api-headers package, never try to download Node's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { NATIVE_DIR, PACKAGE_ROOT } from '../../src/util/paths.js';

const out = mkdtempSync(join(tmpdir(), 'mobilec-addon-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('cmake-js builds native/ without npm configuration in the environment', () => {
  const cmakeJs = createRequire(join(PACKAGE_ROOT, 'package.json')).resolve('cmake-js/bin/cmake-js');
  // Only PATH and HOME: no npm_config_nodedir or other npm variables.
  const r = spawnSync(process.execPath, [cmakeJs, 'compile', '-d', NATIVE_DIR, '-O', join(out, 'build')], {
    cwd: PACKAGE_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  expect(r.stdout + r.stderr).not.toMatch(/Downloading distribution files|fetch failed/);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  expect(existsSync(join(out, 'build', 'Release', 'mobilec_native.node'))).toBe(true);
});
