import { mismatchError } from '../model/errors.js';
import { runnerFor } from '../cross/index.js';
import { table } from '../inspect/inspect.js';
import { verifyOnHost, verifyOnTarget, type VerifyReport } from '../verify/verify.js';
import type { KernelChoice } from './options.js';
import { prepareModel } from './prepare.js';
import type { KernelTuning } from '../codegen/types.js';
import { withProgress } from './progress.js';

export interface VerifyOptions {
  target: string;
  kernels: KernelChoice;
  tune?: KernelTuning;
  inputs: number;
  layers: boolean;
  json: boolean;
  quiet?: boolean;
}

function formatDiff(d: number): string {
  if (d === 0) return '0';
  if (!Number.isFinite(d)) return 'inf';
  return Number.isInteger(d) ? String(d) : d.toExponential(2);
}

export function formatVerify(r: VerifyReport): string {
  const rows = r.layers.map((l) => [String(l.index), l.op, l.dtype, formatDiff(l.maxAbsDiff), `${l.mismatches}/${l.elements * r.inputs}`]);
  return [
    ...table(['layer', 'op', 'dtype', 'max abs diff', 'mismatches'], rows),
    `${r.model}: ${r.inputs} seeded inputs, ${r.layers.length} layer(s) compared; build ${(r.buildMs / 1000).toFixed(2)} s${r.cached ? ' (cached)' : ''}, compare ${(r.runMs / 1000).toFixed(2)} s`,
  ].join('\n');
}

export async function verifyCommand(model: string, opts: VerifyOptions): Promise<void> {
  const prepared = prepareModel(model, opts);
  const { graph, project, target } = prepared;
  // Progress (stderr) ends before the report is printed (stdout).
  const report = await withProgress({ quiet: opts.quiet }, (progress) =>
    target.emulator.kind === 'addon'
      ? verifyOnHost(graph, project, { inputs: opts.inputs, progress })
      : verifyOnTarget(graph, project, target, runnerFor(target), { inputs: opts.inputs, layers: opts.layers, progress }),
  );
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatVerify(report)}\n`);
  const d = report.firstDivergence;
  if (d) {
    // Without --layers on a cross target the report holds only the output layer: look it up by index.
    const l = report.layers.find((x) => x.index === d.layer)!;
    throw mismatchError(
      `${model}: layer ${d.layer} (${d.name}, ${d.op}) diverges from the reference on input seed ${d.input}: ` +
        `${l.mismatches} mismatching elements, max abs diff ${formatDiff(l.maxAbsDiff)}`,
    );
  }
  if (!opts.json) {
    const what = report.layers.length === graph.ops.length ? 'every layer' : 'the final output (add --layers for every layer)';
    process.stdout.write(`verify: OK, the C on ${target.name} matches the reference on ${what}\n`);
  }
}
