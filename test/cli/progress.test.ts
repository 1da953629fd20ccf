/**
 * Progress of long work (src/cli/progress.ts): on stderr only, one plain
 * `mobilec: <label>` line per step when stderr is not a terminal, an `ora`
 * spinner when it is; `--quiet` silences it; stdout is the same bytes either way.
 */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { clearLine, cursorTo, moveCursor } from 'node:readline';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress, withProgress } from '../../src/cli/progress.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';

const MODEL = join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');
const NAME = 'mobilenet_v1_0_25_96_int8';

/** The verify report's timings change from run to run; everything else must be the same bytes. */
const untimed = (s: string) =>
  s
    .replace(/build \d+\.\d+ s( \(cached\))?, compare \d+\.\d+ s/, 'build T s, compare T s')
    .replace(/"(buildMs|runMs)": [0-9.e+-]+/g, '"$1": T')
    .replace(/"cached": (true|false)/, '"cached": C');

describe('the CLI without a terminal: plain lines on stderr, nothing on stdout changes', () => {
  it('verify --target cortex-m4: build, run under qemu-system-arm, compare; --quiet: stderr empty', () => {
    const loud = mobilec(['verify', MODEL, '--target', 'cortex-m4']);
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).toBe(
      [
        `mobilec: build ${NAME} for cortex-m4`,
        'mobilec: run 3 inputs under qemu-system-arm -M mps2-an386',
        'mobilec: compare the output with the reference',
        '',
      ].join('\n'),
    );
    const quiet = mobilec(['verify', MODEL, '--target', 'cortex-m4', '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(untimed(quiet.stdout)).toBe(untimed(loud.stdout));
    expect(loud.stdout).toMatch(/^verify: OK, the C on cortex-m4 matches the reference on the final output/m);
  });

  it('verify --target cortex-m4 --layers --json: the hooked build and every layer; the JSON is the same', () => {
    const loud = mobilec(['verify', MODEL, '--target', 'cortex-m4', '--layers', '--inputs', '2', '--json']);
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr.split('\n')).toEqual([
      `mobilec: build ${NAME} for cortex-m4`,
      `mobilec: build ${NAME} for cortex-m4 with layer hooks`,
      'mobilec: run 2 inputs under qemu-system-arm -M mps2-an386, every layer',
      'mobilec: compare layer by layer with the reference',
      '',
    ]);
    const quiet = mobilec(['verify', MODEL, '--target', 'cortex-m4', '--layers', '--inputs', '2', '--json', '--quiet']);
    expect(quiet.stderr).toBe('');
    expect(untimed(quiet.stdout)).toBe(untimed(loud.stdout));
    expect(JSON.parse(loud.stdout).layers).toHaveLength(31);
  });

  it('verify on the host: the addon build, the inputs through the C, the comparison', () => {
    const loud = mobilec(['verify', MODEL, '--inputs', '1']);
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).toBe(
      [
        `mobilec: build ${NAME} for host (Node addon, layer hooks)`,
        'mobilec: run one input through the C, every layer',
        'mobilec: compare layer by layer with the reference',
        '',
      ].join('\n'),
    );
    const quiet = mobilec(['verify', MODEL, '--inputs', '1', '--quiet']);
    expect(quiet.stderr).toBe('');
    expect(untimed(quiet.stdout)).toBe(untimed(loud.stdout));
  });

  it.each([[[] as string[]], [['--json']], [['--profile', '--json']]])('run --target cortex-m4 %j: stdout byte-identical with and without --quiet', (extra) => {
    const args = ['run', MODEL, '--target', 'cortex-m4', '--seed', '1', ...extra];
    const loud = mobilec(args);
    expect(loud.code, loud.stderr).toBe(0);
    const counted = ['mobilec: run one input under qemu-system-arm -M mps2-an386, counting instructions'];
    const profiled = extra.includes('--profile')
      ? [`mobilec: build ${NAME} for cortex-m4 with profile hooks`, 'mobilec: profile one input layer by layer under qemu-system-arm -M mps2-an386']
      : [];
    expect(loud.stderr.split('\n')).toEqual([`mobilec: build ${NAME} for cortex-m4`, ...counted, ...profiled, '']);
    const quiet = mobilec([...args, '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(Buffer.from(quiet.stdout).equals(Buffer.from(loud.stdout))).toBe(true);
    expect(loud.stdout).toMatch(extra.includes('--json') ? /"instructions":\d+/ : /instructions per inference/);
  });

  it('run on the host is the quick path: no progress, and --quiet is accepted', () => {
    const r = mobilec(['run', MODEL, '--seed', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const quiet = mobilec(['run', MODEL, '--seed', '1', '--json', '--quiet']);
    expect(quiet.stderr).toBe('');
    // The host times the inference: medianMs changes from run to run.
    const untimedRun = (s: string) => s.replace(/"medianMs":[0-9.e+-]+/, '"medianMs":T');
    expect(untimedRun(quiet.stdout)).toBe(untimedRun(r.stdout));
  });

  it('a failure after progress began: the progress lines, then the one error line last', () => {
    // mobilenet_v2_1.0_224 does not fit the cortex-m4 board: the build says so.
    const r = mobilec(['run', join(EXAMPLES, 'mobilenet_v2_1.0_224.json'), '--target', 'cortex-m4', '--seed', '1']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('mobilec: build mobilenet_v2_1_0_224 for cortex-m4');
    expect(lines.at(-1)).toMatch(/^mobilec: model mobilenet_v2_1_0_224 does not fit target cortex-m4: it needs arena/);
    expect(r.stdout).toBe('');
    const quiet = mobilec(['run', join(EXAMPLES, 'mobilenet_v2_1.0_224.json'), '--target', 'cortex-m4', '--seed', '1', '--quiet']);
    expect(quiet.stderr.trimEnd().split('\n')).toEqual([lines.at(-1)]);
  });
});

/** A stream that says it is a terminal and keeps what is written to it. */
class FakeTty extends Writable {
  readonly isTTY = true;
  columns: number;
  readonly rows = 24;
  text = '';
  constructor(columns = 80) {
    super();
    this.columns = columns;
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
  // The tty.WriteStream cursor methods ora uses, as escape codes written to this stream.
  cursorTo(x: number): boolean {
    return cursorTo(this, x);
  }
  moveCursor(dx: number, dy: number): boolean {
    return moveCursor(this, dx, dy);
  }
  clearLine(dir: -1 | 0 | 1): boolean {
    return clearLine(this, dir);
  }
}

describe('createProgress on a stream', () => {
  const term = process.env.TERM;
  afterEach(() => {
    process.env.TERM = term;
    vi.restoreAllMocks();
  });

  it('a terminal gets the ora spinner with the step and the tick counts, cleared at the end; stdout gets nothing', async () => {
    process.env.TERM = 'xterm-256color';
    const stdout = vi.spyOn(process.stdout, 'write');
    const tty = new FakeTty();
    const p = createProgress({ stream: tty });
    p.step('build m for cortex-m4');
    p.tick(1, 3);
    p.step('compare layer by layer with the reference');
    p.done();
    await new Promise((r) => setImmediate(r));
    const seen = stripVTControlCharacters(tty.text);
    // ora's default spinner (dots) draws a braille frame before each text.
    expect(seen).toMatch(/[\u2800-\u28ff] build m for cortex-m4/);
    expect(seen).toMatch(/[\u2800-\u28ff] build m for cortex-m4 \[1\/3\]/);
    expect(seen).toMatch(/[\u2800-\u28ff] compare layer by layer with the reference/);
    // Redrawn in place (escape codes from the library), the cursor hidden, then shown again.
    expect(tty.text).toContain('\u001B[?25l');
    expect(tty.text.endsWith('\u001B[?25h')).toBe(true);
    expect(tty.text).not.toContain('mobilec: ');
    expect(stdout).not.toHaveBeenCalled();
  });

  it('not a terminal: one plain line per step, no ticks, no escape codes; quiet: nothing', () => {
    const pipe = new FakeTty();
    Object.defineProperty(pipe, 'isTTY', { value: false });
    const p = createProgress({ stream: pipe });
    p.step('build m for cortex-m4');
    for (let i = 0; i < 100; i++) p.tick(i, 100);
    p.step('run under qemu-system-arm');
    p.done();
    expect(pipe.text).toBe('mobilec: build m for cortex-m4\nmobilec: run under qemu-system-arm\n');
    const silent = new FakeTty();
    const q = createProgress({ stream: silent, quiet: true });
    q.step('x');
    q.tick(1, 2);
    q.done();
    expect(silent.text).toBe('');
  });

  it('a terminal without a width (a pseudo-terminal with no window size) or TERM=dumb gets the plain lines', () => {
    process.env.TERM = 'xterm';
    const narrow = new FakeTty(0);
    const p = createProgress({ stream: narrow });
    p.step('build m for cortex-m4');
    p.done();
    expect(narrow.text).toBe('mobilec: build m for cortex-m4\n');
    process.env.TERM = 'dumb';
    const dumb = new FakeTty();
    const d = createProgress({ stream: dumb });
    d.step('build m for cortex-m4');
    d.done();
    expect(dumb.text).toBe('mobilec: build m for cortex-m4\n');
  });

  it('withProgress ends the spinner when the work throws', async () => {
    process.env.TERM = 'xterm';
    const tty = new FakeTty();
    await expect(
      withProgress({ stream: tty }, (p) => {
        p.step('build m for cortex-m4');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(tty.text.endsWith('\u001B[?25h')).toBe(true);
  });
});
