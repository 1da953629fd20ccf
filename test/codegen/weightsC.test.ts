/**
 * `compile --weights c`: the constants as C arrays. Every value type
 * round-trips bit for bit through the compilers, the file is warning-free
 * under the strict flags on every compiler, the C form and the .incbin form
 * give the same outputs (every layer on the host, the final output on the
 * Cortex-M4 board), MOBILEC_WEIGHTS_SECTION really places the symbols in both
 * forms, and a 17 MB float model is written in seconds.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateProject, type GeneratedProject, type WeightsForm } from '../../src/codegen/index.js';
import { weightsCSource, type WeightsConstant } from '../../src/codegen/weightsC.js';
import { mcuRunner, mcuToolsAvailable } from '../../src/cross/mcu.js';
import { elementCount, type Graph } from '../../src/model/ir.js';
import { loadModel } from '../../src/pipeline.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host, targetByName, type Target } from '../../src/targets/index.js';
import { Prng } from '../../src/util/prng.js';
import { seededInput, toBytes } from '../../src/util/tensors.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';
import { STRICT, buildAndRun, bytesOf, hasCompiler, tempDirs, writeFiles } from './helpers.js';

const CI = process.env.CI === 'true';
const M4 = targetByName('cortex-m4');
const M4_FLAGS = M4.cflags.filter((f) => f.startsWith('-m'));

/** Every compiler the weights file must build with, warning-free: [command, target flags]. */
const COMPILERS: readonly (readonly [string, readonly string[]])[] = [
  ['gcc', []],
  ['clang', []],
  ['arm-none-eabi-gcc', M4_FLAGS],
  ['aarch64-linux-gnu-gcc', []],
  ['arm-linux-gnueabihf-gcc', []],
];
const available = COMPILERS.filter(([cc]) => hasCompiler(cc));
if (!CI && available.length < COMPILERS.length) {
  console.warn(
    `weightsC tests: missing compilers ${COMPILERS.filter((c) => !available.includes(c))
      .map(([cc]) => cc)
      .join(', ')} (see scripts/ensure-tools.sh)`,
  );
}
const compilers = CI ? COMPILERS : available;

const newDir = tempDirs();

function run(cmd: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.error?.message}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const graphs = new Map<string, Graph>();
function example(file: string): Graph {
  let g = graphs.get(file);
  if (!g) {
    g = loadModel(join(EXAMPLES, file));
    graphs.set(file, g);
  }
  return g;
}

const gen = (g: Graph, name: string, target: Target, weights: WeightsForm, kernels: 'simd' | 'generic' = 'generic'): GeneratedProject =>
  generateProject(g, { name, target, kernels, weights });

function constant(symbol: string, ctype: string, data: ArrayBufferView & { length: number }): WeightsConstant {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { symbol, ctype, count: data.length, bytes: bytes.byteLength, data: bytes };
}

/** Constants with every edge value of every type the generator writes. */
function edgeConstants(): WeightsConstant[] {
  const rng = new Prng(5);
  const floatBits = [
    0x00000000,
    0x80000000, // +0, -0
    0x00000001,
    0x80000001,
    0x007fffff,
    0x00400000,
    0x00000010, // subnormals
    0x00800000,
    0x7f7fffff,
    0xff7fffff, // smallest normal, ±FLT_MAX
    0x3f800000,
    0xbfc00000,
    0x3dcccccd,
    0x40490fdb,
    0x3f000001,
    0x4b000000,
    0x33800000,
    0x7f800000,
    0xff800000, // ±infinity
  ];
  for (let i = 0; i < 500; i++) floatBits.push(rng.nextUint32());
  // Random bit patterns: replace NaNs (checked separately) by their payload-free ones.
  const floats = new Uint32Array(floatBits.map((b) => (((b >>> 23) & 0xff) === 0xff && (b & 0x7fffff) !== 0 ? b & 0xff7fffff : b)));
  return [
    constant('edge_f', 'float', floats),
    constant(
      'edge_s8',
      'int8_t',
      Int8Array.from({ length: 256 }, (_, i) => i - 128),
    ),
    constant(
      'edge_u8',
      'uint8_t',
      Uint8Array.from({ length: 256 }, (_, i) => i),
    ),
    constant('edge_s16', 'int16_t', Int16Array.from([-32768, -32767, -1, 0, 1, 9, 10, 99, 100, 12345, 32767])),
    constant('edge_s32', 'int32_t', Int32Array.from([-2147483648, -2147483647, -1000000000, -1, 0, 1, 10, 123456789, 2147483647])),
    constant('edge_nan', 'float', Uint32Array.from([0x7fc00000, 0xffc00001])),
  ];
}

