/**
 * Killing a compile at any moment leaves either no output or a complete one,
 * and (SIGINT, SIGTERM) no temporary directory; what a SIGKILL leaves, the
 * next compile into the same place removes. Compiling twice gives
 * byte-identical files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, EXAMPLES, mobilec } from '../helpers/cli.js';

const MODEL = join(EXAMPLES, 'mobilenet_v1_1.0_224.json');
const dir = mkdtempSync(join(tmpdir(), 'mobilec-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Files of a complete output directory (the marker is written last, just before the rename). */
function complete(out: string): boolean {
  const files = readdirSync(out);
  return (
    files.includes('.mobilec-output') && files.includes('mobilenet_v1_1_0_224.c') && statSync(join(out, 'mobilenet_v1_1_0_224_weights.bin')).size > 16_000_000
  );
}

function compileKilled(out: string, signal: NodeJS.Signals, afterMs: number): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, 'compile', MODEL, '--out', out, '--force'], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill(signal), afterMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
}

describe('signals during compile', () => {
  it('SIGINT / SIGTERM at several moments: no output or a complete one, never a temporary directory', async () => {
    const out = join(dir, 'out');
    const t0 = Date.now();
    expect(mobilec(['compile', MODEL, '--out', out]).code).toBe(0);
    const full = Date.now() - t0;
    rmSync(out, { recursive: true, force: true });
    const outcomes: string[] = [];
    for (const [signal, fraction] of [
      ['SIGINT', 0.2],
      ['SIGTERM', 0.5],
      ['SIGINT', 0.75],
      ['SIGTERM', 0.9],
      ['SIGINT', 0.97],
    ] as const) {
      const code = await compileKilled(out, signal, Math.round(full * fraction));
      const strays = readdirSync(dir).filter((e) => e.startsWith('.out.'));
      expect(strays, `${signal} at ${fraction}`).toEqual([]);
      if (existsSync(out)) expect(complete(out), `${signal} at ${fraction}`).toBe(true);
      outcomes.push(`${signal}@${fraction}: exit ${code}, ${existsSync(out) ? 'complete output' : 'no output'}`);
    }
    console.log(outcomes.join('; '));
  }, 180_000);

  it('SIGINT / SIGTERM inside the write: the output completes (the signal is taken after it), no temporary directory', async () => {
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const out = join(dir, `w${signal}`);
      const name = `.w${signal}.tmp-`;
      const exit = await new Promise<number | null>((done) => {
        const child = spawn(process.execPath, [CLI, 'compile', MODEL, '--out', out], {
          stdio: 'ignore',
          env: { ...process.env, MOBILEC_TEST_SLOW_WRITE_MS: '150' },
        });
        // Signal as soon as the temporary directory exists (the write has begun).
        const poll = setInterval(() => {
          if (readdirSync(dir).some((e) => e.startsWith(name))) {
            clearInterval(poll);
            child.kill(signal);
          }
        }, 10);
        child.on('exit', (c) => {
          clearInterval(poll);
          done(c);
        });
      });
      // The write finishes first; the process then ends with the signal's code, or 0 when the command had
      // nothing left to do before the event loop could deliver it.
      expect([0, code]).toContain(exit);
      expect(complete(out)).toBe(true);
      expect(readdirSync(dir).filter((e) => e.startsWith(name))).toEqual([]);
    }
  }, 120_000);

  it('what SIGKILL leaves, the next compile removes (another live process’s temporary directory stays)', async () => {
    const out = join(dir, 'k');
    for (const ms of [300, 900, 1500]) await compileKilled(out, 'SIGKILL', ms);
    // A stray of a dead process, for certain: pid of a process that has exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    mkdirSync(join(dir, `.k.tmp-${dead}-deadbeef`));
    mkdirSync(join(dir, `.k.old-${dead}-0badf00d`));
    // And one of a live process (this test's): kept.
    mkdirSync(join(dir, `.k.tmp-${process.pid}-00000001`));
    expect(mobilec(['compile', MODEL, '--out', out, '--force']).code).toBe(0);
    expect(readdirSync(dir).filter((e) => e.startsWith('.k.'))).toEqual([`.k.tmp-${process.pid}-00000001`]);
    expect(complete(out)).toBe(true);
  }, 180_000);

  it('compiling twice gives byte-identical files', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    expect(mobilec(['compile', join(EXAMPLES, 'mobilenet_v2_0.35_96_int8.json'), '--out', a, '--target', 'cortex-m4']).code).toBe(0);
    expect(mobilec(['compile', join(EXAMPLES, 'mobilenet_v2_0.35_96_int8.json'), '--out', b, '--target', 'cortex-m4']).code).toBe(0);
    const files = readdirSync(a).sort();
    expect(readdirSync(b).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
  });
});
