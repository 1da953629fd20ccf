#!/usr/bin/env node
// `npm run bench:a53`: the hot inner loops of the aarch64 NEON kernels (rpi3 = Cortex-A53,
// rpi4 = Cortex-A72 run the same code) under llvm-mca, for the in-order question instruction
// counts cannot answer (QEMU executes the same instructions whatever -cpu says).
//
// It compiles examples/models/mobilenet_v1_0.25_96_int8.json for rpi3, turns the model C into
// assembly with `aarch64-linux-gnu-gcc -S` (-fno-inline keeps each kernel function apart;
// the always_inline tiles still land in their callers), takes the innermost loop (a backward
// branch and the code from its label) of three kernels, and runs each body through
// `llvm-mca -mcpu=cortex-a53` and `-mcpu=cortex-a72`. Prints a table (or JSON with --json):
// loop, instructions per iteration, cycles per iteration and IPC on each core.
// A53_LOOPS_DIR=<dir> keeps the loop bodies (loop0.s ...) there. Run after `npm run build`; needs aarch64-linux-gnu-gcc and llvm-mca (Debian: llvm).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = join(root, 'examples/models/mobilenet_v1_0.25_96_int8.json');
const CPUS = ['cortex-a53', 'cortex-a72'];
const ITERATIONS = 200;

/** The loops: the function holding it (name prefix) and an instruction only the wanted loop has. */
export const LOOPS = [
  {
    loop: 'pointwise packed s8 (4 px x 16 ch, K 128: 16 steps/iter)',
    fn: 'mobilec_pw_s8_neon_t4x16_rn_6x6x128_128',
    must: /\bsadalp\s+v31\.4s/,
  },
  { loop: 'depthwise pair row (3x3 s1, 16 ch, 2 px/iter)', fn: 'mobilec_dw_s8_neon_rn_pair_k3s1same_24x24x32_row', must: /\bsaddw2\b/ },
  { loop: 'stem conv rows (3x3 s2, 3->8 ch, 4 px/iter)', fn: 'mobilec_conv_s8_neon_t4x8_rn_rows_k3s2same_96x96x3_8_run', must: /\bsmlal2\b/ },
];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? ''}${r.stderr ?? ''}`);
  return r.stdout;
}

/** The assembly of the model's kernels for rpi3. */
function modelAssembly(dir) {
  const out = join(dir, 'project');
  run(process.execPath, [join(root, 'dist/cli/main.js'), 'compile', MODEL, '--target', 'rpi3', '--out', out]);
  const c = join(out, 'mobilenet_v1_0_25_96_int8.c');
  const s = join(dir, 'model.s');
  run('aarch64-linux-gnu-gcc', ['-S', '-O3', '-mcpu=cortex-a53', '-fno-inline', '-I', out, c, '-o', s]);
  return readFileSync(s, 'utf8');
}

/** The lines of function `name` (static functions may carry a .constprop/.isra suffix); `comment` strips comments. */
export function functionLines(asm, name, comment = /\/\/.*$/) {
  const lines = asm.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${name}:`) || l.startsWith(`${name}.`));
  if (start < 0) return null;
  const label = lines[start].slice(0, -1);
  const end = lines.findIndex((l, i) => i > start && l.includes(`.size\t${label},`));
  return lines.slice(start + 1, end < 0 ? undefined : end).map((l) => l.replace(comment, '').trim());
}

export const labelOf = (l) => /^(\d+|\.L\w+):$/.exec(l)?.[1] ?? null;
export const isInstruction = (l) => l !== '' && !l.startsWith('.') && labelOf(l) === null;
/** A branch whose last operand is a label (group 1): aarch64 spelling. */
export const A64_BRANCH = /^(?:b(?:\.\w+)?|cbn?z|tbn?z)\s+(?:.*,\s*)?(\d+[bf]|\.L\w+)$/;

/** Index of the label a branch at line i refers to (1b: nearest before, 1f: nearest after, .Lx: anywhere). */
export function targetIndex(lines, i, ref) {
  const m = /^(\d+)([bf])$/.exec(ref);
  if (!m) return lines.findIndex((l) => labelOf(l) === ref);
  if (m[2] === 'b') {
    for (let j = i; j >= 0; j--) if (labelOf(lines[j]) === m[1]) return j;
  } else {
    for (let j = i + 1; j < lines.length; j++) if (labelOf(lines[j]) === m[1]) return j;
  }
  return -1;
}

