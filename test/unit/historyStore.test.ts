// The history store on disk: keep, list, search, get, delete; the bound; a corrupt or lost index;
// Continue updating its entry; a restart; and the thought rebuilt from a recording being the one
// the live session produced.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Recording } from '../../protocol/recording';
import type { Answer, ReasonEvent, Segment } from '../../protocol/thought';
import { HistoryStore, stemFor, type HistoryInput } from '../../server/history/historyStore';
import { thoughtFromRecording } from '../../server/history/recordingThought';
import { prepareImage, type PreparedImage } from '../../server/image/imagePrep';
import { runReasoning, type ReasonControl } from '../../server/reasoning/reasonSession';
import { readRecording } from '../../server/replay/recordingFile';
import { SessionRecorder } from '../../server/replay/sessionRecorder';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';

const root = join(__dirname, '..', '..', '..');
const transcript = readFileSync(join(root, 'test', 'fixtures', 'transcripts', 'triangle.txt'), 'utf8');
let sample: Recording;
let backend: FakeBackend;
let image: PreparedImage;
const dirs: string[] = [];

before(async () => {
  sample = await readRecording(join(root, 'media', 'samples', 'right-triangle.recording.json'));
  backend = await startFakeBackend();
  image = await prepareImage(join(root, 'media', 'samples', 'right-triangle.png'));
});
after(async () => {
  await backend.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'virgo-history-'));
  dirs.push(d);
  return d;
}

/** A recording of `text` cut into pieces of `size` characters, 10 ms apart. */
function recordingOf(question: string, text: string, size = 9): Recording {
  const events = [];
  for (let i = 0, t = 100; i < text.length; i += size, t += 10) events.push({ t, content: text.slice(i, i + size) });
  events.push({ t: events.length * 10 + 100, finishReason: 'stop' as const, usage: { prompt_tokens: 491, completion_tokens: events.length, total_tokens: 491 + events.length } });
  return { ...sample, question, events };
}

const onePiece = (answer: string) =>
  `<|begin_of_thought|>\n\nWe look at the figure.\n\nWait, check the label.\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\nIt is $\\boxed{${answer}}$.\n\n<|end_of_solution|>`;

const input = (id: string, recording: Recording, extra: Partial<HistoryInput> = {}): HistoryInput =>
  ({ id, recording, endReason: 'stop', backend: 'local', ...extra });

const shape = (segs: readonly Segment[]) => segs.map(({ index, phase, kind, reflection, text, tokens }) => ({ index, phase, kind, reflection, text, tokens }));

