// Parser + segmenter throughput on a 30k-token thought: `npm run bench:parser`.
import { ThoughtParser } from '../server/thought/thoughtParser';
import { syntheticThought } from './syntheticThought';

const chunks = syntheticThought(30_000);
const bytes = Buffer.byteLength(chunks.join(''));
const runs: number[] = [];
let segments = 0;
for (let run = 0; run < 21; run++) {
  const t0 = process.hrtime.bigint();
  const p = new ThoughtParser();
  for (let i = 0; i < chunks.length; i++) p.push({ content: chunks[i] }, i);
  p.finish(chunks.length);
  segments = p.segments.length;
  runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
runs.sort((a, b) => a - b);
const median = runs[10];
console.log(`${chunks.length} chunks, ${(bytes / 1e6).toFixed(2)} MB, ${segments} segments`);
console.log(`median ${median.toFixed(1)} ms → ${(bytes / 1e6 / (median / 1000)).toFixed(1)} MB/s (min ${runs[0].toFixed(1)} ms, max ${runs[20].toFixed(1)} ms)`);
