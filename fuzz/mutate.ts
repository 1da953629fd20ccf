/**
 * Seeded mutators and the seed corpus of the fuzzer: pure functions from a
 * (seed, case) pair to the bytes of one model file, so case k of seed S is
 * the same file on every run (given the same corpus: with ../shared/models
 * present the real models join it).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModel } from '../src/frontends/tflite/schema.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { Prng } from '../src/util/prng.js';
import { buildTflite, type ModelSpec } from '../test/helpers/tfliteBuilder.js';
import { SpecBuilder, tinyMobilenet } from '../test/tflite/models.js';

export type InputKind = 'tflite' | 'json';

export const TFLITE_MUTATORS = [
  'none',
  'truncate',
  'bit-flip',
  'int-overwrite',
  'splice',
  'duplicate-region',
  'offset-outside',
  'dangling-tensor',
  'cyclic-tensor',
  'dangling-buffer',
  'bad-shape',
  'bad-options',
  'bad-quant',
  'huge-graph',
] as const;
export const JSON_MUTATORS = [
  'none',
  'wrong-type',
  'nan-infinity',
  'huge-number',
  'negative-number',
  'deep-nesting',
  'unknown-field',
  'huge-layers',
  'text-damage',
  'combined',
] as const;
export type Mutator = (typeof TFLITE_MUTATORS)[number] | (typeof JSON_MUTATORS)[number];

export interface SeedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface FuzzCase {
  readonly seed: number;
  readonly index: number;
  readonly kind: InputKind;
  readonly mutator: Mutator;
  /** The corpus file it was made from (or 'generated'). */
  readonly from: string;
  /** Compile target (mostly host; some cases other targets, for their kernels). */
  readonly target: string;
  readonly bytes: Uint8Array;
}

export interface Corpus {
  readonly tflite: readonly SeedFile[];
  readonly json: readonly SeedFile[];
}

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

/** The descriptions small enough to compile in well under a second. */
const JSON_SEEDS = ['tiny_layers.json', 'mobilenet_v1_0.25_96.json', 'mobilenet_v1_0.25_96_int8.json', 'mobilenet_v2_0.35_96_int8.json'];
const SHARED_MODELS = ['person_detect.tflite', 'mobilenet_v1_0.25_128_quant.tflite'];

/** Small models built here, so the fuzzer works without ../shared. */
function builtTflite(): SeedFile[] {
  const files: SeedFile[] = [];
  let seed = 1;
  for (const dtype of ['float32', 'int8', 'uint8'] as const) {
    for (const [first, head] of [
      ['conv', 'fc'],
      ['depthwise', 'conv'],
    ] as const) {
      const spec = tinyMobilenet({ dtype, channels: dtype === 'uint8' ? 1 : 3, size: 8, first, head, softmax: head === 'fc', classes: 5, seed: seed++ });
      files.push({ name: `tiny_${dtype}_${first}_${head}.tflite`, bytes: buildTflite(spec) });
    }
  }
  return files;
}

let cached: Corpus | undefined;

/** examples/models descriptions, models built with the test builder, and ../shared/models when present (a case's bytes depend on which). */
export function loadCorpus(): Corpus {
  if (cached) return cached;
  const examples = join(PACKAGE_ROOT, 'examples', 'models');
  const json = JSON_SEEDS.filter((f) => existsSync(join(examples, f))).map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(examples, f))) }));
  const shared = join(PACKAGE_ROOT, '..', 'shared', 'models');
  // MOBILEC_FUZZ_SHARED=0 leaves them out: the corpus of a clone without ../shared.
  const real =
    existsSync(shared) && process.env.MOBILEC_FUZZ_SHARED !== '0'
      ? readdirSync(shared)
          .filter((f) => SHARED_MODELS.includes(f))
          .sort()
          .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(shared, f))) }))
      : [];
  cached = { tflite: [...builtTflite(), ...real], json };
  return cached;
}

