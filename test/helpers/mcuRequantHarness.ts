/**
 * Standalone harnesses for the requantization epilogues outside NEON, each
 * built from the very template code the kernels use:
 *
 * - DSP (cortex-m4, qemu-system-arm): the kernels' helpers, partial dsp/runtime
 *   (whose partial dsp/requant holds mobilec_dsp_requant and
 *   mobilec_dsp_requant2), partial dsp/requant_any (mobilec_dsp_requant2l, the
 *   total form and the per-channel dispatchers) and the kernels' call partial
 *   dsp/requant_call for every form (x64, smmlar, any, left, mix, mix64) x
 *   (int8 saturation, uint8 saturation, clamp), with constants from the real
 *   encoders of src/codegen/isa/dsp/requant.ts.
 *   Record in (DSP_IN int32): acc, u8, act_min, act_max, general[4], smmlar[4],
 *   2·acc (0 when it leaves int32), total[4], left[4], mix[4], mix64[4].
 *   Record out (DSP_OUT int32): per form in that order (x64, smmlar, any, left,
 *   mix, mix64) raw, sat, clamp.
 * - Helium (cortex-m55): the kernels' helpers, partial mve/runtime (with
 *   mve/requant) and mve/requant_call in its three forms (ls, r, rn), on
 *   4 lanes and on its second vector (v2).
 *   Record in (MVE_IN int32): acc[4], m[4], ls[4], rs[4], y_zp, act_min, act_max, 0.
 *   Record out (MVE_OUT int32): per form (ls, r, rn) v[4], v2[4].
 * - Generic C (host): templates/runtime.h.hbs (partial c/requant).
 *   Record in (C_IN int32): acc, multiplier, shift, y_zp, act_min, act_max.
 *   Record out (C_OUT int32): mobilec_mbqm, clamp(add_zp(mbqm)).
 *
 * On the MCUs the records stream through semihosting in chunks (the
 * Cortex-M55 board has 512 KB of data RAM).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIRMWARE_DIR, qemuSystemArgs } from '../../src/cross/mcu.js';
import { DSP_REQUANT_FN } from '../../src/codegen/isa/dsp/requant.js';
import { render, renderSource } from '../../src/codegen/templates.js';
import type { Target } from '../../src/targets/index.js';
import { execTool } from '../../src/util/exec.js';

export const DSP_IN = 29;
export const DSP_OUT = 18;
export const MVE_IN = 20;
export const MVE_OUT = 24;
export const C_IN = 6;
export const C_OUT = 2;
const CHUNK = 256;

/** The semihosting main of an MCU harness: `process(r, o)` on every record of in.bin, results to out.bin. */
const MCU_MAIN = `
static int32_t in_[{{chunk}} * {{recIn}}];
static int32_t out_[{{chunk}} * {{recOut}}];

int main(void)
{
    const int hi = sh_open("in.bin", SH_MODE_RB);
    const int ho = sh_open("out.bin", SH_MODE_WB);
    long done = 0;
    if (hi < 0 || ho < 0) {
        return 1;
    }
    while (done < {{n}}) {
        const long k = {{n}} - done < {{chunk}} ? {{n}} - done : {{chunk}};
        long i;
        if (sh_read_all(hi, in_, (size_t)k * {{recIn}} * 4) != 0) {
            return 2;
        }
        for (i = 0; i < k; ++i) {
            process(in_ + i * {{recIn}}, out_ + i * {{recOut}});
        }
        if (sh_write_all(ho, out_, (size_t)k * {{recOut}} * 4) != 0) {
            return 3;
        }
        done += k;
    }
    sh_close(hi);
    sh_close(ho);
    return 0;
}
`;

const DSP_SOURCE = `/* DSP requantization harness (test/helpers/mcuRequantHarness.ts). */
#include <stdint.h>
#include "semihosting.h"
{{> dsp/runtime}}
{{#each forms}}
static int32_t {{name}}(int32_t a0, const int32_t *ra, int32_t act_min, int32_t act_max)
{
    (void)act_min;
    (void)act_max;
    return {{> dsp/requant_call acc="a0" r="ra"}};
}
{{/each}}

/* Each form: its function raw, then through dsp/requant_call saturated (int8 or uint8) and clamped. */
#define FORM(o, f, fn, a, k) \\
    do { \\
        (o)[0] = fn((a), (k)); \\
        (o)[1] = r[1] ? rq_##f##_sat_u8((a), (k), r[2], r[3]) : rq_##f##_sat_s8((a), (k), r[2], r[3]); \\
        (o)[2] = rq_##f##_clamp((a), (k), r[2], r[3]); \\
    } while (0)

static void process(const int32_t *r, int32_t *o)
{
    FORM(o, x64, mobilec_dsp_requant, r[0], r + 4);
    FORM(o + 3, smmlar, mobilec_dsp_requant2, r[12], r + 8);
    FORM(o + 6, any, mobilec_dsp_requant_any, r[0], r + 13);
    FORM(o + 9, left, mobilec_dsp_requant2l, r[12], r + 17);
    FORM(o + 12, mix, mobilec_dsp_requant_mix, r[12], r + 21);
    FORM(o + 15, mix64, mobilec_dsp_requant_mix64, r[0], r + 25);
}
${MCU_MAIN}`;

const DSP_FORMS = (['x64', 'smmlar', 'any', 'left', 'mix', 'mix64'] as const).flatMap((f) => {
  const rqfn = DSP_REQUANT_FN[f];
  return [
    { name: `rq_${f}_sat_s8`, sat: true, dtype: 'int8', rqfn },
    { name: `rq_${f}_sat_u8`, sat: true, dtype: 'uint8', rqfn },
    { name: `rq_${f}_clamp`, sat: false, dtype: 'int8', rqfn },
  ];
});

