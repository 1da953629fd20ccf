/**
 * The generated C compiles warning-free with -std=c99 -Wall -Wextra -Werror
 * -pedantic on every cross target, with the target's own compiler and flags,
 * SIMD and plain-C kernels alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { loadModel } from '../../src/pipeline.js';
import { TARGETS } from '../../src/targets/index.js';
import { EXAMPLES } from '../helpers/cli.js';
import { MOBILENET_QUANT, PERSON_DETECT, skipShared } from '../helpers/shared.js';

const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];
const cross = [...TARGETS.values()].filter((t) => t.emulator.kind !== 'addon');
const haveCompilers = cross.every((t) => spawnSync(t.cc, ['--version']).status === 0);
const skip = !haveCompilers && process.env.CI !== 'true';
const work = mkdtempSync(join(tmpdir(), 'mobilec-warnings-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const models = [join(EXAMPLES, 'mobilenet_v1_0.25_96.json'), ...(skipShared ? [] : [PERSON_DETECT, MOBILENET_QUANT])];

describe.skipIf(skip).each(cross.map((t) => [t.name, t] as const))('%s: strict, warning-free C', (_, target) => {
  it.each(models.flatMap((m) => (['simd', 'generic'] as const).map((k) => [m, k] as const)))('%s (%s kernels)', async (model, kernels) => {
    const graph = loadModel(model);
    const project = generateProject(graph, { name: graph.name, target, kernels });
    const dir = mkdtempSync(join(work, `${target.name}-${kernels}-`));
    for (const [f, c] of project.files) writeFileSync(join(dir, f), c);
    const r = spawnSync(target.cc, [...target.cflags, ...STRICT, '-I', '.', '-c', `${graph.name}.c`, `${graph.name}_weights.S`], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