/** The PRNG of case `index` of run `seed`: independent of every other case. */
export function caseRng(seed: number, index: number): Prng {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return new Prng(h ^ (h >>> 15));
}

const pick = <T>(rng: Prng, xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)]!;

const TARGETS = ['host', 'host', 'host', 'host', 'host', 'cortex-m4', 'cortex-m55', 'rpi4', 'rpi-armv7', 'cortex-m3'];

/** Case `index` of run `seed`: the input kind, the mutator and the mutated bytes. */
export function makeCase(seed: number, index: number, inputs: 'tflite' | 'json' | 'all', corpus: Corpus = loadCorpus()): FuzzCase {
  const rng = caseRng(seed, index);
  const kind: InputKind = inputs === 'all' ? (rng.next() < 0.5 ? 'tflite' : 'json') : inputs;
  const target = pick(rng, TARGETS);
  if (kind === 'tflite') {
    const mutator = pick(rng, TFLITE_MUTATORS);
    const { from, bytes } = mutateTflite(rng, mutator, corpus.tflite);
    return { seed, index, kind, mutator, from, target, bytes };
  }
  const mutator = pick(rng, JSON_MUTATORS);
  const { from, bytes } = mutateJson(rng, mutator, corpus.json);
  return { seed, index, kind, mutator, from, target, bytes };
}

// ---------------------------------------------------------------- .tflite

/** Byte ranges of constant data (mutations there change weights, not structure); empty when the file does not parse. */
function dataRanges(bytes: Uint8Array): [number, number][] {
  try {
    return readModel(bytes, 'x')
      .buffers.filter((b) => b.length > 0)
      .map((b) => [b.start, b.start + b.length]);
  } catch {
    return [];
  }
}

/** A random offset, outside constant data 7 times in 8 (a bounded number of tries). */
function structuralOffset(rng: Prng, bytes: Uint8Array, data: [number, number][], align = 1): number {
  const last = Math.max(0, bytes.length - align);
  for (let tries = 0; tries < 64; tries++) {
    const p = rng.int(0, Math.floor(last / align)) * align;
    if (rng.next() < 0.125 || !data.some(([a, b]) => p + align > a && p < b)) return p;
  }
  return rng.int(0, Math.floor(last / align)) * align;
}

function writeI32(bytes: Uint8Array, at: number, v: number): void {
  if (at < 0 || at + 4 > bytes.length) return;
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setInt32(at, v | 0, true);
}

