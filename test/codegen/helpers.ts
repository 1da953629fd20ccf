/** Test helpers: hand-built graphs, compiling and running generated C. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { DType, Graph, Op, Quantization, Tensor, TensorData } from '../../src/model/ir.js';
import type { GeneratedProject } from '../../src/codegen/index.js';

export class GraphBuilder {
  readonly tensors: Tensor[] = [];
  readonly ops: Op[] = [];

  tensor(name: string, shape: number[], dtype: DType, extra: { quant?: Quantization; data?: TensorData } = {}): number {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape, dtype, ...extra });
    return id;
  }

  op(op: Op): this {
    this.ops.push(op);
    return this;
  }

  build(name: string, inputs: number[], outputs: number[]): Graph {
    return { name, tensors: this.tensors, ops: this.ops, inputs, outputs };
  }
}

export function q(scale: number, zeroPoint: number, axis = 0): Quantization {
  return { scale: [scale], zeroPoint: [zeroPoint], axis };
}

export function hasCompiler(cc: string): boolean {
  return spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0;
}

export const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mobilec-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A temporary-directory maker for one test file: its directories are removed after the file's tests. */
export function tempDirs(): (prefix: string) => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));
  return (prefix) => {
    const d = tempDir(prefix);
    dirs.push(d);
    return d;
  };
}

export function writeFiles(dir: string, project: GeneratedProject): void {
  for (const [f, c] of project.files) writeFileSync(join(dir, f), c);
}

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${err.stderr ?? ''}${err.stdout ?? ''}\n${err.message}`);
  }
}

/** Compiles every C / assembly file of the project with the strict flags (-c only). */
export function compileStrict(dir: string, project: GeneratedProject, cc: string): void {
  const n = project.name;
  run(cc, [...STRICT, '-c', `${n}.c`, '-o', `${n}.o`], dir);
  run(cc, [...STRICT, '-DMOBILEC_LAYER_HOOKS', '-c', `${n}.c`, '-o', `${n}_hooks.o`], dir);
  run(cc, [...STRICT, '-c', `${n}_abi.c`, '-o', `${n}_abi.o`], dir);
  run(cc, [...STRICT, '-DMOBILEC_LAYER_HOOKS', '-c', `${n}_abi.c`, '-o', `${n}_abi_hooks.o`], dir);
  run(cc, ['-c', `${n}_weights.S`, '-o', `${n}_weights.o`], dir);
}

export interface RunOutput {
  output: Uint8Array;
  /** Bytes reported by the layer hook, by layer index. */
  layers: Map<number, Uint8Array>;
}

/**
 * Builds the project with a small main (layer hooks on), writes `input` into
 * the input buffer, invokes once and returns the output and every layer's bytes.
 */
export function buildAndRun(dir: string, project: GeneratedProject, input: Uint8Array, cc = 'gcc'): RunOutput {
  const n = project.name;
  const N = n.toUpperCase();
  const main = `#include <stdio.h>
#include <string.h>
#include "${n}.h"
static const unsigned char input_bytes[${Math.max(1, input.length)}] = { ${input.length ? [...input].join(', ') : '0'} };
static void hook(void *ctx, int layer, const void *data, unsigned long bytes)
{
    const unsigned char *p = (const unsigned char *)data;
    unsigned long i;
    (void)ctx;
    printf("L %d", layer);
    for (i = 0; i < bytes; ++i) printf(" %u", (unsigned)p[i]);
    printf("\\n");
}
int main(void)
{
    const unsigned char *out;
    unsigned long i;
    if (sizeof(input_bytes) < MOBILEC_${N}_INPUT_BYTES) return 2;
    memcpy(mobilec_${n}_input(), input_bytes, MOBILEC_${N}_INPUT_BYTES);
    mobilec_${n}_set_layer_hook(hook, 0);
    if (mobilec_${n}_invoke() != 0) return 3;
    out = (const unsigned char *)mobilec_${n}_output();
    printf("O");
    for (i = 0; i < MOBILEC_${N}_OUTPUT_BYTES; ++i) printf(" %u", (unsigned)out[i]);
    printf("\\n");
    return 0;
}
`;
  writeFileSync(join(dir, 'main.c'), main);
  const weights = project.files.has(`${n}_weights.c`) ? `${n}_weights.c` : `${n}_weights.S`;
  run(cc, [...STRICT, '-O1', '-DMOBILEC_LAYER_HOOKS', 'main.c', `${n}.c`, weights, '-o', 'main', '-lm'], dir);
  const text = run(join(dir, 'main'), [], dir);
  const layers = new Map<number, Uint8Array>();
  let output = new Uint8Array(0);
  for (const line of text.split('\n')) {
    const parts = line.trim().split(' ');
    if (parts[0] === 'L') layers.set(Number(parts[1]), Uint8Array.from(parts.slice(2).map(Number)));
    else if (parts[0] === 'O') output = Uint8Array.from(parts.slice(1).map(Number));
  }
  return { output, layers };
}

export function bytesOf(d: TensorData): Uint8Array {
  return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

export function asFloat32(b: Uint8Array): Float32Array {
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
