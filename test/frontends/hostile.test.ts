/**
 * Hostile descriptions: every size is checked against the resource budget
 * (src/model/budget.ts) before anything that large is allocated or read, so
 * each case ends in one line and exit 2, fast; the limits can be raised;
 * compile time is linear in the layer count.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { CLI, mobilec } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mobilec-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | object): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const layers = (input: object, ls: object[], extra: object = {}) => ({
  architecture: 'layers',
  input,
  dtype: 'float32',
  weights: { seed: 1 },
  layers: ls,
  ...extra,
});
const small = { height: 8, width: 8, channels: 3 };

describe('hostile descriptions: one line, exit 2, in seconds', () => {
  const cases: [string, string | object, RegExp][] = [
    [
      'filters 2^31',
      layers(small, [{ op: 'conv', filters: 2147483648, kernel: 3 }]),
      /^mobilec: h\.json: tensor conv_0\/filter: 221184 MiB, over the limit of 64 MiB per tensor \(raise it with --max-tensor-bytes\)$/,
    ],
    [
      // Found by the fuzzer: the size was shown as "Infinity MiB (Infinity bytes)".
      'kernel 1e300',
      layers(small, [{ op: 'conv', filters: 8, kernel: 1e300 }]),
      /^mobilec: h\.json: tensor conv_0\/filter: more than 2\^53 bytes, over the limit of 64 MiB per tensor \(raise it with --max-tensor-bytes\)$/,
    ],
    [
      '100,000 levels of nesting',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      /^mobilec: h\.json: invalid JSON at line 1 column 65: objects and arrays nested more than 64 deep$/,
    ],
    [
      'nesting inside a valid description',
      `{"architecture":"layers","input":{"height":8,"width":8,"channels":3},"dtype":"float32","weights":{"seed":1},"layers":[{"op":"conv","filters":4,"kernel":3,"name":${'['.repeat(70)}${']'.repeat(70)}}]}`,
      /nested more than 64 deep$/,
    ],
    [
      '1e999 (Infinity)',
      '{"architecture":"mobilenet_v1","resolution":1e999,"alpha":1,"classes":2,"dtype":"float32","weights":{"seed":1}}',
      /^mobilec: h\.json: invalid JSON at line 1 column \d+: number 1e999 is out of range$/,
    ],
    ['1e300', { architecture: 'mobilenet_v1', resolution: 1e300, alpha: 1, classes: 2, dtype: 'float32', weights: { seed: 1 } }, /resolution: must be <= 4096/],
    [
      '100,000 layers',
      layers(
        small,
        Array.from({ length: 100_000 }, () => ({ op: 'depthwise', kernel: 1 })),
      ),
      /^mobilec: h\.json: \/layers: the layer list: 100000 ops, over the limit of 50000 ops \(raise it with --max-ops\)$/,
    ],
    [
      'weights from /dev/zero',
      { ...layers(small, [{ op: 'conv', filters: 4, kernel: 3 }]), weights: { file: '/dev/zero' } },
      /^mobilec: h\.json: \/weights\/file: "\/dev\/zero" is not a regular file$/,
    ],
    [
      'weights from a directory',
      { ...layers(small, [{ op: 'conv', filters: 4, kernel: 3 }]), weights: { file: '.' } },
      /\/weights\/file: "\." is not a regular file$/,
    ],
    [
      'a 4096x4096x128 input',
      layers({ height: 4096, width: 4096, channels: 128 }, [{ op: 'pointwise', filters: 4 }]),
      /^mobilec: h\.json: tensor input: 8192 MiB, over the limit of 64 MiB per tensor/,
    ],
    [
      'resolution 4096, alpha 4',
      { architecture: 'mobilenet_v1', resolution: 4096, alpha: 4, classes: 10, dtype: 'float32', weights: { seed: 1 } },
      /^mobilec: h\.json: tensor input: 192 MiB, over the limit of 64 MiB per tensor/,
    ],
    [
      'activations that fit one by one, not together',
      layers(
        { height: 1024, width: 1024, channels: 15 },
        Array.from({ length: 5 }, () => ({ op: 'depthwise', kernel: 1, batchNorm: false })),
      ),
      /^mobilec: h\.json: the model's activations: .* over the limit of 256 MiB for all activations \(raise it with --max-activation-bytes\)$/,
    ],
    [
      // Found by the fuzzer (npm run fuzz): the float activations overflow to -Infinity at layer 254, which once ended in exit 4.
      'an int8 stack of 400 layers whose float activations overflow',
      {
        ...layers(
          { height: 1, width: 1, channels: 4 },
          Array.from({ length: 400 }, () => ({ op: 'pointwise', filters: 8 })),
        ),
        dtype: 'int8',
        calibration: { seed: 1, count: 1 },
      },
      /^mobilec: \S*h\.json: calibration: tensor pointwise_254\/BatchNorm takes the value -Infinity on a calibration input \(float32 overflow\); .* cannot be quantized to int8$/,
    ],
  ];
  for (const [what, content, re] of cases) {
    it(what, () => {
      const p = write('h.json', content);
      const t0 = Date.now();
      const r = mobilec(['inspect', p]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(re);
      expect(Date.now() - t0).toBeLessThan(10_000);
    });
  }

  it('a raised limit lets a big model through', () => {
    const p = write('big.json', layers({ height: 1024, width: 1024, channels: 20 }, [{ op: 'pointwise', filters: 4, batchNorm: false }]));
    expect(mobilec(['inspect', p]).stderr).toMatch(/tensor input: 80 MiB, over the limit of 64 MiB per tensor/);
    const r = mobilec(['inspect', p, '--max-tensor-bytes', String(100 * 2 ** 20)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('totals: 83,886,080 MACs');
    expect(mobilec(['inspect', p, '--max-ops', '0']).stderr).toMatch(/--max-ops must be a positive integer/);
  });
});

describe('non-finite float weights', () => {
  // Found by the fuzzer (an overwritten .tflite weight): C and the reference each propagated a NaN their own way.
  for (const [what, value, shown] of [
    ['NaN', Number.NaN, 'NaN'],
    ['+Inf', Number.POSITIVE_INFINITY, 'Infinity'],
    ['-Inf', Number.NEGATIVE_INFINITY, '-Infinity'],
  ] as const) {
    it(`a ${what} weight is refused, naming the tensor and the element`, () => {
      const w = new Float32Array([1, 2, 3, 4, value, 6]);
      writeFileSync(join(dir, 'nan.bin'), new Uint8Array(w.buffer));
      const p = write('nan.json', {
        ...layers(small, [{ op: 'conv', filters: 2, kernel: 1, batchNorm: false, bias: false }]),
        weights: { file: 'nan.bin' },
      });
      const r = mobilec(['compile', p, '--out', join(dir, 'nan-out')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`mobilec: ${p}: model nan: tensor 1 (conv_0/weights): constant value 4 is ${shown} (float32 constants must be finite)\n`);
    });
  }
});

describe('compile time is linear in the layer count', () => {
  it('10,000 layers compile within 20 s, 20,000 within 2.5x that', () => {
    // CPU seconds of the compile (bash's `time`: user + sys), so other work on the machine does not skew the ratio.
    const time = (n: number) => {
      const p = write(
        `l${n}.json`,
        layers(
          { height: 8, width: 8, channels: 8 },
          Array.from({ length: n }, () => ({ op: 'depthwise', kernel: 3, activation: 'relu6' })),
        ),
      );
      const out = join(dir, `out${n}`);
      const r = spawnSync('bash', ['-c', `TIMEFORMAT='%3U %3S'; time "${process.execPath}" "${CLI}" compile "${p}" --out "${out}" > /dev/null`], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      rmSync(out, { recursive: true, force: true });
      const [user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number];
      return Math.round((user + sys) * 1000);
    };
    const t10 = time(10_000);
    const t20 = time(20_000);
    console.log(`compile CPU time: 10,000 layers ${t10} ms, 20,000 layers ${t20} ms (${(t20 / t10).toFixed(2)}x)`);
    expect(t10).toBeLessThan(20_000);
    expect(t20).toBeLessThan(2.5 * Math.max(t10, 2_000));
  }, 120_000);
});
