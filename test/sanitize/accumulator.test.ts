/**
 * The accumulator bound (src/ops/shared/weighted.ts: a layer whose int32
 * accumulator can overflow for some input is refused) at the edge, under
 * the sanitizers: layers whose bound |bias| + Σ|w − w_zp| · max|x − x_zp| is
 * exactly 2^31 − 1 (conv, depthwise and fully connected; int8 and uint8;
 * channels alternating between +2^31 − 1 and −(2^31 − 1) at the all-max
 * input) compile and run bit-exact with the reference with no UBSan finding
 * on the host (gcc, clang), no trap on the Linux cross targets and no fault
 * on the Cortex-M boards (their SIMD kernels); one more in one channel's
 * bias is refused with exit 2 naming the layer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/pipeline.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host, targetByName } from '../../src/targets/index.js';
import { mobilec } from '../helpers/cli.js';
import {
  crossPlain,
  crossSanitizer,
  extremeInputs,
  hostPlain,
  hostSanitizer,
  mcuSanitizerProblems,
  missingTools,
  sanitizerProblems,
} from '../helpers/sanitize.js';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import { buildTflite, type ModelSpec } from '../helpers/tfliteBuilder.js';
import { FULL } from './models.js';

const dir = mkdtempSync(join(tmpdir(), 'mobilec-san-acc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INT32_MAX = 2 ** 31 - 1;
const C = 16;
type Kind = 'conv2d' | 'depthwise_conv2d' | 'fully_connected';
type QType = 'int8' | 'uint8';

/**
 * One layer on a 3x3x16 input whose zero point sits at the dtype's minimum
 * (max |x − x_zp| = 255): weights at the far end (int8: +127 on even
 * channels, −127 on odd ones; uint8: 255 and 0 with zero point 0 / 255),
 * so Σ|w − w_zp| is taps · 127 (int8) or taps · 255 (uint8), and each
 * channel's bias (sign of its weights) is 2^31 − 1 − Σ|w − w_zp| · 255,
 * plus `over` on channel 5. At the all-max input the accumulator of an
 * even channel is exactly 2^31 − 1, of an odd one −(2^31 − 1); the output
 * scale maps ±2^31 to about ±100.
 */
function model(kind: Kind, q: QType, over = 0): ModelSpec {
  const int8 = q === 'int8';
  const type = int8 ? 'INT8' : 'UINT8';
  const taps = kind === 'depthwise_conv2d' ? 9 : 9 * C;
  const mag = int8 ? 127 : 255;
  const bound = taps * mag * 255;
  const sign = (c: number) => (c % 2 === 0 ? 1 : -1);
  const wShape = kind === 'depthwise_conv2d' ? [1, 3, 3, C] : kind === 'conv2d' ? [C, 3, 3, C] : [C, 9 * C];
  const channelOf = (i: number) => (kind === 'depthwise_conv2d' ? i % C : Math.floor(i / taps));
  const n = wShape.reduce((a, b) => a * b, 1);
  // uint8 per tensor: one weight zero point, so odd channels use w = 0 against zero point... a per-tensor
  // zero point of 0 with weights 255 (even) and 0 (odd) gives |w − zp| = 255 and 0: odd channels are then
  // bias-only at the bound (|bias| = 2^31 − 1).
  const wData = int8
    ? Int8Array.from({ length: n }, (_, i) => 127 * sign(channelOf(i)))
    : Uint8Array.from({ length: n }, (_, i) => (channelOf(i) % 2 === 0 ? 255 : 0));
  const sums = Array.from({ length: C }, (_, c) => (int8 || c % 2 === 0 ? bound : 0));
  const bias = Int32Array.from({ length: C }, (_, c) => sign(c) * (INT32_MAX - sums[c]!) + (c === 5 ? -over : 0));
  const xScale = 0.5;
  const wScale = 0.01;
  const input = kind === 'fully_connected' ? [1, 9 * C] : [1, 3, 3, C];
  const output = kind === 'fully_connected' ? [1, C] : [1, 1, 1, C];
  const wQuant = int8
    ? { scale: Array.from({ length: C }, () => wScale), zeroPoint: Array.from({ length: C }, () => 0), quantizedDimension: kind === 'depthwise_conv2d' ? 3 : 0 }
    : { scale: [wScale], zeroPoint: [0] };
  const options =
    kind === 'conv2d'
      ? ({ kind, padding: 'valid' } as const)
      : kind === 'depthwise_conv2d'
        ? ({ kind, padding: 'valid', depthMultiplier: 1 } as const)
        : ({ kind } as const);
  return {
    tensors: [
      { name: 'x', shape: input, type, quant: { scale: [xScale], zeroPoint: [int8 ? -128 : 0] } },
      { name: 'w', shape: wShape, type, data: wData, quant: wQuant },
      {
        name: 'b',
        shape: [C],
        type: 'INT32',
        data: bias,
        quant: { scale: Array.from({ length: int8 ? C : 1 }, () => xScale * wScale), zeroPoint: Array.from({ length: int8 ? C : 1 }, () => 0) },
      },
      { name: 'y', shape: output, type, quant: { scale: [(2 ** 31 * xScale * wScale) / 100], zeroPoint: [int8 ? 0 : 128] } },
    ],
    operators: [
      { op: { conv2d: 'CONV_2D', depthwise_conv2d: 'DEPTHWISE_CONV_2D', fully_connected: 'FULLY_CONNECTED' }[kind], inputs: [0, 1, 2], outputs: [3], options },
    ],
    inputs: [0],
    outputs: [3],
  };
}

