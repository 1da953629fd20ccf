/**
 * Cortex-M targets: the generated model plus the firmware of
 * examples/firmware/ is linked into one bare-metal image per MPS2/MPS3 board
 * and booted under qemu-system-arm. Inputs and outputs travel as host files
 * through ARM semihosting, so a run of N inputs is one build and one boot.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratedProject } from '../codegen/index.js';
import { firmwareFiles } from '../codegen/formats/common.js';
import { render } from '../codegen/templates.js';
import { badInput, environmentError, internalError, MobilecError } from '../model/errors.js';
import type { Target } from '../targets/index.js';
import { execTool } from '../util/exec.js';
import { checkFitsBoard, FIRMWARE_DIR } from './board.js';
import { cachedBuild, contentKey } from '../util/buildCache.js';
import { parseLayers, symbolAddress, textBytes, worstStack } from './elf.js';

export { worstStack } from './elf.js';
import { cycleModelOf, ensureInsnCountPlugin, parseWindowCounts } from './plugin.js';
import type { CrossBuildInfo, CrossRunner, CrossRunResult } from './types.js';

export { FIRMWARE_DIR } from './board.js';

/** Files of examples/firmware/ every harness image links, besides the board's linker script. */
const FIRMWARE_RUNTIME = ['startup.c', 'semihosting.c', 'semihosting.h', 'sections.ld'] as const;

/** Bumped whenever the build recipe changes, to invalidate old caches. */
const RECIPE_VERSION = 1;

/** Flags for every object of the image, after the target's own cflags. */
const COMPILE_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-ffunction-sections', '-fdata-sections', '-fstack-usage', '-fcallgraph-info=su'];

type SystemEmulator = Extract<Target['emulator'], { kind: 'system' }>;

function systemEmulator(target: Target): SystemEmulator {
  if (target.emulator.kind !== 'system') throw internalError(`target ${target.name} does not run on a qemu-system board`);
  return target.emulator;
}

function toolMissing(target: Target, what: string): MobilecError {
  return environmentError(
    `target ${target.name}: ${what} not found; install the Debian packages ${target.packages.join(' ')} (e.g. sudo apt-get install ${target.packages.join(' ')})`,
  );
}

function hasCommand(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error;
}

/** Compiler, newlib (a library file, not a command) and the emulator: else exit 3 naming the packages. */
export function checkMcuTools(target: Target): void {
  const emu = systemEmulator(target);
  if (!hasCommand(target.cc)) throw toolMissing(target, `'${target.cc}'`);
  const libc = spawnSync(target.cc, [...target.cflags, '-print-file-name=libc_nano.a'], { encoding: 'utf8' });
  if (libc.error || !existsSync((libc.stdout ?? '').trim())) throw toolMissing(target, 'newlib (libc_nano.a)');
  if (!hasCommand(emu.command)) throw toolMissing(target, `'${emu.command}'`);
}

/** True when the tools of `target` are all installed (tests skip on false outside CI). */
export function mcuToolsAvailable(target: Target): boolean {
  try {
    checkMcuTools(target);
    return true;
  } catch {
    return false;
  }
}

export interface McuImage extends CrossBuildInfo {
  readonly dir: string;
  readonly elf: string;
  /** Addresses of the first instructions of the bench markers (Thumb bit cleared). */
  readonly benchStart: number;
  readonly benchStop: number;
}

