/**
 * Schema validation of a parsed description, with the first problem turned
 * into one line: `model.json: /alpha: must be > 0 (got -1)`.
 */
import AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { badInput } from '../../model/errors.js';
import { descriptionSchema, type Description } from './schema.js';

// ajv is CommonJS: under NodeNext its class is the default import at runtime,
// but the typings describe the module namespace, whose `default` is the class.
type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, strictTypes: false, strictRequired: false });
    compiled = ajv.compile(descriptionSchema);
  }
  return compiled;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function list(values: readonly unknown[]): string {
  return values.map((v) => show(v)).join(', ');
}

type Schemaish = { properties?: Record<string, unknown>; oneOf?: Schemaish[]; required?: string[]; const?: unknown; enum?: unknown[] };

/** One line for one ajv error. */
function describe(e: ErrorObject): string {
  const path = e.instancePath === '' ? '/' : e.instancePath;
  const got = ` (got ${show(e.data)})`;
  const parent = (e.parentSchema ?? {}) as Schemaish;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys(parent.properties ?? {});
      return `${path}: unknown field "${String(e.params.additionalProperty)}" (allowed: ${allowed.join(', ')})`;
    }
    case 'required':
      return `${path}: missing field "${String(e.params.missingProperty)}"`;
    case 'enum':
      return `${path}: must be one of ${list(e.params.allowedValues as unknown[])}${got}`;
    case 'const':
      return `${path}: must be ${show(e.params.allowedValue)}${got}`;
    case 'type':
      return `${path}: must be ${e.params.type === 'integer' ? 'an integer' : e.params.type === 'array' ? 'an array' : e.params.type === 'object' ? 'an object' : `a ${String(e.params.type)}`}${got}`;
    case 'discriminator': {
      const tag = String(e.params.tag);
      const branches = (parent.oneOf ?? []).map((b) => (b as { properties?: Record<string, { const?: unknown }> }).properties?.[tag]?.const);
      if (e.params.error === 'tag' && (e.data === null || typeof e.data !== 'object' || !(tag in (e.data as object)))) {
        return `${path}: missing field "${tag}" (one of: ${list(branches)})`;
      }
      return `${path === '/' ? '' : path}/${tag}: must be one of ${list(branches)} (got ${show(e.params.tagValue)})`;
    }
    case 'oneOf': {
      const branches = (parent.oneOf ?? []).map((b) => (b.required ? `"${b.required.join('", "')}"` : b.const !== undefined ? show(b.const) : '?'));
      return `${path}: must have exactly one of ${branches.join(' or ')}${got}`;
    }
    default:
      return `${path}: ${e.message ?? 'is invalid'}${got}`;
  }
}

/**
 * The first error that points at a concrete field. oneOf branches that only
 * state which fields are required report through their oneOf error, so a bad
 * value elsewhere is named first.
 */
function pick(errors: readonly ErrorObject[]): ErrorObject {
  const concrete = errors.find(
    (e) =>
      e.keyword !== 'oneOf' && !/\/oneOf\/\d+\/(required|const|type)$/.test(e.schemaPath) && !(e.keyword === 'minimum' && /\/oneOf\/\d+\//.test(e.schemaPath)),
  );
  if (concrete) return concrete;
  // Deepest oneOf: for `size` ("global" or an integer) this names the field.
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf');
  if (oneOfs.length > 0) return oneOfs.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a));
  return errors[0]!;
}

/** Validates `data` against the schema or throws one bad-input line naming `file` and the field. */
export function validateDescription(data: unknown, file: string): Description {
  const validate = validator();
  if (validate(data)) return data as Description;
  const errors = validate.errors ?? [];
  if (errors.length === 0) throw badInput(`${file}: does not match the description schema`);
  const e = pick(errors);
  if (e.keyword === 'oneOf' && /size$/.test(e.instancePath)) {
    return fail(file, `${e.instancePath}: must be an integer >= 1 or "global" (got ${show(e.data)})`);
  }
  return fail(file, describe(e));
}

function fail(file: string, msg: string): never {
  throw badInput(`${file}: ${msg}`);
}
