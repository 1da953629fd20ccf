/**
 * `npm run bench:host` (bench/host.ts) on its quick case: the script compiles
 * with tsconfig.bench.json (into dist-bench/, never dist/, which other tests
 * run), runs as `node dist-bench/bench/host.js --quick --json`, checks that
 * mobilec and ONNX Runtime agree before it times them, and prints the
 * documented JSON. Timings are not asserted (they are noisy), only that they
 * are measured and consistent with the ratio.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { formatHostBench, type HostBench } from '../../bench/host.js';

describe('npm run bench:host', () => {
  it('--quick --json: 0.25/96 float32, mobilec and ONNX Runtime agree, medians and the ratio', () => {
    const tsc = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.bench.json'], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'dist-bench', 'bench', 'host.js'), '--quick', '--json', '--quiet'], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as HostBench;
    expect(out.ort).toBe('1.30.0');
    expect(out.cases).toHaveLength(1);
    const c = out.cases[0]!;
    expect([c.model, c.dtype, c.macs, c.runs]).toEqual(['mobilenet_v1_0.25_96', 'float32', 7_745_152, 5]);
    expect(c.mobilecMs).toBeGreaterThan(0);
    expect(c.ortMs).toBeGreaterThan(0);
    expect(c.ratio).toBeCloseTo(c.mobilecMs / c.ortMs, 9);
    expect(c.mobilecPeakShare).toBeCloseTo(c.macs / (c.mobilecMs / 1e3) / out.peakMacsPerSecond, 9);
    expect(c.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(c.top1Same).toBe(true);
    const table = formatHostBench(out).split('\n');
    expect(table[4]).toMatch(/^model\s+dtype\s+MACs\s+mobilec ms\s+ORT ms\s+mobilec\/ORT/);
    expect(table[5]).toMatch(/^mobilenet_v1_0\.25_96\s+float32\s+7,745,152\s/);
  }, 300_000);
});