/** The innermost loops of a function: [label index, branch index] with no other loop inside. */
export function innermostLoops(lines, branch = A64_BRANCH) {
  const loops = [];
  lines.forEach((l, i) => {
    const m = branch.exec(l);
    if (!m) return;
    const t = targetIndex(lines, i, m[1]);
    if (t >= 0 && t < i) loops.push([t, i]);
  });
  return loops.filter(([s, e]) => !loops.some(([s2, e2]) => (s2 !== s || e2 !== e) && s2 >= s && e2 <= e));
}

/** The loop body as llvm-mca input: numeric labels made unique, branches out of the body sent to its end. */
export function mcaInput(lines, s, e, branch = A64_BRANCH) {
  const body = lines.slice(s, e + 1);
  const out = body.map((l, k) => {
    if (labelOf(l) !== null) return `.Lmca${k}:`;
    const m = branch.exec(l);
    if (!m) return l;
    const t = targetIndex(lines, s + k, m[1]);
    const target = t >= s && t <= e ? `.Lmca${t - s}` : '.Lmca_out';
    return l.slice(0, l.length - m[1].length) + target;
  });
  return [...out.filter((l) => l === '' || !l.startsWith('.') || labelOf(l) !== null), '.Lmca_out:'].join('\n') + '\n';
}

function mca(file, cpu) {
  const text = run('llvm-mca', ['-mtriple=aarch64-linux-gnu', `-mcpu=${cpu}`, `-iterations=${ITERATIONS}`, file]);
  const total = Number(/Total Cycles:\s+(\d+)/.exec(text)?.[1]);
  const iterations = Number(/Iterations:\s+(\d+)/.exec(text)?.[1]);
  return total / iterations;
}

export function loopTable() {
  const dir = mkdtempSync(join(tmpdir(), 'mobilec-a53-'));
  try {
    const asm = modelAssembly(dir);
    return LOOPS.map((spec, n) => {
      const lines = functionLines(asm, spec.fn);
      const loops = lines ? innermostLoops(lines).filter(([s, e]) => lines.slice(s, e + 1).some((l) => spec.must.test(l))) : [];
      const count = ([s, e]) => lines.slice(s, e + 1).filter(isInstruction).length;
      const best = loops.sort((a, b) => count(b) - count(a))[0];
      if (!best) return { loop: spec.loop, fn: spec.fn, found: false };
      const file = join(dir, `loop${n}.s`);
      writeFileSync(file, mcaInput(lines, best[0], best[1]));
      if (process.env.A53_LOOPS_DIR) writeFileSync(join(process.env.A53_LOOPS_DIR, `loop${n}.s`), readFileSync(file));
      const instructions = count(best);
      const row = { loop: spec.loop, fn: spec.fn, found: true, instructions };
      for (const cpu of CPUS) {
        const cycles = mca(file, cpu);
        row[cpu] = { cycles: Math.round(cycles * 100) / 100, ipc: Math.round((instructions / cycles) * 100) / 100 };
      }
      return row;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = loopTable();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    const cells = [['loop', 'insns/iter', ...CPUS.flatMap((c) => [`${c} cycles/iter`, `${c} IPC`])]];
    for (const r of rows) {
      cells.push(
        r.found
          ? [r.loop, String(r.instructions), ...CPUS.flatMap((c) => [r[c].cycles.toFixed(2), r[c].ipc.toFixed(2)])]
          : [r.loop, 'not found', '-', '-', '-', '-'],
      );
    }
    console.log(`| ${cells[0].join(' | ')} |\n| ${cells[0].map(() => '---').join(' | ')} |`);
    for (const c of cells.slice(1)) console.log(`| ${c.join(' | ')} |`);
    console.log(
      `\nllvm-mca ${ITERATIONS} iterations of each loop body (examples/models/mobilenet_v1_0.25_96_int8.json on rpi3, aarch64-linux-gnu-gcc -S -O3).`,
    );
    if (rows.some((r) => !r.found)) process.exit(1);
  }
}
