/**
 * Issue 10's rough edges, each as a new user hit it: `--force` may never
 * delete what mobilec did not write, bad output paths are usage errors,
 * `compile <directory>` and a bare `mobilec` say what is wrong, output
 * folders get the usual permissions, `--labels` warns on a count mismatch,
 * `--save-input` writes the exact tensor, and every help names .tflite.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTPUT_MARKER } from '../../src/codegen/write.js';
import { seededInput, toBytes } from '../../src/util/tensors.js';
import { CLI, EXAMPLES, mobilec } from '../helpers/cli.js';
import { EXPECTED_DIR, IMAGES_DIR, MOBILENET_QUANT, MODELS_DIR, skipShared } from '../helpers/shared.js';

const work = mkdtempSync(join(tmpdir(), 'mobilec-edges-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TINY = join(EXAMPLES, 'tiny_layers.json');

/** Every file under `dir` with its bytes, so "nothing touched" is a comparison. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out.set(`${relative(dir, p)}/`, '');
        walk(p);
      } else out.set(relative(dir, p), readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

function expectOneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

/** A scratch project folder as a user has it: the model, notes, a source folder. */
function scratch(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  copyFileSync(TINY, join(dir, 'tiny_layers.json'));
  writeFileSync(join(dir, 'notes.txt'), 'my notes\n');
  writeFileSync(join(dir, 'src', 'main.c'), 'int main(void) { return 0; }\n');
  return dir;
}

describe('compile --force never deletes what mobilec did not write', () => {
  const dir = scratch('force');
  const cases: [string, string[], RegExp][] = [
    ['--out . (the working directory)', ['--out', '.'], /--out \.: is the working directory or one of its ancestors/],
    ['--out "" (empty)', ['--out', ''], /--out is empty/],
    ['--out .. (an ancestor)', ['--out', '..'], /--out \.\.: is the working directory or one of its ancestors/],
    ['--out src (a foreign non-empty directory)', ['--out', 'src'], /--out src: exists and was not written by mobilec \(no \.mobilec-output marker\)/],
    ['--out notes.txt (a file)', ['--out', 'notes.txt'], /--out notes\.txt: exists and is not a directory/],
  ];
  for (const [what, args, pattern] of cases) {
    it(`${what}: exit 2, one line, nothing touched`, () => {
      const before = snapshot(work);
      const r = mobilec(['compile', 'tiny_layers.json', ...args, '--force'], { cwd: dir });
      expectOneLine(r, pattern);
      expect(snapshot(work)).toEqual(before);
    });
  }

  it('a directory holding the model is refused, even when named from elsewhere', () => {
    const before = snapshot(work);
    const r = mobilec(['compile', join(dir, 'tiny_layers.json'), '--out', dir, '--force'], { cwd: work });
    expectOneLine(r, /holds the input .*tiny_layers\.json/);
    expect(snapshot(work)).toEqual(before);
  });

  it("replaces mobilec's own output, stale files included, and refuses it without --force", () => {
    expect(mobilec(['compile', 'tiny_layers.json', '--out', 'out'], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, 'out', OUTPUT_MARKER), 'utf8')).toContain('"writtenBy":"mobilec"');
    writeFileSync(join(dir, 'out', 'stale.c'), '');
    expectOne(mobilec(['compile', 'tiny_layers.json', '--out', 'out'], { cwd: dir }), /--out out: already exists; pass --force/);
    expect(mobilec(['compile', 'tiny_layers.json', '--out', 'out', '--force'], { cwd: dir }).code).toBe(0);
    expect(existsSync(join(dir, 'out', 'stale.c'))).toBe(false);
    expect(existsSync(join(dir, 'out', 'tiny_layers.c'))).toBe(true);
    // No temporary or backup directories left beside it.
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'out', 'src', 'tiny_layers.json']);
  });

  function expectOne(r: { code: number; stderr: string }, pattern: RegExp): void {
    expectOneLine(r, pattern);
  }
});

