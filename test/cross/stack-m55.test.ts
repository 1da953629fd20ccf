/**
 * Bounded stack on cortex-m55 (issue 15): the Helium kernels keep nothing
 * that scales with the channels or the width on the C stack. A depthwise
 * reads its taps in place or from a row ring in arena scratch (stride 1 over
 * at most 24 rows, multipliers of several input channels), the im2col patch
 * is arena scratch. Each model that fits the board is built (gcc -fcallgraph-info,
 * as `inspect --json` does) and its worst call path must stay within 2 KB.
 * `npm test` builds person_detect and mobilenet_v3_small (the 5x5 layers of
 * 576 channels that once took 32 KB); KERNEL_TESTER_FULL=1 every model.
 *
 * A second check needs no toolchain: no Helium kernel body declares a local
 * array over 256 bytes, on the example models and on a small graph of every
 * depthwise form (c8 ring and in place, the c8dm ring) and an im2col convolution.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareModel } from '../../src/cli/prepare.js';
import { generateProject } from '../../src/codegen/index.js';
import { mcuRunner, mcuToolsAvailable } from '../../src/cross/mcu.js';
import { targetByName } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { loadDescriptionObject } from '../helpers/models.js';
import { MOBILENET_QUANT, PERSON_DETECT, skipShared, SKIP_SHARED_REASON } from '../helpers/shared.js';

const FULL = process.env.KERNEL_TESTER_FULL === '1';
const TARGET = targetByName('cortex-m55');
const STACK_LIMIT = 2048;
const skipTools = !mcuToolsAvailable(TARGET) && process.env.CI !== 'true';
if (skipTools) console.warn('skipping cross/stack-m55 builds: arm-none-eabi-gcc, newlib or qemu-system-arm missing (see scripts/ensure-tools.sh)');
if (skipShared) console.warn(`cross/stack-m55: skipping person_detect and mobilenet_v1_0.25_128_quant: ${SKIP_SHARED_REASON}`);

const example = (name: string) => join(PACKAGE_ROOT, 'examples', 'models', `${name}.json`);
/** The example models that fit the board (and the shared ones): the sample first. */
const MODELS: readonly { name: string; path: string; shared: boolean; sample: boolean }[] = [
  { name: 'person_detect', path: PERSON_DETECT, shared: true, sample: true },
  { name: 'mobilenet_v3_small_1.0_224_int8', path: example('mobilenet_v3_small_1.0_224_int8'), shared: false, sample: true },
  { name: 'mobilenet_v1_0.25_96_int8', path: example('mobilenet_v1_0.25_96_int8'), shared: false, sample: false },
  { name: 'mobilenet_v2_0.35_96_int8', path: example('mobilenet_v2_0.35_96_int8'), shared: false, sample: false },
  { name: 'mobilenet_v1_0.25_128_quant', path: MOBILENET_QUANT, shared: true, sample: false },
];