/** Spec-level mutations: a small model with broken references, or a very long graph. */
function mutatedSpec(rng: Prng, mutator: Mutator): ModelSpec {
  if (mutator === 'huge-graph') return longGraph(rng);
  const dtype = pick(rng, ['float32', 'int8', 'uint8'] as const);
  const spec = tinyMobilenet({
    dtype,
    channels: rng.next() < 0.5 ? 1 : 3,
    size: 8,
    first: rng.next() < 0.5 ? 'conv' : 'depthwise',
    head: rng.next() < 0.5 ? 'conv' : 'fc',
    softmax: rng.next() < 0.5,
    classes: rng.int(1, 6),
    seed: rng.int(1, 1000),
  });
  const ops = spec.operators;
  const nT = spec.tensors.length;
  const hits = rng.int(1, 3);
  for (let h = 0; h < hits; h++) {
    const op = pick(rng, ops);
    switch (mutator) {
      case 'dangling-tensor': {
        const bad = pick(rng, [nT, nT + rng.int(1, 100), -1, -2, INT32_MAX, INT32_MIN, 65536]);
        const list = rng.next() < 0.6 ? op.inputs : op.outputs;
        if (list.length > 0) list[rng.int(0, list.length - 1)] = bad;
        else list.push(bad);
        if (rng.next() < 0.2) spec.outputs[0] = bad;
        if (rng.next() < 0.2) spec.inputs[0] = bad;
        break;
      }
      case 'cyclic-tensor': {
        // An op reads a tensor a later op (or itself) writes; or two ops write one tensor; or the output is the input.
        const i = rng.int(0, ops.length - 1);
        const j = rng.int(i, ops.length - 1);
        const r = rng.next();
        if (r < 0.5) ops[i]!.inputs[0] = ops[j]!.outputs[0]!;
        else if (r < 0.7) ops[i]!.outputs[0] = ops[j]!.outputs[0]!;
        else if (r < 0.85) spec.outputs[0] = spec.inputs[0]!;
        else ops[i]!.outputs[0] = ops[i]!.inputs[0]!;
        break;
      }
      case 'dangling-buffer': {
        const t = pick(rng, spec.tensors);
        t.bufferOverride = pick(rng, [spec.tensors.length + 1, 0, 1, 1000, INT32_MAX, 0xffffffff]);
        break;
      }
      case 'bad-shape': {
        const t = pick(rng, spec.tensors);
        const v = pick(rng, [0, -1, INT32_MAX, INT32_MIN, 65536, 1 << 20, 3]);
        const r = rng.next();
        if (r < 0.15) t.shape = t.shape.concat([v]);
        else if (r < 0.3) t.shape = [];
        else if (t.shape.length > 0) t.shape[rng.int(0, t.shape.length - 1)] = v;
        break;
      }
      case 'bad-options': {
        // Strides, dilations, pool windows, depth multipliers, activations and padding out of range.
        const o = op.options as Record<string, unknown> | undefined;
        if (!o) break;
        const v = () => pick(rng, [0, -1, 2, 3, 7, 65536, INT32_MAX, INT32_MIN]);
        const field = pick(rng, ['stride', 'dilation', 'filter', 'depthMultiplier', 'activation', 'padding', 'beta'] as const);
        if (field === 'stride' || field === 'dilation' || field === 'filter') o[field] = [v(), rng.next() < 0.5 ? 1 : v()];
        else if (field === 'depthMultiplier') o[field] = v();
        else if (field === 'activation') o[field] = pick(rng, ['tanh', 'sign_bit', 'relu_n1_to_1', 'relu']);
        else if (field === 'padding') o[field] = rng.next() < 0.5 ? 'valid' : 'same';
        else o[field] = pick(rng, [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e-30, 1e30]);
        break;
      }
      case 'bad-quant': {
        // Scales zero, negative, NaN, denormal or huge; zero points out of their dtype; axes out of range; lengths that disagree.
        const withQ = spec.tensors.filter((t) => t.quant);
        if (withQ.length === 0) break;
        const q = pick(rng, withQ).quant!;
        const r = rng.next();
        if (r < 0.35) q.scale[rng.int(0, q.scale.length - 1)] = pick(rng, [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e-45, 1e-30, 1e30, 2 ** 31]);
        else if (r < 0.6) {
          q.zeroPoint ??= q.scale.map(() => 0);
          q.zeroPoint[rng.int(0, q.zeroPoint.length - 1)] = pick(rng, [-129, 128, 255, 256, -1, INT32_MAX, INT32_MIN]);
        } else if (r < 0.8) q.quantizedDimension = pick(rng, [-1, 1, 2, 3, 4, 100]);
        else if (rng.next() < 0.5) q.scale = q.scale.concat([0.5]);
        else q.zeroPoint = [];
        break;
      }
      default:
        throw new Error(`mutatedSpec: ${mutator}`);
    }
  }
  return spec;
}

