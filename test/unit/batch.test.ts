import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchResult } from '../../server/eval/batchResult';
import { startFakeBackend, type FakeBackend, type Scenario } from '../fakeBackend/fakeServer';

// The CLI as users run it: the built bundle under plain node (npm test builds first).
const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'virgo.js');
const sample = join(root, 'media', 'samples', 'right-triangle.png');
const transcript = readFileSync(join(root, 'test', 'fixtures', 'transcripts', 'triangle.txt'), 'utf8');
const SECRET = 'sk-test-SECRET-batch-77';
const ANSWERED: Scenario = { kind: 'stream', content: transcript, chunkChars: 40 };

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function runCli(args: string[], opts: { env?: Record<string, string>; onStderr?: (text: string, child: ChildProcess) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, NO_COLOR: '1', VIRGO_BACKEND_URL: '', VIRGO_API_KEY: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b; });
    child.stderr.on('data', (b: Buffer) => { stderr += b; opts.onStderr?.(stderr, child); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

let backend: FakeBackend;
let tmp: string;
let images: string;
let runs = 0;
before(async () => {
  backend = await startFakeBackend(ANSWERED);
  tmp = mkdtempSync(join(tmpdir(), 'virgo-batch-'));
  images = join(tmp, 'images');
  mkdirSync(join(images, 'sub'), { recursive: true });
  copyFileSync(sample, join(images, 'a.png'));
  copyFileSync(sample, join(images, 'sub', 'b.png'));
  writeFileSync(join(images, 'bad.png'), 'this is not an image');
});
after(() => backend.close());
beforeEach(() => {
  backend.setScenario(ANSWERED);
  backend.requests.length = 0;
});

/** A fresh data file and results path for one test. */
function dataset(items: object[]): { data: string; out: string } {
  const dir = join(tmp, `run-${++runs}`);
  mkdirSync(dir);
  const data = join(dir, 'data.jsonl');
  writeFileSync(data, items.map((i) => JSON.stringify(i)).join('\n') + '\n');
  return { data, out: join(dir, 'results.jsonl') };
}

const batch = (data: string, out: string, ...extra: string[]) =>
  ['batch', data, '--images', images, '--out', out, '--backend', backend.url, ...extra];
const results = (out: string): BatchResult[] =>
  readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as BatchResult);
const chats = (b: FakeBackend = backend) => b.requests.filter((r) => r.path === '/v1/chat/completions').length;
const many = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `item-${i}`, image: 'a.png', question: `Q${i}`, answer: '\\sqrt{5}' }));

