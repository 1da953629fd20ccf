/**
 * The CLI as users and scripts see it: help, exit codes, one-line errors,
 * atomic output, and the --json fields of CONTRACT.md.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TARGETS } from '../../src/targets/index.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'mobilec-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const INT8_MODEL = join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');

function write(name: string, text: string): string {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
}

/** A bad-input failure: exit 2, exactly one line on stderr, no stack trace. */
function expectOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('help and usage', () => {
  for (const cmd of ['compile', 'verify', 'run', 'inspect']) {
    it(`${cmd} --help exits 0 and shows its usage`, () => {
      const r = mobilec([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: mobilec ${cmd}`);
      expect(r.stdout).toContain('--target');
      // the --target help enumerates every target (commander wraps the line)
      const help = r.stdout.replace(/\s+/g, ' ');
      for (const t of TARGETS.keys()) expect(help).toMatch(new RegExp(`[:,] ${t}[,( ]`));
    });
  }

  it('an unknown flag is a usage error (exit 2)', () => {
    const r = mobilec(['inspect', INT8_MODEL, '--frobnicate']);
    expectOneLineError(r, /unknown option '--frobnicate'/);
  });

  it('an unknown target names the supported ones', () => {
    const r = mobilec(['inspect', INT8_MODEL, '--target', 'pdp11']);
    expectOneLineError(r, /unknown target 'pdp11'; supported: host/);
  });

  it('run needs exactly one input source', () => {
    const r = mobilec(['run', INT8_MODEL]);
    expectOneLineError(r, /exactly one of --input/);
  });
});

describe('bad models: one line naming the file and field, exit 2, nothing written', () => {
  const cases: [string, string, RegExp][] = [
    ['malformed.json', '{"architecture": "mobilenet_v1", "alpha": 0.25,,}', /malformed\.json: invalid JSON at line 1 column \d+/],
    [
      'unknown.json',
      JSON.stringify({ architecture: 'mobilenet_v1', resolution: 96, alpha: 0.25, classes: 2, dtype: 'int8', weights: { seed: 1 }, colour: 'red' }),
      /unknown\.json: .*"colour"/,
    ],
    [
      'alpha.json',
      JSON.stringify({ architecture: 'mobilenet_v1', resolution: 96, alpha: -1, classes: 2, dtype: 'int8', weights: { seed: 1 } }),
      /alpha\.json: \/alpha: /,
    ],
    [
      'shape.json',
      JSON.stringify({
        architecture: 'layers',
        input: { height: 4, width: 4, channels: 3 },
        dtype: 'float32',
        weights: { seed: 1 },
        layers: [{ op: 'conv', filters: 4, kernel: 5, padding: 'valid' }],
      }),
      /shape\.json: \/layers\/0/,
    ],
  ];
  for (const [file, text, pattern] of cases) {
    it(`${file}`, () => {
      const model = write(file, text);
      const out = join(work, `out-${file}`);
      const r = mobilec(['compile', model, '--out', out]);
      expectOneLineError(r, pattern);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(work).filter((f) => f.includes(`out-${file}`))).toEqual([]);
    });
  }

  it('a missing model file', () => {
    expectOneLineError(mobilec(['inspect', join(work, 'nope.json')]), /nope\.json: no such file/);
  });

  it('an unsupported model format', () => {
    expectOneLineError(mobilec(['inspect', write('m.pb', 'x')]), /m\.pb: unknown model format '\.pb'; supported: \.json, \.tflite, \.onnx$/);
    expectOneLineError(mobilec(['inspect', write('m.onnx', 'x')]), /m\.onnx: not a valid ONNX model/);
  });
});

describe('compile', () => {
  it('writes the C project, and refuses to overwrite without --force', () => {
    const out = join(work, 'proj');
    const r = mobilec(['compile', INT8_MODEL, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(out).sort();
    for (const f of [
      'CMakeLists.txt',
      'mobilenet_v1_0_25_96_int8.c',
      'mobilenet_v1_0_25_96_int8.h',
      'mobilenet_v1_0_25_96_int8_weights.S',
      'mobilenet_v1_0_25_96_int8_weights.bin',
    ]) {
      expect(files).toContain(f);
    }
    const header = readFileSync(join(out, 'mobilenet_v1_0_25_96_int8.h'), 'utf8');
    expect(header).toContain('int8_t *mobilec_mobilenet_v1_0_25_96_int8_input(void);');
    expect(header).toContain('const int8_t *mobilec_mobilenet_v1_0_25_96_int8_output(void);');
    expect(header).toContain('int mobilec_mobilenet_v1_0_25_96_int8_invoke(void);');
    expect(header).toMatch(/#define MOBILEC_MOBILENET_V1_0_25_96_INT8_MACS 7489664/);
    expectOneLineError(mobilec(['compile', INT8_MODEL, '--out', out]), /exists/);
    expect(mobilec(['compile', INT8_MODEL, '--out', out, '--force']).code).toBe(0);
  });

  it('--name sets the C identifier', () => {
    const out = join(work, 'named');
    expect(mobilec(['compile', INT8_MODEL, '--out', out, '--name', 'person']).code).toBe(0);
    expect(readFileSync(join(out, 'person.h'), 'utf8')).toContain('int mobilec_person_invoke(void);');
    expectOneLineError(mobilec(['compile', INT8_MODEL, '--out', join(work, 'bad'), '--name', '9lives']), /--name '9lives'/);
  });
});

describe('inspect', () => {
  it('--json has the contract fields and the paper cost comparison per block', () => {
    const r = mobilec(['inspect', INT8_MODEL, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.model).toBe('mobilenet_v1_0_25_96_int8');
    expect(j.target).toBe('host');
    expect(Object.keys(j.layers[0]).sort()).toEqual(
      [
        'activation',
        'activationBytes',
        'arenaOffset',
        'outputTensor',
        'index',
        'inputShape',
        'kernel',
        'macs',
        'name',
        'op',
        'outputShape',
        'padding',
        'paramBytes',
        'stride',
        'variant',
        'variantKey',
        'generic',
      ].sort(),
    );
    expect(j.totals.macs).toBe(7_489_664);
    expect(j.blocks).toHaveLength(13);
    // First block: 48×48 output, M = N... dw 3×3 on 8 channels, pw 8 → 16.
    expect(j.blocks[0]).toMatchObject({
      kind: 'separable',
      layers: [1, 2],
      expansionMacs: 0,
      depthwiseMacs: 3 * 3 * 8 * 48 * 48,
      projectionMacs: 8 * 16 * 48 * 48,
      standardMacs: 3 * 3 * 8 * 16 * 48 * 48,
      separableMacs: 3 * 3 * 8 * 48 * 48 + 8 * 16 * 48 * 48,
    });
    // In place: the largest tensor (48x48x16 = 36,864) plus 32 bytes, not input + output side by side. On x86-64 the
    // host's AVX2 int8 kernels stream by output row (depthwise) or 4-pixel chunk (GEMM, stem) and take a little scratch:
    // 384 bytes more.
    const x86 = TARGETS.get('host')!.arch === 'x86-64';
    expect(j.totals.arenaBytes).toBe(x86 ? 37_280 : 36_896);
    // No plan can do better than the most bytes live at one op (48x48x16 + the in-place depthwise's 16-byte lead; on
    // x86-64 its lead of one output row).
    expect(j.memory.arenaLowerBound).toBe(x86 ? 37_248 : 36_880);
  });

  it('prints the table with totals', () => {
    const r = mobilec(['inspect', INT8_MODEL]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('totals: 7,489,664 MACs');
    expect(r.stdout).toMatch(/depthwise-separable blocks/);
  });
});

describe('run and verify through the addon', () => {
  it('run --seed --json gives the contract fields; --output writes the raw tensor; --input reads it back', () => {
    const outBin = join(work, 'out.bin');
    const r = mobilec(['run', INT8_MODEL, '--seed', '7', '--json', '--output', outBin]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(
      [
        'model',
        'target',
        'kernels',
        'outputShape',
        'outputDtype',
        'output',
        'scores',
        'topK',
        'medianMs',
        'instructions',
        'cycles',
        'estimatedMs',
        'macs',
        'arenaBytes',
        'codeBytes',
        'weightBytes',
        'stackBytes',
      ].sort(),
    );
    expect(j.outputShape).toEqual([1, 2]);
    expect(j.outputDtype).toBe('int8');
    expect(j.instructions).toBeNull();
    expect(j.macs).toBe(7_489_664);
    const raw = readFileSync(outBin);
    expect(Array.from(new Int8Array(raw.buffer, raw.byteOffset, raw.length))).toEqual(j.output);
    // Softmax output: scale 1/256, zero point -128, so the scores sum to ~1.
    expect(Math.abs(j.scores[0] + j.scores[1] - 1)).toBeLessThan(0.02);

    const inBin = write('in.bin', '');
    writeFileSync(inBin, Buffer.alloc(96 * 96 * 3, 3));
    const r2 = mobilec(['run', INT8_MODEL, '--input', inBin, '--json']);
    expect(r2.code, r2.stderr).toBe(0);
    expectOneLineError(mobilec(['run', INT8_MODEL, '--input', write('short.bin', 'abc')]), /short\.bin: 3 bytes, .* needs exactly 27648/);
  });

  it('verify passes on the default model and prints the per-layer table', () => {
    const r = mobilec(['verify', INT8_MODEL, '--inputs', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/layer\s+op\s+dtype\s+max abs diff\s+mismatches/);
    expect(r.stdout).toContain('verify: OK');
  });
});
