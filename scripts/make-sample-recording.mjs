// Turns the hand-written sample transcript into a recording that `virgo replay` serves:
// token-sized chunks at a steady pace, the way vLLM streams them.
// `node scripts/make-sample-recording.mjs [TRANSCRIPT] [OUT] [--tok-per-s N]`
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const rateAt = process.argv.indexOf('--tok-per-s');
const tokPerS = rateAt > 0 ? Number(process.argv[rateAt + 1]) : 40;
const transcript = args[0] ?? 'media/samples/right-triangle.transcript.txt';
const out = args[1] ?? 'media/samples/right-triangle.recording.json';

const text = readFileSync(transcript, 'utf8');
// Roughly what a BPE tokenizer does: a word with its leading space, a digit, a symbol, a newline
// run. Markers come out in pieces, as they do from a real server.
const tokens = text.match(/ ?[A-Za-z]+| ?\d| ?[^\sA-Za-z\d]|\n+| +/g) ?? [];

const events = [];
let t = 850; // time to first token: prefill of ~1,000 visual tokens
for (const piece of tokens) {
  events.push({ t: Math.round(t), content: piece });
  t += 1000 / tokPerS;
}
events.push({ t: Math.round(t), finishReason: 'stop' });
events.push({
  t: Math.round(t),
  usage: { prompt_tokens: 433, completion_tokens: tokens.length, total_tokens: 433 + tokens.length },
});

const recording = {
  format: 'virgo-recording',
  version: 1,
  note: 'Written by hand as a sample for the right-triangle diagram; it is not model output.',
  createdAt: '2026-11-26T00:00:00.000Z',
  model: 'virgo-72b',
  question: 'What is the length of AB?',
  image: {
    file: 'right-triangle.png',
    width: 640, height: 480, sentWidth: 644, sentHeight: 476, imageTokens: 391, mime: 'image/png', bytes: 19207,
  },
  events,
};
writeFileSync(out, JSON.stringify(recording, null, 1) + '\n');
console.log(`${out}: ${tokens.length} chunks over ${(t / 1000).toFixed(1)} s`);
