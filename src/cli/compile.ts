import { resolve } from 'node:path';
import { OUTPUT_FORMATS } from '../codegen/formats/index.js';
import { checkOutputDir, isSameOrAncestor, writeOutputDir } from '../codegen/write.js';
import { boardMemory, boardMisfits } from '../cross/board.js';
import { badInput, internalError } from '../model/errors.js';
import { targetByName, type Target } from '../targets/index.js';
import { bindingPackage, hostPlatform } from '../verify/package.js';
import type { FormatChoice, KernelChoice, WeightsChoice } from './options.js';
import { prepareModel } from './prepare.js';
import type { KernelTuning } from '../codegen/types.js';

export interface CompileOptions {
  target: string;
  kernels: KernelChoice;
  tune?: KernelTuning;
  name?: string;
  out: string;
  force: boolean;
  format: FormatChoice;
  weights?: WeightsChoice;
  /** Also write the model as an npm package for this machine (host target only). */
  binding?: string;
}

/** True when `a` and `b` are the same directory or one holds the other. */
function overlaps(a: string, b: string): boolean {
  return isSameOrAncestor(resolve(a), resolve(b)) || isSameOrAncestor(resolve(b), resolve(a));
}

/** `--binding`: a package for the machine compiling it, so only `--target host`, in a directory of its own. */
function checkBinding(binding: string, opts: CompileOptions): void {
  if (targetByName(opts.target).emulator.kind !== 'addon') {
    throw badInput(
      `--binding writes a Node package that runs on this machine (${hostPlatform()}); it needs --target host (got --target ${opts.target}); compile ${opts.target} C with --out alone`,
    );
  }
  if (binding.trim() !== '' && opts.out.trim() !== '' && overlaps(binding, opts.out)) {
    throw badInput(`--binding ${binding}: overlaps --out ${opts.out}; give the package a directory of its own`);
  }
}

/**
 * A Cortex-M target's C is compiled for a board: warn (stderr, exit code
 * unchanged) when the arena alone exceeds its RAM or the weights alone its
 * flash. Stack and code need a build; `inspect --target` measures them and
 * `run` refuses a model that does not fit.
 */
function warnBoardFit(name: string, target: Target, arenaBytes: number, weightBytes: number): void {
  const board = boardMemory(target);
  if (!board) return;
  const misfits = boardMisfits(board, { arenaBytes, weightBytes, stackBytes: null, codeBytes: null });
  for (const m of misfits) {
    process.stderr.write(
      `mobilec: warning: model ${name} does not fit target ${target.name}: it needs ${m} (stack and code come on top; \`mobilec inspect --target ${target.name}\` measures them)\n`,
    );
  }
}

export function compileCommand(model: string, opts: CompileOptions): void {
  const t0 = performance.now();
  const format = OUTPUT_FORMATS.get(opts.format);
  if (!format) throw internalError(`no output format ${opts.format}`);
  // The format, the weights form and the output paths are checked before
  // any work, and the paths again when written.
  const weights = format.weightsFor(targetByName(opts.target), opts.weights);
  const guard = { flag: '--out', force: opts.force, inputs: [model] };
  checkOutputDir(opts.out, guard);
  const bindingGuard = { flag: '--binding', force: opts.force, inputs: [model] };
  if (opts.binding !== undefined) {
    checkBinding(opts.binding, opts);
    checkOutputDir(opts.binding, bindingGuard);
  }
  const { graph, project, target } = prepareModel(model, { ...opts, weights });
  // The package's library is built before anything is written: a failed build leaves no output.
  const pkg = opts.binding !== undefined ? bindingPackage(graph, project) : undefined;
  const output = format.files(project, target);
  const dir = writeOutputDir(opts.out, output, { ...guard, kind: format.kind });
  let report = `wrote ${dir}: ${[...output.keys()].sort().join(', ')}\n`;
  if (pkg) {
    const pkgDir = writeOutputDir(opts.binding!, pkg.files, { ...bindingGuard, kind: 'npm-package' });
    report += `wrote ${pkgDir}: npm package ${pkg.packageName} for ${pkg.builtFor} (${[...pkg.files.keys()].sort().join(', ')})\n`;
  }
  warnBoardFit(project.name, target, project.arena.bytes, project.weightBytes);
  process.stdout.write(
    report +
      `model ${project.name}: ${project.layers.length} layers, ${project.macs.toLocaleString('en-US')} MACs, ` +
      `arena ${project.arena.bytes.toLocaleString('en-US')} bytes, weights ${project.weightBytes.toLocaleString('en-US')} bytes ` +
      `(${((performance.now() - t0) / 1000).toFixed(2)} s)\n`,
  );
}