/** A chain of 9,000 to 11,000 small ops (RELU / ADD / MUL / depthwise), on a tiny float tensor. */
function longGraph(rng: Prng): ModelSpec {
  const b = new SpecBuilder();
  const n = rng.int(9_000, 11_000);
  const c = rng.int(1, 4);
  const shape = [1, 2, 2, c];
  let x = b.tensor({ name: 'input', shape, type: 'FLOAT32' });
  const input = x;
  const kinds = rng.next() < 0.5 ? ['RELU'] : ['RELU', 'ADD', 'MUL', 'DEPTHWISE_CONV_2D', 'RELU6'];
  let wt = -1;
  let bias = -1;
  for (let i = 0; i < n; i++) {
    const kind = pick(rng, kinds);
    const y = b.tensor({ shape, type: 'FLOAT32' });
    if (kind === 'ADD' || kind === 'MUL') b.op({ op: kind, inputs: [x, x], outputs: [y], options: { kind: kind === 'ADD' ? 'add' : 'mul' } });
    else if (kind === 'DEPTHWISE_CONV_2D') {
      if (wt < 0) {
        wt = b.tensor({ shape: [1, 1, 1, c], type: 'FLOAT32', data: new Float32Array(c).fill(0.5) });
        bias = b.tensor({ shape: [c], type: 'FLOAT32', data: new Float32Array(c) });
      }
      b.op({ op: kind, inputs: [x, wt, bias], outputs: [y], options: { kind: 'depthwise_conv2d', padding: 'valid', activation: 'relu' } });
    } else b.op({ op: kind, inputs: [x], outputs: [y] });
    x = y;
  }
  return b.spec([input], [x]);
}

export function mutateTflite(rng: Prng, mutator: Mutator, seeds: readonly SeedFile[]): { from: string; bytes: Uint8Array } {
  if (['dangling-tensor', 'cyclic-tensor', 'dangling-buffer', 'bad-shape', 'bad-options', 'bad-quant', 'huge-graph'].includes(mutator)) {
    return { from: 'generated', bytes: buildTflite(mutatedSpec(rng, mutator)) };
  }
  const seed = pick(rng, seeds);
  const original = seed.bytes;
  const n = original.length;
  switch (mutator) {
    case 'none':
      return { from: seed.name, bytes: original.slice() };
    case 'truncate': {
      const r = rng.next();
      const cut = r < 0.3 ? rng.int(0, Math.min(n - 1, 64)) : r < 0.5 ? n - rng.int(1, 16) : rng.int(0, n - 1);
      return { from: seed.name, bytes: original.slice(0, Math.max(0, cut)) };
    }
    case 'bit-flip': {
      const bytes = original.slice();
      const data = dataRanges(original);
      const flips = rng.int(1, 8);
      for (let j = 0; j < flips; j++) {
        const p = structuralOffset(rng, bytes, data);
        bytes[p] = rng.next() < 0.5 ? bytes[p]! ^ (1 << rng.int(0, 7)) : rng.int(0, 255);
      }
      return { from: seed.name, bytes };
    }
    case 'int-overwrite': {
      const bytes = original.slice();
      const data = dataRanges(original);
      const count = rng.int(1, 3);
      for (let j = 0; j < count; j++) writeI32(bytes, structuralOffset(rng, bytes, data, 4), pick(rng, [0, -1, INT32_MAX, INT32_MIN]));
      return { from: seed.name, bytes };
    }
    case 'offset-outside': {
      // A 4-byte field made to point past the end of the file (or before its start): the root offset, or any aligned word.
      const bytes = original.slice();
      const data = dataRanges(original);
      const p = rng.next() < 0.2 ? 0 : structuralOffset(rng, bytes, data, 4);
      const v = pick(rng, [n - p + rng.int(0, 64), n - p - rng.int(1, 4), n, 2 * n, -p - rng.int(1, 64), rng.int(n, n + 1_000_000)]);
      writeI32(bytes, p, v);
      return { from: seed.name, bytes };
    }
    case 'splice': {
      // The head of one file and the tail of another (or of itself, shifted).
      const other = pick(rng, seeds);
      const a = rng.int(0, n);
      const b = rng.int(0, other.bytes.length);
      const bytes = new Uint8Array(a + other.bytes.length - b);
      bytes.set(original.subarray(0, a), 0);
      bytes.set(other.bytes.subarray(b), a);
      return { from: `${seed.name}+${other.name}`, bytes };
    }
    case 'duplicate-region': {
      const len = rng.int(1, Math.min(n, rng.next() < 0.5 ? 64 : 4096));
      const from = rng.int(0, n - len);
      const at = rng.int(0, n);
      const region = original.slice(from, from + len);
      if (rng.next() < 0.5) {
        // Inserted: everything after `at` shifts.
        const bytes = new Uint8Array(n + len);
        bytes.set(original.subarray(0, at), 0);
        bytes.set(region, at);
        bytes.set(original.subarray(at), at + len);
        return { from: seed.name, bytes };
      }
      const bytes = original.slice();
      bytes.set(region.subarray(0, Math.max(0, n - at)), at);
      return { from: seed.name, bytes };
    }
    default:
      throw new Error(`mutateTflite: ${mutator}`);
  }
}