const MVE_SOURCE = `/* Helium requantization harness (test/helpers/mcuRequantHarness.ts). */
#include <stdint.h>
#include "semihosting.h"
{{> mve/runtime}}
{{#each forms}}
static void {{name}}(const int32_t *r, int32_t *o)
{
    int32x4_t va = vldrwq_s32(r);
    int32x4_t vb = vldrwq_s32(r);
    const int32x4_t mv = vldrwq_s32(r + 4);
    const int32x4_t lv = vldrwq_s32(r + 8);
    const int32x4_t rv = vldrwq_s32(r + 12);
    const int32_t y_zp = r[16];
    const int32_t act_min = r[17];
    const int32_t act_max = r[18];
    (void)lv;
    {{> mve/requant_call v="va" m="mv" l="lv" r="rv" v2="vb" m2="mv" l2="lv" r2="rv"}}
    vstrwq_s32(o, va);
    vstrwq_s32(o + 4, vb);
}
{{/each}}

static void process(const int32_t *r, int32_t *o)
{
    rq_ls(r, o);
    rq_r(r, o + 8);
    rq_rn(r, o + 16);
}
${MCU_MAIN}`;

const MVE_FORMS = [
  { name: 'rq_ls', left: true, rn: false },
  { name: 'rq_r', left: false, rn: false },
  { name: 'rq_rn', left: false, rn: true },
];

const C_SOURCE = `/* Generic C requantization harness (test/helpers/mcuRequantHarness.ts): records on stdin, results on stdout. */
#include <stdio.h>
{{{runtime}}}

int main(void)
{
    int32_t r[{{recIn}}], o[{{recOut}}];
    while (fread(r, sizeof r, 1, stdin) == 1) {
        o[0] = mobilec_mbqm(r[0], r[1], r[2]);
        o[1] = mobilec_clamp(mobilec_add_zp(mobilec_mbqm(r[0], r[1], r[2]), r[3]), r[4], r[5]);
        if (fwrite(o, sizeof o, 1, stdout) != 1) return 1;
    }
    return 0;
}
`;

const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];

const toInt32 = (b: Buffer): Int32Array => new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/** Builds a harness for a bare-metal target (its board's start-up and semihosting), runs it under qemu-system-arm. */
function runMcu(target: Target, source: string, input: Int32Array, n: number, recOut: number): Int32Array {
  if (target.emulator.kind !== 'system') throw new Error(`${target.name} is not a qemu-system board`);
  const { command, machine, cpu } = target.emulator;
  const dir = mkdtempSync(join(tmpdir(), `mobilec-mcu-requant-${target.name}-`));
  try {
    for (const f of ['startup.c', 'semihosting.c', 'semihosting.h', 'sections.ld', `${machine}.ld`]) copyFileSync(join(FIRMWARE_DIR, f), join(dir, f));
    writeFileSync(join(dir, 'harness.c'), source);
    writeFileSync(join(dir, 'in.bin'), new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
    const ld = ['-nostartfiles', '--specs=nano.specs', '-T', `${machine}.ld`, '-Wl,--gc-sections', '-Wl,--defsym=__heap_size=0'];
    execTool(target.cc, [...target.cflags, ...STRICT, '-I', '.', 'harness.c', 'startup.c', 'semihosting.c', ...ld, '-o', 'fw.elf'], {
      cwd: dir,
      what: `compiling the requantization harness for ${target.name}`,
    });
    const args = qemuSystemArgs({ machine, cpu }, 'fw.elf');
    execTool(command, args, { cwd: dir, timeoutMs: 120_000, what: `running the requantization harness on ${target.name}` });
    const out = toInt32(readFileSync(join(dir, 'out.bin')));
    if (out.length !== n * recOut) throw new Error(`harness wrote ${out.length} values, expected ${n * recOut}`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs DSP records (DSP_IN int32 each) on `target` (cortex-m4 / m7 / m33); DSP_OUT int32 per record back. */
export function runDspHarness(target: Target, records: Int32Array): Int32Array {
  const n = records.length / DSP_IN;
  const src = renderSource(DSP_SOURCE, { anyRq: true, forms: DSP_FORMS, chunk: CHUNK, n, recIn: DSP_IN, recOut: DSP_OUT });
  return runMcu(target, src, records, n, DSP_OUT);
}

/** Runs Helium records (MVE_IN int32 each) on `target` (cortex-m55); MVE_OUT int32 per record back. */
export function runMveHarness(target: Target, records: Int32Array): Int32Array {
  const n = records.length / MVE_IN;
  const src = renderSource(MVE_SOURCE, { forms: MVE_FORMS, chunk: CHUNK, n, recIn: MVE_IN, recOut: MVE_OUT });
  return runMcu(target, src, records, n, MVE_OUT);
}

/** Runs generic-C records (C_IN int32 each) with the host compiler; C_OUT int32 per record back. */
export function runCHarness(cc: string, records: Int32Array): Int32Array {
  const dir = mkdtempSync(join(tmpdir(), 'mobilec-c-requant-'));
  try {
    writeFileSync(join(dir, 'harness.c'), renderSource(C_SOURCE, { runtime: render('runtime.h.hbs', {}), recIn: C_IN, recOut: C_OUT }));
    execTool(cc, [...STRICT, '-O2', 'harness.c', '-o', 'harness'], { cwd: dir, what: 'compiling the generic requantization harness' });
    const r = spawnSync(join(dir, 'harness'), [], {
      input: new Uint8Array(records.buffer, records.byteOffset, records.byteLength),
      maxBuffer: 64 << 20,
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`the generic requantization harness failed (${r.status ?? r.signal ?? r.error?.message})`);
    return toInt32(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
