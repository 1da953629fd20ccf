/**
 * `compile --binding`: the model as a self-contained npm package. The
 * README's commands run as written in a scratch "repository root"; the
 * package is installed into a fresh project with the build cache and the
 * package directory deleted, imported from ESM, CommonJS and TypeScript,
 * and still loads after the project is moved and the package copied away.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { loadModel } from '../../src/pipeline.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { seededInput, toBytes } from '../../src/util/tensors.js';
import { npmPackageName } from '../../src/verify/package.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';
import { readmeFile, readmeShell, sandboxCheckout, userEnv } from '../helpers/readme.js';

/** README, "A Node package of a model": the shell lines, run from the repository root, and the TypeScript (mnet-app/main.mts). */
const README_SHELL = readmeShell('binding');
const README_TS = readmeFile('binding', 'mnet-app/main.mts');

const MODEL = join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');
const EXPECTED_INPUT = 'an Int8Array of 27648 elements (int8 [1,96,96,3])';

/**
 * Run inside the consumer project: everything the package promises, as one
 * JSON line. ESM import by name, CommonJS require, wrong inputs.
 */
const CHECK_SCRIPT = `import * as m from 'mnet';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const bytes = readFileSync(process.argv[2]);
const input = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
const out = m.invoke(input);
const cjs = createRequire(import.meta.url)('mnet');
const errors = [];
for (const bad of [() => m.invoke(new Uint8Array(input.length)), () => m.invoke(new Int8Array(input.length - 1)),
                   () => m.invoke(Array.from(input)), () => cjs.invoke(new Float32Array(3)), () => m.bench(input, 0)]) {
  try { bad(); errors.push(null); } catch (e) { errors.push(e.constructor.name + ': ' + e.message); }
}
let frozen = true;
try { m.INPUT_SHAPE.push(1); frozen = false; } catch {}
console.log(JSON.stringify({
  output: Array.from(out), outputType: out.constructor.name, cjsOutput: Array.from(cjs.invoke(input)),
  errors, frozen, bench: m.bench(input, 2).length,
  constants: { MODEL_NAME: m.MODEL_NAME, INPUT_SHAPE: m.INPUT_SHAPE, INPUT_ELEMENTS: m.INPUT_ELEMENTS, INPUT_DTYPE: m.INPUT_DTYPE,
    INPUT_SCALE: m.INPUT_SCALE, INPUT_ZERO_POINT: m.INPUT_ZERO_POINT, OUTPUT_SHAPE: m.OUTPUT_SHAPE, OUTPUT_ELEMENTS: m.OUTPUT_ELEMENTS,
    OUTPUT_DTYPE: m.OUTPUT_DTYPE, OUTPUT_SCALE: m.OUTPUT_SCALE, OUTPUT_ZERO_POINT: m.OUTPUT_ZERO_POINT,
    LAYER_COUNT: m.LAYER_COUNT, ARENA_BYTES: m.ARENA_BYTES },
}));
`;

/** Type-checked against the installed .d.ts: readonly shapes with reduce, the typed input, CommonJS types. */
const CONSUMER_TS = `import { invoke, bench, INPUT_SHAPE, OUTPUT_SHAPE, INPUT_DTYPE, INPUT_SCALE, LAYER_COUNT, ARENA_BYTES } from 'mnet';
const n: number = INPUT_SHAPE.reduce((a, b) => a * b, 1);
const m: number = OUTPUT_SHAPE.reduce((a, b) => a * b, 1);
const shape: readonly number[] = INPUT_SHAPE;
const dtype: 'int8' = INPUT_DTYPE;
const sums: number = INPUT_SCALE + LAYER_COUNT + ARENA_BYTES;
const out: Int8Array = invoke(new Int8Array(n));
const ms: Float64Array = bench(new Int8Array(n), 1);
// @ts-expect-error an int8 model takes an Int8Array, not a Uint8Array
invoke(new Uint8Array(n));
// @ts-expect-error the shape is read-only
INPUT_SHAPE.push(1);
export { m, shape, dtype, sums, out, ms };
`;
const CONSUMER_CTS = `import mnet = require('mnet');
const n: number = mnet.INPUT_SHAPE.reduce((a, b) => a * b, 1);
export const out: Int8Array = mnet.invoke(new Int8Array(n));
`;

