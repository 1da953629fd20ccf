/**
 * `inspect --json` against its documented schema (docs/inspect.schema.json,
 * no field left out or undocumented), and its figures against each other:
 * one layer per op, the MACs and parameter bytes summing to the totals,
 * blocks naming real layers, RAM = arena + stack and flash = weights + code,
 * and the arena plan: its blocks end at arenaBytes at most, one of them at
 * exactly arenaBytes, every layer's output in one, lifetimes within the ops,
 * blocks live at the same op never overlapping unless one is in place of the other.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { describe, expect, it } from 'vitest';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import { targetByName } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';
import { PERSON_DETECT, skipShared } from '../helpers/shared.js';

type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;
const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'docs', 'inspect.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strictTypes: false }).compile(schema);

interface PlanBlock {
  id: string;
  kind: 'tensor' | 'scratch' | 'layout';
  tensor: number | null;
  views: number[];
  layer: number | null;
  offset: number;
  bytes: number;
  dataBytes: number;
  firstOp: number;
  lastOp: number;
  inPlaceOf: number | null;
}

interface Io {
  tensor: number;
  shape: number[];
  dtype: string;
  scale: number | null;
  zeroPoint: number | null;
  modelShape: number[];
  layout: 'NCHW' | 'NHWC' | null;
}

interface Inspect {
  input: Io;
  output: Io;
  layers: {
    index: number;
    op: string;
    inputShape: number[];
    outputShape: number[];
    macs: number;
    paramBytes: number;
    activationBytes: number;
    arenaOffset: number | null;
    outputTensor: number;
    variant: string;
    generic: boolean;
    variantKey: string | null;
  }[];
  totals: { macs: number; paramBytes: number; arenaBytes: number };
  blocks: { layers: number[]; separableMacs: number; expansionMacs: number; depthwiseMacs: number; projectionMacs: number }[];
  memory: Record<string, number | null>;
  plan: { arenaBytes: number; lowerBound: number; alignment: number; blocks: PlanBlock[] };
}

function inspect(model: string, target?: string): Inspect {
  const r = mobilec(['inspect', model, ...(target ? ['--target', target] : []), '--json']);
  expect(r.code, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as unknown;
  expect(validate(j), JSON.stringify(validate.errors)).toBe(true);
  return j as Inspect;
}

function consistent(j: Inspect): void {
  expect(j.layers.map((l) => l.index)).toEqual(j.layers.map((_, i) => i));
  expect(j.layers.reduce((s, l) => s + l.macs, 0)).toBe(j.totals.macs);
  expect(j.layers.reduce((s, l) => s + l.paramBytes, 0)).toBe(j.totals.paramBytes);
  expect(j.memory.arenaBytes).toBe(j.totals.arenaBytes);
  expect(j.memory.arenaLowerBound!).toBeLessThanOrEqual(j.memory.arenaBytes!);
  for (const b of j.blocks) {
    for (const i of b.layers) expect(i).toBeLessThan(j.layers.length);
    expect(b.expansionMacs + b.depthwiseMacs + b.projectionMacs).toBe(b.separableMacs);
  }
  for (const l of j.layers) if (l.generic) expect(l.variantKey).toBeNull();
  const { stackBytes, codeBytes, ramBytes, flashBytes, arenaBytes, weightBytes } = j.memory;
  expect(ramBytes).toBe(stackBytes === null ? null : arenaBytes! + stackBytes);
  expect(flashBytes).toBe(codeBytes === null ? null : weightBytes! + codeBytes);
  consistentPlan(j);
}

/** The arena plan against the layers and against itself. */
function consistentPlan(j: Inspect): void {
  const { plan } = j;
  const n = j.layers.length;
  expect(plan.arenaBytes).toBe(j.memory.arenaBytes);
  expect(plan.lowerBound).toBe(j.memory.arenaLowerBound);
  // The peak: the highest block end is the arena's size.
  expect(Math.max(...plan.blocks.map((b) => b.offset + b.bytes))).toBe(plan.arenaBytes);
  expect(new Set(plan.blocks.map((b) => b.id)).size).toBe(plan.blocks.length);
  const byTensor = new Map<number, PlanBlock>();
  for (const b of plan.blocks) {
    expect(b.offset % plan.alignment).toBe(0);
    expect(b.bytes % plan.alignment).toBe(0);
    expect(b.dataBytes).toBeLessThanOrEqual(b.bytes);
    expect(b.bytes - b.dataBytes).toBeLessThan(plan.alignment);
    expect(b.firstOp).toBeGreaterThanOrEqual(-1);
    expect(b.lastOp).toBeLessThanOrEqual(n);
    expect(b.firstOp).toBeLessThanOrEqual(b.lastOp);
    if (b.kind === 'scratch') {
      expect([b.tensor, b.views, b.firstOp, b.lastOp, b.id]).toEqual([null, [], b.layer, b.layer, `s${b.layer}`]);
    } else if (b.kind === 'layout') {
      // An NCHW model's input buffer (before layer 0) or output buffer (after the last layer).
      const input = b.id === 'input_nchw';
      expect([b.tensor, b.views, b.layer, b.firstOp, b.lastOp]).toEqual([input ? j.input.tensor : j.output.tensor, [], null, input ? -1 : n, input ? -1 : n]);
    } else {
      expect(b.id).toBe(`t${b.tensor}`);
      expect(b.layer).toBe(b.firstOp >= 0 ? b.firstOp : null);
      for (const t of [b.tensor!, ...b.views]) byTensor.set(t, b);
    }
  }
  // Every layer's output lives in a block, at the layer's arena offset, from that layer on.
  for (const l of j.layers) {
    const b = byTensor.get(l.outputTensor);
    expect(b, `layer ${l.index} output t${l.outputTensor}`).toBeDefined();
    expect(b!.offset).toBe(l.arenaOffset);
    expect(b!.dataBytes).toBeGreaterThanOrEqual(l.activationBytes);
    if (l.op !== 'reshape') expect([b!.firstOp, b!.layer]).toEqual([l.index, l.index]);
    expect(b!.lastOp).toBeGreaterThanOrEqual(l.index);
  }
  // Blocks live at a common op never share bytes, except an output written in place over its input at the op
  // where the input dies and the output is born.
  for (const a of plan.blocks) {
    for (const b of plan.blocks) {
      if (a === b || a.lastOp < b.firstOp || b.lastOp < a.firstOp) continue;
      if (a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset) continue;
      const [y, x] = a.inPlaceOf !== null && a.inPlaceOf === b.tensor ? [a, b] : [b, a];
      expect(y.inPlaceOf, `${a.id} and ${b.id} overlap`).toBe(x.tensor);
      expect([x.lastOp, y.firstOp]).toEqual([y.firstOp, x.lastOp]);
    }
    if (a.inPlaceOf !== null) expect(byTensor.get(a.inPlaceOf)!.lastOp).toBe(a.firstOp);
  }
  // The graph input is live from before the first layer, the output to after the last.
  expect(j.input.shape).toEqual(j.layers[0]!.inputShape);
  expect(j.output.shape).toEqual(j.layers.at(-1)!.outputShape);
  expect(j.output.tensor).toBe(j.layers.at(-1)!.outputTensor);
  expect(byTensor.get(j.input.tensor)!.firstOp).toBe(-1);
  expect(byTensor.get(j.output.tensor)!.lastOp).toBe(n);
  for (const io of [j.input, j.output]) expect(io.scale === null).toBe(io.dtype === 'float32');
  // TFLite and descriptions are NHWC on both sides of the C API.
  for (const io of [j.input, j.output]) expect([io.modelShape, io.layout]).toEqual([io.shape, io.shape.length === 4 ? 'NHWC' : null]);
}

