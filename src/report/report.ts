/**
 * `mobilec report`: one self-contained HTML page (no network, no external
 * assets) built from the `inspect --json` data model, plus the per-layer
 * profile on an emulated target and a verify run's per-layer result.
 *
 * The page is `templates/report/report.html.hbs`: its CSS and JS are inline,
 * and its JS renders everything (summary, sortable layer table, block costs,
 * the memory plan and the bar charts as SVG) from the one JSON block this
 * module embeds. TypeScript computes data only; the same input gives the same
 * bytes (no dates, no timings).
 */
import type { ProfileLayer } from '../bench/profile.js';
import { render } from '../codegen/templates.js';
import type { InspectReport } from '../inspect/inspect.js';
import type { VerifyReport } from '../verify/verify.js';

/** The per-layer profile of one inference on an emulated target (what `run --seed <seed> --profile` counts). */
export interface ReportProfile {
  /** The seeded input the profile ran (`run --seed`). */
  readonly seed: number;
  /** The cycle model's timing table (`m3`, `m4`), null where the target has none (cycles are then null). */
  readonly cycleModel: string | null;
  /** Instructions of one invoke, and its estimated cycles. */
  readonly instructions: number | null;
  readonly cycles: number | null;
  readonly layers: ProfileLayer[];
}

/** One layer of a verify run. */
export interface ReportVerifyLayer {
  readonly index: number;
  readonly dtype: string;
  /** Elements compared per input. */
  readonly elements: number;
  /** Largest |C − reference| over all inputs; null when the C produced no value (counted as all mismatching). */
  readonly maxAbsDiff: number | null;
  /** Mismatching elements summed over all inputs. */
  readonly mismatches: number;
  readonly tolerance: number;
}

export interface ReportVerify {
  /** Seeded inputs compared (seeds 1..inputs). */
  readonly inputs: number;
  readonly layers: ReportVerifyLayer[];
  readonly firstDivergence: VerifyReport['firstDivergence'];
}

/** Everything the page shows. */
export interface ReportData {
  /** `mobilec <version>`. */
  readonly generator: string;
  /** What `mobilec inspect <model> --target <t> --json` prints. */
  readonly inspect: InspectReport;
  readonly profile: ReportProfile | null;
  readonly verify: ReportVerify | null;
}

/** The verify result without its timings (the page is deterministic). */
export function reportVerify(r: VerifyReport): ReportVerify {
  return {
    inputs: r.inputs,
    layers: r.layers.map((l) => ({
      index: l.index,
      dtype: l.dtype,
      elements: l.elements,
      maxAbsDiff: Number.isFinite(l.maxAbsDiff) ? l.maxAbsDiff : null,
      mismatches: l.mismatches,
      tolerance: l.tolerance,
    })),
    firstDivergence: r.firstDivergence,
  };
}

/**
 * The JSON as it sits in `<script type="application/json">`: `<`, `>` and
 * `&` as \u escapes, so no string in the model (a tensor name) can close the
 * element; JSON.parse reads the same value back.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The HTML page. */
export function renderReport(data: ReportData): string {
  return render('report/report.html.hbs', {
    title: escapeHtml(`${data.inspect.model} on ${data.inspect.target} — mobilec report`),
    generator: escapeHtml(data.generator),
    data: embedJson(data),
  });
}
