/**
 * A strict JSON parser that reports where it failed as line and column
 * (V8's JSON.parse messages do not always carry a position) and rejects
 * duplicate keys, which JSON.parse would silently resolve to the last one.
 */
export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`invalid JSON at line ${line} column ${column}: ${detail}`);
  }
}

/** Objects and arrays nested deeper than this are refused (a description needs 5 levels; the parser recurses per level). */
export const MAX_JSON_DEPTH = 64;

export function parseJson(text: string): unknown {
  let pos = 0;
  const fail = (detail: string, at = pos): never => {
    let line = 1;
    let col = 1;
    for (let i = 0; i < at && i < text.length; i++) {
      if (text[i] === '\n') {
        line++;
        col = 1;
      } else col++;
    }
    throw new JsonSyntaxError(line, col, detail);
  };
  const show = (): string => (pos >= text.length ? 'end of input' : JSON.stringify(text[pos]));
  const ws = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos++;
  };
  const expect = (ch: string, what: string): void => {
    ws();
    if (text[pos] !== ch) fail(`expected ${what}, found ${show()}`);
    pos++;
  };
  const str = (): string => {
    const start = pos;
    pos++; // opening quote
    let out = '';
    for (;;) {
      if (pos >= text.length) fail('unterminated string', start);
      const c = text[pos]!;
      if (c === '"') {
        pos++;
        return out;
      }
      if (c === '\\') {
        const e = text[pos + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          pos += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) {
          out += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16));
          pos += 6;
        } else fail('invalid escape in string');
        continue;
      }
      if (c < ' ') fail('control character in string');
      out += c;
      pos++;
    }
  };
  const value = (depth: number): unknown => {
    ws();
    const c = text[pos];
    if ((c === '{' || c === '[') && depth >= MAX_JSON_DEPTH) fail(`objects and arrays nested more than ${MAX_JSON_DEPTH} deep`);
    if (c === '{') {
      pos++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail(`expected a property name in double quotes, found ${show()}`);
        const keyAt = pos;
        const key = str();
        if (Object.hasOwn(obj, key)) fail(`duplicate key ${JSON.stringify(key)}`, keyAt);
        expect(':', "':'");
        obj[key] = value(depth + 1);
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return obj;
        }
        fail(`expected ',' or '}', found ${show()}`);
      }
    }
    if (c === '[') {
      pos++;
      const arr: unknown[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return arr;
        }
        fail(`expected ',' or ']', found ${show()}`);
      }
    }
    if (c === '"') return str();
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400));
    if (m && m[0].length > 0 && m[0] !== '-') {
      const n = Number(m[0]);
      if (!Number.isFinite(n)) fail(`number ${m[0].length > 24 ? `${m[0].slice(0, 21)}...` : m[0]} is out of range`);
      pos += m[0].length;
      return n;
    }
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return v;
      }
    }
    return fail(`unexpected ${show()}`);
  };
  const v = value(0);
  ws();
  if (pos < text.length) fail(`unexpected ${show()} after the top-level value`);
  return v;
}
