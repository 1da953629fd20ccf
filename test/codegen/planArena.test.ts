import { describe, expect, it } from 'vitest';
import { planArena } from '../../src/passes/planArena.js';
import { floatGraph } from './graphs.js';
import { GraphBuilder } from './helpers.js';

describe('planArena', () => {
  it('plans a hand-built chain with exact offsets', () => {
    // x0 1024 B [-1,0]; t1 2048 B [0,1]; t2 512 B [1,2]; t3+t4 (reshape view) 32 B [2,4];
    // t5 40 B [4,5]; t6 40 B [5,end].
    const b = new GraphBuilder();
    const x0 = b.tensor('x0', [1, 8, 8, 4], 'float32');
    const w = b.tensor('w', [8, 1, 1, 4], 'float32', { data: new Float32Array(32) });
    const t1 = b.tensor('t1', [1, 8, 8, 8], 'float32');
    const wd = b.tensor('wd', [1, 3, 3, 8], 'float32', { data: new Float32Array(72) });
    const t2 = b.tensor('t2', [1, 4, 4, 8], 'float32');
    const t3 = b.tensor('t3', [1, 1, 1, 8], 'float32');
    const t4 = b.tensor('t4', [1, 8], 'float32');
    const wf = b.tensor('wf', [10, 8], 'float32', { data: new Float32Array(80) });
    const t5 = b.tensor('t5', [1, 10], 'float32');
    const t6 = b.tensor('t6', [1, 10], 'float32');
    b.op({ kind: 'conv2d', name: 'c', inputs: [x0, w], outputs: [t1], strideH: 1, strideW: 1, padding: 'same', activation: 'none' });
    b.op({
      kind: 'depthwise_conv2d',
      name: 'd',
      inputs: [t1, wd],
      outputs: [t2],
      strideH: 2,
      strideW: 2,
      padding: 'same',
      activation: 'none',
      depthMultiplier: 1,
    });
    b.op({
      kind: 'average_pool2d',
      name: 'p',
      inputs: [t2],
      outputs: [t3],
      filterH: 4,
      filterW: 4,
      strideH: 1,
      strideW: 1,
      padding: 'valid',
      activation: 'none',
    });
    b.op({ kind: 'reshape', name: 'r', inputs: [t3], outputs: [t4] });
    b.op({ kind: 'fully_connected', name: 'f', inputs: [t4, wf], outputs: [t5], activation: 'none' });
    b.op({ kind: 'softmax', name: 's', inputs: [t5], outputs: [t6], beta: 1 });
    const plan = planArena(b.build('chain', [x0], [t6]));
    expect(plan.alignment).toBe(16);
    expect(plan.bytes).toBe(3072);
    // t1 (the largest) cannot share bytes with x0 or t2; everything else
    // packs below it, in the 1024 bytes x0 leaves once it is dead.
    expect(Object.fromEntries(plan.offsets)).toEqual({
      [x0]: 0,
      [t1]: 1024,
      [t2]: 0,
      [t3]: 512,
      [t4]: 512,
      [t5]: 0,
      [t6]: 48,
    });
    expect(plan.offsets.has(w)).toBe(false);
    expect(plan.offsets.has(wd)).toBe(false);
    // The blocks as placed: t4 is a view of t3; lifetimes from -1 (the input) to 6 (the output, after the last op).
    const block = (id: number, offset: number, dataBytes: number, start: number, end: number, views: number[] = []) => ({
      id,
      views,
      scratchOp: null,
      offset,
      bytes: Math.ceil(dataBytes / 16) * 16,
      dataBytes,
      start,
      end,
      inPlaceOf: null,
    });
    expect(plan.blocks).toEqual([
      block(x0, 0, 1024, -1, 0),
      block(t1, 1024, 2048, 0, 1),
      block(t2, 0, 512, 1, 2),
      block(t3, 512, 32, 2, 4, [t4]),
      block(t5, 0, 40, 4, 5),
      block(t6, 48, 40, 5, 6),
    ]);
  });

  it('names in-place reuse and scratch in its blocks, the peak the highest block end', () => {
    // x (2048 B) → relu → a → relu → y: each op may write its output over its input (an elementwise kernel),
    // and op 1 asks for 20 bytes of scratch.
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 8, 8, 8], 'float32');
    const a = b.tensor('a', [1, 8, 8, 8], 'float32');
    const y = b.tensor('y', [1, 8, 8, 8], 'float32');
    b.op({ kind: 'activation', name: 'r0', inputs: [x], outputs: [a], activation: 'relu' });
    b.op({ kind: 'activation', name: 'r1', inputs: [a], outputs: [y], activation: 'relu' });
    const g = b.build('relus', [x], [y]);
    expect(planArena(g).bytes).toBe(4096);
    const s = g.tensors.length + 1;
    const plan = planArena(
      g,
      [
        { op: 0, input: x, output: a, minDelta: 0 },
        { op: 1, input: a, output: y, minDelta: 0 },
      ],
      [{ op: 1, id: s, bytes: 20 }],
    );
    const byId = new Map(plan.blocks.map((bl) => [bl.id, bl]));
    expect(plan.blocks.map((bl) => bl.id)).toEqual([x, a, s, y].sort((p, q) => byId.get(p)!.start - byId.get(q)!.start || p - q));
    expect([byId.get(x)!.inPlaceOf, byId.get(a)!.inPlaceOf, byId.get(y)!.inPlaceOf]).toEqual([null, x, a]);
    expect(byId.get(s)).toMatchObject({ scratchOp: 1, bytes: 32, dataBytes: 20, start: 1, end: 1, views: [], inPlaceOf: null });
    expect([byId.get(x)!.start, byId.get(y)!.end]).toEqual([-1, 2]);
    // In place, the three tensors share 2048 bytes; the scratch sits beside them.
    expect(plan.bytes).toBe(2048 + 32);
    expect(Math.max(...plan.blocks.map((bl) => bl.offset + bl.bytes))).toBe(plan.bytes);
  });

  it('never overlaps tensors whose lifetimes intersect', () => {
    const g = floatGraph();
    const plan = planArena(g);
    const ids = [...plan.offsets.keys()];
    const life = new Map<number, [number, number]>();
    for (const id of g.inputs) life.set(id, [-1, -1]);
    g.ops.forEach((op, i) => {
      for (const id of op.inputs) {
        const l = life.get(id);
        if (l) l[1] = Math.max(l[1], i);
      }
      for (const id of op.outputs) life.set(id, [i, i]);
    });
    for (const id of g.outputs) life.get(id)![1] = g.ops.length;
    const size = (id: number) => g.tensors[id]!.shape.reduce((p, d) => p * d, 1) * 4;
    for (const a of ids) {
      expect(plan.offsets.get(a)! % 16).toBe(0);
      expect(plan.offsets.get(a)! + size(a)).toBeLessThanOrEqual(plan.bytes);
      for (const b of ids) {
        if (a >= b) continue;
        const [sa, ea] = life.get(a)!;
        const [sb, eb] = life.get(b)!;
        const isView = g.ops.some((op) => op.kind === 'reshape' && op.inputs[0] === a && op.outputs[0] === b);
        if (isView || ea < sb || eb < sa) continue;
        const oa = plan.offsets.get(a)!;
        const ob = plan.offsets.get(b)!;
        expect(oa + size(a) <= ob || ob + size(b) <= oa, `tensors ${a} and ${b} overlap`).toBe(true);
      }
    }
    // The reshape output aliases its input.
    const r = g.ops.find((op) => op.kind === 'reshape')!;
    expect(plan.offsets.get(r.outputs[0]!)).toBe(plan.offsets.get(r.inputs[0]!));
    for (const t of g.tensors) if (t.data) expect(plan.offsets.has(t.id)).toBe(false);
  });
});
