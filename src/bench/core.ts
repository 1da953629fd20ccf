/**
 * `npm run bench`: the core figures, medians over repeated runs, measured
 * side by side in one process.
 *  - compile time of mobilenet_v1_1.0_224 (load + passes + codegen + write);
 *  - verify time of mobilenet_v1_0.25_96_int8 with a cold build cache
 *    (C compile + addon load + 3 inputs through C and reference);
 *  - one inference: generated C (host, -O3) against the TS reference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateProject } from '../codegen/index.js';
import { writeProject } from '../codegen/write.js';
import { elementCount } from '../model/ir.js';
import { loadModel } from '../pipeline.js';
import { runGraph } from '../reference/interpreter.js';
import { host } from '../targets/index.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { seededInput } from '../util/tensors.js';
import { buildAndLoad, verifyOnHost } from '../verify/verify.js';

const EXAMPLES = join(PACKAGE_ROOT, 'examples', 'models');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

async function timeAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(2)} ms`;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'mobilec-bench-'));
  const rows: string[] = [];
  try {
    // 1. Compile time of 1.0/224 (float32).
    const compileTimes: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const [, ms] = time(() => {
        const g = loadModel(join(EXAMPLES, 'mobilenet_v1_1.0_224.json'));
        const p = generateProject(g, { name: 'mobilenet_v1_1_0_224', target: host, kernels: 'generic' });
        writeProject(join(work, `c${i}`), p, { force: true });
      });
      compileTimes.push(ms);
    }
    rows.push(`compile mobilenet_v1_1.0_224 (load, passes, codegen, write): median ${fmt(median(compileTimes))} over ${REPEAT}`);

    // 2. Verify time of 0.25/96 int8 with a cold cache each time.
    const int8Path = join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');
    const verifyTimes: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      process.env.MOBILEC_CACHE_DIR = join(work, `cache${i}`);
      const [, ms] = await timeAsync(async () => {
        const g = loadModel(int8Path);
        const p = generateProject(g, { name: `v${i}_mobilenet_v1_0_25_96_int8`, target: host, kernels: 'generic' });
        const r = await verifyOnHost(g, p, { inputs: 3 });
        if (r.firstDivergence) throw new Error('verify failed during the benchmark');
      });
      verifyTimes.push(ms);
    }
    delete process.env.MOBILEC_CACHE_DIR;
    rows.push(`verify mobilenet_v1_0.25_96_int8 (cold cache: C build + 3 inputs, every layer): median ${fmt(median(verifyTimes))} over ${REPEAT}`);

    // 3. One inference: C (-O3) vs the TS reference.
    for (const file of ['mobilenet_v1_0.25_96_int8.json', 'mobilenet_v1_1.0_224.json']) {
      const g = loadModel(join(EXAMPLES, file));
      const p = generateProject(g, { name: file.replace(/\.json$/, '').replace(/[^A-Za-z0-9_]/g, '_'), target: host, kernels: 'generic' });
      const { binding } = await buildAndLoad(g, p, { layerHooks: false, optimize: '-O3' });
      const inT = g.tensors[g.inputs[0]!]!;
      const input = seededInput(inT.dtype, elementCount(inT.shape), 1);
      const n = file.includes('1.0_224') ? Math.max(3, REPEAT) : Math.max(11, REPEAT);
      const cMs = median(Array.from(binding.bench(input, n)));
      const refTimes: number[] = [];
      for (let i = 0; i < n; i++) refTimes.push(time(() => runGraph(g, [input]))[1]);
      const refMs = median(refTimes);
      rows.push(`inference ${file}: C -O3 median ${fmt(cMs)}, TS reference median ${fmt(refMs)} (reference/C = ${(refMs / cMs).toFixed(1)}x) over ${n}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exitCode = 1;
});