test('keep, list newest first, search question and answer, get in full, delete', async () => {
  const dir = tempDir();
  const store = new HistoryStore(dir);
  assert.deepEqual(await store.list(), [], 'an empty history');
  assert.ok(!existsSync(join(dir, 'index.json')), 'listing creates nothing');

  const first = await store.record(input('a1', sample, { imagePath: '/figs/right-triangle.png', thumbnail: async () => Buffer.from('png') }));
  assert.equal(first.kind, 'added');
  await new Promise((r) => setTimeout(r, 5));
  await store.record(input('b2', recordingOf('How tall is the TOWER?', onePiece('42\\text{ m}'))));
  await new Promise((r) => setTimeout(r, 5));
  await store.record(input('c3', recordingOf('What colour is the sky?', onePiece('\\text{blue}')), { endReason: 'cancelled' }));

  assert.deepEqual((await store.list()).map((e) => e.id), ['c3', 'b2', 'a1']);
  assert.deepEqual((await store.list({ limit: 2 })).map((e) => e.id), ['c3', 'b2']);
  assert.deepEqual((await store.list({ query: 'tower' })).map((e) => e.id), ['b2'], 'the question, case-insensitively');
  assert.deepEqual((await store.list({ query: 'SQRT{5}' })).map((e) => e.id), ['a1'], 'the boxed answer');
  assert.deepEqual((await store.list({ query: 'it is $' })).map((e) => e.id), ['c3', 'b2'], 'the solution text');
  assert.deepEqual(await store.list({ query: 'nothing like this' }), []);

  const a = (await store.list()).find((e) => e.id === 'a1')!;
  const live = thoughtFromRecording(sample);
  assert.equal(a.question, 'What is the length of AB?');
  assert.deepEqual(a.boxed, ['\\sqrt{5}']);
  assert.equal(a.model, 'virgo-72b');
  assert.equal(a.backend, 'local');
  assert.equal(a.segments, live.segments.length);
  assert.equal(a.thoughtTokens, live.segments.filter((s) => s.phase === 'thought').reduce((n, s) => n + s.tokens, 0));
  assert.ok(a.thoughtTokens > 0 && a.thoughtTokens < a.chunks);
  const reflections = { verify: 0, backtrack: 0, alternative: 0 };
  for (const s of live.segments) if (s.reflection) reflections[s.reflection]++;
  assert.deepEqual(a.reflections, reflections);
  assert.ok(reflections.backtrack > 0 && reflections.verify > 0, 'the sample has reflections of several types');
  assert.equal(a.endReason, 'stop');
  assert.deepEqual(a.image, {
    name: 'right-triangle.png', path: '/figs/right-triangle.png', width: 640, height: 480, sentWidth: 644, sentHeight: 476,
    imageTokens: 391, mime: 'image/png', bytes: 19207,
  });
  assert.equal(a.hasThumbnail, true);
  assert.equal((await store.list()).find((e) => e.id === 'c3')!.endReason, 'cancelled');

  const got = (await store.get('a1'))!;
  assert.deepEqual(got.summary, a);
  assert.deepEqual(got.recording, sample);
  assert.deepEqual(got.segments, live.segments);
  assert.deepEqual(got.answer, live.answer);
  assert.equal(Buffer.from(got.thumbnailBase64!, 'base64').toString(), 'png');
  assert.equal((await store.get('b2'))!.thumbnailBase64, undefined);
  assert.equal(await store.get('nope'), null);
  assert.equal(await store.get('../index'), null, 'an id is never a path');

  assert.equal(await store.remove('a1'), true);
  assert.equal(await store.remove('a1'), false);
  assert.deepEqual((await store.list()).map((e) => e.id), ['c3', 'b2']);
  assert.equal(await store.get('a1'), null);
  assert.deepEqual(readdirSync(join(dir, 'sessions')).sort(), ['b2.json', 'c3.json'], 'its session and thumbnail are gone');
});

test('ids that are not plain names are stored under their hash', async () => {
  const store = new HistoryStore(tempDir());
  for (const id of ['../../escape', 'Mixed-Case', 'a/b', '']) {
    assert.match(stemFor(id), /^h-[0-9a-f]{40}$/);
    await store.record(input(id, sample));
    assert.equal((await store.get(id))!.summary.id, id);
  }
  assert.equal(stemFor('0b6c3f9e-2a7d-4c1e-9d8a-5f4e3b2a1c0d'), '0b6c3f9e-2a7d-4c1e-9d8a-5f4e3b2a1c0d');
});

test('the history stays within maxEntries: the oldest go, with their files', async () => {
  const dir = tempDir();
  const store = new HistoryStore(dir, { maxEntries: 3 });
  const removed: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const change = await store.record(input(`s${i}`, recordingOf(`question ${i}`, onePiece(String(i))), { thumbnail: async () => Buffer.from('png') }));
    removed.push(...change.removed);
    await new Promise((r) => setTimeout(r, 3));
  }
  assert.deepEqual(removed, ['s1', 's2']);
  assert.deepEqual((await store.list()).map((e) => e.id), ['s5', 's4', 's3']);
  assert.deepEqual(readdirSync(join(dir, 'sessions')).sort(), ['s3.json', 's3.png', 's4.json', 's4.png', 's5.json', 's5.png']);
  store.setMaxEntries(2);
  const change = await store.record(input('s6', recordingOf('question 6', onePiece('6'))));
  assert.deepEqual(change.removed, ['s4', 's3']);
  assert.deepEqual((await store.list()).map((e) => e.id), ['s6', 's5']);
  store.setMaxEntries(-1);
  assert.equal((await store.record(input('s7', sample))).removed.length, 0, 'a bad bound falls back to the default (500)');
});