test('one line per item: gold right and wrong, no gold, a bad image, and a recording for each sent item', async () => {
  const { data, out } = dataset([
    { id: 'right', image: 'a.png', question: 'What is AB?', answer: '\\sqrt{5}' },
    { id: 'rounded', image: 'a.png', question: 'AB to two places?', answer: '2.24' },
    { id: 'wrong', image: 'a.png', question: 'What is AC?', answer: '3' },
    { id: 7, image: 'sub/b.png', question: 'No gold here' },
    { id: 'broken', image: 'bad.png', question: 'Unreadable', answer: '1' },
    { id: 'sub/dir id', image: 'a.png', question: 'Odd id', answer: '\\sqrt5' },
  ]);
  const r = await runCli(batch(data, out, '--concurrency', '3'), { env: { VIRGO_API_KEY: SECRET } });
  assert.equal(r.code, 0, r.stderr);
  const lines = results(out);
  const byId = new Map(lines.map((l) => [l.id, l]));
  assert.equal(lines.length, 6);
  assert.deepEqual([...byId.keys()].sort(), [7, 'broken', 'right', 'rounded', 'sub/dir id', 'wrong'].sort());
  assert.deepEqual(lines.map((l) => [l.id, l.correct]).sort(), [[7, null], ['broken', null], ['right', true], ['rounded', true], ['sub/dir id', true], ['wrong', false]].sort());
  assert.equal(chats(), 5, 'the bad image is never sent');

  const right = byId.get('right')!;
  for (const key of ['id', 'question', 'image', 'answer', 'boxed', 'correct', 'thoughtTokens', 'reflections', 'model', 'finishReason', 'ms', 'recording']) {
    assert.ok(key in right, `result lines carry ${key}`);
  }
  assert.deepEqual(right.boxed, ['\\sqrt{5}']);
  assert.deepEqual(right.reflections, { verify: 1, backtrack: 2, alternative: 1, total: 4 });
  assert.ok(right.thoughtTokens > 0 && right.thoughtTokens < right.completionTokens!);
  assert.deepEqual([right.model, right.finishReason, right.answer], ['virgo-72b', 'stop', '\\sqrt{5}']);
  assert.equal(byId.get(7)!.answer, null);
  assert.equal(byId.get(7)!.image, 'sub/b.png');

  const broken = byId.get('broken')!;
  assert.equal(broken.errorKind, 'image');
  assert.match(broken.error!, /bad\.png: not an image/);
  assert.equal(broken.recording, undefined);
  assert.match(r.stderr, /virgo: broken: .*bad\.png/);

  assert.equal(right.recording, 'results.jsonl.recordings/right.json');
  assert.match(byId.get('sub/dir id')!.recording!, /^results\.jsonl\.recordings\/sub_dir_id-[0-9a-f]{10}\.json$/);
  for (const line of lines.filter((l) => l.recording)) {
    const text = readFileSync(join(out, '..', line.recording!), 'utf8');
    const rec = JSON.parse(text);
    assert.equal(rec.format, 'virgo-recording');
    assert.equal(rec.question, line.question);
    assert.ok(rec.events.length > 10);
    assert.ok(!text.includes(SECRET), 'no API key in a recording');
    assert.ok(!/base64,[A-Za-z0-9+/]{100}/.test(text), 'no image bytes in a recording');
  }
  assert.ok(!readFileSync(out, 'utf8').includes(SECRET) && !r.stderr.includes(SECRET));

  const report = await runCli(['report', out, '--json']);
  assert.equal(report.code, 0, report.stderr);
  const numbers = JSON.parse(report.stdout);
  assert.deepEqual([numbers.items, numbers.failed, numbers.withGold, numbers.correct], [6, 1, 4, 3]);
});

test('resume after SIGKILL mid-batch: every id once, a half-written last line redone, nothing sent twice', async () => {
  backend.setScenario({ ...ANSWERED, delayMs: 8 });
  const { data, out } = dataset(many(12));
  const killed = await runCli(batch(data, out, '--concurrency', '2'), {
    onStderr: (text, child) => { if (/virgo batch: 3\/12/.test(text)) child.kill('SIGKILL'); },
  });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  const before = readFileSync(out, 'utf8');
  const done = before.split('\n').filter((l) => l.trim() && l.endsWith('}')).map((l) => (JSON.parse(l) as BatchResult).id);
  assert.ok(done.length >= 3 && done.length < 12, `${done.length} done before the kill`);
  // What a kill during a write leaves: the start of a line and no newline.
  const cut = many(12).find((i) => !done.includes(i.id))!;
  if (before.endsWith('\n')) appendFileSync(out, `{"id":"${cut.id}","question":"Q`);

  backend.requests.length = 0;
  const resumed = await runCli(batch(data, out, '--concurrency', '2'));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`${done.length} already in .*half-written last line dropped.*${12 - done.length} to do`));
  const text = readFileSync(out, 'utf8');
  assert.ok(text.endsWith('\n'));
  const ids = results(out).map((l) => l.id);
  assert.equal(ids.length, 12, 'no id duplicated');
  assert.deepEqual([...ids].sort(), many(12).map((i) => i.id).sort(), 'no id missing');
  assert.ok(results(out).every((l) => l.correct === true));
  assert.equal(chats(), 12 - done.length, 'only the items not written before are sent');

  backend.requests.length = 0;
  const again = await runCli(batch(data, out));
  assert.equal(again.code, 0);
  assert.match(again.stderr, /0 to do/);
  assert.equal(backend.requests.length, 0);
});

