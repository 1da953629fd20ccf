/**
 * Loads and compiles the Handlebars templates under `templates/`.
 *
 * Every file `templates/partials/<path>.hbs` is a partial named `<path>`
 * (`{{> neon/requant_a64 acc=16 ...}}`). The helpers below give templates the
 * integer arithmetic, comparisons and loops that kernel bodies need, so that
 * TypeScript passes parameters, never lines of C.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { internalError } from '../model/errors.js';

function findTemplatesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const cand = join(dir, 'templates');
    if (existsSync(join(cand, 'kernels'))) return cand;
    dir = dirname(dir);
  }
  throw internalError('templates/ directory not found next to the mobilec package');
}

let templatesDir: string | undefined;
const cache = new Map<string, Handlebars.TemplateDelegate>();

const int = (v: unknown): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw internalError(`template arithmetic on a non-integer: ${String(v)}`);
  return n;
};
/** Handlebars passes its options object last; helpers see only the real arguments. */
const args = (a: unknown[]): unknown[] => a.slice(0, -1);

const HELPERS: Record<string, (...a: unknown[]) => unknown> = {
  add: (...a) => args(a).reduce<number>((s, v) => s + int(v), 0),
  sub: (x, y) => int(x) - int(y),
  mul: (...a) => args(a).reduce<number>((s, v) => s * int(v), 1),
  /** Integer division, truncating toward zero as C does. */
  div: (x, y) => Math.trunc(int(x) / int(y)),
  mod: (x, y) => int(x) % int(y),
  min: (x, y) => Math.min(int(x), int(y)),
  max: (x, y) => Math.max(int(x), int(y)),
  eq: (x, y) => x === y,
  ne: (x, y) => x !== y,
  lt: (x, y) => int(x) < int(y),
  le: (x, y) => int(x) <= int(y),
  gt: (x, y) => int(x) > int(y),
  ge: (x, y) => int(x) >= int(y),
  and: (...a) => args(a).every(Boolean),
  or: (...a) => args(a).some(Boolean),
  not: (x) => !x,
  /** `{{#each (range n)}}`: 0 .. n-1; `(range a b)`: a .. b-1; `(range a b s)` with step s. */
  range: (...a) => {
    const r = args(a).map(int);
    const [lo, hi, step] = r.length === 1 ? [0, r[0]!, 1] : [r[0]!, r[1]!, r[2] ?? 1];
    if (step === 0) throw internalError('range with step 0');
    const out: number[] = [];
    for (let i = lo; step > 0 ? i < hi : i > hi; i += step) out.push(i);
    return out;
  },
  /** `(join list ", ")`. */
  join: (list, sep) => (list as unknown[]).join(String(sep)),
};

let registered = false;
function registerOnce(dir: string): void {
  if (registered) return;
  registered = true;
  for (const [name, fn] of Object.entries(HELPERS)) Handlebars.registerHelper(name, fn);
  const partials = join(dir, 'partials');
  if (!existsSync(partials)) return;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.hbs')) Handlebars.registerPartial(relative(partials, p).replace(/\.hbs$/, ''), readFileSync(p, 'utf8'));
    }
  };
  walk(partials);
}

/** Renders a template given as text, with the same helpers, partials and options as `render`. */
export function renderSource(src: string, params: object): string {
  templatesDir ??= findTemplatesDir();
  registerOnce(templatesDir);
  return Handlebars.compile(src, { noEscape: true, strict: true })(params);
}

/** Renders `templates/<rel>` with `params` (no HTML escaping, unknown names are errors). */
export function render(rel: string, params: object): string {
  let t = cache.get(rel);
  if (!t) {
    templatesDir ??= findTemplatesDir();
    registerOnce(templatesDir);
    const src = readFileSync(join(templatesDir, rel), 'utf8');
    t = Handlebars.compile(src, { noEscape: true, strict: true });
    cache.set(rel, t);
  }
  return t(params);
}