test('a corrupt or missing index is rebuilt from the session files; stray files and lost sessions are reconciled', async () => {
  const dir = tempDir();
  const warnings: string[] = [];
  const store = new HistoryStore(dir, { log: (m) => warnings.push(m) });
  await store.record(input('x1', recordingOf('first?', onePiece('1'))));
  await new Promise((r) => setTimeout(r, 3));
  await store.record(input('x2', recordingOf('second?', onePiece('2'))));
  const before = await store.list();

  writeFileSync(join(dir, 'index.json'), '{"version":1,"entries":[{"id":');
  const reopened = new HistoryStore(dir, { log: (m) => warnings.push(m) });
  assert.deepEqual(await reopened.list(), before, 'rebuilt from the sessions');
  assert.equal(readFileSync(join(dir, 'index.json.broken'), 'utf8'), '{"version":1,"entries":[{"id":', 'the broken index is kept');
  assert.match(warnings.join('\n'), /unreadable; rebuilding/);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).entries, before, 'and written again');

  rmSync(join(dir, 'index.json'));
  assert.deepEqual(await new HistoryStore(dir).list(), before, 'a missing index too');

  // Not JSON at all, a wrong shape, and a session file that is not one: none of it throws.
  for (const text of ['not json', '[]', '{"version":2,"entries":[]}', '{"version":1,"entries":[{"id":3}]}']) {
    writeFileSync(join(dir, 'index.json'), text);
    assert.deepEqual((await new HistoryStore(dir).list()).map((e) => e.id), ['x2', 'x1'], text);
  }
  writeFileSync(join(dir, 'sessions', 'junk.json'), '{"version":1}');
  writeFileSync(join(dir, 'sessions', 'x9.json'), 'garbage');
  assert.deepEqual((await new HistoryStore(dir).list()).map((e) => e.id), ['x2', 'x1']);

  // A crash between the session file and the index: the next process finds the session.
  const orphan = JSON.parse(readFileSync(join(dir, 'sessions', 'x2.json'), 'utf8'));
  orphan.summary.id = 'x3';
  orphan.summary.createdAt += 1000;
  writeFileSync(join(dir, 'sessions', 'x3.json'), JSON.stringify(orphan));
  // And a session file lost while its entry stayed: the entry goes.
  rmSync(join(dir, 'sessions', 'x1.json'));
  const reconciled = new HistoryStore(dir);
  assert.deepEqual((await reconciled.list()).map((e) => e.id), ['x3', 'x2']);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).entries.map((e: { id: string }) => e.id), ['x3', 'x2']);
  assert.equal(await reconciled.get('x1'), null);
});

test('Continue updates the same entry: one entry, first date kept, the longer recording, the new end', async () => {
  const dir = tempDir();
  const store = new HistoryStore(dir);
  const cut = Math.floor(sample.events.length / 2);
  const partial: Recording = { ...sample, events: sample.events.slice(0, cut) };
  let thumbnails = 0;
  const thumbnail = async () => { thumbnails++; return Buffer.from('png'); };
  const first = await store.record(input('cont', partial, { endReason: 'error', thumbnail, imagePath: '/figs/t.png' }));
  assert.equal(first.kind, 'added');
  assert.equal(first.summary.endReason, 'error');
  assert.deepEqual(first.summary.boxed, [], 'interrupted before the answer');
  await new Promise((r) => setTimeout(r, 5));
  const second = await store.record(input('cont', sample, { thumbnail }));
  assert.equal(second.kind, 'updated');
  assert.equal(thumbnails, 1, 'the first thumbnail is kept');
  const list = await store.list();
  assert.equal(list.length, 1);
  assert.equal(list[0].createdAt, first.summary.createdAt);
  assert.ok(list[0].updatedAt > first.summary.updatedAt);
  assert.equal(list[0].endReason, 'stop');
  assert.deepEqual(list[0].boxed, ['\\sqrt{5}']);
  assert.ok(list[0].segments > first.summary.segments);
  assert.equal(list[0].image.path, '/figs/t.png', 'the image path is kept');
  assert.deepEqual((await store.get('cont'))!.recording, sample);
  assert.deepEqual(readdirSync(join(dir, 'sessions')).sort(), ['cont.json', 'cont.png']);
});

