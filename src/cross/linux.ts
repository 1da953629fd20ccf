/**
 * The Raspberry Pi targets (emulator kind 'user'): the generated C plus a
 * small harness (templates/harness/linux_main.c.hbs) becomes one static
 * executable per (project, target, layers), cached by content hash, run
 * under qemu-aarch64 / qemu-arm with the target's pinned -cpu.
 *
 * All inputs of a call go through one emulator session; the insn_count
 * plugin records one start→stop window per input, so every input gets its
 * own exact instruction count.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { GeneratedProject } from '../codegen/index.js';
import { render } from '../codegen/templates.js';
import { badInput, environmentError } from '../model/errors.js';
import type { Target } from '../targets/index.js';
import { execTool } from '../util/exec.js';
import { cachedBuild, contentKey } from '../util/buildCache.js';
import { parseLayers, symbolAddress, textBytes, worstStack } from './elf.js';
import { ensureInsnCountPlugin, parseInsnCounts } from './plugin.js';
import type { CrossBuildInfo, CrossRunner, CrossRunOptions, CrossRunResult } from './types.js';

/** Bumped whenever the build recipe changes, to invalidate old caches. */
const RECIPE_VERSION = 2;
/** Emulated runs of large models at -O3 take a while; a hang must still end. */
const RUN_TIMEOUT_MS = 20 * 60_000;

interface LinuxBuild extends CrossBuildInfo {
  readonly exe: string;
  /** Entry addresses of the bench markers (Thumb bit cleared). */
  readonly start: number;
  readonly stop: number;
}

type UserEmulator = Extract<Target['emulator'], { kind: 'user' }>;

function userEmulator(target: Target): UserEmulator {
  if (target.emulator.kind !== 'user') throw badInput(`target ${target.name} does not run under QEMU user mode`);
  return target.emulator;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
}

/**
 * The static C library is only a "Recommends" of Debian's cross compilers
 * (target.packages names it), so a compiler can be present without it.
 */
function hasStaticLibc(cc: string): boolean {
  try {
    // gcc prints the bare name back when it cannot find the file.
    return execTool(cc, ['-print-file-name=libc.a'], { what: 'looking for the static C library' }).stdout.trim() !== 'libc.a';
  } catch {
    return false;
  }
}

/** What a target lacks here (commands, or `libc.a`); empty when it can build and run. */
export function missingLinuxTools(target: Target): string[] {
  const emu = userEmulator(target);
  const missing = [target.cc, binutil(target, 'nm'), emu.command].filter((c) => !onPath(c));
  if (!missing.includes(target.cc) && !hasStaticLibc(target.cc)) missing.push('libc.a');
  return missing;
}

function requireTools(target: Target): void {
  const missing = missingLinuxTools(target);
  if (missing.length > 0) {
    throw environmentError(`target ${target.name} needs ${missing.join(', ')}; install the Debian packages: apt-get install ${target.packages.join(' ')}`);
  }
}

/** `aarch64-linux-gnu-gcc` → `aarch64-linux-gnu-nm`. */
function binutil(target: Target, tool: string): string {
  return target.cc.replace(/gcc$/, tool);
}

/** What the executable carries: nothing extra, layer dumps (with dead-byte poisoning), or per-layer counting windows. */
type BuildKind = 'plain' | 'layers' | 'profile';

/** Compiles and links the harness for one (project, target, kind), or reuses the cached one. */
function buildLinux(project: GeneratedProject, target: Target, kind: BuildKind): LinuxBuild {
  requireTools(target);
  const name = project.name;
  const sources = new Map<string, string | Uint8Array>();
  for (const f of [`${name}.h`, `${name}.c`, `${name}_weights.S`, `${name}_weights.bin`, 'mobilec_runtime.h']) {
    const content = project.files.get(f);
    if (content === undefined) throw badInput(`generated project ${name} has no ${f}`);
    sources.set(f, content);
  }
  sources.set('harness.c', render('harness/linux_main.c.hbs', { name, NAME: name.toUpperCase() }));

  const cc = target.cc;
  const cflags = [...target.cflags, '-std=c99', '-Wall', '-Wextra', '-I', '.'];
  // The layer-dumping build also poisons dead arena bytes at every layer
  // boundary, as the host verify does: a wrong plan then shows as a mismatch.
  const hooks =
    kind === 'layers' ? ['-DMOBILEC_LAYER_HOOKS', '-DMOBILEC_POISON_DEAD'] : kind === 'profile' ? ['-DMOBILEC_LAYER_HOOKS', '-DMOBILEC_PROFILE_LAYERS'] : [];
  const hooked = kind !== 'plain';
  const key = contentKey({ RECIPE_VERSION, cc, cflags, kind }, sources);
  const { dir } = cachedBuild('cross-linux', `${name}-${target.name}-${kind}`, key, 'build.json', (tmp) => {
    for (const [f, content] of sources) writeFileSync(join(tmp, f), content);
    const compile = (args: string[], what: string) => execTool(cc, [...cflags, ...args], { cwd: tmp, what: `${what} for ${target.name}` });
    // The size and stack figures always come from the object without hooks:
    // what ships, whether or not this executable carries the layer hooks.
    // gcc 12 names the call-graph file after the object (-o model.o → model.ci).
    compile(['-fcallgraph-info=su', '-c', `${name}.c`, '-o', 'model.o'], `compiling model ${name}`);
    if (hooked) compile([...hooks, '-c', `${name}.c`, '-o', 'model_hooks.o'], `compiling model ${name} with layer hooks`);
    compile(['-c', `${name}_weights.S`, '-o', 'weights.o'], `assembling weights of ${name}`);
    compile([...hooks, '-c', 'harness.c', '-o', 'harness.o'], 'compiling the harness');
    // Static and not PIE: QEMU user mode then loads it at the link address,
    // so the marker addresses from nm are the ones the plugin sees.
    compile(['-static', '-no-pie', 'harness.o', hooked ? 'model_hooks.o' : 'model.o', 'weights.o', '-lm', '-o', 'harness'], `linking ${name}`);
    const nm = (args: string[]) => execTool(binutil(target, 'nm'), args, { cwd: tmp, what: 'reading harness symbols' }).stdout;
    const symbols = nm(['harness']);
    const info: Omit<LinuxBuild, 'exe'> = {
      start: symbolAddress(symbols, 'mobilec_bench_start'),
      stop: symbolAddress(symbols, 'mobilec_bench_stop'),
      codeBytes: textBytes(nm(['--size-sort', '-S', 'model.o'])),
      stackBytes: worstStack(readFileSync(join(tmp, 'model.ci'), 'utf8'), `mobilec_${name}_invoke`),
    };
    writeFileSync(join(tmp, 'build.json'), JSON.stringify(info));
  });
  return { ...(JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as Omit<LinuxBuild, 'exe'>), exe: join(dir, 'harness') };
}

