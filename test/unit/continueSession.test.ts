import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReasonEvent, Segment } from '../../protocol/thought';
import { prepareImage, type PreparedImage } from '../../server/image/imagePrep';
import { SessionQueue } from '../../server/lsp/sessionQueue';
import { runReasoning } from '../../server/reasoning/reasonSession';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';

const root = join(__dirname, '..', '..', '..');
const transcript = readFileSync(join(root, 'test', 'fixtures', 'transcripts', 'triangle.txt'), 'utf8');
let backend: FakeBackend;
let image: PreparedImage;

before(async () => {
  backend = await startFakeBackend();
  image = await prepareImage(join(root, 'media', 'samples', 'right-triangle.png'));
});
after(() => backend.close());

const shape = (segs: Segment[]) => segs.map(({ index, phase, kind, reflection, text }) => ({ index, phase, kind, reflection, text }));

async function session(control: Parameters<typeof runReasoning>[3]) {
  const events: ReasonEvent[] = [];
  const outcome = await runReasoning({ image, question: 'AB?' }, { baseUrl: backend.url, maxRetries: 0 }, { onEvent: (e) => events.push(e) }, control);
  return { outcome, events, segments: events.filter((e): e is Extract<ReasonEvent, { type: 'segment' }> => e.type === 'segment').map(({ type: _t, ...s }) => s) };
}

test('a dropped stream continues into the same segments: nothing lost, nothing doubled', async () => {
  backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 10 });
  const whole = await session({});

  const cut = 1234; // mid-paragraph
  backend.setScenario({ kind: 'stream', content: [transcript.slice(0, cut - 4), transcript.slice(cut - 4, cut), transcript.slice(cut)], fault: { kind: 'drop', afterChunks: 2 } });
  const first = await session({ keepOpen: true });
  assert.equal(first.outcome.reason, 'error');
  assert.ok(first.outcome.continuation, 'an interrupted session can be continued');
  assert.equal(first.outcome.continuation!.assistantText, transcript.slice(0, cut));
  assert.deepEqual(first.events.at(-1)?.type, 'end');

  backend.requests.length = 0;
  backend.setScenario({ kind: 'stream', content: transcript.slice(cut), chunkChars: 10 });
  const second = await session({ continueFrom: first.outcome.continuation! });
  assert.equal(second.outcome.reason, 'stop');
  assert.ok(!second.events.some((e) => e.type === 'start'), 'no second start');
  assert.deepEqual(shape([...first.segments, ...second.segments]), shape(whole.segments));
  assert.deepEqual(second.events.at(-2), whole.events.at(-2), 'the same answer');

  const body = backend.requests.find((r) => r.path.endsWith('/chat/completions'))!.body as Record<string, any>;
  assert.deepEqual(body.messages.at(-1), { role: 'assistant', content: transcript.slice(0, cut) });
  assert.equal(body.continue_final_message, true);
  assert.equal(body.add_generation_prompt, false);
  assert.equal(body.model, 'virgo-72b');
});

test('a max-tokens stop continues too', async () => {
  backend.setScenario({ kind: 'stream', content: transcript.slice(0, 900), chunkChars: 10, finishReason: 'length' });
  const first = await session({ keepOpen: true });
  assert.equal(first.outcome.reason, 'length');
  backend.setScenario({ kind: 'stream', content: transcript.slice(900), chunkChars: 10 });
  const second = await session({ continueFrom: first.outcome.continuation! });
  backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 10 });
  const whole = await session({});
  assert.deepEqual(shape([...first.segments, ...second.segments]), shape(whole.segments));
});

test('the session queue runs at most `limit` at once, in order, and drops cancelled waiters', async () => {
  const q = new SessionQueue(2);
  const order: string[] = [];
  const controllers = Array.from({ length: 5 }, () => new AbortController());
  const releases: Array<() => void> = [];
  const waits = controllers.map((c, i) => q.acquire(c.signal).then((release) => { order.push(`start ${i}`); releases[i] = release; }, () => order.push(`cancelled ${i}`)));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['start 0', 'start 1']);
  assert.equal(q.ahead, 4);
  controllers[2].abort();
  await new Promise((r) => setImmediate(r));
  releases[0]();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['start 0', 'start 1', 'cancelled 2', 'start 3']);
  releases[1](); releases[3]();
  await Promise.all(waits);
  assert.deepEqual(order.slice(-1), ['start 4']);
});
