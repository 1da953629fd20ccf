/**
 * `mobilec report <model> [--target T] [--verify] [--quiet] [--out report.html]`:
 * the `inspect --json` data model, the per-layer profile on an emulated
 * target and, with --verify, a verify run, as one self-contained HTML page
 * (src/report/report.ts, templates/report/report.html.hbs).
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { layerProfile } from '../bench/profile.js';
import { runnerFor } from '../cross/index.js';
import { cycleModelOf } from '../cross/plugin.js';
import { badInput, mismatchError } from '../model/errors.js';
import { elementCount } from '../model/ir.js';
import { renderReport, reportVerify, type ReportData, type ReportProfile, type ReportVerify } from '../report/report.js';
import { seededInput, toBytes } from '../util/tensors.js';
import { MOBILEC_VERSION } from '../util/version.js';
import { verifyOnHost, verifyOnTarget } from '../verify/verify.js';
import { inspectPrepared } from './inspect.js';
import { prepareModel, type BudgetOptions } from './prepare.js';
import { createProgress } from './progress.js';
import { writeAtomically } from './run.js';

export interface ReportOptions extends BudgetOptions {
  target: string;
  verify: boolean;
  quiet: boolean;
  out: string;
}

/** The input seed of the profile run: the report's instructions are `run --seed 1 --profile`'s. */
export const PROFILE_SEED = 1;
/** Seeded inputs of `report --verify` (seeds 1..3, as `verify`'s default). */
export const VERIFY_INPUTS = 3;

/** `--out`: a file path whose directory exists, not a directory, not the model itself. Touches nothing. */
function checkOutputFile(out: string, model: string): string {
  if (out.trim() === '') throw badInput('--out is empty; give the HTML file to write');
  const path = resolve(out);
  let dirOk = false;
  try {
    dirOk = statSync(dirname(path)).isDirectory();
  } catch {
    dirOk = false;
  }
  if (!dirOk) throw badInput(`--out ${out}: no such directory ${dirname(path)}; create it first`);
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(path);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory()) throw badInput(`--out ${out}: is a directory; give the HTML file to write (e.g. --out ${out}/report.html)`);
  if (st && !st.isFile() && !st.isSymbolicLink()) throw badInput(`--out ${out}: exists and is not a regular file`);
  try {
    if (st && realpathSync(path) === realpathSync(model)) throw badInput(`--out ${out}: is the input model; write the report to another file`);
  } catch (e) {
    if ((e as { kind?: string }).kind === 'bad-input') throw e;
  }
  return path;
}

export async function reportCommand(model: string, opts: ReportOptions): Promise<void> {
  const out = checkOutputFile(opts.out, model);
  const progress = createProgress({ quiet: opts.quiet });
  try {
    progress.step(`generate C for ${opts.target}`);
    const prepared = prepareModel(model, { ...opts, kernels: 'simd' });
    const { graph, project, target } = prepared;
    const emulated = target.emulator.kind !== 'addon';
    if (emulated) progress.step(`build for ${target.name}: code and stack`);
    const inspect = inspectPrepared(prepared);

    let profile: ReportProfile | null = null;
    if (emulated) {
      progress.step(`profile every layer on ${target.name} under QEMU (input seed ${PROFILE_SEED})`);
      const inT = graph.tensors[graph.inputs[0]!]!;
      const input = seededInput(inT.dtype, elementCount(inT.shape), PROFILE_SEED);
      const { results } = runnerFor(target).run(project, target, [toBytes(input)], { layers: false, countInstructions: true, profileLayers: true });
      const r = results[0]!;
      profile = {
        seed: PROFILE_SEED,
        cycleModel: cycleModelOf(target.name),
        instructions: r.instructions,
        cycles: r.cycles ?? null,
        layers: layerProfile(project, r) ?? [],
      };
    }

    let verify: ReportVerify | null = null;
    if (opts.verify) {
      progress.step(`verify every layer on ${target.name} against the reference (${VERIFY_INPUTS} seeded inputs)`);
      const v = emulated
        ? verifyOnTarget(graph, project, target, runnerFor(target), { inputs: VERIFY_INPUTS, layers: true })
        : await verifyOnHost(graph, project, { inputs: VERIFY_INPUTS });
      verify = reportVerify(v);
    }

    const data: ReportData = { generator: `mobilec ${MOBILEC_VERSION}`, inspect, profile, verify };
    progress.step(`write ${opts.out}`);
    writeAtomically('--out', out, Buffer.from(renderReport(data), 'utf8'));
    progress.done();

    const failed = verify?.layers.filter((l) => l.mismatches > 0) ?? [];
    process.stdout.write(
      `wrote ${opts.out}: ${inspect.model} on ${target.name}, ${inspect.layers.length} layers, ${inspect.totals.macs.toLocaleString('en-US')} MACs, ` +
        `arena ${inspect.memory.arenaBytes.toLocaleString('en-US')} bytes` +
        (profile ? `, ${(profile.instructions ?? 0).toLocaleString('en-US')} instructions` : '') +
        (verify ? (failed.length === 0 ? `, every layer verified on ${verify.inputs} inputs` : `, ${failed.length} layer(s) diverge`) : '') +
        '\n',
    );
    const d = verify?.firstDivergence;
    if (d) {
      throw mismatchError(
        `${model}: layer ${d.layer} (${d.name}, ${d.op}) diverges from the reference on input seed ${d.input}; the report ${opts.out} shows every layer`,
      );
    }
  } finally {
    progress.done();
  }
}
