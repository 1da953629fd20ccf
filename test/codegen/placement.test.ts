/**
 * Memory placement as firmware engineers need it: the arena in a named
 * linker section, or in the caller's memory through set_arena() (with its
 * size and alignment checks), giving the same output as the static arena;
 * and the version and model hash stamped into the header.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOBILEC_VERSION } from '../../src/util/version.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'mobilec-placement-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MODEL = join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');
const NAME = 'mobilenet_v1_0_25_96_int8';
const UP = NAME.toUpperCase();
const project = join(work, 'model');

/** Reads the input file argv[1], runs, writes the output to argv[2]; with the external arena it first probes set_arena's checks. */
const MAIN = `
#include <stdio.h>
#include "${NAME}.h"

#if defined(MOBILEC_EXTERNAL_ARENA)
static union { unsigned char b[MOBILEC_${UP}_ARENA_BYTES + 32]; double align; } mine;
#endif

int main(int argc, char **argv)
{
    FILE *f;
    unsigned char *in;
    (void)argc;
#if defined(MOBILEC_EXTERNAL_ARENA)
    if (mobilec_${NAME}_invoke() != -1) return 10;
    if (mobilec_${NAME}_set_arena(0, sizeof mine.b) != -1) return 11;
    if (mobilec_${NAME}_set_arena(mine.b, MOBILEC_${UP}_ARENA_BYTES - 1u) != -1) return 12;
    if (mobilec_${NAME}_set_arena(mine.b + 1, MOBILEC_${UP}_ARENA_BYTES) != -1) return 13;
    if (mobilec_${NAME}_set_arena(mine.b + 16, MOBILEC_${UP}_ARENA_BYTES) != 0) return 14;
    in = (unsigned char *)mobilec_${NAME}_input();
    if (in < mine.b + 16 || in >= mine.b + 16 + MOBILEC_${UP}_ARENA_BYTES) return 15;
#else
    in = (unsigned char *)mobilec_${NAME}_input();
#endif
    f = fopen(argv[1], "rb");
    if (f == 0 || fread(in, 1, MOBILEC_${UP}_INPUT_BYTES, f) != MOBILEC_${UP}_INPUT_BYTES) return 2;
    fclose(f);
    if (mobilec_${NAME}_invoke() != 0) return 3;
    f = fopen(argv[2], "wb");
    if (f == 0 || fwrite(mobilec_${NAME}_output(), 1, MOBILEC_${UP}_OUTPUT_BYTES, f) != MOBILEC_${UP}_OUTPUT_BYTES) return 4;
    fclose(f);
    return 0;
}
`;

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: project, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function build(exe: string, defines: string[]): string {
  const flags = ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-pedantic', '-I', '.', ...defines];
  sh('cc', [...flags, '-c', `${NAME}.c`, '-o', `${exe}.o`]);
  sh('cc', [...flags, '-c', `${NAME}_weights.S`, '-o', 'weights.o']);
  sh('cc', [...flags, 'main.c', `${exe}.o`, 'weights.o', '-lm', '-o', exe]);
  return join(project, exe);
}

let expected: Buffer;
const input = join(work, 'in.bin');

beforeAll(() => {
  const r = mobilec(['compile', MODEL, '--out', project]);
  expect(r.code, r.stderr).toBe(0);
  writeFileSync(join(project, 'main.c'), MAIN);
  const out = join(work, 'ref.bin');
  const run = mobilec(['run', MODEL, '--seed', '3', '--save-input', input, '--output', out]);
  expect(run.code, run.stderr).toBe(0);
  expected = readFileSync(out);
  expect(expected.length).toBe(2);
});

describe('arena placement', () => {
  it('static arena (default): the output of mobilec run', () => {
    const exe = build('plain', []);
    sh(exe, [input, join(work, 'plain.bin')]);
    expect(readFileSync(join(work, 'plain.bin'))).toEqual(expected);
  });

  it('MOBILEC_EXTERNAL_ARENA: no static arena; invoke refuses until set_arena accepts an aligned, large-enough block; same output', () => {
    const exe = build('external', ['-DMOBILEC_EXTERNAL_ARENA']);
    expect(sh('nm', [`${exe}.o`])).not.toMatch(new RegExp(`mobilec_${NAME}_arena\\b`));
    sh(exe, [input, join(work, 'external.bin')]);
    expect(readFileSync(join(work, 'external.bin'))).toEqual(expected);
  });

  it('MOBILEC_ARENA_SECTION puts the arena, and only it, into the named section', () => {
    const exe = build('section', ['-DMOBILEC_ARENA_SECTION=".my_sram"']);
    const headers = sh('objdump', ['-h', `${exe}.o`]);
    const m = /\s\.my_sram\s+([0-9a-f]+)\s/.exec(headers);
    expect(m, headers).not.toBeNull();
    const arenaBytes = Number(/#define MOBILEC_\w+_ARENA_BYTES (\d+)UL/.exec(readFileSync(join(project, `${NAME}.h`), 'utf8'))![1]);
    expect(parseInt(m![1]!, 16)).toBe(arenaBytes);
    sh(exe, [input, join(work, 'section.bin')]);
    expect(readFileSync(join(work, 'section.bin'))).toEqual(expected);
  });
});

describe('the header says what made it', () => {
  it('mobilec version, SHA-256 of the model file, target', () => {
    const h = readFileSync(join(project, `${NAME}.h`), 'utf8');
    const sha = createHash('sha256').update(readFileSync(MODEL)).digest('hex');
    expect(h).toContain(`#define MOBILEC_${UP}_MOBILEC_VERSION "${MOBILEC_VERSION}"`);
    expect(h).toContain(`#define MOBILEC_${UP}_MODEL_SHA256 "${sha}"`);
    expect(h).toContain(`#define MOBILEC_${UP}_TARGET "host"`);
    expect(h).toContain(`compiled this from mobilenet_v1_0.25_96_int8.json`);
  });
});
