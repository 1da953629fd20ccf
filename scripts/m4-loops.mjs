#!/usr/bin/env node
// `npm run bench:m4loops`: an independent check of the Cortex-M4 cycle model of the counting
// plugin (native/qemu-plugin/insn_count.c, cycles=m4) against llvm-mca's Cortex-M4 scheduling
// model, on the hot inner loops of the DSP kernels.
//
// It builds the cortex-m4 firmware image of examples/models/mobilenet_v1_0.25_96_int8.json
// (the image `run` uses), turns the model C into assembly with `arm-none-eabi-gcc -S` and the
// image's own code-generating flags (the target's cflags, -std=c99, -ffunction-sections), and
// takes the innermost loop of three kernels with the loop extraction of scripts/a53-loops.mjs.
// For each loop:
//   - plugin: the same loop is located in the image (objdump: the backward branch of the
//     kernel's function with the same instruction count), and the image runs once under
//     qemu-system-arm with the plugin's window opening at the loop head and closing at the
//     loop exit: one window per entry into the loop (the first 4096 kept). Cycles per
//     iteration = (window cycles + P per window) / iterations, iterations = window
//     instructions / body instructions: the last iteration's branch is not taken, and adding
//     back its P gives the steady-state iteration the llvm-mca number describes.
//   - llvm-mca: `llvm-mca -mtriple=thumbv7em-none-eabihf -mcpu=cortex-m4 -iterations=100`,
//     Total Cycles / Iterations.
// Prints a table (or JSON with --json): loop, instructions/iter, plugin cycles/iter, llvm-mca
// cycles/iter, ratio plugin/llvm-mca. M4_LOOPS_DIR=<dir> keeps the loop bodies (loop0.s ...).
// Run after `npm run build`; needs arm-none-eabi-gcc, newlib, qemu-system-arm and llvm-mca.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { functionLines, innermostLoops, isInstruction, mcaInput } from './a53-loops.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = join(root, 'examples/models/mobilenet_v1_0.25_96_int8.json');
const ITERATIONS = 100;
/** The plugin's taken-branch refill (insn_count.c: P = 2). */
const P = 2;