const work = mkdtempSync(join(tmpdir(), 'mobilec-binding-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sh(script: string, cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd, encoding: 'utf8', env: { ...userEnv(), ...env }, timeout: 300_000 });
}

function node(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('compile --binding writes a relocatable npm package', () => {
  // A scratch repository root: the README's relative paths resolve in it, its outputs land in it.
  const root = join(work, 'repo');
  const cache = join(work, 'cache');
  const app = join(root, 'mnet-app');
  const npmEnv = {
    MOBILEC_CACHE_DIR: cache,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  const graph = loadModel(MODEL);
  const project = generateProject(graph, { name: 'mnet', target: host, kernels: 'simd' });
  const inputT = graph.tensors[graph.inputs[0]!]!;
  const seeded = seededInput(inputT.dtype, 27648, 7);
  const reference = (input: ReturnType<typeof seededInput>) => Array.from(runGraph(graph, [input]).values.get(graph.outputs[0]!)!);
  let shell: SpawnSyncReturns<string>;
  const cacheBindingErrors: string[] = [];

  beforeAll(async () => {
    sandboxCheckout(root);
    shell = sh(README_SHELL, root, npmEnv);
    // The cache binding (verify/run) comes from the same generator: same checks.
    const cacheLib = join(cache, 'lib');
    const entry = existsSync(cacheLib) ? readdirSync(cacheLib).find((d) => d.startsWith('mnet-')) : undefined;
    if (entry) {
      const b = (await import(pathToFileURL(join(cacheLib, entry, 'mnet.js')).href)) as { invoke(x: unknown): unknown };
      for (const bad of [new Uint8Array(27648), new Int8Array(9216)]) {
        try {
          b.invoke(bad);
        } catch (e) {
          cacheBindingErrors.push(`${(e as Error).constructor.name}: ${(e as Error).message}`);
        }
      }
    }
    // Nothing it needs may remain: not the build cache, not the package directory, not the C.
    rmSync(cache, { recursive: true, force: true });
    rmSync(join(root, 'mnet-pkg'), { recursive: true, force: true });
    rmSync(join(root, 'mnet-c'), { recursive: true, force: true });
    writeFileSync(join(app, 'input.bin'), toBytes(seeded));
    writeFileSync(join(app, 'check.mjs'), CHECK_SCRIPT);
  });

  it("the README's commands succeed and install a copy of the package", () => {
    expect(shell.stderr).not.toMatch(/ERR!/);
    expect(shell.status).toBe(0);
    expect(shell.stdout).toMatch(
      /wrote .*mnet-pkg: npm package mnet for \w+-\w+ \(README\.md, index\.cjs, index\.d\.cts, index\.d\.ts, index\.js, libmnet\.so, mobilec_native\.node, package\.json\)/,
    );
    expect(shell.stdout).toMatch(/added 1 package/);
    const installed = join(app, 'node_modules', 'mnet');
    expect(readdirSync(installed).sort()).toEqual([
      'README.md',
      'index.cjs',
      'index.d.cts',
      'index.d.ts',
      'index.js',
      'libmnet.so',
      'mobilec_native.node',
      'package.json',
    ]);
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'mnet',
      version: '1.0.0',
      type: 'module',
      main: './index.cjs',
      types: './index.d.ts',
      engines: { node: '>=20' },
      os: [process.platform],
      cpu: [process.arch],
    });
    expect(pkg.exports['.']).toEqual({ import: { types: './index.d.ts', default: './index.js' }, require: { types: './index.d.cts', default: './index.cjs' } });
  });

  it('no file of the package names a path of the machine that built it', () => {
    const installed = join(app, 'node_modules', 'mnet');
    const needles = [work, PACKAGE_ROOT, cache, homedir()].filter((p) => p.length > 1);
    for (const f of readdirSync(installed)) {
      const bytes = readFileSync(join(installed, f));
      for (const needle of needles) expect(bytes.includes(needle), `${f} contains ${needle}`).toBe(false);
    }
  });

  it('the cache binding checks its input the same way', () => {
    expect(cacheBindingErrors).toEqual([
      `TypeError: invoke: expected ${EXPECTED_INPUT}, got a Uint8Array of 27648`,
      `RangeError: invoke: expected ${EXPECTED_INPUT}, got an Int8Array of 9216`,
    ]);
  });

  it('imported with the cache and the package directory gone: exact output, one-line errors, typed constants', () => {
    const r = node(['check.mjs', 'input.bin'], app);
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout);
    expect(got.output).toEqual(reference(seeded));
    expect(got.cjsOutput).toEqual(got.output);
    expect(got.outputType).toBe('Int8Array');
    expect(got.errors).toEqual([
      `TypeError: invoke: expected ${EXPECTED_INPUT}, got a Uint8Array of 27648`,
      `RangeError: invoke: expected ${EXPECTED_INPUT}, got an Int8Array of 27647`,
      `TypeError: invoke: expected ${EXPECTED_INPUT}, got an Array of 27648`,
      `TypeError: invoke: expected ${EXPECTED_INPUT}, got a Float32Array of 3`,
      'RangeError: bench: repeat must be a positive integer, got 0',
    ]);
    expect(got.frozen).toBe(true);
    expect(got.bench).toBe(2);
    const outT = graph.tensors[graph.outputs[0]!]!;
    expect(got.constants).toEqual({
      MODEL_NAME: 'mnet',
      INPUT_SHAPE: [1, 96, 96, 3],
      INPUT_ELEMENTS: 27648,
      INPUT_DTYPE: 'int8',
      INPUT_SCALE: inputT.quant!.scale[0],
      INPUT_ZERO_POINT: inputT.quant!.zeroPoint[0],
      OUTPUT_SHAPE: [1, 2],
      OUTPUT_ELEMENTS: 2,
      OUTPUT_DTYPE: 'int8',
      OUTPUT_SCALE: outT.quant!.scale[0],
      OUTPUT_ZERO_POINT: outT.quant!.zeroPoint[0],
      LAYER_COUNT: 31,
      ARENA_BYTES: project.arena.bytes,
    });
  });

  it("the README's TypeScript and a consumer type-check (strict, NodeNext) against the installed .d.ts, and run", () => {
    writeFileSync(join(app, 'main.mts'), README_TS);
    writeFileSync(join(app, 'consumer.mts'), CONSUMER_TS);
    writeFileSync(join(app, 'consumer.cts'), CONSUMER_CTS);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, skipLibCheck: false, types: [], outDir: 'out' },
        files: ['main.mts', 'consumer.mts', 'consumer.cts'],
      }),
    );
    const tsc = node([join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
    const zeros = new Int8Array(27648);
    const outT = graph.tensors[graph.outputs[0]!]!;
    const scores = reference(zeros).map((q) => outT.quant!.scale[0]! * (q - outT.quant!.zeroPoint[0]!));
    const run = node(['out/main.mjs'], app);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${inspect(scores)}\n`);
  });

  it('still loads after the project is moved and the package is copied elsewhere', () => {
    const moved = join(work, 'moved', 'app');
    mkdirSync(join(work, 'moved'));
    renameSync(app, moved);
    const again = node(['check.mjs', 'input.bin'], moved);
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout).output).toEqual(reference(seeded));
    // A copy of the installed package, loaded by path from an unrelated directory.
    const vendor = join(work, 'elsewhere', 'vendor', 'mnet');
    cpSync(join(moved, 'node_modules', 'mnet'), vendor, { recursive: true });
    rmSync(moved, { recursive: true, force: true });
    const script = `import { invoke } from './vendor/mnet/index.js';
import { createRequire } from 'node:module';
const cjs = createRequire(import.meta.url)('./vendor/mnet/index.cjs');
console.log(JSON.stringify([Array.from(invoke(new Int8Array(27648))), Array.from(cjs.invoke(new Int8Array(27648)))]));
`;
    writeFileSync(join(work, 'elsewhere', 'use.mjs'), script);
    const copied = node(['use.mjs'], join(work, 'elsewhere'));
    expect(copied.stderr).toBe('');
    const zeros = reference(new Int8Array(27648));
    expect(JSON.parse(copied.stdout)).toEqual([zeros, zeros]);
  });
});

describe('compile --binding: bad uses are exit 2, one line, nothing written', () => {
  it('a non-host target', () => {
    const r = mobilec(['compile', MODEL, '--target', 'cortex-m4', '--out', join(work, 'm4-c'), '--binding', join(work, 'm4-pkg')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `mobilec: --binding writes a Node package that runs on this machine (${process.platform}-${process.arch}); it needs --target host (got --target cortex-m4); compile cortex-m4 C with --out alone\n`,
    );
    expect(existsSync(join(work, 'm4-c'))).toBe(false);
    expect(existsSync(join(work, 'm4-pkg'))).toBe(false);
  });

  it('a package directory that is or holds --out', () => {
    for (const [out, pkg] of [
      ['same', 'same'],
      ['outer/c', 'outer'],
    ]) {
      const r = mobilec(['compile', MODEL, '--out', join(work, out!), '--binding', join(work, pkg!)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`mobilec: --binding ${join(work, pkg!)}: overlaps --out ${join(work, out!)}; give the package a directory of its own\n`);
      expect(existsSync(join(work, pkg!))).toBe(false);
    }
  });

  it('a foreign existing directory, even with --force', () => {
    mkdirSync(join(work, 'foreign'));
    writeFileSync(join(work, 'foreign', 'keep.txt'), 'mine');
    const r = mobilec(['compile', MODEL, '--out', join(work, 'f-c'), '--binding', join(work, 'foreign'), '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mobilec: --binding .*foreign: exists and was not written by mobilec \(no \.mobilec-output marker\)/);
    expect(readFileSync(join(work, 'foreign', 'keep.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(work, 'f-c'))).toBe(false);
  });
});

describe('npm package names', () => {
  it('are lower case, dash-separated, and never a Node built-in', () => {
    expect(npmPackageName('person_detect')).toBe('person-detect');
    expect(npmPackageName('mobilenet_v1_0_25_128_quant')).toBe('mobilenet-v1-0-25-128-quant');
    expect(npmPackageName('_Model__X_')).toBe('model-x');
    expect(npmPackageName('http')).toBe('http-model');
    expect(npmPackageName('___')).toBe('model');
  });
});
