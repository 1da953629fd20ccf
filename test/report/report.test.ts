/**
 * `mobilec report`, rendered in headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core) with every network request blocked: the page is
 * checked against `inspect --json` of the same model (one row per layer, the
 * MACs column summing to totals.macs, one SVG rect per planned block, the
 * marked peak at arenaBytes, a header click re-sorting the table, no console
 * errors), against `run --profile` on cortex-m4 and against a verify run.
 * Screenshots go to <tmpdir>/mobilec-report/ (printed).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import type { InspectReport } from '../../src/inspect/inspect.js';
import { embedJson, renderReport, type ReportData } from '../../src/report/report.js';
import { targetByName } from '../../src/targets/index.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const MODEL = join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');
/** Where the screenshots go: a stable path, quoted in the closing note. */
const SHOT_DIR = join(tmpdir(), 'mobilec-report');
const CI = process.env.CI === 'true';
const haveChromium = existsSync(CHROMIUM);

interface Block {
  id: string;
  kind: string;
  offset: number;
  bytes: number;
  firstOp: number;
  lastOp: number;
  inPlaceOf: number | null;
}
interface Inspect {
  model: string;
  layers: { index: number; name: string; macs: number; generic: boolean }[];
  totals: { macs: number; arenaBytes: number };
  blocks: unknown[];
  memory: { arenaBytes: number; ramBytes: number | null; flashBytes: number | null };
  plan: { arenaBytes: number; lowerBound: number; blocks: Block[] };
}

