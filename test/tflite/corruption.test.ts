/**
 * Seeded corruption of the shared models: truncations and byte flips, each
 * through loadModel (parse, validate, passes) and, when it loads, the
 * reference on a zero input. Every case must succeed or fail with a one-line
 * bad-input MobilecError: never another exception, never a hang.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModel } from '../../src/frontends/tflite/schema.js';
import { MobilecError } from '../../src/model/errors.js';
import { elementCount, type Graph } from '../../src/model/ir.js';
import { graphMacs } from '../../src/model/cost.js';
import { loadModel } from '../../src/pipeline.js';
import { allocateFor, runGraph } from '../../src/reference/interpreter.js';
import { Prng } from '../../src/util/prng.js';
import { MOBILENET_QUANT, PERSON_DETECT, skipShared } from '../helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'mobilec-tflite-corrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Tally {
  cases: number;
  loaded: number;
  ran: number;
  skippedRun: number;
  rejected: number;
  messages: Map<string, number>;
}

/** Work of a graph, to keep the reference bounded on mutated shapes. */
function work(g: Graph): number {
  return graphMacs(g) + g.tensors.reduce((n, t) => n + elementCount(t.shape), 0);
}

function check(bytes: Uint8Array, label: string, file: string, maxWork: number, tally: Tally): void {
  const path = join(dir, file);
  writeFileSync(path, bytes);
  tally.cases++;
  try {
    const g = loadModel(path);
    tally.loaded++;
    if (work(g) > maxWork) {
      tally.skippedRun++;
      return;
    }
    runGraph(
      g,
      g.inputs.map((id) => allocateFor(g.tensors[id]!)),
    );
    tally.ran++;
  } catch (e) {
    if (!(e instanceof MobilecError) || e.kind !== 'bad-input' || e.message.includes('\n')) {
      throw new Error(
        `${label}: expected a one-line bad-input MobilecError, got ${e instanceof MobilecError ? e.kind : (e as Error)?.constructor?.name}: ${(e as Error)?.stack ?? String(e)}`,
      );
    }
    expect(e.message.length).toBeGreaterThan(10);
    tally.rejected++;
    const key = e.message.replace(/\d+/g, '#').slice(0, 90);
    tally.messages.set(key, (tally.messages.get(key) ?? 0) + 1);
  }
}

/** Byte ranges of constant data (flips there change weights, not structure). */
function dataRanges(bytes: Uint8Array): [number, number][] {
  return readModel(bytes, 'x')
    .buffers.filter((b) => b.length > 0)
    .map((b) => [b.start, b.start + b.length]);
}

function structuralOffset(rng: Prng, size: number, data: [number, number][]): number {
  for (;;) {
    const p = rng.int(0, size - 1);
    if (!data.some(([a, b]) => p >= a && p < b)) return p;
  }
}

describe.skipIf(skipShared)('corrupted .tflite files', () => {
  for (const [model, seed] of [
    [PERSON_DETECT, 1],
    [MOBILENET_QUANT, 2],
  ] as const) {
    const name = model.split('/').pop()!;
    it(`${name}: 160 truncations and byte flips load or fail cleanly`, () => {
      const original = new Uint8Array(readFileSync(model));
      const baseline = loadModel(model);
      const maxWork = 4 * work(baseline);
      const data = dataRanges(original);
      const rng = new Prng(seed);
      const tally: Tally = { cases: 0, loaded: 0, ran: 0, skippedRun: 0, rejected: 0, messages: new Map() };
      const t0 = Date.now();

      // Truncations: the header, the first kilobyte densely, then all over the file.
      const cuts = [0, 1, 4, 7, 8, 12, 16, 24, 32, 64, 100, 256, 512, 1000];
      while (cuts.length < 50) cuts.push(rng.int(1, original.length - 1));
      cuts.push(original.length - 1, original.length - 4, original.length - 16);
      for (const n of cuts) check(original.subarray(0, n), `truncate to ${n}`, `${name}.cut${n}.tflite`, maxWork, tally);

      // Byte flips: mostly in the flatbuffer's tables and vectors, some anywhere.
      for (let k = 0; k < 107; k++) {
        const bytes = original.slice();
        const flips = rng.int(1, 6);
        const at: number[] = [];
        for (let j = 0; j < flips; j++) {
          const p = k % 4 === 3 ? rng.int(0, bytes.length - 1) : structuralOffset(rng, bytes.length, data);
          bytes[p] = k % 2 === 0 ? bytes[p]! ^ (1 << rng.int(0, 7)) : rng.int(0, 255);
          at.push(p);
        }
        check(bytes, `flip at ${at.join(',')}`, `${name}.flip${k}.tflite`, maxWork, tally);
      }
      const ms = Date.now() - t0;
      const top = [...tally.messages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
      console.log(
        `${name}: ${tally.cases} cases in ${ms} ms: ${tally.rejected} rejected (bad-input), ${tally.loaded} loaded, ${tally.ran} ran, ${tally.skippedRun} too big to run\n` +
          top.map(([m, c]) => `  ${c}x ${m}`).join('\n'),
      );
      expect(tally.cases).toBe(160);
      expect(tally.rejected + tally.loaded).toBe(tally.cases);
      expect(tally.rejected).toBeGreaterThan(50); // truncations alone are ~50
      expect(tally.loaded).toBeGreaterThan(5);
    });
  }
});