const EDGE_MAIN = `#include <stdio.h>
#include <stdint.h>
#include <string.h>
extern const float edge_f[%F];
extern const int8_t edge_s8[256];
extern const uint8_t edge_u8[256];
extern const int16_t edge_s16[11];
extern const int32_t edge_s32[9];
extern const float edge_nan[2];
static void dump(const char *tag, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    printf("%s", tag);
    for (i = 0; i < n; ++i) printf(" %02x", b[i]);
    printf(" align %u\\n", (unsigned)((uintptr_t)p % 16u));
}
int main(void)
{
    dump("f", edge_f, sizeof edge_f);
    dump("s8", edge_s8, sizeof edge_s8);
    dump("u8", edge_u8, sizeof edge_u8);
    dump("s16", edge_s16, sizeof edge_s16);
    dump("s32", edge_s32, sizeof edge_s32);
    dump("nan", edge_nan, sizeof edge_nan);
    return 0;
}
`;

describe('--weights c: the C arrays', () => {
  let dir: string;
  let constants: WeightsConstant[];
  beforeAll(() => {
    dir = newDir('weightsc-edge');
    constants = edgeConstants();
    const total = constants.reduce((s, c) => s + c.bytes, 0);
    writeFileSync(join(dir, 'edge_weights.c'), weightsCSource({ name: 'edge', NAME: 'EDGE', weightBytes: total }, constants));
    writeFileSync(join(dir, 'main.c'), EDGE_MAIN.replace('%F', String(constants[0]!.count)));
  });

  it.each(['gcc', 'clang'])('every value of every type round-trips bit for bit, 16-byte aligned (%s)', (cc) => {
    const text = readFileSync(join(dir, 'edge_weights.c'), 'latin1');
    expect(text).toContain('-0x1.8p0f'); // -1.5
    expect(text).toContain('0x0.000002p-126f'); // the smallest subnormal
    expect(text).toContain('(-2147483647 - 1)');
    expect(text).toContain('#include <math.h>'); // INFINITY, NAN
    const exe = `edge_${cc}`;
    run(cc, [...STRICT, '-O2', 'main.c', 'edge_weights.c', '-o', exe], dir);
    const lines = new Map(
      run(join(dir, exe), [], dir)
        .trim()
        .split('\n')
        .map((l) => [l.split(' ')[0]!, l.split(' ').slice(1)] as const),
    );
    const hex = (c: WeightsConstant) => [...c.data].map((b) => b.toString(16).padStart(2, '0'));
    for (const [tag, c] of [
      ['f', constants[0]!],
      ['s8', constants[1]!],
      ['u8', constants[2]!],
      ['s16', constants[3]!],
      ['s32', constants[4]!],
    ] as const) {
      const got = lines.get(tag)!;
      expect(got.slice(0, -2), `${tag}: bytes`).toEqual(hex(c));
      expect(got.slice(-2), `${tag}: alignment`).toEqual(['align', '0']);
    }
    // NaN: still a NaN of each sign-agnostic kind (C99 has no payload syntax).
    const nan = new Uint32Array(
      Uint8Array.from(
        lines
          .get('nan')!
          .slice(0, -2)
          .map((h) => parseInt(h, 16)),
      ).buffer,
    );
    for (const bits of nan) expect(((bits >>> 23) & 0xff) === 0xff && (bits & 0x7fffff) !== 0).toBe(true);
  });

  it.each(compilers.map(([cc, flags]) => [cc, flags] as const))(
    'compiles warning-free under -std=c99 -Wall -Wextra -Werror -pedantic, with and without MOBILEC_WEIGHTS_SECTION (%s)',
    (cc, flags) => {
      const m4 = gen(example('mobilenet_v1_0.25_96_int8.json'), 'm4net', M4, 'c', 'simd');
      const d = newDir('weightsc-strict');
      writeFiles(d, m4);
      writeFileSync(join(d, 'edge_weights.c'), readFileSync(join(dir, 'edge_weights.c')));
      for (const file of ['edge_weights.c', 'm4net_weights.c']) {
        for (const def of [[], ['-DMOBILEC_WEIGHTS_SECTION=".mobilec_w"']]) {
          const r = spawnSync(cc, [...flags, ...STRICT, '-O2', ...def, '-c', file, '-o', 'w.o'], { cwd: d, encoding: 'utf8' });
          expect(`${r.status} ${r.stderr}`, `${cc} ${file} ${def.join(' ')}`).toBe('0 ');
        }
      }
    },
  );
});

