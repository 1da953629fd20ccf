/**
 * The memory of an emulated Cortex-M board, read from its linker script in
 * examples/firmware (the one place it is written), and the check that a
 * model fits it: arena + stack in RAM, weights + code in flash.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { badInput, internalError } from '../model/errors.js';
import type { Target } from '../targets/types.js';
import { PACKAGE_ROOT } from '../util/paths.js';

/** The example firmware: start-up code, semihosting and one linker script per board. */
export const FIRMWARE_DIR = join(PACKAGE_ROOT, 'examples', 'firmware');

export interface BoardRegion {
  /** The MEMORY region's name in the linker script (e.g. SSRAM1). */
  readonly region: string;
  readonly bytes: number;
}

export interface BoardMemory {
  readonly machine: string;
  /** Where the code, the read-only data (weights) and the RAM (arena, stack) go. */
  readonly code: BoardRegion;
  readonly constData: BoardRegion;
  readonly ram: BoardRegion;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 * 1024 };

/** Parses MEMORY and REGION_ALIAS of a board linker script. */
export function parseBoardScript(machine: string, script: string): BoardMemory {
  const regions = new Map<string, number>();
  for (const m of script.matchAll(/^\s*(\w+)\s*\([^)]*\)\s*:\s*ORIGIN\s*=\s*0x[0-9a-fA-F]+\s*,\s*LENGTH\s*=\s*(\d+)\s*([KM]?)\s*$/gm)) {
    regions.set(m[1]!, Number(m[2]) * UNITS[m[3]!]!);
  }
  const alias = (name: string): BoardRegion => {
    const m = new RegExp(`REGION_ALIAS\\("${name}",\\s*(\\w+)\\)`).exec(script);
    const bytes = m ? regions.get(m[1]!) : undefined;
    if (!m || bytes === undefined) throw internalError(`board script ${machine}.ld: no MEMORY region for ${name}`);
    return { region: m[1]!, bytes };
  };
  return { machine, code: alias('CODE'), constData: alias('CONST'), ram: alias('RAM') };
}

/** The memory of the board a Cortex-M target runs on (null for targets without a board). */
export function boardMemory(target: Target): BoardMemory | null {
  if (target.emulator.kind !== 'system') return null;
  const machine = target.emulator.machine;
  const path = join(FIRMWARE_DIR, `${machine}.ld`);
  if (!existsSync(path)) throw internalError(`no linker script ${path}`);
  return parseBoardScript(machine, readFileSync(path, 'utf8'));
}

export interface ModelFootprint {
  readonly arenaBytes: number;
  readonly weightBytes: number;
  /** Measured by a build; null when not built (then the check is a lower bound). */
  readonly stackBytes: number | null;
  readonly codeBytes: number | null;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * What does not fit, one phrase per memory, each naming what the model needs
 * and what the board has; empty when everything fits.
 */
export function boardMisfits(board: BoardMemory, fp: ModelFootprint): string[] {
  const out: string[] = [];
  const ram = fp.arenaBytes + (fp.stackBytes ?? 0);
  if (ram > board.ram.bytes) {
    const what = fp.stackBytes === null ? `arena ${fmt(fp.arenaBytes)} B` : `arena + stack ${fmt(fp.arenaBytes)} + ${fmt(fp.stackBytes)} = ${fmt(ram)} B`;
    out.push(`${what} of RAM, more than the ${fmt(board.ram.bytes)} B of the ${board.machine} board's RAM region ${board.ram.region}`);
  }
  const code = fp.codeBytes ?? 0;
  if (board.code.region === board.constData.region) {
    const flash = fp.weightBytes + code;
    if (flash > board.constData.bytes) {
      const what = fp.codeBytes === null ? `weights ${fmt(fp.weightBytes)} B` : `weights + code ${fmt(fp.weightBytes)} + ${fmt(code)} = ${fmt(flash)} B`;
      out.push(`${what} of flash, more than the ${fmt(board.constData.bytes)} B of the ${board.machine} board's region ${board.constData.region}`);
    }
  } else {
    if (fp.weightBytes > board.constData.bytes)
      out.push(
        `weights ${fmt(fp.weightBytes)} B, more than the ${fmt(board.constData.bytes)} B of the ${board.machine} board's region ${board.constData.region}`,
      );
    if (code > board.code.bytes)
      out.push(`code ${fmt(code)} B, more than the ${fmt(board.code.bytes)} B of the ${board.machine} board's region ${board.code.region}`);
  }
  return out;
}

/** `run` on the emulated board: a model that does not fit is refused (exit 2), naming both figures. */
export function checkFitsBoard(target: Target, name: string, fp: ModelFootprint): void {
  const board = boardMemory(target);
  if (!board) return;
  const misfits = boardMisfits(board, fp);
  if (misfits.length > 0) {
    throw badInput(`model ${name} does not fit target ${target.name}: it needs ${misfits.join('; and ')} (see ${FIRMWARE_DIR}/${board.machine}.ld)`);
  }
}
