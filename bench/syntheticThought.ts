import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SyntheticOptions {
  /**
   * Make every repetition of the sample thought different (digits rotated, vertex letters renamed),
   * so formulas do not repeat verbatim: a real 30k-token thought does not write the same TeX forty
   * times, and a renderer's formula cache should not get that for free in a benchmark.
   */
  vary?: boolean;
}

/** Vertex names per repetition (the sample uses A, B, C); digits are rotated by the repetition. */
const LETTERS = ['ABC', 'PQR', 'XYZ', 'DEF', 'KLM', 'UVW', 'GHJ'];

function variant(thought: string, k: number): string {
  if (k === 0) return thought;
  const [a, b, c] = LETTERS[Math.floor(k / 10) % LETTERS.length];
  const names: Record<string, string> = { A: a, B: b, C: c };
  return thought
    .replace(/\d/g, (d) => String((Number(d) + k) % 10))
    // Only the vertex names ($A$, AB, CA^2): not words, nor the article in "A one-line check".
    .replace(/(?<![A-Za-z])[ABC]+(?![a-z])(?! [a-z])/g, (m) => m.replace(/[ABC]/g, (ch) => names[ch]));
}

/**
 * A long Virgo-style thought for benchmarks: the sample transcript's thought paragraphs
 * (steps, display math, code, every reflection type) repeated until `tokens` token-sized pieces,
 * then its solution. Whole paragraphs only (a cut would leave a `$$` open up to the end marker),
 * topped up with a plain sentence to the exact count. Deterministic, so runs compare.
 */
export function syntheticThought(tokens: number, root = join(__dirname, '..', '..'), options: SyntheticOptions = {}): string[] {
  const text = readFileSync(join(root, 'media', 'samples', 'right-triangle.transcript.txt'), 'utf8');
  const thought = text.slice(text.indexOf('<|begin_of_thought|>') + 20, text.indexOf('<|end_of_thought|>'));
  const solution = text.slice(text.indexOf('<|end_of_thought|>'));
  const tokenize = (s: string): string[] => s.match(/ ?[A-Za-z]+| ?\d| ?[^\sA-Za-z\d]|\n+| +/g) ?? [];
  const tail = tokenize(solution);
  const out = tokenize('<|begin_of_thought|>\n\n');
  const budget = tokens - tail.length;
  fill: for (let k = 0; ; k++) {
    // Each piece is a paragraph with the blank line after it.
    for (const paragraph of (options.vary ? variant(thought, k) : thought).trimStart().split(/(?<=\n\n)/)) {
      const piece = tokenize(paragraph);
      if (out.length + piece.length > budget) break fill;
      out.push(...piece);
    }
  }
  if (out.length < budget) {
    const filler = tokenize('So far the numbers agree with each other and with the figure. '.repeat(Math.ceil(budget / 10)));
    out.push(...filler.slice(0, budget - out.length - 1), '\n\n');
  }
  out.push(...tail);
  return out;
}
