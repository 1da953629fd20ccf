/**
 * An ONNX (NCHW) model keeps its layout on the user's side (issue 17): the
 * generated C's invoke takes an NCHW input and writes an NCHW output (it
 * transposes at the boundary; the layers stay NHWC), so `run --input /
 * --output / --save-input` raw tensors, `run --image`, `run --json` and the
 * header's shape macros are NCHW, checked against ONNX Runtime on the same
 * NCHW tensor (float32 within 1e-4 relative). `--mean` / `--std` take one
 * value per channel. A description's header and raw output stay NHWC.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import AjvModule from 'ajv';
import { generateProject } from '../../src/codegen/index.js';
import { importOnnx } from '../../src/frontends/onnx/import.js';
import { boundaryTensor, fromUserLayout, toUserLayout } from '../../src/model/layout.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host } from '../../src/targets/host.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { Prng } from '../../src/util/prng.js';
import { loadModel } from '../../src/pipeline.js';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { targetByName } from '../../src/targets/index.js';
import { generateBinding } from '../../src/verify/binding.js';
import { modelSignature } from '../../src/verify/signature.js';
import { channelMappings } from '../../src/image/toTensor.js';
import { finiteNumberList } from '../../src/cli/options.js';
import { MobilecError } from '../../src/model/errors.js';
import { asFloat32, buildAndRun, bytesOf, removeDir, tempDir, writeFiles } from '../codegen/helpers.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';
import { attr, OnnxBuilder, toNchw, toNhwc } from '../helpers/onnxBuilder.js';
import { relErr, runOrt } from '../helpers/onnxRuntime.js';

type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;

const missingCross = missingLinuxTools(targetByName('rpi4'));
const crossSkip = missingCross.length > 0 && process.env.CI !== 'true';
if (crossSkip) console.warn(`skipping the rpi4 case: missing ${missingCross.join(', ')} (see scripts/ensure-tools.sh)`);

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const dir = tempDir('onnx_layout');
dirs.push(dir);

const f32 = (path: string) => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

// Conv stem (stride 2) + depthwise + 1×1 conv: a 4-D output with 5 channels over 4×5 pixels, so a missing or
// wrong output transpose shows; H ≠ W so a swapped H and W shows too.
const SPATIAL_IN = [1, 3, 8, 10] as const;
const SPATIAL_OUT = [1, 5, 4, 5] as const;
function spatialModel(): Uint8Array {
  const b = new OnnxBuilder(21);
  let x = b.input('image', [...SPATIAL_IN]);
  x = b.relu6(b.conv(x, 3, 8, 3, { stride: 2, pads: [1, 1, 1, 1], bias: true }));
  x = b.relu6(b.conv(x, 8, 8, 3, { pads: [1, 1, 1, 1], group: 8, bias: true }));
  b.output(b.conv(x, 8, 5, 1, { bias: true }), [...SPATIAL_OUT]);
  return b.build(13);
}

// A classifier on a 3-channel 6×7 image: conv, GAP, Flatten, Gemm → [1, 10] (no output transpose).
const CLS_IN = [1, 3, 6, 7] as const;
function classifierModel(): Uint8Array {
  const b = new OnnxBuilder(22);
  let x = b.input('image', [...CLS_IN]);
  x = b.relu6(b.conv(x, 3, 16, 3, { pads: [1, 1, 1, 1], bias: true }));
  x = b.node('GlobalAveragePool', [x]);
  x = b.node('Flatten', [x]);
  b.node('Gemm', [x, b.random('fc_w', [10, 16], -2, 2), b.random('fc_b', [10])], { transB: attr.i(1) }, ['logits']);
  b.output('logits', [1, 10]);
  return b.build(13);
}

/** A 24-bit BMP (bottom-up rows, BGR, rows padded to 4 bytes) of `rgb` (row-major, top row first). */
function bmp(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const size = 54 + stride * height;
  const out = Buffer.alloc(size);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(size, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(stride * height, 34);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      out[row + x * 3] = rgb[p + 2]!;
      out[row + x * 3 + 1] = rgb[p + 1]!;
      out[row + x * 3 + 2] = rgb[p]!;
    }
  }
  return out;
}

let spatialPath: string;
let spatialBytes: Uint8Array;
let clsPath: string;
let clsBytes: Uint8Array;
beforeAll(() => {
  spatialBytes = spatialModel();
  spatialPath = join(dir, 'spatial.onnx');
  writeFileSync(spatialPath, spatialBytes);
  clsBytes = classifierModel();
  clsPath = join(dir, 'cls.onnx');
  writeFileSync(clsPath, clsBytes);
});

