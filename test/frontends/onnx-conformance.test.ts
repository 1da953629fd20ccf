/**
 * Held-out ONNX operator conformance (issue 17: "ONNX's own operator test cases, held out, must give the
 * right answer or a clean refusal, never a wrong answer"). ONNX's backend test data cannot be fetched
 * here, so test/helpers/onnxConformance*.ts re-create the attribute combinations ONNX's node tests cover
 * (conv pads / auto_pad / strides, pools with pads, ceil_mode, count_include_pad, dilations, Gemm's
 * alpha / beta / transA / transB / bias broadcasts, Flatten axes, Reshape 0 / -1 / allowzero, Pad modes,
 * Concat and Softmax axes, Clip defaults, HardSigmoid, BatchNormalization epsilon, broadcasting Add / Mul,
 * QuantizeLinear / DequantizeLinear axes, QLinearConv / QLinearMatMul, opset variants) as tiny models.
 * Each case is listed as supported or refused, so a regression either way fails:
 *  - supported: ONNX Runtime's answer = the reference interpreter's (float32 within 1e-4 relative;
 *    quantized within 1 step of the output's quantization); for the cases marked `c`, the generated C
 *    (host) too (float32: within 1e-4 of ORT; quantized: bit-exact with the reference);
 *  - refused: one line, exit 2, naming the file, the node and its op type (or the graph input), and ORT
 *    runs the model (a valid model mobilec declines); a sample through the CLI writes nothing.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { importOnnx } from '../../src/frontends/onnx/import.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host } from '../../src/targets/host.js';
import { Prng } from '../../src/util/prng.js';
import { asFloat32, buildAndRun, bytesOf, removeDir, tempDir, writeFiles } from '../codegen/helpers.js';
import { mobilec } from '../helpers/cli.js';
import { OnnxBuilder, toNchw } from '../helpers/onnxBuilder.js';
import type { ConformanceCase } from '../helpers/onnxConformance.js';
import { FLOAT_CASES } from '../helpers/onnxConformanceFloat.js';
import { QDQ_CASES } from '../helpers/onnxConformanceQdq.js';
import { nhwc, ortSession, refusal, runSession } from '../helpers/onnxRuntime.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** The file name a case's model gets (its errors name it). */
const fileOf = (c: ConformanceCase) => `${c.name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}.onnx`;

function model(c: ConformanceCase): { bytes: Uint8Array; input: Float32Array } {
  const b = new OnnxBuilder(3);
  const y = c.build(b, b.input('x', [...c.shape]));
  b.output(y);
  const rng = new Prng(9);
  const r = c.range ?? 1;
  const input = Float32Array.from({ length: c.shape.reduce((a, v) => a * v, 1) }, () => rng.uniform(-r, r));
  return { bytes: b.build(c.opset ?? 13), input };
}

/** ONNX Runtime's first output, as numbers in NCHW order, and its dims. */
async function oracle(bytes: Uint8Array, input: Float32Array, shape: readonly number[]) {
  const s = await ortSession(bytes);
  const out = (await runSession(s, input, shape))[s.outputNames[0]!]!;
  return { data: Array.from(out.data as Float32Array, Number), dims: out.dims, type: out.type };
}

/** max |got − want| / max(1, max |want|) (float32), or max |got − want| / lsb (quantized). */
function error(got: ArrayLike<number>, want: readonly number[], lsb: number | undefined): number {
  expect(got.length).toBe(want.length);
  let d = 0;
  let m = 1;
  for (let i = 0; i < want.length; i++) {
    d = Math.max(d, Math.abs(got[i]! - want[i]!));
    m = Math.max(m, Math.abs(want[i]!));
  }
  return lsb === undefined ? d / m : d / lsb;
}

const fromIr = (d: ArrayLike<number>, dims: readonly number[]) =>
  dims.length === 4 && d instanceof Float32Array ? toNchw(d, dims) : dims.length === 4 ? toNchw(Float32Array.from(d), dims) : d;