/** Thumb-2 branches (unified syntax, gcc -S) whose last operand is a label. */
const T32_BRANCH = /^(?:b(?:eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?(?:\.[nw])?|cbn?z)\s+(?:.*,\s*)?(\d+[bf]|\.L\w+)$/;

/** The loops: the function holding it and an instruction only the wanted loop has. */
export const LOOPS = [
  { loop: 'pointwise DSP 3x2 (3 px x 2 ch, 16 of K 128 per iter)', fn: 'mobilec_pw_s8_dsp_t3x2_rn_6x6x128_128', must: /^smlad\b/ },
  { loop: 'depthwise DSP row 1x4 (3x3 s1 + requant, 1 ch x 4 px/iter)', fn: 'mobilec_dw_s8_dsp_t1x2_rn_k3s1same_24x24x32', must: /^smmlar\b/ },
  { loop: 'stem conv im2col 3x2 (3x3 s2, 3->8 ch, all 27 of K per iter)', fn: 'mobilec_conv_s8_dsp_t3x2_rn_w16_k3s2same_96x96x3_8', must: /^smlad\b/ },
];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? ''}${r.stderr ?? ''}`);
  return r.stdout;
}

/** A mnemonic without its width suffix (objdump writes ldr.w where gcc -S writes ldr). */
const mnemonic = (l) =>
  l
    .split(/\s+/)[0]
    .toLowerCase()
    .replace(/\.[nw]$/, '');

/**
 * The loop in the image: head address and exit address (the instruction after the backward
 * branch), from objdump: the one backward branch of the function whose body has the mnemonics
 * of the `gcc -S` body, so the plugin times the very code llvm-mca reads.
 */
function imageLoop(elf, fn, body) {
  const text = run('arm-none-eabi-objdump', ['-d', '--no-show-raw-insn', elf]);
  const start = text.search(new RegExp(`^[0-9a-f]+ <${fn}(\\.[\\w.]+)?>:$`, 'm'));
  if (start < 0) return null;
  const end = text.indexOf('\n\n', start);
  const insns = [];
  for (const l of text.slice(start, end < 0 ? undefined : end).split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$/.exec(l);
    if (m) insns.push({ addr: parseInt(m[1], 16), op: m[2], args: m[3] });
  }
  const want = body.map(mnemonic).join(' ');
  const found = [];
  insns.forEach((x, i) => {
    if (!/^(?:b|cbn?z)/.test(x.op) || /^(?:bl|bx|blx|bic|bfi|bfc)/.test(x.op)) return;
    const t = /^(?:\w+,\s*)?([0-9a-f]+)\s+</.exec(x.args);
    if (!t) return;
    const head = insns.findIndex((y) => y.addr === parseInt(t[1], 16));
    if (head < 0 || head > i || !insns[i + 1]) return;
    const got = insns
      .slice(head, i + 1)
      .map((y) => mnemonic(y.op))
      .join(' ');
    if (got === want) found.push({ head: insns[head].addr, exit: insns[i + 1].addr });
  });
  return found.length === 1 ? found[0] : null;
}

/** Runs the image once with the plugin window [head, exit): summed instructions and cycles, and the window count. */
function pluginWindows(image, dir, inputBytes, plugin, loop) {
  const work = mkdtempSync(join(dir, 'qemu-'));
  const input = Buffer.alloc(inputBytes);
  for (let i = 0; i < inputBytes; i++) input[i] = (i * 73 + 41) & 255;
  writeFileSync(join(work, 'in0.bin'), input);
  const out = join(work, 'counts.txt');
  const hex = (a) => `0x${a.toString(16)}`;
  run(
    'qemu-system-arm',
    [
      ...['-M', 'mps2-an386', '-nographic', '-monitor', 'none', '-serial', 'none', '-semihosting-config', 'enable=on,target=native', '-kernel', image.elf],
      ...['-plugin', `${plugin},start=${hex(loop.head)},stop=${hex(loop.exit)},out=${out},cycles=m4`],
    ],
    { cwd: work, timeout: 300_000 },
  );
  let instructions = 0;
  let cycles = 0;
  let windows = 0;
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const m = /^(\d+) (\d+)$/.exec(line);
    if (!m) continue; // "overflow": windows past the plugin's 4096 are not kept
    instructions += Number(m[1]);
    cycles += Number(m[2]);
    windows++;
  }
  return { instructions, cycles, windows };
}

function mca(file) {
  const text = run('llvm-mca', ['-mtriple=thumbv7em-none-eabihf', '-mcpu=cortex-m4', `-iterations=${ITERATIONS}`, file]);
  const total = Number(/Total Cycles:\s+(\d+)/.exec(text)?.[1]);
  const iterations = Number(/Iterations:\s+(\d+)/.exec(text)?.[1]);
  const issue = Number(/Block RThroughput:\s+([\d.]+)/.exec(text)?.[1]);
  return { cycles: total / iterations, issue };
}

const round2 = (x) => Math.round(x * 100) / 100;

const SINGLE_LOAD = /^ldr(?:b|h|sb|sh)?(?:\.[nw])?\s/;
const DOUBLE = /^(?:ldrd|strd)\s/;

/**
 * What llvm-mca's Cortex-M4 model (LLVM ARMScheduleM4.td: one issue unit, every
 * load 1 cycle of issue and a result latency of 2) charges differently from the
 * TRM table of the plugin, per iteration of the body: LDRD/STRD occupy 1 cycle
 * there, 3 in the TRM (+2 each); a single load is 1 cycle there, 2 in the TRM
 * unless it follows a single load (+1 for each load starting a run of loads);
 * and no refill P after the taken backward branch (+P). llvm-mca instead stalls
 * an instruction that reads a load's result in the next cycle, which the
 * plugin (no dependency analysis) does not: that is what remains between
 * "llvm-mca + TRM differences" and the plugin.
 */
export function trmDifference(body) {
  let extra = P;
  body.forEach((l, i) => {
    if (DOUBLE.test(l)) extra += 2;
    else if (SINGLE_LOAD.test(l) && !SINGLE_LOAD.test(body[(i + body.length - 1) % body.length])) extra += 1;
  });
  return extra;
}

export async function loopTable() {
  const { prepareModel } = await import(join(root, 'dist/cli/prepare.js'));
  const { buildMcuImage } = await import(join(root, 'dist/cross/mcu.js'));
  const { ensureInsnCountPlugin } = await import(join(root, 'dist/cross/plugin.js'));
  const { project, target } = prepareModel(MODEL, { target: 'cortex-m4', kernels: 'simd' });
  const image = buildMcuImage(project, target, { layers: false });
  const plugin = ensureInsnCountPlugin();
  const dir = mkdtempSync(join(tmpdir(), 'mobilec-m4loops-'));
  try {
    const c = join(image.dir, `${project.name}.c`);
    const s = join(dir, 'model.s');
    run(target.cc, ['-S', ...target.cflags, '-std=c99', '-ffunction-sections', '-fdata-sections', '-I', image.dir, c, '-o', s]);
    const asm = readFileSync(s, 'utf8');
    return LOOPS.map((spec, n) => {
      const lines = functionLines(asm, spec.fn, /@.*$/);
      const loops = lines ? innermostLoops(lines, T32_BRANCH).filter(([a, b]) => lines.slice(a, b + 1).some((l) => spec.must.test(l))) : [];
      const count = ([a, b]) => lines.slice(a, b + 1).filter(isInstruction).length;
      const best = loops.sort((a, b) => count(b) - count(a))[0];
      if (!best) return { loop: spec.loop, fn: spec.fn, found: false };
      const file = join(dir, `loop${n}.s`);
      writeFileSync(file, `\t.syntax unified\n\t.thumb\n${mcaInput(lines, best[0], best[1], T32_BRANCH)}`);
      if (process.env.M4_LOOPS_DIR) writeFileSync(join(process.env.M4_LOOPS_DIR, `loop${n}.s`), readFileSync(file));
      const body = lines.slice(best[0], best[1] + 1).filter(isInstruction);
      const instructions = body.length;
      const at = imageLoop(image.elf, spec.fn, body);
      if (!at) return { loop: spec.loop, fn: spec.fn, found: false, instructions };
      const w = pluginWindows(image, dir, project.params.inputBytes, plugin, at);
      const iterations = w.instructions / instructions;
      const plugin_ = (w.cycles + P * w.windows) / iterations;
      const { cycles: llvm, issue } = mca(file);
      const trm = trmDifference(body);
      const adjusted = llvm + trm;
      return {
        loop: spec.loop,
        fn: spec.fn,
        found: true,
        instructions,
        windows: w.windows,
        iterations,
        plugin: round2(plugin_),
        mca: round2(llvm),
        ratio: Math.round((plugin_ / llvm) * 1000) / 1000,
        // llvm-mca's issue cycles (Block RThroughput) and its load-use stalls (the rest of its cycles)
        mcaIssue: issue,
        mcaStalls: round2(llvm - issue),
        trmDifference: trm,
        mcaTrm: round2(adjusted),
        ratioTrm: Math.round((plugin_ / adjusted) * 1000) / 1000,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await loopTable();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    const head = [
      'loop',
      'insns/iter',
      'plugin cycles/iter',
      'llvm-mca cycles/iter',
      'ratio plugin/mca',
      'llvm-mca stalls/iter',
      'TRM differences/iter',
      'llvm-mca + TRM differences',
      'ratio',
    ];
    console.log(`| ${head.join(' | ')} |\n| ${head.map(() => '---').join(' | ')} |`);
    for (const r of rows) {
      const cells = r.found
        ? [
            r.loop,
            String(r.instructions),
            r.plugin.toFixed(2),
            r.mca.toFixed(2),
            r.ratio.toFixed(3),
            r.mcaStalls.toFixed(2),
            String(r.trmDifference),
            r.mcaTrm.toFixed(2),
            r.ratioTrm.toFixed(3),
          ]
        : [r.loop, 'not found', '-', '-', '-', '-', '-', '-', '-'];
      console.log(`| ${cells.join(' | ')} |`);
    }
    console.log(
      "\nllvm-mca stalls: its cycles beyond its issue cycles (Block RThroughput), a load result read the next cycle. TRM differences: what the TRM table (plugin) charges beyond LLVM's Cortex-M4 model: LDRD/STRD 3 vs 1, a single LDR not after a load 2 vs 1, the taken loop branch's refill P.",
    );
    console.log(
      `\nplugin: cycles=m4 on qemu-system-arm mps2-an386, window = the loop, P=${P} added back for each loop exit; llvm-mca -mcpu=cortex-m4 -iterations=${ITERATIONS} (examples/models/mobilenet_v1_0.25_96_int8.json on cortex-m4).`,
    );
    if (rows.some((r) => !r.found)) process.exit(1);
  }
}