/** Builds (or reuses, by content hash) the firmware image of a project for an MCU target. */
export function buildMcuImage(
  project: GeneratedProject,
  target: Target,
  opts: { layers: boolean; profile?: boolean /** Extra compile flags (the sanitizer tests' -fsanitize=undefined in trap mode). */; cflags?: readonly string[] },
): McuImage {
  const emu = systemEmulator(target);
  const name = project.name;
  const boardScript = `${emu.machine}.ld`;
  if (!existsSync(join(FIRMWARE_DIR, boardScript))) throw internalError(`no linker script ${boardScript} in ${FIRMWARE_DIR}`);

  const files = firmwareFiles(project);
  // The start-up code, semihosting and linker scripts of the example; its
  // main.c and syscalls.c (the user's application) are not the harness's.
  for (const f of [...FIRMWARE_RUNTIME, boardScript]) files.set(f, readFileSync(join(FIRMWARE_DIR, f)));
  files.set('main.c', render('harness/mcu_main.c.hbs', { name, NAME: name.toUpperCase() }));

  // The layer-dumping image also poisons dead arena bytes at every layer
  // boundary, as the host verify does: a wrong plan then shows as a mismatch.
  // The profile image closes and reopens the counting window at every layer boundary.
  const debug = opts.profile ? ['-DMOBILEC_LAYER_HOOKS', '-DMOBILEC_PROFILE_LAYERS'] : opts.layers ? ['-DMOBILEC_LAYER_HOOKS', '-DMOBILEC_POISON_DEAD'] : [];
  const cflags = [...target.cflags, ...COMPILE_FLAGS, '-I', '.', ...debug, ...(opts.cflags ?? [])];
  // No heap: the harness never calls malloc, so the board's RAM is the model's.
  const ldflags = ['-nostartfiles', '--specs=nano.specs', '-T', boardScript, '-Wl,--gc-sections', '-Wl,--defsym=__heap_size=0', '-Wl,-Map=fw.map'];
  const key = contentKey({ RECIPE_VERSION, cc: target.cc, cflags, ldflags }, files);
  checkMcuTools(target);
  const { dir } = cachedBuild('mcu', `${name}-${target.name}`, key, 'image.json', (tmp) => {
    for (const [f, content] of files) writeFileSync(join(tmp, f), content);
    const sources = [...files.keys()].filter((f) => f.endsWith('.c') || f.endsWith('.S')).sort();
    execTool(target.cc, [...cflags, '-c', ...sources], { cwd: tmp, what: `compiling model ${name} for ${target.name}` });
    const objects = sources.map((f) => f.replace(/\.[cS]$/, '.o'));
    try {
      execTool(target.cc, [...target.cflags, ...ldflags, ...objects, '-lm', '-o', 'fw.elf'], { cwd: tmp, what: `linking model ${name} for ${target.name}` });
    } catch (e) {
      // The board's memory is a resource limit of the model, not a broken toolchain.
      const m = e instanceof MobilecError ? /region `?(\w+)'? overflowed by (\d+) bytes/.exec(e.message) : null;
      if (m) {
        // Name what the model needs against what the board has, when the figures show it.
        const nm = (args: string[]): string => execTool(`${target.cc.replace(/gcc$/, '')}nm`, args, { cwd: tmp, what: 'reading symbols' }).stdout;
        checkFitsBoard(target, name, {
          arenaBytes: project.arena.bytes,
          weightBytes: project.weightBytes,
          stackBytes: worstStack(readFileSync(join(tmp, `${name}.ci`), 'utf8'), `mobilec_${name}_invoke`),
          codeBytes: textBytes(nm(['-S', '--size-sort', `${name}.o`])),
        });
        throw badInput(
          `model ${name} does not fit the ${emu.machine} board of target ${target.name}: memory region ${m[1]} overflowed by ${m[2]} bytes (see ${FIRMWARE_DIR}/${boardScript})`,
        );
      }
      throw e;
    }
    const nm = (args: string[]): string => execTool(`${target.cc.replace(/gcc$/, '')}nm`, args, { cwd: tmp, what: 'reading symbols' }).stdout;
    const elfSymbols = nm(['fw.elf']);
    const info: Omit<McuImage, 'dir' | 'elf'> = {
      codeBytes: textBytes(nm(['-S', '--size-sort', `${name}.o`])),
      stackBytes: worstStack(readFileSync(join(tmp, `${name}.ci`), 'utf8'), `mobilec_${name}_invoke`),
      benchStart: symbolAddress(elfSymbols, 'mobilec_bench_start'),
      benchStop: symbolAddress(elfSymbols, 'mobilec_bench_stop'),
    };
    writeFileSync(join(tmp, 'image.json'), JSON.stringify(info, null, 2));
  });
  return { dir, elf: join(dir, 'fw.elf'), ...(JSON.parse(readFileSync(join(dir, 'image.json'), 'utf8')) as Omit<McuImage, 'dir' | 'elf'>) };
}

/** qemu-system-arm's arguments to boot `elf` on an MPS2/MPS3 board with semihosting and no serial or monitor. */
export function qemuSystemArgs(emu: { readonly machine: string; readonly cpu?: string }, elf: string): string[] {
  return [
    '-M',
    emu.machine,
    ...(emu.cpu ? ['-cpu', emu.cpu] : []),
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    'none',
    '-semihosting-config',
    'enable=on,target=native',
    '-kernel',
    elf,
  ];
}

/**
 * Boots an image once for all inputs. Emulation is slow per MAC, so the
 * timeout grows with the work; MOBILEC_QEMU_TIMEOUT_MS overrides it.
 */
export function runImage(
  image: McuImage,
  project: GeneratedProject,
  target: Target,
  inputs: readonly Uint8Array[],
  opts: { layers: boolean; plugin: string | null; windows?: number },
): CrossRunResult[] {
  const emu = systemEmulator(target);
  const work = mkdtempSync(join(tmpdir(), 'mobilec-qemu-'));
  try {
    inputs.forEach((input, i) => {
      writeFileSync(join(work, `in${i}.bin`), input);
    });
    const countsPath = join(work, 'counts.txt');
    const args = qemuSystemArgs(emu, image.elf);
    if (opts.plugin) {
      const hex = (a: number) => `0x${a.toString(16)}`;
      const model = cycleModelOf(target.name);
      args.push('-plugin', `${opts.plugin},start=${hex(image.benchStart)},stop=${hex(image.benchStop)},out=${countsPath}${model ? `,cycles=${model}` : ''}`);
    }
    const passes = opts.layers ? 2 : 1;
    const timeout = Number(process.env.MOBILEC_QEMU_TIMEOUT_MS) || 60_000 + Math.ceil(project.macs * inputs.length * passes * 2e-4);
    const r = spawnSync(emu.command, args, { cwd: work, encoding: 'utf8', timeout, maxBuffer: 16 * 1024 * 1024 });
    const said = `${r.stderr ?? ''} ${r.stdout ?? ''}`.trim().replace(/\s+/g, ' ').slice(0, 400);
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw toolMissing(target, `'${emu.command}'`);
    if (r.error)
      throw environmentError(`${emu.command} -M ${emu.machine} on model ${project.name}: ${r.error.message} after ${timeout} ms${said ? `: ${said}` : ''}`);
    if (r.status !== 0) {
      throw environmentError(`${emu.command} -M ${emu.machine} on model ${project.name} failed (exit ${r.status ?? r.signal})${said ? `: ${said}` : ''}`);
    }
    let counts: (number | null)[] = inputs.map(() => null);
    let cycles: (number | null)[] = inputs.map(() => null);
    let windows: number[] | null = null;
    let windowCycles: number[] | null = null;
    if (opts.plugin) {
      // One line per bench window, in input order: one per inference, or
      // (profile image) one per layer plus the tail to the stop marker.
      const per = opts.windows ?? 1;
      const found = existsSync(countsPath) ? parseWindowCounts(readFileSync(countsPath, 'utf8')) : [];
      if (found.length !== inputs.length * per) {
        throw environmentError(`the instruction-count plugin wrote ${found.length} counts for ${inputs.length} inferences of ${per} window(s)`);
      }
      windows = found.map((w) => w.instructions);
      const sum = (xs: number[], i: number) => xs.slice(i * per, i * per + per).reduce((a, b) => a + b, 0);
      counts = inputs.map((_, i) => sum(windows!, i));
      if (found.every((w) => w.cycles !== null)) {
        windowCycles = found.map((w) => w.cycles!);
        cycles = inputs.map((_, i) => sum(windowCycles!, i));
      }
    }
    return inputs.map((_, i) => {
      const outPath = join(work, `out${i}.bin`);
      if (!existsSync(outPath)) throw environmentError(`the firmware wrote no out${i}.bin${said ? `: ${said}` : ''}`);
      const layersPath = join(work, `layers${i}.bin`);
      return {
        output: new Uint8Array(readFileSync(outPath)),
        layers: opts.layers ? parseLayers(readFileSync(layersPath), project.layers.length) : null,
        instructions: counts[i]!,
        layerInstructions: windows && opts.windows ? windows.slice(i * opts.windows, i * opts.windows + opts.windows - 1) : null,
        cycles: cycles[i]!,
        layerCycles: windowCycles && opts.windows ? windowCycles.slice(i * opts.windows, i * opts.windows + opts.windows - 1) : null,
      };
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export const mcuRunner: CrossRunner = {
  measure(project, target) {
    const { codeBytes, stackBytes } = buildMcuImage(project, target, { layers: false });
    return { codeBytes, stackBytes };
  },
  run(project, target, inputs, opts) {
    // Code and stack are those of the image without hooks (what a product
    // ships), and so are the counts: the hooks' file writes would otherwise
    // land inside the counted window.
    const step = (label: string) => opts.progress?.step(label);
    const emu = systemEmulator(target);
    const under = `under ${emu.command} -M ${emu.machine}`;
    const what = inputs.length === 1 ? 'one input' : `${inputs.length} inputs`;
    step(`build ${project.name} for ${target.name}`);
    const plain = buildMcuImage(project, target, { layers: false });
    const build = { codeBytes: plain.codeBytes, stackBytes: plain.stackBytes };
    // The emulated board runs only what would fit the real one: arena + stack in RAM, weights + code in flash.
    checkFitsBoard(target, project.name, { arenaBytes: project.arena.bytes, weightBytes: project.weightBytes, ...build });
    if (inputs.length === 0) return { results: [], build };
    const plugin = opts.countInstructions || opts.profileLayers ? ensureInsnCountPlugin() : null;
    let results: CrossRunResult[];
    if (opts.layers) {
      step(`build ${project.name} for ${target.name} with layer hooks`);
      const hooked = buildMcuImage(project, target, { layers: true });
      step(`run ${what} ${under}, every layer`);
      results = runImage(hooked, project, target, inputs, { layers: true, plugin: null });
    } else {
      step(`run ${what} ${under}${opts.countInstructions ? ', counting instructions' : ''}`);
      results = runImage(plain, project, target, inputs, { layers: false, plugin: opts.countInstructions ? plugin : null });
    }
    if (opts.layers && opts.countInstructions) {
      step(`count instructions of ${what} ${under}`);
      const counted = runImage(plain, project, target, inputs, { layers: false, plugin });
      results = results.map((r, i) => ({ ...r, instructions: counted[i]!.instructions, cycles: counted[i]!.cycles }));
    }
    if (opts.profileLayers) {
      // One window per layer, then the short tail from the last hook to the stop marker.
      step(`build ${project.name} for ${target.name} with profile hooks`);
      const image = buildMcuImage(project, target, { layers: false, profile: true });
      step(`profile ${what} layer by layer ${under}`);
      const profiled = runImage(image, project, target, inputs, { layers: false, plugin, windows: project.layers.length + 1 });
      results = results.map((r, i) => ({ ...r, layerInstructions: profiled[i]!.layerInstructions, layerCycles: profiled[i]!.layerCycles }));
    }
    return { results, build };
  },
};
