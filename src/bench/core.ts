/**
 * `npm run bench`: per model, medians over repeated runs, side by side in
 * one process:
 *  - compile: load + passes + codegen + write the C project;
 *  - verify: with a cold build cache (C compile + addon load + 3 seeded
 *    inputs through C and reference, every layer compared);
 *  - inspect totals: MACs, weight bytes, arena bytes;
 *  - one inference: generated C (host, -O3) against the TS reference.
 * The example descriptions always; the shared TFLite models when ../shared
 * is there.
 */
import { median } from '../util/stats.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { generateProject } from '../codegen/index.js';
import { writeProject } from '../codegen/write.js';
import { elementCount } from '../model/ir.js';
import { defaultModelName, loadModel } from '../pipeline.js';
import { runGraph } from '../reference/interpreter.js';
import { host } from '../targets/index.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { seededInput } from '../util/tensors.js';
import { buildAndLoad, verifyOnHost } from '../verify/verify.js';
import { benchProgress } from './progress.js';

const EXAMPLES = join(PACKAGE_ROOT, 'examples', 'models');
const SHARED_MODELS = resolve(PACKAGE_ROOT, '..', 'shared', 'models');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const progress = benchProgress();

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(2)} ms`;
}

async function figures(path: string, work: string): Promise<string> {
  const name = defaultModelName(path);
  const compileMs: number[] = [];
  progress.step(`compile ${name} (load, passes, codegen, write)`);
  for (let i = 0; i < REPEAT; i++) {
    progress.tick(i, REPEAT);
    const t0 = performance.now();
    const g = loadModel(path);
    writeProject(join(work, `${name}-c${i}`), generateProject(g, { name, target: host, kernels: 'generic' }), { force: true });
    compileMs.push(performance.now() - t0);
  }

  const graph = loadModel(path);
  const verifyMs: number[] = [];
  progress.step(`verify ${name} with a cold build cache`);
  for (let i = 0; i < REPEAT; i++) {
    progress.tick(i, REPEAT);
    process.env.MOBILEC_CACHE_DIR = join(work, `cache-${name}-${i}`);
    const t0 = performance.now();
    const p = generateProject(graph, { name, target: host, kernels: 'generic' });
    const r = await verifyOnHost(graph, p, { inputs: 3 });
    if (r.firstDivergence) throw new Error(`${name}: verify failed during the benchmark`);
    verifyMs.push(performance.now() - t0);
  }
  delete process.env.MOBILEC_CACHE_DIR;

  progress.step(`time one inference of ${name}: C -O3 and the TypeScript reference`);
  const project = generateProject(graph, { name, target: host, kernels: 'generic' });
  const { binding } = await buildAndLoad(graph, project, { layerHooks: false, optimize: '-O3' });
  const inT = graph.tensors[graph.inputs[0]!]!;
  const input = seededInput(inT.dtype, elementCount(inT.shape), 1);
  const n = project.macs > 100e6 ? 3 : 11;
  const cMs = median(Array.from(binding.bench(input, n)));
  const refMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    runGraph(graph, [input]);
    refMs.push(performance.now() - t0);
  }
  const ref = median(refMs);
  return [
    `${basename(path)}: ${project.macs.toLocaleString('en-US')} MACs, weights ${project.weightBytes.toLocaleString('en-US')} B, arena ${project.arena.bytes.toLocaleString('en-US')} B`,
    `  compile (load, passes, codegen, write): median ${fmt(median(compileMs))} over ${REPEAT}`,
    `  verify, cold cache (C build + 3 inputs, every layer): median ${fmt(median(verifyMs))} over ${REPEAT}`,
    `  one inference: C -O3 median ${fmt(cMs)}, TS reference median ${fmt(ref)} (reference/C ${(ref / cMs).toFixed(1)}x) over ${n}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const models = [
    join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'),
    join(EXAMPLES, 'mobilenet_v1_1.0_224.json'),
    ...['person_detect.tflite', 'mobilenet_v1_0.25_128_quant.tflite'].map((f) => join(SHARED_MODELS, f)).filter((p) => existsSync(p)),
  ];
  const work = mkdtempSync(join(tmpdir(), 'mobilec-bench-'));
  try {
    for (const m of models) {
      const figs = await figures(m, work);
      progress.done();
      process.stdout.write(`${figs}\n`);
    }
  } finally {
    progress.done();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exitCode = 1;
});