test('the history survives a restart', async () => {
  const dir = tempDir();
  const store = new HistoryStore(dir);
  await store.record(input('r1', sample, { thumbnail: async () => Buffer.from('png') }));
  const before = await store.get('r1');
  const after = new HistoryStore(dir);
  assert.deepEqual(await after.get('r1'), before);
  assert.deepEqual((await after.list()).map((e) => e.id), ['r1']);
});

/** Runs a live session against the fake backend, recording it as the language server does. */
async function liveSession(control: ReasonControl = {}, recorder = new SessionRecorder(image, 'What is the length of AB?')) {
  const events: ReasonEvent[] = [];
  const outcome = await runReasoning(
    { image, question: 'What is the length of AB?' },
    { baseUrl: backend.url, maxRetries: 0 },
    {
      onEvent: (e) => events.push(e),
      onRequest: (body, model) => { if (!control.continueFrom) recorder.requestSent(body, model); },
      onChunk: (c) => recorder.chunk(c),
    },
    { keepOpen: true, ...control },
  );
  const segments = events.filter((e): e is Extract<ReasonEvent, { type: 'segment' }> => e.type === 'segment').map(({ type: _t, ...s }) => s);
  const answer = events.find((e): e is Extract<ReasonEvent, { type: 'answer' }> => e.type === 'answer');
  return { outcome, segments, answer: answer && ({ text: answer.text, boxed: answer.boxed } as Answer), recorder };
}

test('segments and answer rebuilt from a recording are the ones the live session produced', async () => {
  for (const scenario of [
    { kind: 'stream' as const, content: transcript, chunkChars: 7 },
    { kind: 'stream' as const, reasoning: transcript.split('<|end_of_thought|>')[0].replace('<|begin_of_thought|>', ''), content: 'So $\\boxed{\\sqrt{5}}$.', chunkChars: 5 },
    { kind: 'replay' as const, events: sample.events, speed: 0 },
  ]) {
    backend.setScenario(scenario);
    const live = await liveSession();
    assert.equal(live.outcome.reason, 'stop');
    const rebuilt = thoughtFromRecording(live.recorder.toRecording());
    assert.ok(live.segments.length > 3);
    assert.deepEqual(shape(rebuilt.segments), shape(live.segments), scenario.kind);
    assert.deepEqual(rebuilt.answer, live.answer);
  }
});

test('an interrupted and continued session rebuilds into the same thought as one uninterrupted run', async () => {
  backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 10 });
  const whole = await liveSession();
  // Mid-paragraph, in a reflection.
  const cut = transcript.indexOf('Let me double-check') + 30;
  backend.setScenario({ kind: 'stream', content: [transcript.slice(0, cut - 4), transcript.slice(cut - 4, cut), transcript.slice(cut)], fault: { kind: 'drop', afterChunks: 2 } });
  const first = await liveSession();
  assert.equal(first.outcome.reason, 'error');
  const dir = tempDir();
  const store = new HistoryStore(dir);
  await store.record(input('s', first.recorder.toRecording(), { endReason: 'error' }));
  const interrupted = (await store.get('s'))!;
  // What had streamed, the unfinished paragraph included, is kept.
  assert.equal(interrupted.segments.at(-1)!.text, transcript.slice(transcript.indexOf('Let me double-check'), cut));
  assert.equal(interrupted.summary.endReason, 'error');

  backend.setScenario({ kind: 'stream', content: transcript.slice(cut), chunkChars: 10 });
  const second = await liveSession({ continueFrom: first.outcome.continuation! }, first.recorder);
  assert.equal(second.outcome.reason, 'stop');
  await store.record(input('s', first.recorder.toRecording()));
  const continued = (await store.get('s'))!;
  assert.deepEqual(shape(continued.segments).map(({ tokens: _t, ...s }) => s), shape(whole.segments).map(({ tokens: _t, ...s }) => s));
  assert.deepEqual(shape(continued.segments), shape([...first.segments, ...second.segments]));
  assert.deepEqual(continued.answer, whole.answer);
  assert.equal((await store.list()).length, 1);
});