const CASES = [...FLOAT_CASES, ...QDQ_CASES];
const supported = CASES.filter((c) => c.want === 'ok');
const refused = CASES.filter((c) => c.want !== 'ok');

describe('ONNX conformance: supported cases give ONNX Runtime’s answer', () => {
  it('lists the cases (supported and refused)', () => {
    console.log(`ONNX conformance: ${supported.length} supported, ${refused.length} refused, ${CASES.filter((c) => c.c).length} also as C`);
    expect(new Set(CASES.map(fileOf)).size).toBe(CASES.length);
    expect(supported.length).toBeGreaterThan(90);
    expect(refused.length).toBeGreaterThan(40);
  });

  it.each(supported.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const { bytes, input } = model(c);
    const want = await oracle(bytes, input, c.shape);
    const graph = prepareGraph(importOnnx(bytes, fileOf(c)));
    expect(graph.source?.outputShapes[0]).toEqual(want.dims); // the model's output shape, as ORT computes it
    const ref = runGraph(graph, [nhwc(input, c.shape)]).outputs[0]!;
    const got = fromIr(ref as ArrayLike<number>, want.dims);
    const tol = c.lsb === undefined ? 1e-4 : 1.001;
    expect(error(got, want.data, c.lsb)).toBeLessThan(tol);
    // An answer that barely varies would hide a wrong layout under the tolerance.
    expect(new Set(want.data).size).toBeGreaterThan(Math.min(4, want.data.length - 1));
    if (c.c) {
      const p = generateProject(graph, { target: host, kernels: 'simd' });
      const dir = tempDir('onnx_conf');
      dirs.push(dir);
      writeFiles(dir, p);
      const out = buildAndRun(dir, p, bytesOf(input)).output;
      if (c.lsb === undefined) expect(error(asFloat32(out), want.data, undefined)).toBeLessThan(1e-4);
      else {
        const dq = graph.tensors[graph.outputs[0]!]!;
        expect(dq.dtype).toBe('float32');
        expect([...asFloat32(out)]).toEqual(Array.from(got)); // the C in the model's layout = the reference
      }
    }
  });
});

describe('ONNX conformance: refused cases refuse cleanly (exit 2, one line naming the node)', () => {
  it.each(refused.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const { bytes, input } = model(c);
    if (c.ortRejects) await expect(oracle(bytes, input, c.shape)).rejects.toThrow();
    else await oracle(bytes, input, c.shape); // a valid model: ONNX Runtime runs it
    const file = fileOf(c);
    const msg = refusal(() => prepareGraph(importOnnx(bytes, file)));
    const where = c.want === 'input' ? "graph (input|output '[^']*' is graph input) 'x'" : `node \\d+ '[^']*' \\(${c.want}\\)`;
    expect(msg).toMatch(new RegExp(`^${file.replace(/\./g, '\\.')}: ${where}`));
  });

  it('through the CLI: exit 2, one line on stderr, nothing written (a sample)', () => {
    const dir = tempDir('onnx_conf_cli');
    dirs.push(dir);
    const sample = [
      'ConvTranspose',
      'maxpool_2d_ceil',
      'gemm_transposeA',
      'reflect_pad',
      'softmax_axis_2',
      'conv 1-D',
      'add broadcast of two activations [1, C, H, W] + [1, 1',
    ];
    for (const name of sample) {
      const c = refused.find((k) => k.name.startsWith(name))!;
      expect(c, name).toBeDefined();
      const path = join(dir, fileOf(c));
      writeFileSync(path, model(c).bytes);
      const out = join(dir, `${fileOf(c)}_out`);
      const r = mobilec(['compile', path, '--out', out]);
      expect(r.code, c.name).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, c.name).toHaveLength(1);
      expect(lines[0]).toContain(fileOf(c));
      expect(lines[0]).toMatch(c.want === 'input' ? /graph input 'x'/ : new RegExp(`node \\d+ '[^']*' \\(${c.want}\\)`));
      expect(existsSync(out)).toBe(false);
    }
  });
});
