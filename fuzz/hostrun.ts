/**
 * The host check of a compiled case: the generated C built with the host
 * compiler, run on a seeded input and compared with the reference
 * interpreter layer by layer (exact for integer tensors, a tolerance for
 * float32), as `mobilec verify --target host` does.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareModel } from '../src/cli/prepare.js';
import { verifyOnHost } from '../src/verify/verify.js';
import type { FuzzCase } from './mutate.js';

export interface HostRunResult {
  readonly outcome: 'match' | 'mismatch' | 'error';
  readonly message: string;
  readonly ms: number;
}

export async function hostRun(c: FuzzCase, dir: string): Promise<HostRunResult> {
  const t0 = performance.now();
  mkdirSync(dir, { recursive: true });
  const model = join(dir, c.kind === 'tflite' ? 'case.tflite' : 'case.json');
  writeFileSync(model, c.bytes);
  try {
    const { graph, project } = prepareModel(model, { target: 'host', kernels: 'simd', name: `fuzz_${c.seed}_${c.index}` });
    const report = await verifyOnHost(graph, project, { inputs: 1, firstSeed: c.index + 1 });
    const d = report.firstDivergence;
    if (!d) return { outcome: 'match', message: `${report.layers.length} layers match`, ms: performance.now() - t0 };
    const l = report.layers.find((x) => x.index === d.layer)!;
    return {
      outcome: 'mismatch',
      message: `layer ${d.layer} (${d.name}, ${d.op}) diverges: ${l.mismatches} mismatching elements, max abs diff ${l.maxAbsDiff}`,
      ms: performance.now() - t0,
    };
  } catch (e) {
    return { outcome: 'error', message: String((e as Error)?.message ?? e), ms: performance.now() - t0 };
  } finally {
    rmSync(model, { force: true });
  }
}
