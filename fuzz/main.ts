/**
 * `npm run fuzz -- --cases N --seed S [--inputs tflite|json|all] [--json] [--case k]`:
 * the mutation fuzzer (fuzz/run.ts). Exit status 1 when any case failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_OPTIONS, formatSummary, fuzz } from './run.js';
import { makeCase } from './mutate.js';

const int = (name: string, min: number) => (v: string) => {
  if (!/^[0-9]+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min} (got '${v}')`);
  return Number(v);
};

const program = new Command('fuzz')
  .description('seeded mutation fuzzer over .tflite files and JSON descriptions')
  .option('--cases <n>', 'number of cases', int('--cases', 1), 1000)
  .option('--seed <s>', 'run seed: case k of seed S is the same file on every run', int('--seed', 0), 1)
  .option('--inputs <kind>', 'tflite, json or all', 'all')
  .option('--case <k...>', 'only these cases (replay a failure)')
  .option('--save <dir>', 'with --case: also write the mutated files here')
  .option('--workers <n>', 'worker threads', int('--workers', 1), DEFAULT_OPTIONS.workers)
  .option('--timeout <ms>', 'wall-clock limit of one case', int('--timeout', 1), DEFAULT_OPTIONS.timeoutMs)
  .option('--memory <mb>', 'heap limit of a worker', int('--memory', 16), DEFAULT_OPTIONS.memoryMb)
  .option('--run-every <n>', 'build and run one in every n successful compiles on the host (0: none)', int('--run-every', 0), DEFAULT_OPTIONS.runEvery)
  .option('--json', 'print the summary as JSON', false);

program.parse(process.argv);
const o = program.opts<{
  cases: number;
  seed: number;
  inputs: string;
  case?: string[];
  save?: string;
  workers: number;
  timeout: number;
  memory: number;
  runEvery: number;
  json: boolean;
}>();
if (o.inputs !== 'tflite' && o.inputs !== 'json' && o.inputs !== 'all') program.error(`--inputs must be tflite, json or all (got '${o.inputs}')`);
const inputs = o.inputs as 'tflite' | 'json' | 'all';
const only = o.case?.map((k) => int('--case', 0)(k));
if (only && o.save) {
  mkdirSync(o.save, { recursive: true });
  for (const k of only) {
    const c = makeCase(o.seed, k, inputs);
    const path = `${o.save}/seed${o.seed}_case${k}_${c.mutator}.${c.kind}`;
    writeFileSync(path, c.bytes);
    process.stderr.write(`fuzz: wrote ${path} (${c.kind}/${c.mutator} from ${c.from}, target ${c.target})\n`);
  }
}
const summary = await fuzz({
  ...DEFAULT_OPTIONS,
  seed: o.seed,
  cases: o.cases,
  inputs,
  ...(only && { only, runEvery: Math.min(o.runEvery, 1) }),
  workers: o.workers,
  timeoutMs: o.timeout,
  memoryMb: o.memory,
  ...(!only && { runEvery: o.runEvery }),
  log: (l) => process.stderr.write(`${l}\n`),
});
process.stdout.write(o.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
process.exitCode = summary.failures.length > 0 ? 1 : 0;