describe('--weights c and --weights incbin give the same model', () => {
  it.each([
    ['tiny_layers.json', 'tiny'],
    ['mobilenet_v1_0.25_96_int8.json', 'mnet'],
  ])('%s on the host: same C code, same output and every layer bit for bit', (file, name) => {
    const g = example(file);
    const inc = gen(g, name, host, 'incbin');
    const c = gen(g, name, host, 'c');
    expect([...c.files.keys()].sort()).toEqual(
      [...inc.files.keys()]
        .filter((f) => !f.startsWith(`${name}_weights.`))
        .concat(`${name}_weights.c`)
        .sort(),
    );
    // The same C but for the comment naming the file that defines the constants.
    const constantsComment = /^\/\* Constants: defined in .*\*\/$/m;
    expect(c.files.get(`${name}.c`)).toMatch(`/* Constants: defined in ${name}_weights.c. */`);
    expect(inc.files.get(`${name}.c`)).toMatch(`/* Constants: defined in ${name}_weights.S from ${name}_weights.bin. */`);
    expect((c.files.get(`${name}.c`) as string).replace(constantsComment, '')).toBe((inc.files.get(`${name}.c`) as string).replace(constantsComment, ''));
    expect(c.weightBytes).toBe(inc.weightBytes);
    const inT = g.tensors[g.inputs[0]!]!;
    const input = seededInput(inT.dtype, elementCount(inT.shape), 3);
    const dInc = newDir('weights-inc');
    const dC = newDir('weights-c');
    writeFiles(dInc, inc);
    writeFiles(dC, c);
    const a = buildAndRun(dInc, inc, bytesOf(input));
    const b = buildAndRun(dC, c, bytesOf(input));
    expect(b.output).toEqual(a.output);
    expect(b.layers.size).toBe(inc.layers.length);
    for (const [layer, bytes] of a.layers) expect(b.layers.get(layer), `layer ${layer}`).toEqual(bytes);
    // Not vacuous: the output is the reference's top class with the weights in place.
    const ref = runGraph(g, [input]).outputs[0]!;
    expect(Buffer.compare(Buffer.from(b.output), Buffer.from(new Uint8Array(b.output.length)))).not.toBe(0);
    if (inT.dtype === 'int8') expect(b.output).toEqual(bytesOf(ref));
  });

  const skipM4 = !mcuToolsAvailable(M4) && !CI;
  it.skipIf(skipM4)('mobilenet_v1_0.25_96_int8 on cortex-m4 (DSP kernels, qemu): same output bit for bit, equal to the reference', () => {
    const g = example('mobilenet_v1_0.25_96_int8.json');
    const inT = g.tensors[g.inputs[0]!]!;
    const inputs = [1, 2].map((s) => seededInput(inT.dtype, elementCount(inT.shape), s));
    const outs = (['incbin', 'c'] as const).map((w) =>
      mcuRunner.run(gen(g, 'mnet', M4, w, 'simd'), M4, inputs.map(toBytes), { layers: false, countInstructions: false }).results.map((r) => r.output),
    );
    expect(outs[1]).toEqual(outs[0]);
    inputs.forEach((x, k) => {
      expect(outs[1]![k], `input ${k}`).toEqual(bytesOf(runGraph(g, [x]).outputs[0]!));
    });
  });
});

