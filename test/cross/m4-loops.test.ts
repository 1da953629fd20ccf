/**
 * scripts/m4-loops.mjs (`npm run bench:m4loops`): the plugin's Cortex-M4 cycle model (insn_count.c,
 * cycles=m4, measured under qemu-system-arm on the loop itself) against llvm-mca -mcpu=cortex-m4 on
 * the hot DSP loops of examples/models/mobilenet_v1_0.25_96_int8.json.
 *
 * Measured (plugin / llvm-mca cycles per iteration): pointwise 3x2 118 / 92.01, depthwise row 1x4
 * 78 / 71.01, stem conv 195 / 151.01: the plugin is 10-29% above llvm-mca, more than a 15%
 * margin on two loops, and the gap is fully explained by how LLVM's Cortex-M4 model (ARMScheduleM4.td) differs
 * from the TRM timing table the plugin uses: there every load issues in 1 cycle with a result
 * latency of 2, so (1) LDRD/STRD cost 1 issue cycle, not the TRM's 3; (2) a single LDR not
 * following another costs 1, not the TRM's 2; (3) no pipeline refill P after the taken loop
 * branch; and in exchange llvm-mca stalls an instruction reading a load's result in the next
 * cycle, which the TRM table charges nowhere (the plugin has no dependency analysis). Hence two
 * assertions: exactly, plugin = llvm-mca's issue cycles (Block RThroughput: both charge every
 * other instruction of these loops 1) + those three differences; and within 15%,
 * plugin ≈ llvm-mca cycles + the three differences, the residual being llvm-mca's load-use
 * stalls (measured 7%, 6% and 13%: the stem loop has 35 LDRD, most feeding an SMLAD at once).
 * The raw ratio is pinned to 1.05..1.35, so a change of either model shows here (the depthwise row
 * loop, 1.098, has no LDRD and its loads mostly in pairs: the TRM differences are 11 of its 78 cycles). The stem loop runs
 * once per entry (its K of 27 is unrolled): its "per iteration" includes the P added back for the
 * exit, as if the branch were taken, to describe the same steady state as llvm-mca. The script
 * imports dist/ (prepareModel, buildMcuImage): run after the build, as `npm test` does.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import { targetByName } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const skip = !(has('llvm-mca') && mcuToolsAvailable(targetByName('cortex-m4'))) && process.env.CI !== 'true';
if (skip)
  console.warn('skipping test/cross/m4-loops: needs llvm-mca (Debian: llvm), arm-none-eabi-gcc, newlib and qemu-system-arm (see scripts/ensure-tools.sh)');

interface Row {
  loop: string;
  fn: string;
  found: boolean;
  instructions: number;
  windows: number;
  iterations: number;
  plugin: number;
  mca: number;
  ratio: number;
  mcaIssue: number;
  mcaStalls: number;
  trmDifference: number;
  mcaTrm: number;
  ratioTrm: number;
}

const MARGIN = 0.15;
const script = join(PACKAGE_ROOT, 'scripts', 'm4-loops.mjs');

describe.skipIf(skip)('Cortex-M4 cycle model: plugin against llvm-mca on the hot DSP loops', () => {
  it('finds every loop, and the two models agree once the TRM/LLVM differences are accounted for', () => {
    const r = spawnSync(process.execPath, [script, '--json'], { encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.map((x) => [x.fn, x.found])).toEqual([
      ['mobilec_pw_s8_dsp_t3x2_rn_6x6x128_128', true],
      ['mobilec_dw_s8_dsp_t1x2_rn_k3s1same_24x24x32', true],
      ['mobilec_conv_s8_dsp_t3x2_rn_w16_k3s2same_96x96x3_8', true],
    ]);
    // pointwise: 4 unrolled K steps x (4 LDRD, 4 SXTB16, 12 SMLAD) + LDR, CMP, BNE
    // depthwise row: 3 rows x (3 LDR, 2 PKHBT, 4 SMLAD/X, 4 SMLAxy) + 4 x (ADD, SMMLAR, ASR, SSAT, STRB) + spills and loop
    expect(rows.map((x) => x.instructions)).toEqual([4 * 20 + 3, 67, 122]);
    // entries x iterations: 5 layers x 12 tiles x 64 channel pairs x 8; 24 rows x 32 channels x 6 pixel quads; 3072 x 1
    expect(rows.map((x) => [x.windows, x.iterations])).toEqual([
      [3840, 30720],
      [768, 4608],
      [3072, 3072],
    ]);
    for (const x of rows) {
      console.log(
        `${x.loop}: ${x.instructions} insns, plugin ${x.plugin}, llvm-mca ${x.mca} (ratio ${x.ratio}), + TRM differences ${x.mcaTrm} (ratio ${x.ratioTrm}), ${x.windows} loop entries`,
      );
      expect(Number.isInteger(x.iterations), x.loop).toBe(true); // whole iterations in the windows
      expect(x.iterations).toBeGreaterThanOrEqual(x.windows);
      expect(x.plugin, x.loop).toBeCloseTo(x.mcaIssue + x.trmDifference, 6);
      expect(Math.abs(x.ratioTrm - 1), x.loop).toBeLessThanOrEqual(MARGIN);
      expect(x.ratio, x.loop).toBeGreaterThan(1.05);
      expect(x.ratio, x.loop).toBeLessThan(1.35);
      expect(x.mcaStalls).toBeGreaterThan(0);
    }
    const text = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 600_000 });
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe(
      '| loop | insns/iter | plugin cycles/iter | llvm-mca cycles/iter | ratio plugin/mca | llvm-mca stalls/iter | TRM differences/iter | llvm-mca + TRM differences | ratio |',
    );
    expect(lines.filter((l) => l.startsWith('| ')).length).toBe(2 + rows.length);
  });
});
