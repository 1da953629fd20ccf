import { describe, expect, it } from 'vitest';
import { renderSource } from '../../src/codegen/templates.js';

describe('template helpers', () => {
  it('do integer arithmetic and comparisons', () => {
    expect(renderSource('{{add 1 2 3}} {{sub 7 9}} {{mul 3 4 5}} {{div -7 2}} {{mod 7 3}} {{min 2 5}} {{max 2 5}}', {})).toBe('6 -2 60 -3 1 2 5');
    expect(renderSource('{{#if (and (lt a 3) (not b))}}yes{{else}}no{{/if}} {{#if (or (eq a 4) (ge a 2))}}ge{{/if}}', { a: 2, b: false })).toBe('yes ge');
    expect(() => renderSource('{{add a 1}}', { a: 1.5 })).toThrow(/non-integer/);
  });

  it('loop over ranges', () => {
    expect(renderSource('{{#each (range 3)}}{{this}},{{/each}}', {})).toBe('0,1,2,');
    expect(renderSource('{{#each (range 1 9 3)}}[{{this}} {{mul this 2}}]{{/each}}', {})).toBe('[1 2][4 8][7 14]');
    expect(renderSource('{{join (range 4 0 -2) ", "}}', {})).toBe('4, 2');
  });
});
