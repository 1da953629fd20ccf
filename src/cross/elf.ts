/**
 * Reading what the cross toolchains leave behind: symbol sizes and
 * addresses from `nm`, gcc's call-graph stack figures, and the layer dumps
 * the harnesses write.
 */
import { environmentError } from '../model/errors.js';

/** Sum of the sizes of the functions (T/t symbols) `nm -S` lists. */
export function textBytes(nmOutput: string): number {
  let sum = 0;
  for (const line of nmOutput.split('\n')) {
    const m = /^[0-9a-f]+ ([0-9a-f]+) [Tt] /.exec(line);
    if (m) sum += parseInt(m[1]!, 16);
  }
  return sum;
}

/** Address of a function symbol from `nm` output; Thumb symbols carry bit 0, the instruction is at the even address. */
export function symbolAddress(nmOutput: string, symbol: string): number {
  const m = new RegExp(`^([0-9a-f]+) [Tt] ${symbol}$`, 'm').exec(nmOutput);
  if (!m) throw environmentError(`the linked program has no symbol ${symbol}`);
  return parseInt(m[1]!, 16) & ~1;
}

/**
 * Worst-case stack of `entry`: the deepest path through the object's call
 * graph (gcc -fcallgraph-info=su, the same frame sizes as -fstack-usage),
 * summing each function's frame. Calls out of the object (libm's expf, the
 * layer hook, memcpy) are not counted; a dynamic frame or recursion makes
 * the figure null.
 */
export function worstStack(ci: string, entry: string): number | null {
  const frames = new Map<string, number>();
  const calls = new Map<string, string[]>();
  for (const m of ci.matchAll(/node: \{ title: "([^"]+)" label: "[^"]*?\\n[^"]*?\\n(\d+) bytes \((\w+)/g)) {
    frames.set(m[1]!, m[3] === 'static' ? Number(m[2]) : NaN);
  }
  for (const m of ci.matchAll(/edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"/g)) {
    const list = calls.get(m[1]!) ?? [];
    list.push(m[2]!);
    calls.set(m[1]!, list);
  }
  const memo = new Map<string, number>();
  const depth = (fn: string, seen: Set<string>): number => {
    const known = memo.get(fn);
    if (known !== undefined) return known;
    if (seen.has(fn)) return NaN;
    const own = frames.get(fn) ?? 0;
    let deepest = 0;
    for (const callee of calls.get(fn) ?? []) deepest = Math.max(deepest, depth(callee, new Set([...seen, fn])));
    const d = own + deepest;
    memo.set(fn, d);
    return d;
  };
  if (!frames.has(entry)) return null;
  const d = depth(entry, new Set());
  return Number.isFinite(d) ? d : null;
}

/** Splits a layer dump (records of u32 layer index, u32 byte count, the bytes) into per-layer outputs. */
export function parseLayers(buf: Buffer, layerCount: number): Uint8Array[] {
  const layers: Uint8Array[] = new Array<Uint8Array>(layerCount);
  let at = 0;
  while (at + 8 <= buf.length) {
    const index = buf.readUInt32LE(at);
    const bytes = buf.readUInt32LE(at + 4);
    if (at + 8 + bytes > buf.length || index >= layerCount) break;
    layers[index] = new Uint8Array(buf.subarray(at + 8, at + 8 + bytes));
    at += 8 + bytes;
  }
  const have = layers.filter((l) => l !== undefined).length;
  if (at !== buf.length || have !== layerCount) {
    throw environmentError(`the program's layer dump is incomplete (${have} of ${layerCount} layers)`);
  }
  return layers;
}