test('a backend that fails every item exits 3; the next run redoes those items', async () => {
  backend.setScenario({ kind: 'error', status: 500, message: 'CUDA error: an illegal memory access' });
  const { data, out } = dataset(many(3));
  const failed = await runCli(batch(data, out, '--concurrency', '1'));
  assert.equal(failed.code, 3, failed.stderr);
  const lines = results(out);
  assert.equal(lines.length, 3);
  assert.ok(lines.every((l) => l.errorKind === 'backend' && /500.*illegal memory access/.test(l.error!) && l.correct === null));

  backend.setScenario(ANSWERED);
  const again = await runCli(batch(data, out));
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /3 failed on the backend before, redone/);
  const redone = results(out);
  assert.equal(redone.length, 3);
  assert.ok(redone.every((l) => l.error === undefined && l.correct === true));
});

test('many backend failures in a row stop the batch (exit 3), finished lines kept', async () => {
  backend.setScenario({ kind: 'error', status: 500, message: 'engine dead' });
  const { data, out } = dataset(many(12));
  const r = await runCli(batch(data, out, '--concurrency', '1'));
  assert.equal(r.code, 3);
  assert.match(r.stderr, /stopped: the backend failed 5 items in a row \(last: .*engine dead/);
  assert.equal(results(out).length, 5);
  assert.equal(chats(), 5);
});

test('a request the backend refuses (400) stays failed on a rerun, and is redone with --redo-failed', async () => {
  backend.setScenario({ kind: 'error', status: 400, message: 'This model\'s maximum context length is 32768 tokens.' });
  const { data, out } = dataset(many(2));
  const r = await runCli(batch(data, out));
  assert.equal(r.code, 0, 'a refused item is a result, not a backend failure');
  assert.ok(results(out).every((l) => l.errorKind === 'request'));
  backend.setScenario(ANSWERED);
  const rerun = await runCli(batch(data, out));
  assert.match(rerun.stderr, /0 to do/);
  const redo = await runCli(batch(data, out, '--redo-failed'));
  assert.equal(redo.code, 0, redo.stderr);
  assert.deepEqual(results(out).map((l) => l.correct), [true, true]);
});

test('Ctrl-C writes what finished and exits 130; the rerun does the rest', async () => {
  backend.setScenario({ ...ANSWERED, delayMs: 8 });
  const { data, out } = dataset(many(8));
  let signalled = false;
  const r = await runCli(batch(data, out, '--concurrency', '2'), {
    onStderr: (text, child) => { if (!signalled && /virgo batch: 2\/8/.test(text)) { signalled = true; child.kill('SIGINT'); } },
  });
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /run the same command again to continue/);
  const kept = results(out);
  assert.ok(kept.length >= 2 && kept.length < 8);
  assert.ok(kept.every((l) => l.error === undefined), 'cancelled items are not written as failures');
  const rest = await runCli(batch(data, out));
  assert.equal(rest.code, 0, rest.stderr);
  assert.equal(new Set(results(out).map((l) => l.id)).size, 8);
  assert.equal(results(out).length, 8);
});