describe('inspect --json: the documented schema, and figures that add up', () => {
  it.each([
    'tiny_layers.json',
    'mobilenet_v1_0.25_96_int8.json',
    'mobilenet_v2_0.35_96_int8.json',
    'mobilenet_v3_small_1.0_224_int8.json',
    'mobilenet_v3_large_1.0_224.json',
  ])('%s on the host', (m) => {
    const j = inspect(join(EXAMPLES, m));
    consistent(j);
    expect([j.memory.stackBytes, j.memory.codeBytes]).toEqual([null, null]);
  });

  it('MobileNetV2 blocks are inverted residuals of 2 or 3 layers, V1 blocks separable pairs', () => {
    const v2 = inspect(join(EXAMPLES, 'mobilenet_v2_0.35_96_int8.json'));
    expect(v2.blocks.length).toBe(17);
    const v1 = inspect(join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'));
    expect(v1.blocks.length).toBe(13);
    for (const b of v1.blocks) expect(b.layers).toHaveLength(2);
  });

  it('the plan of MobileNetV1 0.25 on the host: one block per tensor, streaming convs in place', () => {
    const j = inspect(join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'));
    // The input and one tensor per layer but the reshape (a view of its input); scratch only for the AVX2 int8 GEMM and
    // stem conv of an x86-64 host (their widened inputs: 14 1x1 layers and the stem), none with generic C.
    const x86 = targetByName('host').arch === 'x86-64';
    const views = j.layers.filter((l) => l.op === 'reshape').length;
    expect(j.plan.blocks.filter((b) => b.kind === 'tensor')).toHaveLength(1 + j.layers.length - views);
    expect(j.plan.blocks.filter((b) => b.kind === 'scratch')).toHaveLength(x86 ? 15 : 0);
    const input = j.plan.blocks[0]!;
    expect([input.firstOp, input.layer, input.dataBytes]).toEqual([-1, null, 96 * 96 * 3]);
    expect(j.plan.blocks.at(-1)!.lastOp).toBe(j.layers.length);
    // Streaming convs write over the input they have finished with (the plan places 9 of them so; 15 with the x86-64
    // host's AVX2 kernels, whose 1x1 layers stream too): each such block overlaps the block of the tensor it names,
    // which dies at the layer where it is born.
    const inPlace = j.plan.blocks.filter((b) => b.inPlaceOf !== null);
    expect(inPlace).toHaveLength(x86 ? 15 : 9);
    for (const y of inPlace) {
      expect(['conv2d', 'depthwise_conv2d']).toContain(j.layers[y.layer!]!.op);
      const x = j.plan.blocks.find((b) => b.tensor === y.inPlaceOf)!;
      expect(y.offset < x.offset + x.bytes && x.offset < y.offset + y.bytes).toBe(true);
      expect(x.lastOp).toBe(y.firstOp);
    }
  });

  const m4 = targetByName('cortex-m4');
  it.skipIf((!mcuToolsAvailable(m4) || skipShared) && process.env.CI !== 'true')('person_detect on cortex-m4: stack and code measured', () => {
    const j = inspect(PERSON_DETECT, 'cortex-m4');
    consistent(j);
    expect(j.memory.stackBytes).toBeGreaterThan(0);
    expect(j.memory.codeBytes).toBeGreaterThan(0);
    // The DSP kernels' working memory is arena scratch, planned with the tensors.
    expect(j.plan.blocks.filter((b) => b.kind === 'scratch').length).toBeGreaterThan(0);
  });

  it('the schema refuses a field it does not list', () => {
    const j = inspect(join(EXAMPLES, 'tiny_layers.json')) as unknown as Record<string, unknown>;
    expect(validate({ ...j, extra: 1 })).toBe(false);
    const layers = j.layers as Record<string, unknown>[];
    expect(validate({ ...j, layers: [{ ...layers[0], cycles: 1 }, ...layers.slice(1)] })).toBe(false);
    const plan = j.plan as { blocks: Record<string, unknown>[] };
    expect(validate({ ...j, plan: { ...plan, blocks: [{ ...plan.blocks[0], color: 'red' }] } })).toBe(false);
    expect(validate({ ...j, plan: { ...plan, blocks: [] } })).toBe(false);
  });
});
