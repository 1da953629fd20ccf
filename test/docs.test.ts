/**
 * The documents a user reads say what the tool does: docs/CONTRACT.md (which
 * the help texts cite) names every command and flag the CLI has, and the
 * README's explanations of per-target sizes quote what `inspect` reports.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { mcuToolsAvailable } from '../src/cross/mcu.js';
import { generateProject } from '../src/codegen/index.js';
import { loadModel } from '../src/pipeline.js';
import { targetByName } from '../src/targets/index.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { EXAMPLES, mobilec } from './helpers/cli.js';
import { MOBILENET_QUANT, skipShared } from './helpers/shared.js';

const README = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
const CONTRACT_PATH = join(PACKAGE_ROOT, 'docs', 'CONTRACT.md');
const work = mkdtempSync(join(tmpdir(), 'mobilec-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('docs/CONTRACT.md is in the repository and current', () => {
  it('exists, and every document the README and the help link to exists', () => {
    expect(existsSync(CONTRACT_PATH)).toBe(true);
    for (const [, path] of README.matchAll(/\]\(((?:docs|examples)\/[^)#]+)\)/g)) expect(existsSync(join(PACKAGE_ROOT, path!)), path).toBe(true);
    const help = ['compile', 'verify', 'run', 'inspect'].map((c) => mobilec([c, '--help']).stdout).join('\n');
    for (const [, path] of help.matchAll(/\b((?:docs)\/[\w.-]+\.md)/g)) expect(existsSync(join(PACKAGE_ROOT, path!)), path).toBe(true);
    expect(help).toContain('docs/CONTRACT.md');
  });

  it("names every command and every flag of the CLI in its command's usage", () => {
    const contract = readFileSync(CONTRACT_PATH, 'utf8');
    const usage = /## Commands\n\n```\n([\s\S]*?)```/.exec(contract)![1]!;
    for (const cmd of buildProgram().commands) {
      const block = new RegExp(`^mobilec ${cmd.name()} [\\s\\S]*?(?=^mobilec |^limits: |$(?![\\s\\S]))`, 'm').exec(usage);
      expect(block, `docs/CONTRACT.md usage of ${cmd.name()}`).not.toBeNull();
      // `[limits]` stands for the resource-budget flags every command takes, spelled once on the `limits:` line.
      const limits = /^limits: (.*)$/m.exec(usage)?.[1] ?? '';
      for (const opt of cmd.options) {
        const where = opt.long!.startsWith('--max-') && block![0].includes('[limits]') ? limits : block![0];
        expect(where, `${cmd.name()} ${opt.long}`).toContain(opt.long!);
      }
    }
  });
});

describe("the README's explanations of per-target sizes quote inspect", () => {
  it.skipIf(skipShared)('uint8 weights: host, rpi5, rpi4 and rpi-armv7 of mobilenet_v1_0.25_128_quant', () => {
    const graph = loadModel(MOBILENET_QUANT);
    const bytes = (t: string) => generateProject(graph, { name: 'q', target: targetByName(t), kernels: 'simd' }).weightBytes.toLocaleString('en-US');
    expect(README).toContain(`host\n  ${bytes('host')} B, rpi5 ${bytes('rpi5')} B, rpi4 ${bytes('rpi4')} B, rpi-armv7 ${bytes('rpi-armv7')} B)`);
  });

  const m4 = targetByName('cortex-m4');
  it.skipIf(!mcuToolsAvailable(m4) && process.env.CI !== 'true')('Cortex-M4 stack of MobileNetV1 0.5 at 160x160 (and its arena)', () => {
    const desc = JSON.parse(readFileSync(join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'), 'utf8')) as Record<string, unknown>;
    delete desc.$schema;
    const model = join(work, 'm05_160.json');
    writeFileSync(model, JSON.stringify({ ...desc, alpha: 0.5, resolution: 160 }));
    const r = mobilec(['inspect', model, '--target', 'cortex-m4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { stackBytes, arenaBytes } = JSON.parse(r.stdout).memory as { stackBytes: number; arenaBytes: number };
    // The DSP row form's planes (kh rows of W + 1 int16 columns per channel, 18,432 B for the widest 3x3 row,
    // 5x5x512) live in arena scratch: the stack is the kernels' own frames, within the 2 KB bound
    // (test/cross/stack.test.ts), and the arena holds the planes.
    expect(stackBytes).toBeGreaterThan(100);
    expect(stackBytes).toBeLessThanOrEqual(2048);
    expect(arenaBytes).toBeGreaterThan(3 * 6 * 512 * 2);
    expect(README.replace(/\s+/g, ' ')).toContain(
      `hence \`inspect --target cortex-m4\` reports ${stackBytes.toLocaleString('en-US')} B of stack (arena ${arenaBytes.toLocaleString('en-US')} B)`,
    );
  });
});

describe('docs/ARCHITECTURE.md is current', () => {
  const arch = readFileSync(join(PACKAGE_ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');

  it('lists every registered kernel variant, every name flag and every tuning switch, and its example names follow the grammar', async () => {
    const { allSimdVariants, isaKernelsFor } = await import('../src/codegen/isa/index.js');
    const { KERNEL_FLAGS, parseKernelName } = await import('../src/codegen/kernelId.js');
    const { TARGETS } = await import('../src/targets/index.js');
    const section = /### The registered variants\n([\s\S]*?)\n###? /.exec(arch)![1]!;
    const documented = new Set([...section.matchAll(/`([a-z0-9]+\/[a-z0-9]+\/[a-z0-9-]+)`/g)].map((m) => m[1]!));
    expect([...documented].sort()).toEqual([...allSimdVariants().keys()].sort());
    for (const [, name] of section.matchAll(/`(mobilec_\w+)`/g)) expect(() => parseKernelName(name!), name).not.toThrow();
    const flags = /The flags, in the order[\s\S]*?\n\n(\|[\s\S]*?)\n\n/.exec(arch)![1]!;
    for (const f of Object.keys(KERNEL_FLAGS)) expect(flags, `flag ${f}`).toMatch(new RegExp(`\`${f}(<[A-Z]>)?\``));
    const switches = new Set([...TARGETS.values()].flatMap((t) => Object.keys(isaKernelsFor(t)?.switches ?? {})));
    for (const s of switches) expect(arch, `switch ${s}`).toContain(`| \`${s}\` |`);
  });
});
