// Parser + segmenter throughput: `npm run bench:parser`. The same thought and the same three ways
// of feeding it as the overhead bench's parser rows (bench/overheadBench.ts): token-sized chunks,
// 1 KB chunks, and token-sized chunks with openSegment() after each (the live view's worst case).
import { join } from 'node:path';
import { ThoughtParser } from '../server/thought/thoughtParser';
import { syntheticThought } from './syntheticThought';

const RUNS = 21;
const tokens = syntheticThought(32_000, join(__dirname, '..', '..'), { vary: true });
const text = tokens.join('');
const kb: string[] = [];
for (let i = 0; i < text.length; i += 1024) kb.push(text.slice(i, i + 1024));
const bytes = Buffer.byteLength(text);

function once(chunks: string[], withOpen: boolean): { ms: number; segments: number } {
  const t0 = process.hrtime.bigint();
  const p = new ThoughtParser();
  for (let i = 0; i < chunks.length; i++) {
    p.push({ content: chunks[i] }, i);
    if (withOpen) p.openSegment();
  }
  p.finish(chunks.length);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, segments: p.segments.length };
}

const mbps = (ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
console.log(`${tokens.length} tokens, ${(bytes / 1e6).toFixed(2)} MB; best and median of ${RUNS} runs after ${RUNS} to warm up`);
for (const [label, chunks, withOpen] of [
  ['token-sized chunks', tokens, false],
  ['1 KB chunks', kb, false],
  ['token-sized chunks + openSegment() each', tokens, true],
] as const) {
  for (let r = 0; r < RUNS; r++) once(chunks, withOpen);
  const runs = Array.from({ length: RUNS }, () => once(chunks, withOpen));
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  console.log(`${label.padEnd(40)} best ${mbps(ms[0])} MB/s, median ${mbps(ms[RUNS >> 1])} MB/s (${runs[0].segments} segments)`);
}
