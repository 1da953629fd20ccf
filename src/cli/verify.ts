import { mismatchError, badInput } from '../model/errors.js';
import { table } from '../inspect/inspect.js';
import { verifyOnHost, type VerifyReport } from '../verify/verify.js';
import type { KernelChoice } from './options.js';
import { prepareModel } from './prepare.js';

export interface VerifyOptions {
  target: string;
  kernels: KernelChoice;
  inputs: number;
  layers: boolean;
  json: boolean;
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
    `${r.model}: ${r.inputs} seeded inputs, ${r.layers.length} layers compared; build ${(r.buildMs / 1000).toFixed(2)} s${r.cached ? ' (cached)' : ''}, run ${(r.runMs / 1000).toFixed(2)} s`,
  ].join('\n');
}

export async function verifyCommand(model: string, opts: VerifyOptions): Promise<void> {
  const prepared = prepareModel(model, opts);
  if (prepared.target.name !== 'host') {
    throw badInput(`verify --target ${prepared.target.name}: only host verification is available in this version`);
  }
  const report = await verifyOnHost(prepared.graph, prepared.project, { inputs: opts.inputs });
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatVerify(report)}\n`);
  const d = report.firstDivergence;
  if (d) {
    const l = report.layers[d.layer]!;
    throw mismatchError(
      `${model}: layer ${d.layer} (${d.name}, ${d.op}) diverges from the reference on input seed ${d.input}: ` +
        `${l.mismatches} mismatching elements, max abs diff ${formatDiff(l.maxAbsDiff)}`,
    );
  }
  if (!opts.json) process.stdout.write('verify: OK, the C matches the reference on every layer\n');
}
