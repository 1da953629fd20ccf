import { median } from '../util/stats.js';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { badInput } from '../model/errors.js';
import { decodeImage } from '../image/decode.js';
import { imageToTensor } from '../image/toTensor.js';
import { elementCount, tensorBytes, type Tensor, type TensorData } from '../model/ir.js';
import { boundaryTensor, toUserLayout, type BoundaryTensor } from '../model/layout.js';
import { fromBytes, seededInput, toBytes } from '../util/tensors.js';
import { buildAndLoad } from '../verify/verify.js';
import { runnerFor } from '../cross/index.js';
import { cycleModelOf } from '../cross/plugin.js';
import type { KernelChoice } from './options.js';
import { prepareModel } from './prepare.js';
import type { KernelTuning } from '../codegen/types.js';
import { table } from '../inspect/inspect.js';
import { layerProfile, type ProfileLayer } from '../bench/profile.js';
import { withProgress } from './progress.js';

export interface RunOptions {
  target: string;
  kernels: KernelChoice;
  tune?: KernelTuning;
  input?: string;
  image?: string;
  seed?: number;
  output?: string;
  saveInput?: string;
  labels?: string;
  top: number;
  repeat: number;
  /** One value, or one per input channel. */
  mean?: number[];
  std?: number[];
  json: boolean;
  profile?: boolean;
  clockMhz?: number;
  quiet?: boolean;
}

export type { ProfileLayer } from '../bench/profile.js';

export interface TopEntry {
  readonly index: number;
  readonly label: string | null;
  readonly score: number;
}