describe('ONNX NCHW model: the C boundary and run speak NCHW', () => {
  it('boundaryTensor / toUserLayout: NHWC ↔ NCHW round trip, classifier output untouched', () => {
    const g = prepareGraph(importOnnx(spatialBytes, 'spatial.onnx'));
    const inB = boundaryTensor(g, 'input');
    const outB = boundaryTensor(g, 'output');
    expect([inB.shape, inB.layout, inB.transposed]).toEqual([[...SPATIAL_IN], 'NCHW', true]);
    expect([outB.shape, outB.layout, outB.transposed]).toEqual([[...SPATIAL_OUT], 'NCHW', true]);
    const x = Float32Array.from({ length: 240 }, (_, i) => i);
    expect(Array.from(toUserLayout(inB, x))).toEqual(Array.from(toNchw(x, SPATIAL_IN)));
    expect(Array.from(fromUserLayout(inB, toUserLayout(inB, x)))).toEqual(Array.from(x));
    const c = boundaryTensor(prepareGraph(importOnnx(clsBytes, 'cls.onnx')), 'output');
    expect([c.shape, c.layout, c.transposed]).toEqual([[1, 10], null, false]);
  });

  it('run --input NCHW raw = ONNX Runtime; --output raw and --json are NCHW; --save-input round-trips', async () => {
    const rng = new Prng(5);
    const input = Float32Array.from({ length: 240 }, () => rng.uniform(-1, 1));
    const inPath = join(dir, 'in.bin');
    writeFileSync(inPath, bytesOf(input));
    const want = await runOrt(spatialBytes, input, SPATIAL_IN);
    expect(want.dims).toEqual([...SPATIAL_OUT]);
    expect(Math.max(...want.data) - Math.min(...want.data)).toBeGreaterThan(0.05);
    const outPath = join(dir, 'out.bin');
    const savedPath = join(dir, 'saved.bin');
    const r = mobilec(['run', spatialPath, '--input', inPath, '--output', outPath, '--save-input', savedPath, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = f32(outPath);
    const err = relErr(out, want.data);
    console.log(`spatial model: run --input (NCHW) vs ONNX Runtime, max rel err ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    // The same values read as NHWC would be far off: the check above sees the layout.
    expect(relErr(toNchw(out, SPATIAL_OUT), want.data)).toBeGreaterThan(1e-2);
    const j = JSON.parse(r.stdout) as { outputShape: number[]; output: number[] };
    expect(j.outputShape).toEqual([...SPATIAL_OUT]);
    expect(j.output).toEqual(Array.from(out));
    expect(Buffer.compare(readFileSync(savedPath), readFileSync(inPath))).toBe(0);
    // The saved tensor fed back gives the same output bytes.
    const again = join(dir, 'out2.bin');
    expect(mobilec(['run', spatialPath, '--input', savedPath, '--output', again]).code).toBe(0);
    expect(Buffer.compare(readFileSync(again), readFileSync(outPath))).toBe(0);
    // A raw file of the wrong size names the NCHW shape.
    writeFileSync(join(dir, 'short.bin'), new Uint8Array(12));
    const bad = mobilec(['run', spatialPath, '--input', join(dir, 'short.bin')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('float32[1,3,8,10] needs exactly 960');
  });

  it('the header says [1, C, H, W] and the C API (input(), invoke, output()) is NCHW', async () => {
    const r = mobilec(['compile', spatialPath, '--out', join(dir, 'c_spatial')]);
    expect(r.code, r.stderr).toBe(0);
    const h = readFileSync(join(dir, 'c_spatial', 'spatial.h'), 'utf8');
    const macros = Object.fromEntries([...h.matchAll(/#define MOBILEC_SPATIAL_((?:INPUT|OUTPUT)_\w+) (.+)/g)].map((m) => [m[1], m[2]]));
    expect(macros).toMatchObject({
      INPUT_LAYOUT: '"NCHW"',
      INPUT_NCHW: '1',
      INPUT_DIMS: '4',
      INPUT_DIM0: '1',
      INPUT_DIM1: '3',
      INPUT_DIM2: '8',
      INPUT_DIM3: '10',
      INPUT_C: '3',
      INPUT_H: '8',
      INPUT_W: '10',
      INPUT_ELEMENTS: '240',
      OUTPUT_LAYOUT: '"NCHW"',
      OUTPUT_NCHW: '1',
      OUTPUT_DIM1: '5',
      OUTPUT_DIM2: '4',
      OUTPUT_DIM3: '5',
      OUTPUT_C: '5',
      OUTPUT_H: '4',
      OUTPUT_W: '5',
      OUTPUT_SIZE: '5',
    });
    // The generated C on its own (strict flags, a C main): NCHW in, NCHW out, as ONNX Runtime.
    const g = prepareGraph(importOnnx(spatialBytes, 'spatial.onnx'));
    const p = generateProject(g, { target: host, kernels: 'simd' });
    // The Node binding (run's and compile --binding's) states the same shapes.
    const sig = modelSignature(g, p.name, p.arena.bytes);
    expect([sig.input.shape, sig.input.layout, sig.output.shape, sig.output.layout]).toEqual([[...SPATIAL_IN], 'NCHW', [...SPATIAL_OUT], 'NCHW']);
    const binding = generateBinding(sig, { addon: { beside: 'a.node' }, library: { beside: 'l.so' }, layerHooks: false }).ts;
    expect(binding).toContain('Object.freeze([1, 3, 8, 10])');
    expect(binding).toContain("The input tensor's shape (NCHW)");
    const cdir = tempDir('onnx_layout_c');
    dirs.push(cdir);
    writeFiles(cdir, p);
    const rng = new Prng(9);
    const input = Float32Array.from({ length: 240 }, () => rng.uniform(-1, 1));
    const res = buildAndRun(cdir, p, bytesOf(input));
    const want = await runOrt(spatialBytes, input, SPATIAL_IN);
    expect(relErr(asFloat32(res.output), want.data)).toBeLessThan(1e-4);
    // The layers (hooks) stay NHWC: the last one is the output transposed.
    const last = asFloat32(res.layers.get(p.layers.length - 1)!);
    expect(Array.from(toNchw(last, SPATIAL_OUT))).toEqual(Array.from(asFloat32(res.output)));
    // The reference, fed the NHWC form, agrees.
    const ref = runGraph(g, [toNhwc(input, SPATIAL_IN)]).outputs[0] as Float32Array;
    expect(relErr(toNchw(ref, SPATIAL_OUT), want.data)).toBeLessThan(1e-4);
  });

  it('verify passes, inspect --json plans the NCHW input and output buffers (schema-valid)', () => {
    const v = mobilec(['verify', spatialPath, '--quiet']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const i = mobilec(['inspect', spatialPath, '--json']);
    expect(i.code, i.stderr).toBe(0);
    type Io = { tensor: number; shape: number[]; modelShape: number[]; layout: string | null };
    const j = JSON.parse(i.stdout) as { input: Io; output: Io; layers: unknown[]; plan: { blocks: Record<string, unknown>[] } };
    // The IR's NHWC shape, and the shape and layout of the caller's buffers: the model's NCHW.
    expect([j.input.shape, j.input.modelShape, j.input.layout]).toEqual([[1, 8, 10, 3], [...SPATIAL_IN], 'NCHW']);
    expect([j.output.shape, j.output.modelShape, j.output.layout]).toEqual([[1, 4, 5, 5], [...SPATIAL_OUT], 'NCHW']);
    const validate = new Ajv({ allErrors: true, strictTypes: false }).compile(
      JSON.parse(readFileSync(join(PACKAGE_ROOT, 'docs', 'inspect.schema.json'), 'utf8')) as object,
    );
    expect(validate(j), JSON.stringify(validate.errors)).toBe(true);
    const layout = j.plan.blocks.filter((b) => b.kind === 'layout');
    expect(layout.map((b) => [b.id, b.tensor, b.firstOp, b.lastOp, b.dataBytes])).toEqual([
      ['input_nchw', j.input.tensor, -1, -1, 960],
      ['output_nchw', j.output.tensor, j.layers.length, j.layers.length, 400],
    ]);
  });

  it.skipIf(crossSkip)('on rpi4 (QEMU): verify (the final output, transposed back) passes and run --input gives the NCHW output of ONNX Runtime', async () => {
    const rng = new Prng(6);
    const input = Float32Array.from({ length: 240 }, () => rng.uniform(-1, 1));
    const inPath = join(dir, 'in_rpi4.bin');
    writeFileSync(inPath, bytesOf(input));
    const v = mobilec(['verify', spatialPath, '--target', 'rpi4', '--quiet']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('matches the reference on the final output');
    const out = join(dir, 'out_rpi4.bin');
    expect(mobilec(['run', spatialPath, '--target', 'rpi4', '--quiet', '--input', inPath, '--output', out]).code).toBe(0);
    expect(relErr(f32(out), (await runOrt(spatialBytes, input, SPATIAL_IN)).data)).toBeLessThan(1e-4);
  });

  it('run --image: decoded, laid out NCHW, per-channel --mean/--std = ONNX Runtime on the hand-made tensor', async () => {
    const [, c, hh, ww] = CLS_IN;
    const rng = new Prng(3);
    const rgb = Uint8Array.from({ length: hh * ww * 3 }, () => rng.int(0, 255));
    const imgPath = join(dir, 'img.bmp');
    writeFileSync(imgPath, bmp(ww, hh, rgb));
    const mean = [123.675, 116.28, 103.53];
    const std = [58.395, 57.12, 57.375];
    // By hand: x[c][y][x] = (p − mean[c]) / std[c] (the image is already the model's size: no resize).
    const want = new Float32Array(c * hh * ww);
    for (let ch = 0; ch < c; ch++) for (let i = 0; i < hh * ww; i++) want[ch * hh * ww + i] = (rgb[i * 3 + ch]! - mean[ch]!) / std[ch]!;
    const saved = join(dir, 'img_in.bin');
    const out = join(dir, 'img_out.bin');
    const r = mobilec(['run', clsPath, '--image', imgPath, '--mean', mean.join(','), '--std', std.join(','), '--save-input', saved, '--output', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(Array.from(f32(saved))).toEqual(Array.from(want));
    const ortOut = await runOrt(clsBytes, want, CLS_IN);
    const err = relErr(f32(out), ortOut.data);
    console.log(`classifier: run --image with per-channel mean/std vs ONNX Runtime, max rel err ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
    expect((JSON.parse(r.stdout) as { outputShape: number[] }).outputShape).toEqual([1, 10]);
    // One value still applies to every channel.
    const one = mobilec(['run', clsPath, '--image', imgPath, '--mean', '127.5', '--std', '127.5', '--save-input', saved]);
    expect(one.code, one.stderr).toBe(0);
    const want1 = new Float32Array(c * hh * ww);
    for (let ch = 0; ch < c; ch++) for (let i = 0; i < hh * ww; i++) want1[ch * hh * ww + i] = (rgb[i * 3 + ch]! - 127.5) / 127.5;
    expect(Array.from(f32(saved))).toEqual(Array.from(want1));
  });

  it('--mean / --std: a count other than 1 or the channels, or a bad list, is exit 2 naming the flag', () => {
    const two = mobilec(['run', clsPath, '--image', join(dir, 'img.bmp'), '--mean', '1,2', '--std', '1']);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/--mean 1,2: 2 values, but input tensor '.*' has 3 channels; give one value or 3\n$/);
    const inT = prepareGraph(importOnnx(clsBytes, 'cls.onnx')).tensors[0]!;
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof MobilecError ? [e.exitCode, e.message] : ['not a MobilecError', String(e)];
      }
      return null;
    };
    expect(refused(() => channelMappings(inT, 3, { mean: [1], std: [1, 2, 3, 4] }))).toEqual([
      2,
      `--std 1,2,3,4: 4 values, but input tensor '${inT.name}' has 3 channels; give one value or 3`,
    ]);
    expect(channelMappings(inT, 3, { mean: [1, 2, 3], std: [2] }).map((t) => t[5])).toEqual([2, 1.5, 1]);
    expect(channelMappings(inT, 3, { mean: 1, std: 2 }).map((t) => t[5])).toEqual([2, 2, 2]);
    const parse = finiteNumberList('--mean');
    expect(parse('123.675,116.28,103.53')).toEqual([123.675, 116.28, 103.53]);
    expect(parse('-1')).toEqual([-1]);
    for (const bad of ['1,,2', '', '1,x', '1,', 'NaN', '1,Infinity']) {
      expect(() => parse(bad), bad).toThrow(`--mean must be a number or a comma-separated list of numbers, one per channel (got '${bad}')`);
    }
  });
});

