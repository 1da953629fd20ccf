import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pruneArea } from '../../src/util/buildCache.js';

const root = mkdtempSync(join(tmpdir(), 'mobilec-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('pruneArea', () => {
  it('keeps the newest builds and never touches builds in progress', () => {
    for (let i = 0; i < 6; i++) {
      const d = join(root, `m-${i}`);
      mkdirSync(d);
      utimesSync(d, 1000 + i, 1000 + i);
    }
    mkdirSync(join(root, '.tmp-m-9-abc'));
    pruneArea(root, 4);
    expect(readdirSync(root).sort()).toEqual(['.tmp-m-9-abc', 'm-2', 'm-3', 'm-4', 'm-5']);
    pruneArea(root, 10);
    expect(readdirSync(root)).toHaveLength(5);
    expect(existsSync(join(root, 'm-5'))).toBe(true);
  });
});