// ---------------------------------------------------------------- JSON

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A place in a JSON tree: the container and the key (an object key or array index) of one value. */
interface Slot {
  readonly parent: Json[] | { [k: string]: Json };
  readonly key: string | number;
}

function slots(v: Json, out: Slot[] = []): Slot[] {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push({ parent: v, key: i });
      slots(x, out);
    });
  } else if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      out.push({ parent: v, key: k });
      slots(v[k]!, out);
    }
  }
  return out;
}

const get = (s: Slot): Json => (s.parent as any)[s.key] as Json;
const set = (s: Slot, v: Json): void => {
  (s.parent as any)[s.key] = v;
};

/** Raw JSON tokens spliced into the text where a placeholder string stands (JSON.stringify cannot write them). */
const RAW = '\u0000raw:';
const raw = (token: string): string => `${RAW}${token}`;

function serialize(v: Json): string {
  return JSON.stringify(v).replace(/"\\u0000raw:([^"]*)"/g, '$1');
}

const OPS = ['conv', 'depthwise', 'pointwise', 'maxpool', 'avgpool', 'fc', 'softmax', 'add', 'relu', 'flatten', 'dropout', 'bogus'];

/** Mostly a layer that keeps its input's height and width (so long lists stay valid), sometimes any layer, valid or not. */
function randomLayer(rng: Prng): Json {
  const act = () => pick(rng, ['relu', 'relu6', 'none']);
  if (rng.next() < 0.9) {
    return pick(rng, [
      () => ({ op: 'depthwise', kernel: 3, padding: 'same', activation: act() }),
      () => ({ op: 'pointwise', filters: rng.int(1, 8), activation: act() }),
      () => ({ op: pick(rng, ['relu', 'relu6', 'hard_swish', 'logistic']) }),
      () => ({ op: pick(rng, ['add', 'mul']), scalar: 0.5 }),
    ])();
  }
  const op = pick(rng, OPS);
  const l: { [k: string]: Json } = { op };
  if (op === 'conv' || op === 'pointwise') l.filters = rng.int(1, 8);
  if (op === 'conv' || op === 'depthwise') l.kernel = pick(rng, [1, 3]);
  if (op === 'maxpool' || op === 'avgpool') l.size = rng.next() < 0.5 ? 2 : 'global';
  if (op === 'fc') l.units = rng.int(1, 8);
  if (rng.next() < 0.3) l.activation = pick(rng, ['relu', 'relu6', 'none', 'hard_swish']);
  return l;
}

