/**
 * The boards' memories, read from their linker scripts, and the fit check:
 * `compile` warns when a Cortex-M model's arena or weights exceed its board
 * (exit code unchanged), `run` refuses (exit 2); both name the two figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boardMemory, boardMisfits, parseBoardScript } from '../../src/cross/board.js';
import { targetByName } from '../../src/targets/index.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mobilec-board-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

describe('board memory', () => {
  it('reads every Cortex-M board script', () => {
    const rows = ['cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55'].map((t) => {
      const b = boardMemory(targetByName(t))!;
      return [t, b.machine, b.code.region, b.code.bytes, b.constData.region, b.constData.bytes, b.ram.region, b.ram.bytes];
    });
    expect(rows).toEqual([
      ['cortex-m3', 'mps2-an385', 'SSRAM1', 4 * MiB, 'SSRAM1', 4 * MiB, 'SSRAM23', 4 * MiB],
      ['cortex-m4', 'mps2-an386', 'SSRAM1', 4 * MiB, 'SSRAM1', 4 * MiB, 'SSRAM23', 4 * MiB],
      ['cortex-m7', 'mps2-an500', 'SSRAM1', 4 * MiB, 'SSRAM1', 4 * MiB, 'SSRAM23', 4 * MiB],
      ['cortex-m33', 'mps2-an505', 'SSRAM1', 4 * MiB, 'SSRAM1', 4 * MiB, 'SSRAM23', 4 * MiB],
      ['cortex-m55', 'mps3-an547', 'ITCM', 512 * 1024, 'DDR_CONST', 128 * MiB, 'DDR_RAM', 128 * MiB],
    ]);
    expect(boardMemory(targetByName('host'))).toBeNull();
    expect(boardMemory(targetByName('rpi4'))).toBeNull();
  });

  it('names what the model needs and what the board has, at and just past each limit', () => {
    const board = parseBoardScript(
      'b',
      'MEMORY\n{\n  F (rx) : ORIGIN = 0x0, LENGTH = 64K\n  R (rwx) : ORIGIN = 0x20000000, LENGTH = 16K\n}\nREGION_ALIAS("CODE", F);\nREGION_ALIAS("CONST", F);\nREGION_ALIAS("RAM", R);\n',
    );
    expect(boardMisfits(board, { arenaBytes: 16384 - 100, stackBytes: 100, weightBytes: 60000, codeBytes: 65536 - 60000 })).toEqual([]);
    expect(boardMisfits(board, { arenaBytes: 16384 - 100, stackBytes: 101, weightBytes: 60000, codeBytes: 65536 - 59999 })).toEqual([
      "arena + stack 16,284 + 101 = 16,385 B of RAM, more than the 16,384 B of the b board's RAM region R",
      "weights + code 60,000 + 5,537 = 65,537 B of flash, more than the 65,536 B of the b board's region F",
    ]);
    // Before a build (compile): the lower bounds alone.
    expect(boardMisfits(board, { arenaBytes: 16385, stackBytes: null, weightBytes: 65536, codeBytes: null })).toEqual([
      "arena 16,385 B of RAM, more than the 16,384 B of the b board's RAM region R",
    ]);
  });

  it('compile warns on stderr for a model bigger than the board, exit code 0; a model that fits gets no warning', () => {
    const big = mobilec(['compile', join(EXAMPLES, 'mobilenet_v2_1.0_224.json'), '--target', 'cortex-m4', '--out', join(dir, 'big')]);
    expect(big.code).toBe(0);
    expect(big.stderr.trim().split('\n')).toEqual([
      "mobilec: warning: model mobilenet_v2_1_0_224 does not fit target cortex-m4: it needs arena 4,817,344 B of RAM, more than the 4,194,304 B of the mps2-an386 board's RAM region SSRAM23 (stack and code come on top; `mobilec inspect --target cortex-m4` measures them)",
      "mobilec: warning: model mobilenet_v2_1_0_224 does not fit target cortex-m4: it needs weights 13,951,264 B of flash, more than the 4,194,304 B of the mps2-an386 board's region SSRAM1 (stack and code come on top; `mobilec inspect --target cortex-m4` measures them)",
    ]);
    const small = mobilec(['compile', join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'), '--target', 'cortex-m4', '--out', join(dir, 'small')]);
    expect(small.code).toBe(0);
    expect(small.stderr).toBe('');
  });
});
