/** `--tune`: the kernel-choice experiments of docs/CONTRACT.md, checked against the registry. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tuneItem } from '../../src/cli/options.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';

describe('--tune', () => {
  it('parses repeatable items into one tuning', () => {
    const t = tuneItem('dsp.x=-3', tuneItem('only=b', tuneItem('only=a')));
    expect(t).toEqual({ only: ['a', 'b'], switches: { 'dsp.x': -3 } });
    expect(tuneItem('k=false').switches).toEqual({ k: false });
    expect(() => tuneItem('nokey')).toThrow(/key=value/);
    expect(() => tuneItem('k=fast')).toThrow(/true, false or an integer/);
  });

  it('refuses an unknown variant or switch with exit 2 and writes nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mobilec-tune-')), 'out');
    const model = join(EXAMPLES, 'tiny_layers.json');
    const a = mobilec(['compile', model, '--target', 'rpi4', '--out', out, '--tune', 'only=no/such/variant']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^mobilec: --tune only=no\/such\/variant: no such kernel variant; registered: /);
    const b = mobilec(['run', model, '--seed', '1', '--tune', 'no.such.switch=1']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^mobilec: --tune no\.such\.switch: no such kernel switch; known: /);
    expect(existsSync(out)).toBe(false);
  });
});
