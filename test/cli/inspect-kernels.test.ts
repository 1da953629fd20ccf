/** `inspect` shows the kernel each layer runs: `variant`, `variantKey`, `generic` (docs/CONTRACT.md, inspect --json). */
import { targetByName } from '../../src/targets/index.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allSimdVariants } from '../../src/codegen/isa/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';

interface Layer {
  index: number;
  op: string;
  variant: string;
  variantKey: string | null;
  generic: boolean;
}

const model = join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json');
const inspect = (target: string) => JSON.parse(mobilec(['inspect', model, '--target', target, '--json']).stdout) as { layers: Layer[] };

describe('inspect shows the kernel choice', () => {
  it('on the host the weighted layers run AVX2 on x86-64 (else generic C), every other layer with a kernel generic C', () => {
    const { layers } = inspect('host');
    const x86 = targetByName('host').arch === 'x86-64';
    expect(layers).toHaveLength(31);
    const avx2 = new Set<string>();
    for (const l of layers) {
      if (l.variant === 'view') expect([l.op, l.generic, l.variantKey]).toEqual(['reshape', false, null]);
      else if (x86 && (l.op === 'conv2d' || l.op === 'depthwise_conv2d')) {
        expect([parseKernelName(l.variant).isa, l.generic]).toEqual(['avx2', false]);
        avx2.add(l.variantKey!);
      } else expect([parseKernelName(l.variant).isa, l.generic, l.variantKey]).toEqual(['c', true, null]);
    }
    expect(avx2).toEqual(new Set(x86 ? ['avx2/conv/s8', 'avx2/dw/s8-3x3', 'avx2/gemm/s8'] : []));
  });

  it('on rpi4 the weighted layers name their NEON variant, and generic agrees with the name', () => {
    const { layers } = inspect('rpi4');
    const keys = allSimdVariants();
    for (const l of layers) {
      if (l.variant === 'view') continue;
      const isa = parseKernelName(l.variant).isa;
      expect(l.generic, `layer ${l.index} ${l.variant}`).toBe(isa === 'c');
      if (!l.generic) expect(keys.get(l.variantKey!)?.isa, `layer ${l.index}`).toBe(isa);
    }
    const weighted = layers.filter((l) => l.op === 'conv2d' || l.op === 'depthwise_conv2d');
    expect(weighted).toHaveLength(28);
    expect(weighted.filter((l) => l.generic)).toEqual([]);
    expect(new Set(weighted.map((l) => l.variantKey))).toEqual(new Set(['neon/conv/rows', 'neon/dw/3x3', 'neon/gemm/s8', 'neon/gemm/s8-packed']));
  });

  it('prints the variant column and the SIMD / generic count', () => {
    const r = mobilec(['inspect', model, '--target', 'rpi4']);
    expect(r.code).toBe(0);
    const head = r.stdout.split('\n')[1]!;
    expect(head.trim().split(/\s+/).at(-1)).toBe('variant');
    expect(r.stdout).toMatch(/^kernels: 29 SIMD, 1 generic C \(layers 30 softmax\)$/m);
  });
});