function mutateOnce(rng: Prng, doc: { [k: string]: Json }, mutator: Mutator): Json {
  const all = slots(doc);
  const numeric = all.filter((s) => typeof get(s) === 'number');
  const objects: { [k: string]: Json }[] = [
    doc,
    ...all.map(get).filter((v): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v)),
  ];
  const anySlot = () => pick(rng, all);
  const numSlot = () => (numeric.length > 0 && rng.next() < 0.9 ? pick(rng, numeric) : anySlot());
  switch (mutator) {
    case 'wrong-type': {
      const s = anySlot();
      const now = get(s);
      const choices: Json[] = ['x', '', '3', 7, 0.5, true, false, null, [], [1, 2], {}, { op: 'conv' }];
      set(
        s,
        pick(
          rng,
          choices.filter((c) => typeof c !== typeof now),
        ),
      );
      return doc;
    }
    case 'nan-infinity':
      set(numSlot(), raw(pick(rng, ['1e999', '-1e999', '1e400', '-0', '1e-999', 'NaN', 'Infinity'])));
      return doc;
    case 'huge-number':
      set(numSlot(), pick(rng, [2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 53 + 2, 1e15, 1e300, Number.MAX_VALUE, 65536, 4097, 1e6]));
      return doc;
    case 'negative-number':
      set(numSlot(), pick(rng, [-1, 0, -0.5, 0.5, -(2 ** 31), -(2 ** 53), -1e300, 1.5]));
      return doc;
    case 'deep-nesting': {
      const depth = pick(rng, [10, 63, 64, 65, 100, 1000, 100_000]);
      const s = anySlot();
      set(s, raw(`${'['.repeat(depth)}${']'.repeat(depth)}`));
      return doc;
    }
    case 'unknown-field': {
      const o = pick(rng, objects);
      o[pick(rng, ['extra', '__proto__', 'constructor', 'toString', 'op2', 'layers', 'weights', 'x'.repeat(200)])] = pick(rng, [1, 'a', null, { a: 1 }, [1]]);
      return doc;
    }
    case 'huge-layers': {
      // Over the op limit (50,000) fails fast; under it, up to 10,000 float layers or 4,000 int8 ones (calibration runs them all).
      const int8 = rng.next() < 0.3;
      const n = pick(rng, int8 ? [1000, 4000, 50_001, 100_000] : [1000, 10_000, 50_001, 100_000, 300_000]);
      const same = rng.next() < 0.5;
      const base = randomLayer(rng);
      const layers: Json[] = Array.from({ length: n }, () => (same ? base : randomLayer(rng)));
      if (doc.architecture !== 'layers' || rng.next() < 0.5) {
        return {
          architecture: 'layers',
          input: { height: rng.int(1, 16), width: rng.int(1, 16), channels: rng.int(1, 8) },
          dtype: int8 ? 'int8' : 'float32',
          weights: { seed: 1 },
          ...(int8 && rng.next() < 0.7 && { calibration: { seed: 1, count: 1 } }),
          layers,
        };
      }
      doc.layers = layers;
      return doc;
    }
    default:
      throw new Error(`mutateOnce: ${mutator}`);
  }
}

const ONE_STEP = ['wrong-type', 'nan-infinity', 'huge-number', 'negative-number', 'deep-nesting', 'unknown-field', 'huge-layers'] as const;

export function mutateJson(rng: Prng, mutator: Mutator, seeds: readonly SeedFile[]): { from: string; bytes: Uint8Array } {
  const seed = pick(rng, seeds);
  const text = new TextDecoder().decode(seed.bytes);
  const enc = (s: string) => ({ from: seed.name, bytes: new TextEncoder().encode(s) });
  if (mutator === 'none') return enc(text);
  if (mutator === 'text-damage') {
    const r = rng.next();
    if (r < 0.4) return enc(text.slice(0, rng.int(0, text.length - 1)));
    const chars = [...text];
    const count = rng.int(1, 4);
    for (let j = 0; j < count; j++) chars[rng.int(0, chars.length - 1)] = pick(rng, ['"', '{', '}', ',', ':', '\\', '\u0000', '9', 'e', '-', ' ', '\uffff']);
    return enc(chars.join(''));
  }
  let doc = JSON.parse(text) as { [k: string]: Json };
  const steps = mutator === 'combined' ? rng.int(2, 4) : 1;
  for (let j = 0; j < steps; j++) {
    const m =
      mutator === 'combined'
        ? pick(
            rng,
            ONE_STEP.filter((x) => x !== 'huge-layers' && x !== 'deep-nesting'),
          )
        : mutator;
    const next = mutateOnce(rng, doc, m);
    if (next === null || typeof next !== 'object' || Array.isArray(next)) return enc(serialize(next));
    doc = next;
  }
  return enc(serialize(doc));
}
