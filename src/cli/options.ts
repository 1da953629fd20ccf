/** Option parsers shared by the commands; bad values are usage errors (exit 2). */
import { InvalidArgumentError } from 'commander';
import type { WeightsForm } from '../codegen/index.js';
import type { KernelTuning } from '../codegen/types.js';
import { TARGETS } from '../targets/index.js';

export function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${name} must be a positive integer (got '${value}')`);
    return Number(value);
  };
}

export function nonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError(`${name} must be a non-negative integer (got '${value}')`);
    return Number(value);
  };
}

export function finiteNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number (got '${value}')`);
    return n;
  };
}

/** One number or a comma-separated list of them (`--mean 123.675,116.28,103.53`: one per channel). */
export function finiteNumberList(name: string) {
  return (value: string): number[] => {
    const parts = value.split(',');
    const nums = parts.map((p) => Number(p));
    if (parts.some((p) => p.trim() === '') || nums.some((n) => !Number.isFinite(n))) {
      throw new InvalidArgumentError(`${name} must be a number or a comma-separated list of numbers, one per channel (got '${value}')`);
    }
    return nums;
  };
}

export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number (got '${value}')`);
    return n;
  };
}

export function targetName(value: string): string {
  if (!TARGETS.has(value)) {
    throw new InvalidArgumentError(`unknown target '${value}'; supported: ${[...TARGETS.keys()].join(', ')}`);
  }
  return value;
}

export type KernelChoice = 'simd' | 'generic';

export function kernelChoice(value: string): KernelChoice {
  if (value !== 'simd' && value !== 'generic') throw new InvalidArgumentError(`--kernels must be simd or generic (got '${value}')`);
  return value;
}

export type WeightsChoice = WeightsForm;

export function weightsChoice(value: string): WeightsChoice {
  if (value !== 'incbin' && value !== 'c') throw new InvalidArgumentError(`--weights must be incbin or c (got '${value}')`);
  return value;
}

export type FormatChoice = 'cmake' | 'arduino' | 'zephyr';

export function formatChoice(value: string): FormatChoice {
  if (value !== 'cmake' && value !== 'arduino' && value !== 'zephyr') {
    throw new InvalidArgumentError(`--format must be cmake, arduino or zephyr (got '${value}')`);
  }
  return value;
}

/**
 * `--tune` items, repeatable, for experiments: `only=<variant key>` (may
 * repeat: the SIMD kernels are restricted to these variants) and
 * `<switch>=<true|false|integer>` (a variant's documented switch, e.g.
 * `dsp.smmlar=false`). Keys are checked against the registry by the codegen.
 */
export function tuneItem(value: string, previous: KernelTuning = {}): KernelTuning {
  const m = /^([A-Za-z0-9_./-]+)=(.+)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`--tune takes key=value (only=<variant key> or <switch>=<true|false|integer>), got '${value}'`);
  const [, key, raw] = m as unknown as [string, string, string];
  if (key === 'only') return { ...previous, only: [...(previous.only ?? []), raw] };
  let v: boolean | number;
  if (raw === 'true' || raw === 'false') v = raw === 'true';
  else if (/^-?[0-9]+$/.test(raw)) v = Number(raw);
  else throw new InvalidArgumentError(`--tune ${key}: value must be true, false or an integer (got '${raw}')`);
  return { ...previous, switches: { ...previous.switches, [key]: v } };
}