function write(name: string, spec: ModelSpec): string {
  const path = join(dir, `${name}.tflite`);
  writeFileSync(path, buildTflite(spec));
  return path;
}

const KINDS: readonly Kind[] = ['conv2d', 'depthwise_conv2d', 'fully_connected'];
const QTYPES: readonly QType[] = ['int8', 'uint8'];
const CASES = KINDS.flatMap((k) => QTYPES.map((q) => [k, q] as const));

describe('accumulator bound under the sanitizers', () => {
  it.each(CASES)('%s %s: one more in a bias is refused with exit 2 naming the layer', (kind, q) => {
    const r = mobilec(['compile', write(`over_${kind}_${q}`, model(kind, q, 1)), '--out', join(dir, `out_${kind}_${q}`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`over_${kind}_${q}\\.tflite: op 0_\\w+ \\(${kind}\\): output channel 5's int32 accumulator can reach 2147483648 `));
  });

  it.each(CASES)('%s %s: at the all-max input the accumulators are ±(2^31 − 1) (reference: outputs zp ± 100)', (kind, q) => {
    const graph = loadModel(write(`edge_${kind}_${q}`, model(kind, q)));
    const allMax = extremeInputs(graph).find((i) => i.name === 'all max')!.data;
    const out = Array.from(runGraph(graph, [allMax]).values.get(graph.outputs[0]!)!);
    const zp = q === 'int8' ? 0 : 128;
    expect(out).toEqual(Array.from({ length: C }, (_, c) => zp + (c % 2 === 0 ? 100 : -100)));
  });

  const builds = [
    { name: 'host gcc', target: host, san: hostSanitizer('gcc'), plain: hostPlain('gcc') },
    { name: 'host clang', target: host, san: hostSanitizer('clang'), plain: hostPlain('clang') },
    // npm test: the host compilers and rpi5 (dot product); the full run: every Linux cross target.
    ...(FULL ? ['rpi4', 'rpi5', 'rpi-armv7', 'rpi3'] : ['rpi5']).map((t) => {
      const target = targetByName(t);
      return { name: t, target, san: crossSanitizer(target), plain: crossPlain(target) };
    }),
  ];
  // The Cortex-M boards (firmware with UBSan in trap mode): npm test cortex-m4 (DSP), the full run every Cortex-M.
  for (const name of FULL ? ['cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55'] : ['cortex-m4']) {
    const target = targetByName(name);
    const skip = !mcuToolsAvailable(target) && process.env.CI !== 'true';
    it.skipIf(skip)(`${name}: layers at exactly 2^31 − 1 run bit-exact with no fault`, () => {
      const problems: string[] = [];
      for (const [kind, q] of CASES) {
        const graph = loadModel(write(`edge_${kind}_${q}`, model(kind, q)));
        problems.push(...mcuSanitizerProblems(graph, target, extremeInputs(graph, 2)));
      }
      expect(problems).toEqual([]);
    });
  }

  for (const b of builds) {
    const missing = missingTools(b.san);
    const skip = missing.length > 0 && process.env.CI !== 'true';
    it.skipIf(skip)(
      `${b.name}: layers at exactly 2^31 − 1 run bit-exact with no finding`,
      async () => {
        const problems: string[] = [];
        for (const [kind, q] of CASES) {
          const graph = loadModel(write(`edge_${kind}_${q}`, model(kind, q)));
          problems.push(...(await sanitizerProblems(graph, b.target, b.san, b.plain, extremeInputs(graph, 2))));
        }
        expect(problems).toEqual([]);
      },
      20 * 60_000,
    );
  }
});