describe.skipIf(skipTools)('cortex-m55: the stack of each model that fits the board is at most 2 KB', () => {
  it.each(MODELS.filter((m) => FULL || m.sample).map((m) => [m.name, m] as const))(
    '%s',
    (_name, m) => {
      if (m.shared && skipShared) {
        console.warn(`cross/stack-m55: ${m.name} skipped: ${SKIP_SHARED_REASON}`);
        return;
      }
      const { project } = prepareModel(m.path, { target: TARGET.name, kernels: 'simd' });
      const { stackBytes, codeBytes } = mcuRunner.measure(project, TARGET);
      console.log(`${m.name} on cortex-m55: stack ${stackBytes} B, arena ${project.arena.bytes} B, code ${codeBytes} B`);
      // every depthwise on a Helium variant: a generic kernel would not test the Helium stack
      const dw = project.layers.filter((l) => l.op === 'depthwise_conv2d');
      expect(dw.length).toBeGreaterThan(0);
      for (const l of dw) expect(l.variantKey).toMatch(/^mve\/dwconv\//);
      expect(stackBytes).toBeGreaterThan(0);
      expect(stackBytes).toBeLessThanOrEqual(STACK_LIMIT);
    },
    600_000,
  );
});

/** Local arrays (`T name[a][b]...;`) of the Helium kernels in a generated model source, with their sizes in bytes. */
function localArrays(source: string): { decl: string; bytes: number }[] {
  const size: Record<string, number> = { int8_t: 1, uint8_t: 1, int16_t: 2, uint16_t: 2, int32_t: 4, uint32_t: 4, float: 4 };
  const out: { decl: string; bytes: number }[] = [];
  // a dimension is a constant expression of sums and products (`patch[32 + 1][48]`)
  const value = (e: string) => e.split('+').reduce((sum, t) => sum + t.split('*').reduce((p, f) => p * Number(f.trim()), 1), 0);
  for (const m of source.matchAll(/^\s+(?:const\s+)?(int8_t|uint8_t|int16_t|uint16_t|int32_t|uint32_t|float)\s*\*?\s*\w+((?:\[[\d\s+*]+\])+);/gm)) {
    const dims = [...m[2]!.matchAll(/\[([\d\s+*]+)\]/g)].map((d) => value(d[1]!));
    const pointer = m[0].includes('*');
    out.push({ decl: m[0].trim(), bytes: dims.reduce((a, b) => a * b, 1) * (pointer ? 4 : size[m[1]!]!) });
  }
  return out;
}

const FORMS = {
  name: 'm55 forms',
  architecture: 'layers',
  input: { height: 20, width: 18, channels: 3 },
  dtype: 'int8',
  weights: { seed: 5 },
  calibration: { seed: 2, count: 2 },
  layers: [
    { op: 'conv', name: 'stem', filters: 40, kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
    { op: 'conv', name: 'wide', filters: 16, kernel: 3, stride: 1, padding: 'same', activation: 'relu6' },
    { op: 'depthwise', kernel: 5, stride: 1, activation: 'relu6' },
    { op: 'depthwise', kernel: 3, stride: 2, depthMultiplier: 3, activation: 'relu' },
    { op: 'pointwise', filters: 24, activation: 'relu6' },
    { op: 'depthwise', kernel: 5, stride: 2, activation: 'relu6' },
  ],
};

describe('cortex-m55: no Helium kernel keeps a large local array', () => {
  const check = (name: string, files: ReadonlyMap<string, string | Uint8Array>) => {
    const src = [...files.entries()].filter(([f, v]) => f.endsWith('.c') && typeof v === 'string').map(([, v]) => v as string);
    expect(src.length).toBeGreaterThan(0);
    const big = src.flatMap(localArrays).filter((a) => a.bytes > 256);
    expect(big, `${name}: ${big.map((a) => a.decl).join('; ')}`).toEqual([]);
  };

  it('a stem, an im2col conv over 360-byte windows, 5x5 depthwise rings and in place, a multiplier-3 ring: scratch as arguments', () => {
    const graph = loadDescriptionObject(FORMS, 'm55_forms');
    const project = generateProject(graph, { name: 'm55_forms', target: TARGET, kernels: 'simd' });
    expect(project.layers.map((l) => l.variantKey)).toEqual([
      'mve/pointwise/im2col',
      'mve/pointwise/im2col',
      'mve/dwconv/c8',
      'mve/dwconv/c8dm',
      'mve/pointwise/px',
      'mve/dwconv/c8',
    ]);
    check('m55 forms', project.files);
    const src = [...project.files.values()].filter((v): v is string => typeof v === 'string').join('\n');
    // the two im2col layers and the rings (5x5 stride 1 over 10 rows, multiplier 3) take a scratch pointer; the
    // stride-2 depthwise reads in place, its padding taps at the zero-point row
    expect(src.match(/int8_t \*patch, int8_t \*y\)/g)).toHaveLength(2);
    expect(src.match(/int8_t \*rows, int8_t \*y\)/g)).toHaveLength(2);
    expect(src.match(/const int8_t \*zrow,/g)).toHaveLength(1);
    // and the local-array check sees a stack buffer where there is one
    expect(localArrays('    int8_t rows[5][2000];\n    uint8_t patch[2 + 1][368];\n    const int8_t *tp[25];\n').map((a) => a.bytes)).toEqual([
      10000, 1104, 100,
    ]);
  });

  it.each(['mobilenet_v1_0.25_96_int8', 'mobilenet_v2_0.35_96_int8', 'mobilenet_v3_small_1.0_224_int8'])('%s', (name) => {
    const { project } = prepareModel(example(name), { target: TARGET.name, kernels: 'simd' });
    check(name, project.files);
  });
});
