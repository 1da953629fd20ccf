/**
 * `npm run bench:footprint`: what `inspect --target` says a model costs
 * (flash = weights + code, RAM = arena + stack of invoke) beside what the
 * binutils `size` says of the example application built around it through
 * the generated CMake project — examples/firmware for cortex-m4 (and the
 * other Cortex-M targets), examples/rpi for rpi4 (and the other Pi targets).
 * The ELF's bytes are split into the model's library (from its archive's
 * symbols) and the rest (application, C library, start-up, reservations),
 * so every difference has a name. BENCH_MODELS (model files, comma list;
 * default: the shared person_detect and mobilenet_v1_0.25_128_quant) and
 * BENCH_TARGETS (default cortex-m4,rpi4) narrow or widen it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { defaultModelName } from '../pipeline.js';
import { targetByName } from '../targets/index.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { benchProgress } from './progress.js';

const SHARED_MODELS = resolve(PACKAGE_ROOT, '..', 'shared', 'models');
const CLI = join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');

function sh(cmd: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `size -A`: every allocated section of the ELF with its size. */
function sections(sizeTool: string, elf: string, cwd: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of sh(sizeTool, ['-A', elf], cwd).split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+(\d+)/.exec(line);
    if (m && Number(m[3]) !== 0) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** `size` (Berkeley): text, data, bss. */
function berkeley(sizeTool: string, elf: string, cwd: string): { text: number; data: number; bss: number } {
  const last = sh(sizeTool, [elf], cwd).trim().split('\n').pop()!.trim().split(/\s+/);
  return { text: Number(last[0]), data: Number(last[1]), bss: Number(last[2]) };
}

/** Sizes of the symbols an archive defines, by kind: code (t), read-only data (r), data (d), bss (b). */
function archiveSymbols(nmTool: string, archive: string, cwd: string): Record<'code' | 'rodata' | 'data' | 'bss', number> {
  const sum = { code: 0, rodata: 0, data: 0, bss: 0 };
  for (const line of sh(nmTool, ['-S', '--defined-only', archive], cwd).split('\n')) {
    const m = /^[0-9a-f]+ ([0-9a-f]+) ([A-Za-z]) /.exec(line);
    if (!m) continue;
    const size = parseInt(m[1]!, 16);
    const kind = m[2]!.toLowerCase();
    if (kind === 't') sum.code += size;
    else if (kind === 'r') sum.rodata += size;
    else if (kind === 'd') sum.data += size;
    else if (kind === 'b') sum.bss += size;
  }
  return sum;
}

const n = (v: number | null): string => (v === null ? '-' : v.toLocaleString('en-US'));

function main(): void {
  const models = process.env.BENCH_MODELS
    ? process.env.BENCH_MODELS.split(',').map((m) => resolve(m))
    : ['person_detect.tflite', 'mobilenet_v1_0.25_128_quant.tflite'].map((f) => join(SHARED_MODELS, f));
  const targets = (process.env.BENCH_TARGETS ?? 'cortex-m4,rpi4').split(',');
  const work = mkdtempSync(join(tmpdir(), 'mobilec-footprint-'));
  const rows: string[] = [];
  const detail: string[] = [];
  const progress = benchProgress();
  try {
    for (const model of models) {
      if (!existsSync(model)) throw new Error(`no model ${model} (BENCH_MODELS, or ../shared/models)`);
      for (const t of targets) {
        const target = targetByName(t);
        const mcu = target.platform === 'bare-metal';
        if (target.platform === 'host') throw new Error('bench:footprint measures cross targets (cortex-m…, rpi…)');
        const name = defaultModelName(model);
        const dir = join(work, `${name}-${t}`);
        progress.step(`inspect and compile ${name} for ${t}`);
        const inspect = JSON.parse(sh(process.execPath, [CLI, 'inspect', model, '--target', t, '--json'], work)).memory as {
          arenaBytes: number;
          stackBytes: number;
          ramBytes: number;
          weightBytes: number;
          codeBytes: number;
          flashBytes: number;
        };
        sh(process.execPath, [CLI, 'compile', model, '--target', t, '--name', name, '--out', join(dir, 'model')], work);
        const example = join(PACKAGE_ROOT, 'examples', mcu ? 'firmware' : 'rpi');
        progress.step(`build examples/${mcu ? 'firmware' : 'rpi'} with ${name} for ${t} (CMake) and measure it`);
        const toolchain = join(example, 'toolchains', `${t}.cmake`);
        sh(
          'cmake',
          [
            '-S',
            example,
            '-B',
            join(dir, 'build'),
            `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`,
            `-DMOBILEC_MODEL_DIR=${join(dir, 'model')}`,
            `-DMOBILEC_MODEL_NAME=${name}`,
          ],
          work,
        );
        sh('cmake', ['--build', join(dir, 'build')], work);
        const prefix = target.cc.replace(/gcc$/, '');
        const elf = join(dir, 'build', mcu ? 'mobilec_firmware.elf' : 'mobilec_rpi_app');
        const b = berkeley(`${prefix}size`, elf, work);
        const secs = sections(`${prefix}size`, elf, work);
        const lib = archiveSymbols(`${prefix}nm`, join(dir, 'build', 'model', `lib${name}.a`), work);
        const elfFlash = b.text + b.data;
        const elfRam = b.data + b.bss;
        rows.push(
          `| ${basename(model)} | ${t} | ${n(inspect.flashBytes)} (${n(inspect.weightBytes)} + ${n(inspect.codeBytes)}) | ${n(b.text)} / ${n(b.data)} / ${n(b.bss)} | ${n(elfFlash)} | ${n(elfFlash - inspect.flashBytes)} | ${n(inspect.ramBytes)} (${n(inspect.arenaBytes)} + ${n(inspect.stackBytes)}) | ${n(elfRam)} | ${n(elfRam - inspect.ramBytes)} |`,
        );
        const modelFlash = lib.code + lib.rodata + lib.data;
        detail.push(
          `${basename(model)} on ${t}: model library symbols code ${n(lib.code)}, rodata ${n(lib.rodata)}, data ${n(lib.data)}, bss ${n(lib.bss)} ` +
            `(flash ${n(modelFlash)}: ${n(modelFlash - inspect.flashBytes)} vs inspect); rest of the image ${n(elfFlash - modelFlash)} B flash; ` +
            `sections ${[...secs].map(([s, v]) => `${s} ${n(v)}`).join(', ')}`,
        );
      }
    }
  } finally {
    progress.done();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(
    '| model | target | inspect flash (weights + code) | size text / data / bss | ELF flash (text + data) | flash diff | inspect RAM (arena + stack) | ELF RAM (data + bss) | RAM diff |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
  console.log('');
  for (const d of detail) console.log(d);
  console.log('');
  console.log(
    "ELF RAM counts the reservations of the example (the linker script's .stack and .heap on Cortex-M, the app's statics on the Pi); a Linux thread's stack and heap are not in the file.",
  );
}

main();
