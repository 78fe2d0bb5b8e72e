import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A long Virgo-style thought for benchmarks: the sample transcript's thought paragraphs
 * (steps, display math, code, every reflection type) repeated until `tokens` token-sized pieces,
 * then its solution. Deterministic, so runs compare.
 */
export function syntheticThought(tokens: number, root = join(__dirname, '..', '..')): string[] {
  const text = readFileSync(join(root, 'media', 'samples', 'right-triangle.transcript.txt'), 'utf8');
  const thought = text.slice(text.indexOf('<|begin_of_thought|>') + 20, text.indexOf('<|end_of_thought|>'));
  const solution = text.slice(text.indexOf('<|end_of_thought|>'));
  const tokenize = (s: string): string[] => s.match(/ ?[A-Za-z]+| ?\d| ?[^\sA-Za-z\d]|\n+| +/g) ?? [];
  const body = tokenize(thought);
  const tail = tokenize(solution);
  const out = tokenize('<|begin_of_thought|>\n\n');
  while (out.length + tail.length < tokens) out.push(...body.slice(0, tokens - tail.length - out.length));
  out.push(...tail);
  return out;
}
