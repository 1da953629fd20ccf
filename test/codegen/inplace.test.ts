/**
 * In-place execution: the planner's overlap distances, computed by hand for
 * the layers of person_detect, the plans they give, and the generated C
 * staying bit-exact with every dead arena byte poisoned between layers.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import type { WindowGeometry } from '../../src/model/geometry.js';
import { planArena, streamingOverlap } from '../../src/passes/planArena.js';
import { host } from '../../src/targets/index.js';
import { loadDescriptionObject } from '../helpers/models.js';
import { verifyOnHost } from '../../src/verify/verify.js';
import { GraphBuilder, q } from './helpers.js';

function geometry(p: Partial<WindowGeometry> & Pick<WindowGeometry, 'inH' | 'inW' | 'inC' | 'outH' | 'outW' | 'outC'>): WindowGeometry {
  return { kH: 1, kW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, depthMultiplier: 1, ...p };
}

describe('streamingOverlap', () => {
  it('depthwise 3x3 s1 SAME, 48x48x8 int8: the output may start 400 bytes below its input', () => {
    // Pixel (y, x ≥ 1) has written (48y + x + 1)·8 bytes and still needs input from
    // pixel (y − 1, x − 1): (48(y − 1) + x − 1)·8 → difference (48 + 2)·8 = 400.
    const g = geometry({ inH: 48, inW: 48, inC: 8, outH: 48, outW: 48, outC: 8, kH: 3, kW: 3, padTop: 1, padLeft: 1 });
    expect(streamingOverlap(g, 1, 1)).toBe(400);
  });

  it('pointwise 8→16 over 48x48: the input sits in the top of the output, one input pixel up', () => {
    // max_p (p + 1)·16 − p·8 at p = 2303: 2304·16 − 2303·8 = 36864 − 18424 = 18440.
    const g = geometry({ inH: 48, inW: 48, inC: 8, outH: 48, outW: 48, outC: 16 });
    expect(streamingOverlap(g, 1, 1)).toBe(18440);
  });

  it('pointwise projection 16→8: one output pixel below the input is enough', () => {
    const g = geometry({ inH: 10, inW: 10, inC: 16, outH: 10, outW: 10, outC: 8 });
    expect(streamingOverlap(g, 1, 1)).toBe(8);
  });

  it('depthwise x8 stride 2 on 96x96x1 (person_detect layer 0): 9314 bytes', () => {
    // (48y + x + 1)·8 − (2y·96 + 2x) = 192y + 6x + 8, largest at y = x = 47.
    const g = geometry({ inH: 96, inW: 96, inC: 1, outH: 48, outW: 48, outC: 8, kH: 3, kW: 3, strideH: 2, strideW: 2, depthMultiplier: 8 });
    expect(streamingOverlap(g, 1, 1)).toBe(9314);
  });

  it('rowsCopied (a row ring, the Helium c8dm depthwise): 3x3 s1 SAME 48x48x8 runs fully in place, stride 2 likewise', () => {
    // While it writes row y the kernel has copied input rows up to y + 1 and needs rows from y + 2 on:
    // (y + 1)·48·8 − (y + 2)·48·8 < 0, and 0 at the last row (its input all copied): delta 0.
    const g = geometry({ inH: 48, inW: 48, inC: 8, outH: 48, outW: 48, outC: 8, kH: 3, kW: 3, padTop: 1, padLeft: 1 });
    expect(streamingOverlap(g, 1, 1, true)).toBe(0);
    // stride 2 (no top padding): row y written needs input from row 2y + 3 on: (y + 1)·24·16 − min(2y + 3, 48)·48·16,
    // largest at the end of row 0: 384 − 2304 (the output may start above the input)
    const g2 = geometry({ inH: 48, inW: 48, inC: 16, outH: 24, outW: 24, outC: 16, kH: 3, kW: 3, strideH: 2, strideW: 2 });
    expect(streamingOverlap(g2, 1, 1, true)).toBe(-1920);
    // without the ring the same layers keep 400 and 16 bytes
    expect(streamingOverlap(g, 1, 1)).toBe(400);
    expect(streamingOverlap(g2, 1, 1)).toBe(16);
  });

  it('float32 elements and 4-pixel blocks scale the distance', () => {
    const g = geometry({ inH: 4, inW: 4, inC: 2, outH: 4, outW: 4, outC: 2 });
    // Blocks of 4 pixels: written 4·2·4 = 32 bytes while the input is needed from pixel q0.
    expect(streamingOverlap(g, 4, 4)).toBe(32);
  });
});

describe('planArena with in-place allowances', () => {
  it('a 1x1 expansion reads its input from the top of its own output buffer', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 48, 48, 8], 'int8', { quant: q(0.1, 0) });
    const w = b.tensor('w', [16, 1, 1, 8], 'int8', { data: new Int8Array(128), quant: q(0.1, 0) });
    const y = b.tensor('y', [1, 48, 48, 16], 'int8', { quant: q(0.1, 0) });
    b.op({ kind: 'conv2d', name: 'pw', inputs: [x, w], outputs: [y], strideH: 1, strideW: 1, padding: 'valid', activation: 'none' });
    const g = b.build('pw', [x], [y]);
    expect(planArena(g).bytes).toBe(36864 + 18432);
    const plan = planArena(g, [{ op: 0, input: x, output: y, minDelta: 18440 }]);
    // 18440 rounds up to the 16-byte alignment: 18448; the input then ends 16 bytes past the output.
    expect(plan.offsets.get(y)).toBe(0);
    expect(plan.offsets.get(x)).toBe(18448);
    expect(plan.bytes).toBe(36880);
  });

  it('an allowance is ignored when the input is read again later', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 4, 4, 8], 'float32');
    const w = b.tensor('w', [8, 1, 1, 8], 'float32', { data: new Float32Array(64) });
    const y = b.tensor('y', [1, 4, 4, 8], 'float32');
    const z = b.tensor('z', [1, 4, 4, 8], 'float32');
    b.op({ kind: 'conv2d', name: 'pw', inputs: [x, w], outputs: [y], strideH: 1, strideW: 1, padding: 'valid', activation: 'none' });
    b.op({ kind: 'add', name: 'add', inputs: [x, y], outputs: [z], activation: 'none' });
    const plan = planArena(b.build('res', [x], [z]), [{ op: 0, input: x, output: y, minDelta: 32 }]);
    const [ox, oy] = [plan.offsets.get(x)!, plan.offsets.get(y)!];
    expect(ox + 512 <= oy || oy + 512 <= ox).toBe(true);
  });
});

describe('generated C in place, with dead bytes poisoned', () => {
  it('an expansion-heavy int8 stack runs bit-exact in a smaller arena', async () => {
    const graph = loadDescriptionObject(
      {
        architecture: 'layers',
        input: { height: 20, width: 20, channels: 3 },
        dtype: 'int8',
        weights: { seed: 3 },
        calibration: { seed: 4, count: 2 },
        layers: [
          { op: 'conv', filters: 8, kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
          { op: 'depthwise', kernel: 3, stride: 1, activation: 'relu6' },
          { op: 'pointwise', filters: 32, activation: 'relu6' },
          { op: 'depthwise', kernel: 3, stride: 2, activation: 'relu6' },
          { op: 'pointwise', filters: 16, activation: 'relu6' },
          { op: 'avgpool', size: 'global' },
          { op: 'fc', units: 5 },
          { op: 'softmax' },
        ],
      },
      'inplace',
    );
    const project = generateProject(graph, { name: 'inplace', target: host, kernels: 'generic' });
    // Without in-place the 10x10x8 → 10x10x32 expansion alone needs 800 + 3200 bytes.
    expect(planArena(graph).bytes).toBeGreaterThanOrEqual(4000);
    expect(project.arena.bytes).toBeLessThan(planArena(graph).bytes);
    // The floor is the expansion: 3200 + one input pixel (8), aligned: 3216. The planner gets within 32 bytes.
    expect(project.arena.bytes).toBeLessThanOrEqual(3248);
    const report = await verifyOnHost(graph, project, { inputs: 3 });
    expect(report.layers.filter((l) => l.mismatches > 0)).toEqual([]);
  });
});