const work = mkdtempSync(join(tmpdir(), 'mobilec-report-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let browser: Browser | undefined;

function inspectJson(target: string): Inspect {
  const r = mobilec(['inspect', MODEL, '--target', target, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Inspect;
}

function report(name: string, args: string[]): string {
  const out = join(work, name);
  const r = mobilec(['report', MODEL, ...args, '--out', out, '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(new RegExp(`^wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: mobilenet_v1_0_25_96_int8 on `));
  return out;
}

/** Opens a file with every request but the file itself aborted; counts the aborted ones and the console errors. */
async function open(file: string): Promise<{ page: Page; errors: string[]; blocked: () => number }> {
  const page = await browser!.newPage({ viewport: { width: 1800, height: 1000 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const url = pathToFileURL(file).href;
  let blocked = 0;
  await page.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    blocked++;
    return route.abort();
  });
  await page.goto(url);
  await page.waitForSelector('body[data-rendered="true"]', { timeout: 10_000 });
  return { page, errors, blocked: () => blocked };
}

async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOT_DIR, { recursive: true });
  const path = join(SHOT_DIR, name);
  await page.screenshot({ path, fullPage: true });
  expect(statSync(path).size).toBeGreaterThan(10_000);
  console.log(`report screenshot: ${path}`);
  return path;
}

const colValues = (page: Page, col: string) =>
  page.$$eval(`#layers tbody td[data-col="${col}"]`, (tds) =>
    tds.map((td) => (td.getAttribute('data-value') === '' ? null : Number(td.getAttribute('data-value')))),
  );
const rowOrder = (page: Page) => page.$$eval('#layers tbody tr', (trs) => trs.map((tr) => Number(tr.getAttribute('data-index'))));

describe('report: bad input', () => {
  it('an --out in a missing directory or on a directory: one line, exit 2, nothing written', () => {
    const missing = join(work, 'no', 'such', 'report.html');
    const r = mobilec(['report', MODEL, '--out', missing]);
    expect([r.code, r.stdout, r.stderr.trim().split('\n').length]).toEqual([2, '', 1]);
    expect(r.stderr).toMatch(/^mobilec: --out .*: no such directory/);
    const dir = join(work, 'adir');
    mkdirSync(dir);
    const d = mobilec(['report', MODEL, '--out', dir]);
    expect([d.code, d.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(d.stderr).toMatch(/is a directory/);
    expect(readdirSync(dir)).toEqual([]);
    const bad = mobilec(['report', join(work, 'missing.json'), '--out', join(work, 'x.html')]);
    expect(bad.code).toBe(2);
    expect(existsSync(join(work, 'x.html'))).toBe(false);
    // No temporary file is left beside the output either.
    expect(readdirSync(work).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('the same input gives the same bytes; progress goes to stderr, not with --quiet', () => {
    const a = join(work, 'a.html');
    const b = join(work, 'b.html');
    const ra = mobilec(['report', MODEL, '--out', a]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(ra.stderr).toMatch(/^mobilec: generate C for host\n/);
    expect(ra.stderr).toContain(`mobilec: write ${a}\n`);
    const rb = mobilec(['report', MODEL, '--out', b, '--quiet']);
    expect([rb.code, rb.stderr]).toEqual([0, '']);
    expect(ra.stdout.replace(a, b)).toBe(rb.stdout);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });
});

describe('report: the embedded data', () => {
  it('no string in the model can close the script element; JSON.parse reads back the same value', () => {
    const v = { name: '</script><script>alert(1)</script><!-- & \u2028\u2029 >', n: [1.5, 0, 1e-7] };
    const text = embedJson(v);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(v);
  });
});

describe.skipIf(!haveChromium && !CI)('report in headless Chromium', () => {
  beforeAll(async () => {
    // Under CI a missing Chromium is a failure (scripts/ensure-tools.sh installs it), never a skip.
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: sh scripts/ensure-tools.sh installs Debian's chromium`).toBe(true);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('the request counter counts: a page asking for a remote image has one request blocked', async () => {
    const probe = join(work, 'probe.html');
    writeFileSync(probe, '<!doctype html><body data-rendered="true"><img src="http://127.0.0.1:9/x.png"></body>');
    const { page, blocked } = await open(probe);
    await page.waitForLoadState('load');
    expect(blocked()).toBe(1);
    await page.close();
  });

  it('host: the page against inspect --json (rows, MACs, plan rects, peak), sorting, no requests, no console errors', async () => {
    const j = inspectJson('host');
    const file = report('host.html', []);
    const { page, errors, blocked } = await open(file);
    // One data model: the page's embedded data is inspect --json, unchanged.
    const data = JSON.parse((await page.textContent('#report-data'))!) as { inspect: unknown; profile: unknown; verify: unknown };
    expect(data.inspect).toEqual(j);
    expect([data.profile, data.verify]).toEqual([null, null]);

    const n = j.layers.length;
    expect(n).toBe(31);
    expect(await rowOrder(page)).toEqual(j.layers.map((l) => l.index));
    const macs = await colValues(page, 'macs');
    expect(macs).toEqual(j.layers.map((l) => l.macs));
    expect(macs.reduce((s, v) => s! + v!, 0)).toBe(j.totals.macs);
    expect(await page.getAttribute('#summary dd[data-field="macs"]', 'data-value')).toBe(String(j.totals.macs));
    expect(await page.getAttribute('#summary dd[data-field="arenaBytes"]', 'data-value')).toBe(String(j.memory.arenaBytes));
    // Host kernels are generic C: every one flagged.
    expect(await page.locator('#layers tbody .badge.generic').count()).toBe(j.layers.filter((l) => l.generic).length);
    expect(await page.locator('#layers th[data-key="instructions"]').count()).toBe(0);
    expect(await page.locator('#blocks tbody tr').count()).toBe(j.blocks.length + 1);

    // The memory plan: one rect per block, where the plan puts it; the peak line at arenaBytes.
    const rects = await page.$$eval('#memory-plan rect[data-block]', (rs) =>
      rs.map((r) => ({
        id: r.getAttribute('data-block'),
        offset: Number(r.getAttribute('data-offset')),
        bytes: Number(r.getAttribute('data-bytes')),
        inPlace: r.getAttribute('data-in-place-of'),
      })),
    );
    expect(rects).toHaveLength(j.plan.blocks.length);
    const byId = new Map(rects.map((r) => [r.id, r]));
    for (const b of j.plan.blocks) {
      expect(byId.get(b.id)).toEqual({ id: b.id, offset: b.offset, bytes: b.bytes, inPlace: b.inPlaceOf === null ? null : `t${b.inPlaceOf}` });
    }
    expect(rects.filter((r) => r.inPlace !== null).length).toBe(j.plan.blocks.filter((b) => b.inPlaceOf !== null).length);
    expect(await page.getAttribute('#memory-plan line.peak', 'data-peak-bytes')).toBe(String(j.totals.arenaBytes));
    expect(Math.max(...rects.map((r) => r.offset + r.bytes))).toBe(j.totals.arenaBytes);
    expect(await page.locator('#chart-macs rect.bar').count()).toBe(n);

    const shot = await screenshot(page, 'mobilenet_v1_0.25_96_int8-host.png');
    expect(existsSync(shot)).toBe(true);

    // A header click re-sorts: MACs largest first (ties by layer index), again smallest first; names A→Z.
    const byMacs = [...j.layers].sort((a, b) => b.macs - a.macs || a.index - b.index).map((l) => l.index);
    await page.click('#layers th[data-key="macs"]');
    expect(await rowOrder(page)).toEqual(byMacs);
    expect(byMacs.slice(0, 3)).not.toEqual([0, 1, 2]);
    expect(await page.getAttribute('#layers th[data-key="macs"]', 'aria-sort')).toBe('descending');
    expect(await page.getAttribute('#layers th[data-key="index"]', 'aria-sort')).toBe('none');
    await page.click('#layers th[data-key="macs"]');
    expect(await rowOrder(page)).toEqual([...j.layers].sort((a, b) => a.macs - b.macs || a.index - b.index).map((l) => l.index));
    await page.click('#layers th[data-key="name"]');
    expect(await rowOrder(page)).toEqual([...j.layers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index)).map((l) => l.index));
    await page.click('#layers th[data-key="index"]');
    expect(await rowOrder(page)).toEqual(j.layers.map((l) => l.index).reverse());

    expect(blocked()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  const m4 = targetByName('cortex-m4');
  it.skipIf(!mcuToolsAvailable(m4) && !CI)(
    '--target cortex-m4: the profiled columns are run --seed 1 --profile, scratch blocks in the plan',
    async () => {
      const j = inspectJson('cortex-m4');
      const run = mobilec(['run', MODEL, '--target', 'cortex-m4', '--seed', '1', '--profile', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const prof = JSON.parse(run.stdout) as { instructions: number; cycles: number; layers: { instructions: number; cycles: number }[] };
      const file = report('cortex-m4.html', ['--target', 'cortex-m4']);
      const { page, errors, blocked } = await open(file);
      const data = JSON.parse((await page.textContent('#report-data'))!) as { inspect: unknown };
      expect(data.inspect).toEqual(j);
      expect(await page.locator('#layers tbody tr').count()).toBe(j.layers.length);
      expect(await colValues(page, 'instructions')).toEqual(prof.layers.map((l) => l.instructions));
      expect(await colValues(page, 'cycles')).toEqual(prof.layers.map((l) => l.cycles));
      expect(await page.getAttribute('#summary dd[data-field="instructions"]', 'data-value')).toBe(String(prof.instructions));
      expect(await page.getAttribute('#summary dd[data-field="cycles"]', 'data-value')).toBe(String(prof.cycles));
      expect(await page.getAttribute('#summary dd[data-field="ramBytes"]', 'data-value')).toBe(String(j.memory.ramBytes));
      expect(await page.getAttribute('#summary dd[data-field="flashBytes"]', 'data-value')).toBe(String(j.memory.flashBytes));
      const ipm = await colValues(page, 'instructionsPerMac');
      expect(ipm).toEqual(j.layers.map((l, i) => (l.macs > 0 ? prof.layers[i]!.instructions / l.macs : null)));
      // Bars: instructions and cycles for every layer, instructions per MAC for layers with MACs.
      expect(await page.locator('#chart-instructions rect.bar').count()).toBe(j.layers.length);
      expect(await page.locator('#chart-cycles rect.bar').count()).toBe(j.layers.length);
      expect(await page.locator('#chart-instructions-per-mac rect.bar').count()).toBe(j.layers.filter((l) => l.macs > 0).length);
      // The DSP kernels' scratch is planned with the tensors: its rects are there too.
      const scratch = j.plan.blocks.filter((b) => b.kind === 'scratch').length;
      expect(scratch).toBeGreaterThan(0);
      expect(await page.locator('#memory-plan rect.scratch[data-block]').count()).toBe(scratch);
      expect(await page.locator('#memory-plan rect[data-block]').count()).toBe(j.plan.blocks.length);
      expect(await page.getAttribute('#memory-plan line.peak', 'data-peak-bytes')).toBe(String(j.plan.arenaBytes));
      await screenshot(page, 'mobilenet_v1_0.25_96_int8-cortex-m4.png');
      // Sorting by instructions puts the costliest layer first.
      await page.click('#layers th[data-key="instructions"]');
      const top = prof.layers.map((l, i) => [l.instructions, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])[0]![1];
      expect((await rowOrder(page))[0]).toBe(top);
      expect(blocked()).toBe(0);
      expect(errors).toEqual([]);
      await page.close();
    },
    120_000,
  );

  it('a diverging layer is flagged, and a hostile tensor name stays text', async () => {
    const j = inspectJson('host');
    const hostile = '</script><img src="http://127.0.0.1:9/evil.png">';
    const inspect = { ...j, plan: { ...j.plan, blocks: j.plan.blocks.map((b, k) => (k === 1 ? { ...b, name: hostile } : b)) } };
    const data: ReportData = {
      generator: 'mobilec test',
      inspect: inspect as unknown as InspectReport,
      profile: null,
      verify: {
        inputs: 3,
        layers: j.layers.map((l) => ({
          index: l.index,
          dtype: 'int8',
          elements: 10,
          maxAbsDiff: l.index === 5 ? 3 : 0,
          mismatches: l.index === 5 ? 7 : 0,
          tolerance: 0,
        })),
        firstDivergence: { layer: 5, name: j.layers[5]!.name, op: 'depthwise_conv2d', input: 2 },
      },
    };
    const file = join(work, 'diverged.html');
    writeFileSync(file, renderReport(data));
    const { page, errors, blocked } = await open(file);
    expect(await page.$$eval('#layers tbody tr.fail', (trs) => trs.map((tr) => tr.getAttribute('data-index')))).toEqual(['5']);
    expect(await page.textContent('#layers tbody tr[data-index="5"] td[data-col="mismatches"]')).toBe('7 / 30');
    expect(await page.textContent('#verify-verdict')).toBe(
      `1 of ${j.layers.length} layers differ from the reference on host; first: layer 5 (${j.layers[5]!.name}, depthwise_conv2d) on input seed 2.`,
    );
    expect(await page.textContent(`#memory-plan rect[data-block="${j.plan.blocks[1]!.id}"] title`)).toContain(hostile);
    expect(await page.locator('img').count()).toBe(0);
    expect(blocked()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('--verify on the host: every layer passes, bit-exact', async () => {
    const j = inspectJson('host');
    const file = report('verify.html', ['--verify']);
    const { page, errors, blocked } = await open(file);
    const verdicts = await page.$$eval('#layers tbody td[data-col="verify"]', (tds) => tds.map((td) => td.textContent));
    expect(verdicts).toEqual(j.layers.map(() => 'pass'));
    expect(await colValues(page, 'mismatches')).toEqual(j.layers.map(() => 0));
    expect(await colValues(page, 'maxAbsDiff')).toEqual(j.layers.map(() => 0));
    expect(await page.textContent('#verify-verdict')).toBe(`All ${j.layers.length} layers match the reference on 3 seeded inputs (host).`);
    expect(await page.locator('#layers tbody tr.fail').count()).toBe(0);
    await screenshot(page, 'mobilenet_v1_0.25_96_int8-verify.png');
    expect(blocked()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