describe('MOBILEC_WEIGHTS_SECTION places every constant', () => {
  const objdump = (cc: string) => (cc === 'gcc' ? 'objdump' : cc.replace(/gcc$/, 'objdump'));
  /** symbol -> section, from objdump -t. */
  function sections(cc: string, obj: string, cwd: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const line of run(objdump(cc), ['-t', obj], cwd).split('\n')) {
      const m = /^[0-9a-f]+\s+\S.{6}\s(\S+)\s+[0-9a-f]+\s+(?:\.hidden\s+)?(\S+)$/.exec(line.trim());
      if (m) out.set(m[2]!, m[1]!);
    }
    return out;
  }

  it.each(compilers.filter(([cc]) => cc === 'gcc' || cc === 'arm-none-eabi-gcc').map(([cc, flags]) => [cc, flags] as const))(
    'in the .S and the C form, aligned to 16, read-only (%s)',
    (cc, flags) => {
      const g = example('tiny_layers.json');
      for (const form of ['incbin', 'c'] as const) {
        const p = gen(g, 'tiny', host, form);
        const d = newDir(`weights-section-${form}`);
        writeFiles(d, p);
        const src = form === 'c' ? 'tiny_weights.c' : 'tiny_weights.S';
        const symbols = [...readFileSync(join(d, 'tiny.c'), 'utf8').matchAll(/^extern const \w+ (mobilec_tiny_\w+)\[/gm)].map((m) => m[1]!);
        expect(symbols.length).toBeGreaterThan(5);
        run(cc, [...flags, ...STRICT, '-c', src, '-o', 'plain.o'], d);
        run(cc, [...flags, ...STRICT, '-DMOBILEC_WEIGHTS_SECTION=".qspi_rodata"', '-c', src, '-o', 'placed.o'], d);
        const plain = sections(cc, 'plain.o', d);
        const placed = sections(cc, 'placed.o', d);
        for (const s of symbols) {
          expect(plain.get(s), `${form} ${s} without the macro`).toMatch(/^\.rodata/);
          expect(placed.get(s), `${form} ${s} with the macro`).toBe('.qspi_rodata');
        }
        const header = run(objdump(cc), ['-h', 'placed.o'], d);
        const m = /\.qspi_rodata\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+2\*\*(\d+)\s*\n\s*([^\n]+)/.exec(header);
        expect(m, header).not.toBeNull();
        expect(Number(m![1]), `${form}: section alignment`).toBeGreaterThanOrEqual(4);
        expect(m![2]).toContain('READONLY');
      }
    },
  );
});

describe('--weights c on a 17 MB float model (mobilenet_v1_1.0_224)', () => {
  it('compile writes the C arrays within seconds', () => {
    const out = newDir('weights-big');
    const timed = (weights: string) => {
      const t0 = performance.now();
      const r = mobilec(['compile', join(EXAMPLES, 'mobilenet_v1_1.0_224.json'), '--weights', weights, '--out', join(out, weights)]);
      const seconds = (performance.now() - t0) / 1000;
      expect(r.code, r.stderr).toBe(0);
      return { seconds, said: /\(([\d.]+) s\)/.exec(r.stdout)?.[1] };
    };
    const inc = timed('incbin');
    const c = timed('c');
    const size = statSync(join(out, 'c', 'mobilenet_v1_1_0_224_weights.c')).size;
    console.log(
      `compile mobilenet_v1_1.0_224 (16,884,128 B of float weights): --weights c ${c.seconds.toFixed(2)} s wall (${c.said} s reported), ` +
        `--weights incbin ${inc.seconds.toFixed(2)} s wall (${inc.said} s); ${size.toLocaleString('en-US')} B of C`,
    );
    expect(c.seconds).toBeLessThan(20);
    expect(size).toBeGreaterThan(4 * 4_221_032); // at least 4 characters per float
    const bin = statSync(join(out, 'incbin', 'mobilenet_v1_1_0_224_weights.bin')).size;
    // on x86-64 the AVX2 classifier's bias is padded to whole 16-channel panels (1000 -> 1008 floats)
    expect(bin).toBe(host.simd === 'avx2' ? 16_884_160 : 16_884_128);
  });
});