describe('descriptions keep NHWC', () => {
  it('a description: header H/W/C in NHWC order, no layout macro, no layout block; run --output raw (NHWC) = the reference', () => {
    const model = join(EXAMPLES, 'tiny_layers.json');
    const r = mobilec(['compile', model, '--out', join(dir, 'c_tiny')]);
    expect(r.code, r.stderr).toBe(0);
    const h = readFileSync(join(dir, 'c_tiny', 'tiny_layers.h'), 'utf8');
    expect(h).not.toContain('LAYOUT');
    const g = loadModel(model);
    const inT = g.tensors[g.inputs[0]!]!;
    expect(inT.shape.length).toBe(4);
    const [, hh, ww, cc] = inT.shape;
    expect(h).toContain(`#define MOBILEC_TINY_LAYERS_INPUT_H ${hh}\n#define MOBILEC_TINY_LAYERS_INPUT_W ${ww}\n#define MOBILEC_TINY_LAYERS_INPUT_C ${cc}\n`);
    const p = generateProject(g, { target: host, kernels: 'simd' });
    expect(p.arena.blocks.some((b) => b.scratchOp === -1 || b.scratchOp === g.ops.length)).toBe(false);
    const out = join(dir, 'tiny_out.bin');
    const saved = join(dir, 'tiny_in.bin');
    expect(mobilec(['run', model, '--seed', '4', '--output', out, '--save-input', saved]).code).toBe(0);
    expect(inT.dtype).toBe('float32');
    const ref = runGraph(g, [f32(saved)]).outputs[0] as Float32Array;
    expect(relErr(f32(out), ref)).toBeLessThan(1e-4);
  });
});