test('two backends share the items', async () => {
  const other = await startFakeBackend({ kind: 'stream', content: transcript.replace('\\sqrt{5}', '3'), chunkChars: 40, delayMs: 2 });
  try {
    backend.setScenario({ ...ANSWERED, delayMs: 2 });
    const { data, out } = dataset(many(6));
    const r = await runCli(['batch', data, '--images', images, '--out', out, '--backend', `${backend.url},${other.url}`, '--concurrency', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(results(out).length, 6);
    assert.ok(chats(backend) >= 2 && chats(other) >= 2, `${chats(backend)} + ${chats(other)} requests`);
    assert.equal(chats(backend) + chats(other), 6);
  } finally {
    await other.close();
  }
});

test('one backend with --model: every item\'s max_tokens fits its max_model_len, and /models is read once for the run', async () => {
  const small = await startFakeBackend(ANSWERED, { models: [{ id: 'virgo-72b', max_model_len: 4096 }] });
  try {
    const { data, out } = dataset(many(3));
    const r = await runCli(['batch', data, '--images', images, '--out', out, '--backend', small.url, '--model', 'virgo-72b', '--concurrency', '1']);
    assert.equal(r.code, 0, r.stderr);
    const sent = small.requests.filter((q) => q.path === '/v1/chat/completions').map((q) => (q.body as { max_tokens: number }).max_tokens);
    assert.equal(sent.length, 3);
    assert.ok(sent.every((m) => m < 4096 - 391), `max_tokens sent: ${sent.join(', ')}`);
    assert.deepEqual(results(out).map((l) => l.maxTokensCapped), sent);
    // The pre-flight check, then once more for the pool's model card (kept for the whole run).
    assert.equal(small.requests.filter((q) => q.path === '/v1/models').length, 2);
  } finally {
    await small.close();
  }
});

test('a dead or locked backend exits 3 before any item; nothing is written', async () => {
  const locked = await startFakeBackend(ANSWERED, { apiKey: 'the-right-key' });
  try {
    const { data, out } = dataset(many(2));
    const r = await runCli(['batch', data, '--images', images, '--out', out, '--backend', locked.url]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /401/);
    assert.match(r.stderr, /Nothing was run/);
    assert.equal(existsSync(out), false);
    assert.equal(locked.requests.filter((q) => q.path === '/v1/chat/completions').length, 0);
  } finally {
    await locked.close();
  }
});

test('bad input exits 2 and sends nothing', async () => {
  const { data, out } = dataset(many(2));
  const dir = join(out, '..');
  const write = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };
  const badJson = write('bad.jsonl', '{"id":"a","image":"a.png","question":"q"}\n{"id": "b", image\n');
  const dup = write('dup.jsonl', '{"id":"a","image":"a.png","question":"q"}\n{"id":"a","image":"a.png","question":"q"}\n');
  const noImage = write('noimage.jsonl', '{"id":"a","question":"q"}\n');
  const garbled = write('garbled.jsonl', '{"id":"x"}\nnot json\n{"id":"y"}\n');
  for (const [args, pattern] of [
    [['batch', data, '--backend', backend.url], /needs --out/],
    [['batch', '--out', out, '--backend', backend.url], /takes one DATA\.jsonl/],
    [batch(badJson, out), /bad\.jsonl:2: not a JSON object/],
    [batch(dup, out), /dup\.jsonl:2: id "a" is already used on line 1/],
    [batch(noImage, out), /noimage\.jsonl:1: "image" must be/],
    [batch(join(dir, 'missing.jsonl'), out), /missing\.jsonl: no such file/],
    [['batch', data, '--images', join(dir, 'nope'), '--out', out, '--backend', backend.url], /--images .* is not a folder/],
    [batch(data, join(dir, 'nope', 'r.jsonl')), /folder of --out .* is not a folder/],
    [batch(data, out, '--concurrency', '0'), /--concurrency takes a whole number/],
    [['batch', data, '--images', images, '--out', out, '--backend', 'ftp://x'], /--backend must be an http\(s\) URL/],
    [batch(data, garbled), /garbled\.jsonl: line 2 is not a result line/],
  ] as Array<[string[], RegExp]>) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  assert.equal(backend.requests.length, 0, 'nothing reaches the backend');
  assert.equal(readFileSync(garbled, 'utf8'), '{"id":"x"}\nnot json\n{"id":"y"}\n', 'a results file that is not ours is left alone');
});