/** One emulator session over all inputs; counts per input when `count`. */
function runSession(
  build: LinuxBuild,
  target: Target,
  inputs: readonly Uint8Array[],
  count: boolean,
  layerCount: number | null,
  windowsPerInput = 1,
): { outputs: Uint8Array[]; layers: Uint8Array[][] | null; counts: number[] | null } {
  const emu = userEmulator(target);
  const work = mkdtempSync(join(tmpdir(), `mobilec-${target.name}-`));
  try {
    const inputPaths = inputs.map((data, k) => {
      const p = join(work, `in${k}.bin`);
      writeFileSync(p, data);
      return p;
    });
    const countsPath = join(work, 'counts.txt');
    const hex = (a: number) => `0x${a.toString(16)}`;
    const plugin = count ? ['-plugin', `${ensureInsnCountPlugin()},start=${hex(build.start)},stop=${hex(build.stop)},out=${countsPath}`] : [];
    execTool(emu.command, ['-cpu', emu.cpu, ...plugin, build.exe, work, ...inputPaths], {
      timeoutMs: RUN_TIMEOUT_MS,
      what: `running on ${target.name} (${emu.command} -cpu ${emu.cpu})`,
    });
    const outputs = inputs.map((_, k) => new Uint8Array(readFileSync(join(work, `out${k}.bin`))));
    const layers = layerCount === null ? null : inputs.map((_, k) => parseLayers(readFileSync(join(work, `layers${k}.bin`)), layerCount));
    let counts: number[] | null = null;
    if (count) {
      counts = existsSync(countsPath) ? parseInsnCounts(readFileSync(countsPath, 'utf8')) : [];
      if (counts.length !== inputs.length * windowsPerInput) {
        throw environmentError(
          `instruction-count plugin recorded ${counts.length} windows for ${inputs.length} inputs on ${target.name}, expected ${inputs.length * windowsPerInput}`,
        );
      }
    }
    return { outputs, layers, counts };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export const linuxRunner: CrossRunner = {
  measure(project, target) {
    const { codeBytes, stackBytes } = buildLinux(project, target, 'plain');
    return { codeBytes, stackBytes };
  },
  run(project: GeneratedProject, target: Target, inputs: readonly Uint8Array[], opts: CrossRunOptions) {
    // Both builds measure codeBytes / stackBytes on the model object without hooks.
    let info: CrossBuildInfo;
    let outputs: Uint8Array[];
    let layers: Uint8Array[][] | null = null;
    let counts: number[] | null = null;
    const step = (label: string) => opts.progress?.step(label);
    const emu = userEmulator(target);
    const under = `under ${emu.command} -cpu ${emu.cpu}`;
    const what = inputs.length === 1 ? 'one input' : `${inputs.length} inputs`;
    if (opts.layers) {
      step(`build ${project.name} for ${target.name} with layer hooks`);
      const hooked = buildLinux(project, target, 'layers');
      info = hooked;
      step(`run ${what} ${under}, every layer`);
      ({ outputs, layers } = runSession(hooked, target, inputs, false, project.layers.length));
      // Counts always come from the executable without hooks: the hooks'
      // file writes would otherwise land inside the counted window.
      if (opts.countInstructions) {
        step(`build ${project.name} for ${target.name}`);
        const plain = buildLinux(project, target, 'plain');
        step(`count instructions of ${what} ${under}`);
        counts = runSession(plain, target, inputs, true, null).counts;
      }
    } else {
      step(`build ${project.name} for ${target.name}`);
      const plain = buildLinux(project, target, 'plain');
      info = plain;
      step(`run ${what} ${under}${opts.countInstructions ? ', counting instructions' : ''}`);
      ({ outputs, counts } = runSession(plain, target, inputs, opts.countInstructions, null));
    }
    let perLayer: number[][] | null = null;
    if (opts.profileLayers) {
      // One window per layer, then the short tail from the last hook to the stop marker.
      const n = project.layers.length + 1;
      step(`build ${project.name} for ${target.name} with profile hooks`);
      const profile = buildLinux(project, target, 'profile');
      step(`profile ${what} layer by layer ${under}`);
      const windows = runSession(profile, target, inputs, true, null, n).counts!;
      perLayer = inputs.map((_, k) => windows.slice(k * n, k * n + n - 1));
    }
    const results: CrossRunResult[] = outputs.map((output, k) => ({
      output,
      layers: layers ? layers[k]! : null,
      instructions: counts ? counts[k]! : null,
      layerInstructions: perLayer ? perLayer[k]! : null,
    }));
    return { results, build: { codeBytes: info.codeBytes, stackBytes: info.stackBytes } };
  },
};