describe('bad output paths and model paths are usage errors (exit 2)', () => {
  it('--out under /proc', () => {
    expectOneLine(mobilec(['compile', TINY, '--out', '/proc/x']), /--out \/proc\/x: cannot write in \/proc \(no such directory, ENOENT\)/);
  });

  it('--out below a regular file', () => {
    const file = join(work, 'plain.txt');
    writeFileSync(file, 'x');
    expectOneLine(
      mobilec(['compile', TINY, '--out', join(file, 'sub')]),
      /--out .*plain\.txt\/sub: cannot use this path \(a part of the path is not a directory, ENOTDIR\)/,
    );
  });

  it('compile <a directory> says it is a directory', () => {
    expectOneLine(
      mobilec(['compile', EXAMPLES, '--out', join(work, 'never')]),
      /examples\/models: is a directory; give a model file \(\.json, \.tflite, \.onnx\)/,
    );
    expect(existsSync(join(work, 'never'))).toBe(false);
  });

  it('mobilec with no arguments prints the usage on stderr and exits 2', () => {
    const r = mobilec([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: mobilec \[options\] \[command\]/);
  });

  it('every command help names the model formats', () => {
    for (const cmd of ['compile', 'verify', 'run', 'inspect']) {
      const help = mobilec([cmd, '--help']).stdout.replace(/\s+/g, ' ');
      expect(help).toContain('model model file: a TensorFlow Lite model (.tflite), an ONNX model (.onnx, float32) or a JSON description (.json)');
    }
  });
});

describe('output folders get 0777 & ~umask, like any tool', () => {
  for (const umask of ['022', '027']) {
    it(`umask ${umask}`, () => {
      const out = join(work, `mode-${umask}`);
      const r = spawnSync('sh', ['-c', `umask ${umask} && exec "$0" "$1" compile "$2" --out "$3"`, process.execPath, CLI, TINY, out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect((statSync(out).mode & 0o777).toString(8)).toBe((0o777 & ~parseInt(umask, 8)).toString(8));
    });
  }
});

describe('run --save-input writes the exact input tensor', () => {
  it('for a seeded input: the seeded tensor, byte for byte', () => {
    const saved = join(work, 'seed.bin');
    const r = mobilec(['run', join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'), '--seed', '7', '--save-input', saved, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(saved), Buffer.from(toBytes(seededInput('int8', 96 * 96 * 3, 7))))).toBe(0);
    // Fed back as --input, it gives the same output.
    const again = mobilec(['run', join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'), '--input', saved, '--json']);
    expect(JSON.parse(again.stdout).output).toEqual(JSON.parse(r.stdout).output);
  });

  it.skipIf(skipShared)('for an image: the preprocessed bird equals the independent implementation input', () => {
    const saved = join(work, 'bird.bin');
    const r = mobilec(['run', MOBILENET_QUANT, '--image', join(IMAGES_DIR, 'bird.bmp'), '--save-input', saved]);
    expect(r.code, r.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(saved), readFileSync(join(EXPECTED_DIR, 'mobilenet_v1_0.25_128_quant.bird.input.bin')))).toBe(0);
  });

  it('an unwritable --save-input is exit 2 naming the flag', () => {
    expectOneLine(mobilec(['run', TINY, '--seed', '1', '--save-input', '/proc/nope/in.bin']), /--save-input \/proc\/nope\/in\.bin: cannot write/);
  });
});

describe('run --labels warns when the label count does not match the classes', () => {
  it('one warning line naming both counts; the exit code and output are unchanged', () => {
    const labels = join(work, 'labels7.txt');
    writeFileSync(labels, `${Array.from({ length: 7 }, (_, i) => `class${i}`).join('\n')}\n`);
    const model = join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');
    const r = mobilec(['run', model, '--seed', '1', '--labels', labels, '--top', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `mobilec: warning: --labels ${labels} has 7 labels but the output of model mobilenet_v1_0_25_96_int8 has 2 classes; the names shown may not match`,
    ]);
    expect(r.stdout).toMatch(/top-1:\n\s+\d\s+[0-9.]+\s+class\d/);
  });

  it.skipIf(skipShared)('1,001 ImageNet labels on the 1,001-class model: no warning (a final newline is not a label)', () => {
    const r = mobilec(['run', MOBILENET_QUANT, '--seed', '1', '--labels', join(MODELS_DIR, 'imagenet_labels.txt')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