/** The raw input file, in the model's own layout (NCHW for an NCHW model). */
function readRawInput(path: string, b: BoundaryTensor): TensorData {
  const t = b.tensor;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw badInput(`--input ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const want = tensorBytes(t);
  if (bytes.length !== want) {
    throw badInput(`--input ${path}: ${bytes.length} bytes, the model input ${t.dtype}[${b.shape.join(',')}] needs exactly ${want}`);
  }
  return fromBytes(t.dtype, bytes);
}

/** One label per line, index 0 first; a final newline does not add a label. */
export function readLabels(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw badInput(`--labels ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Writes beside and renames, so a failed run never leaves a torn file. */
export function writeAtomically(flag: string, path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw badInput(`${flag} ${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function dequantize(t: Tensor, data: TensorData): number[] {
  const out = Array.from(data, Number);
  if (t.dtype === 'float32' || !t.quant) return out;
  const s = t.quant.scale[0]!;
  const z = t.quant.zeroPoint[0]!;
  return out.map((q) => s * (q - z));
}

export function topK(scores: readonly number[], k: number, labels: readonly string[] | null): TopEntry[] {
  const idx = scores.map((_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, Math.min(k, scores.length)).map((i) => ({ index: i, label: labels?.[i] ?? null, score: scores[i]! }));
}

export async function runCommand(model: string, opts: RunOptions): Promise<void> {
  const sources = [opts.input, opts.image, opts.seed].filter((x) => x !== undefined).length;
  if (sources !== 1) throw badInput('run: give exactly one of --input <raw.bin>, --image <file>, --seed <n>');
  if ((opts.mean === undefined) !== (opts.std === undefined)) throw badInput('run: --mean and --std go together');
  const prepared = prepareModel(model, opts);
  const { graph, project } = prepared;
  if (opts.profile && prepared.target.emulator.kind === 'addon') {
    throw badInput(`run --profile counts instructions under QEMU: give an emulated --target (cortex-m*, rpi*), not ${prepared.target.name}`);
  }
  if (opts.clockMhz !== undefined && cycleModelOf(prepared.target.name) === null) {
    throw badInput(
      `run --clock-mhz converts estimated cycles to milliseconds: give a target with a cycle model (cortex-m3, cortex-m4, cortex-m33), not ${prepared.target.name}`,
    );
  }
  // What the user sees is in the model's own layout (NCHW for an NCHW model): the raw files, the image's tensor,
  // the output. The C takes and returns that layout (invoke transposes at the boundary).
  const inB = boundaryTensor(graph, 'input');
  const outB = boundaryTensor(graph, 'output');
  const inT = inB.tensor;
  const outT = outB.tensor;
  let input: TensorData;
  if (opts.input !== undefined) input = readRawInput(opts.input, inB);
  else if (opts.seed !== undefined) input = seededInput(inT.dtype, elementCount(inT.shape), opts.seed);
  else input = toUserLayout(inB, imageToTensor(decodeImage(opts.image!), inT, { mean: opts.mean, std: opts.std }));
  // The exact tensor the model gets, for firmware or an app to be fed the same input.
  if (opts.saveInput !== undefined) writeAtomically('--save-input', opts.saveInput, toBytes(input));
  const labels = opts.labels !== undefined ? readLabels(opts.labels) : null;
  const classes = outB.shape[outB.shape.length - 1] ?? 1;
  if (labels !== null && labels.length !== classes) {
    process.stderr.write(
      `mobilec: warning: --labels ${opts.labels} has ${labels.length} labels but the output of model ${project.name} has ${classes} classes; the names shown may not match\n`,
    );
  }

  let output: TensorData;
  let medianMs: number | null = null;
  let instructions: number | null = null;
  let cycles: number | null = null;
  let codeBytes: number | null = null;
  let stackBytes: number | null = null;
  let profile: ProfileLayer[] | null = null;
  if (prepared.target.emulator.kind === 'addon') {
    const { binding } = await buildAndLoad(graph, project, { layerHooks: false, optimize: '-O3' });
    const outView = binding.invoke(input);
    output = fromBytes(outT.dtype, new Uint8Array(outView.buffer, outView.byteOffset, outView.byteLength));
    medianMs = median(binding.bench(input, opts.repeat));
  } else {
    // Emulated: QEMU has no timing model, so the work is counted, not timed.
    // Emulation is the slow path: its builds and QEMU sessions show progress on stderr (the host path is quick and silent).
    const { results, build } = await withProgress({ quiet: opts.quiet }, (progress) =>
      runnerFor(prepared.target).run(project, prepared.target, [toBytes(input)], {
        layers: false,
        countInstructions: true,
        profileLayers: opts.profile === true,
        progress,
      }),
    );
    output = fromBytes(outT.dtype, results[0]!.output);
    instructions = results[0]!.instructions;
    cycles = results[0]!.cycles ?? null;
    if (opts.profile) profile = layerProfile(project, results[0]!);
    codeBytes = build.codeBytes;
    stackBytes = build.stackBytes;
  }
  if (opts.output !== undefined) writeAtomically('--output', opts.output, toBytes(output));
  const scores = dequantize(outT, output);
  const top = topK(scores, opts.top, labels);
  // cycles / (f · 10^6 Hz) seconds = cycles / f / 1000 ms.
  const estimatedMs = cycles !== null && opts.clockMhz !== undefined ? cycles / opts.clockMhz / 1000 : null;
  if (opts.json) {
    const result = {
      model: project.name,
      target: prepared.target.name,
      kernels: prepared.kernels,
      outputShape: outB.shape,
      outputDtype: outT.dtype,
      output: Array.from(output, Number),
      scores,
      topK: top,
      medianMs,
      instructions,
      cycles,
      estimatedMs,
      macs: project.macs,
      arenaBytes: project.arena.bytes,
      codeBytes,
      weightBytes: project.weightBytes,
      stackBytes,
      ...(profile ? { layers: profile } : {}),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [`model ${project.name} on ${prepared.target.name} (${prepared.kernels}): output ${outT.dtype}[${outB.shape.join(',')}]`];
  if (output.length <= 16) lines.push(`output: [${Array.from(output, Number).join(', ')}]`);
  lines.push(`top-${top.length}:`);
  for (const t of top) lines.push(`  ${String(t.index).padStart(5)}  ${t.score.toFixed(6)}  ${t.label ?? ''}`.trimEnd());
  if (medianMs !== null) lines.push(`median ${medianMs.toFixed(3)} ms per inference over ${opts.repeat} run(s)`);
  if (instructions !== null) {
    lines.push(`${instructions.toLocaleString('en-US')} instructions per inference (${(instructions / project.macs).toFixed(3)} per MAC)`);
  }
  if (cycles !== null && instructions !== null) {
    lines.push(
      `${cycles.toLocaleString('en-US')} estimated cycles per inference (${(cycles / instructions).toFixed(3)} per instruction, ${(cycles / project.macs).toFixed(3)} per MAC; ${cycleModelOf(prepared.target.name)!.toUpperCase()} timing table, zero wait states)`,
    );
  }
  if (estimatedMs !== null) lines.push(`estimated ${estimatedMs.toFixed(3)} ms per inference at ${opts.clockMhz} MHz`);
  if (profile) {
    const fmt = (n: number) => n.toLocaleString('en-US');
    const withCycles = profile.every((l) => l.cycles !== null);
    lines.push(
      '',
      ...table(
        ['#', 'op', 'MACs', 'instructions', 'per MAC', ...(withCycles ? ['cycles', 'cycles/MAC'] : []), 'variant'],
        profile.map((l) => [
          String(l.index),
          l.op,
          fmt(l.macs),
          fmt(l.instructions),
          l.macs > 0 ? (l.instructions / l.macs).toFixed(3) : '-',
          ...(withCycles ? [fmt(l.cycles!), l.macs > 0 ? (l.cycles! / l.macs).toFixed(3) : '-'] : []),
          l.variant,
        ]),
      ),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
