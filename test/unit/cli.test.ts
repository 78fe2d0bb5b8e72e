import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ReasonEvent } from '../../protocol/thought';
import { rateLimitedThen, startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';

// The CLI as users run it: the built bundle under plain node (npm test builds first).
const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'virgo.js');
const sample = join(root, 'media', 'samples', 'right-triangle.png');
const transcript = readFileSync(join(root, 'test', 'fixtures', 'transcripts', 'triangle.txt'), 'utf8');
const SECRET = 'sk-test-SECRET-4f1d2c';

interface Run { code: number | null; stdout: string; stderr: string; events: ReasonEvent[] }

function runCli(args: string[], opts: { env?: Record<string, string>; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, NO_COLOR: '1', VIRGO_BACKEND_URL: '', VIRGO_API_KEY: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b; opts.onStdout?.(stdout, child); });
    child.stderr.on('data', (b: Buffer) => { stderr += b; });
    child.on('error', reject);
    child.on('close', (code) => {
      const events = args.includes('--json')
        ? stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReasonEvent)
        : [];
      resolve({ code, stdout, stderr, events });
    });
  });
}

let backend: FakeBackend;
let tmp: string;
before(async () => {
  backend = await startFakeBackend();
  tmp = mkdtempSync(join(tmpdir(), 'virgo-cli-'));
});
after(() => backend.close());

const reason = (...extra: string[]) => ['reason', sample, '--backend', backend.url, '--json', ...extra];
const endOf = (r: Run) => r.events.at(-1) as Extract<ReasonEvent, { type: 'end' }>;

test('prepare --json prints the sizes Qwen2-VL will see', async () => {
  const r = await runCli(['prepare', sample, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(info), ['width', 'height', 'sentWidth', 'sentHeight', 'imageTokens', 'mime', 'bytes']);
  assert.deepEqual({ ...info, bytes: 0 }, { width: 640, height: 480, sentWidth: 644, sentHeight: 476, imageTokens: 391, mime: 'image/png', bytes: 0 });
  assert.ok(info.bytes > 1000);
  const small = JSON.parse((await runCli(['prepare', sample, '--json', '--max-pixels', '50000'])).stdout);
  assert.ok(small.sentWidth * small.sentHeight <= 50000 && small.sentWidth % 28 === 0);
});

test('reason --json streams start, segments, answer and end, with Virgo\'s request', async () => {
  backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 5 });
  backend.requests.length = 0;
  const r = await runCli(reason('--question', 'What is AB?'), { env: { VIRGO_API_KEY: SECRET } });
  assert.equal(r.code, 0, r.stderr);
  const types = r.events.map((e) => e.type);
  assert.equal(types[0], 'start');
  assert.deepEqual(types.slice(-2), ['answer', 'end']);
  assert.ok(types.slice(1, -2).every((t) => t === 'segment'));
  const start = r.events[0] as Extract<ReasonEvent, { type: 'start' }>;
  assert.equal(start.model, 'virgo-72b');
  assert.deepEqual([start.sentWidth, start.sentHeight, start.imageTokens], [644, 476, 391]);
  const segments = r.events.filter((e): e is Extract<ReasonEvent, { type: 'segment' }> => e.type === 'segment');
  assert.equal(segments.length, 11);
  assert.deepEqual(Object.keys(segments[0]), ['type', 'index', 'phase', 'kind', 'reflection', 'text', 'tokens', 'ms']);
  assert.deepEqual(segments.filter((s) => s.kind === 'reflection').map((s) => s.reflection), ['backtrack', 'verify', 'alternative', 'backtrack']);
  assert.deepEqual(r.events.at(-2), { type: 'answer', text: segments.filter((s) => s.phase === 'solution').map((s) => s.text).join('\n\n'), boxed: ['\\sqrt{5}'] });
  assert.equal(endOf(r).reason, 'stop');
  assert.ok(endOf(r).usage && endOf(r).usage!.completion_tokens > 0);

  const [models, chat] = backend.requests;
  assert.equal(models.path, '/v1/models');
  assert.equal(chat.headers.authorization, `Bearer ${SECRET}`);
  const body = chat.body as Record<string, any>;
  const url: string = body.messages[1].content[0].image_url.url;
  assert.match(url, /^data:image\/png;base64,/);
  const sent = await sharp(Buffer.from(url.split(',')[1], 'base64')).metadata();
  assert.deepEqual([sent.width, sent.height], [644, 476], 'the image goes out at the smart_resize size');
  body.messages[1].content[0].image_url.url = '<image>';
  assert.deepEqual(body, {
    model: 'virgo-72b',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: [
        { type: 'image_url', image_url: { url: '<image>' } },
        { type: 'text', text: 'Please first think deeply about the question, and then put the final answer in \\boxed{}.\nWhat is AB?' },
      ] },
    ],
    temperature: 0, top_k: 1, top_p: 1.0, repetition_penalty: 1.05, max_tokens: 8192,
    stream: true, stream_options: { include_usage: true },
  });
  assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
});

test('reason without --json prints numbered steps, marked reflections and the answer', async () => {
  backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 9 });
  const r = await runCli(['reason', sample, '--backend', backend.url, '--max-tokens', '2048', '--model', 'my-virgo']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Virgo · my-virgo · .*right-triangle\.png: 640×480 sent as 644×476 \(391 visual tokens/);
  assert.match(r.stdout, /\nThought\n\nStep 1 \(\d+ tok, [\d.]+ s\)\n  The figure shows/);
  assert.match(r.stdout, /↺ Reflection 1 · backtrack .*\n  Wait, the question/);
  assert.match(r.stdout, /✓ Reflection 2 · verify/);
  assert.match(r.stdout, /⇄ Reflection 3 · alternative/);
  assert.match(r.stdout, /\nSolution\n/);
  assert.match(r.stdout, /\nAnswer: \\sqrt\{5\}\n/);
  assert.match(r.stdout, /— stop · \d+ tokens · 7 steps · 4 reflections/);
  const body = backend.requests.at(-1)!.body as Record<string, unknown>;
  assert.equal(body.max_tokens, 2048);
  assert.equal(body.model, 'my-virgo');
});

test('bad input exits 2 and sends nothing', async () => {
  const empty = join(tmp, 'empty.png');
  writeFileSync(empty, '');
  const svg = join(root, 'media', 'samples', 'right-triangle.svg');
  const before = backend.requests.length;
  for (const [args, pattern] of [
    [reason().map((a) => (a === sample ? empty : a)), /empty\.png: .*empty/],
    [reason().map((a) => (a === sample ? svg : a)), /right-triangle\.svg: SVG .*rsvg-convert/],
    [reason().map((a) => (a === sample ? join(tmp, 'missing.png') : a)), /missing\.png/],
    [[...reason(), '--max-tokens', 'lots'], /--max-tokens takes a whole number/],
    [['reason', sample, '--backend', 'ftp://x', '--json'], /--backend must be an http\(s\) URL/],
    [['reason', '--json'], /takes one IMAGE/],
  ] as Array<[string[], RegExp]>) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, pattern);
    assert.deepEqual(r.events.map((e) => [e.type, (e as { reason?: string }).reason]), [['end', 'error']]);
  }
  assert.equal(backend.requests.length, before, 'no request for bad input');
  assert.equal((await runCli(['prepare', empty])).code, 2);
  assert.equal((await runCli(['frobnicate'])).code, 2);
});

/** Each backend fault: exit 3, the end event says why, what closed before is kept. */
const faults: Array<{ name: string; scenario: Parameters<FakeBackend['setScenario']>[0]; args?: string[]; error: RegExp; segmentsAtLeast?: number }> = [
  { name: '401 (nested)', scenario: { kind: 'error', status: 401, message: `Invalid API key ${SECRET}` }, error: /401.*Invalid API key/ },
  { name: '400 (flat)', scenario: { kind: 'error', status: 400, shape: 'flat', message: 'At most 1 image(s) may be provided in one request.' }, error: /400.*At most 1 image/ },
  { name: '404 model', scenario: { kind: 'error', status: 404, message: 'The model `nope` does not exist.' }, args: ['--model', 'nope'], error: /404.*does not exist/ },
  { name: 'error chunk mid-stream', scenario: { kind: 'stream', content: transcript, chunkChars: 20, fault: { kind: 'errorChunk', afterChunks: 60, message: 'CUDA out of memory' } }, error: /CUDA out of memory/, segmentsAtLeast: 3 },
  { name: 'dropped connection', scenario: { kind: 'stream', content: transcript, chunkChars: 20, fault: { kind: 'drop', afterChunks: 60 } }, error: /dropped/i, segmentsAtLeast: 3 },
  { name: 'stall', scenario: { kind: 'stream', content: transcript, chunkChars: 20, fault: { kind: 'stall', afterChunks: 60 } }, args: ['--idle-timeout', '400'], error: /400 ms/, segmentsAtLeast: 3 },
];

for (const f of faults) {
  test(`backend fault: ${f.name} → exit 3 with a readable end event`, async () => {
    backend.setScenario(f.scenario);
    const r = await runCli([...reason(), ...(f.args ?? [])], { env: { VIRGO_API_KEY: SECRET } });
    assert.equal(r.code, 3, r.stderr);
    const end = endOf(r);
    assert.equal(end.reason, 'error');
    assert.match(end.error!, f.error);
    const segments = r.events.filter((e) => e.type === 'segment').length;
    assert.ok(segments >= (f.segmentsAtLeast ?? 0), `${segments} segments kept`);
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), 'the API key never shows');
  });
}

test('429 with Retry-After is retried, then the answer streams', async () => {
  backend.setScenario(rateLimitedThen(1, '1', { kind: 'stream', content: transcript, chunkChars: 50 }));
  const started = Date.now();
  const r = await runCli(reason());
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
  assert.match(r.stderr, /retry 1 in 1\.0 s/);
  assert.equal(endOf(r).reason, 'stop');
});

test('connection refused exits 3 and says how to start a server', async () => {
  const r = await runCli(['reason', sample, '--backend', 'http://127.0.0.1:9/v1', '--json']);
  assert.equal(r.code, 3);
  assert.match(endOf(r).error!, /connection refused.*vllm serve/s);
});

test('unknown host exits 3 and names the host', async () => {
  const r = await runCli(['reason', sample, '--backend', 'http://virgo-backend.invalid:8000/v1', '--json']);
  assert.equal(r.code, 3);
  assert.match(endOf(r).error!, /virgo-backend\.invalid/);
  assert.match(endOf(r).error!, /unknown host|look up/);
});

test('503 is retried, then reported with the status', async () => {
  backend.setScenario({ kind: 'error', status: 503, message: 'The engine is loading' });
  const r = await runCli(reason());
  assert.equal(r.code, 3);
  assert.match(r.stderr, /retry 1 in/);
  assert.match(endOf(r).error!, /503.*engine is loading/s);
});

test('malformed SSE lines and keep-alive comments are skipped without losing text', async () => {
  backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 11 });
  const clean = await runCli(reason());
  backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 11, noise: true });
  const noisy = await runCli(reason());
  assert.equal(noisy.code, 0, noisy.stderr);
  const texts = (r: Run) => r.events.filter((e) => e.type === 'segment').map((e) => (e as { text: string }).text);
  assert.deepEqual(texts(noisy), texts(clean));
});

test('a self-signed https backend is refused with advice, and trusted with --ca-file', async () => {
  const tlsDir = join(root, 'test', 'fixtures', 'tls');
  const secure = await startFakeBackend({ kind: 'stream', content: transcript, chunkChars: 40 }, {
    tls: { key: readFileSync(join(tlsDir, 'key.pem')), cert: readFileSync(join(tlsDir, 'cert.pem')) },
  });
  try {
    assert.match(secure.url, /^https:/);
    const refused = await runCli(['reason', sample, '--backend', secure.url, '--json']);
    assert.equal(refused.code, 3);
    assert.match(endOf(refused).error!, /certificate .* not trusted.*--ca-file/s);
    const trusted = await runCli(['reason', sample, '--backend', secure.url, '--json', '--ca-file', join(tlsDir, 'cert.pem')]);
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.deepEqual((trusted.events.at(-2) as { boxed: string[] }).boxed, ['\\sqrt{5}']);
    const badCa = await runCli(['reason', sample, '--backend', secure.url, '--json', '--ca-file', sample]);
    assert.equal(badCa.code, 2);
    assert.match(badCa.stderr, /no PEM certificate/);
  } finally {
    await secure.close();
  }
});

test('a runaway 100k-token stream stops at max_tokens and says so', async () => {
  const runaway = Array.from({ length: 100_000 }, (_, i) => (i % 40 === 39 ? ' again.\n\n' : ' Hmm')).join('');
  backend.setScenario({ kind: 'stream', content: '<|begin_of_thought|>\n' + runaway, chunkChars: 5, finishReason: 'length' });
  const r = await runCli(reason('--max-tokens', '100000'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(endOf(r).reason, 'length');
  assert.ok(r.events.filter((e) => e.type === 'segment').length >= 2400, 'every closed paragraph is kept');
  const human = await runCli(['reason', sample, '--backend', backend.url, '--max-tokens', '100000']);
  assert.match(human.stdout, /stopped at max tokens/);
});

test('finish_reason length ends with reason "length", exit 0', async () => {
  backend.setScenario({ kind: 'stream', content: transcript.slice(0, 600), chunkChars: 10, finishReason: 'length' });
  const r = await runCli(reason('--max-tokens', '60'));
  assert.equal(r.code, 0);
  assert.equal(endOf(r).reason, 'length');
});

test('Ctrl-C cancels: the server sees the connection close, the end event says cancelled', async () => {
  backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 4, delayMs: 15 });
  const closedBefore = backend.closedConnections;
  let signalled = false;
  const r = await runCli(reason(), {
    onStdout: (out, child) => {
      if (!signalled && out.includes('"type":"segment"')) { signalled = true; child.kill('SIGINT'); }
    },
  });
  assert.equal(r.code, 130);
  assert.deepEqual(endOf(r), { type: 'end', reason: 'cancelled', usage: null });
  for (let i = 0; i < 50 && backend.closedConnections === closedBefore; i++) await new Promise((res) => setTimeout(res, 20));
  assert.equal(backend.closedConnections, closedBefore + 1);
});

test('virgo replay serves a recording that virgo reason reads back', async () => {
  const recording = join(root, 'media', 'samples', 'right-triangle.recording.json');
  const child = spawn(process.execPath, [cli, 'replay', recording, '--port', '0', '--speed', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b;
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`replay exited ${code}`)));
    });
    const r = await runCli(['reason', sample, '--backend', url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.events[0] as { model: string }).model, 'virgo-72b');
    assert.deepEqual((r.events.at(-2) as { boxed: string[] }).boxed, ['\\sqrt{5}']);
    assert.ok(r.events.filter((e) => e.type === 'segment' && e.kind === 'reflection').length >= 5);
  } finally {
    child.kill('SIGINT');
  }
  const bad = await runCli(['replay', join(root, 'package.json')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not a recording/);
});

test('reason --record saves a recording that replays to the same segments', async () => {
  backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 7, delayMs: 1 });
  const file = join(tmp, 'session.recording.json');
  const first = await runCli(reason('--record', file), { env: { VIRGO_API_KEY: SECRET } });
  assert.equal(first.code, 0, first.stderr);
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes(SECRET), 'no API key in a recording');
  const rec = JSON.parse(text);
  assert.equal(rec.format, 'virgo-recording');
  assert.equal(rec.model, 'virgo-72b');
  assert.equal(rec.image.sentWidth, 644);
  assert.match(JSON.stringify(rec.request.messages), /<image omitted>/);
  assert.ok(!/base64,[A-Za-z0-9+/]{100}/.test(text), 'no image bytes in a recording');
  assert.ok(rec.events.length > 100 && rec.events.every((e: { t: number }, i: number, a: Array<{ t: number }>) => i === 0 || e.t >= a[i - 1].t));

  backend.setScenario({ kind: 'replay', events: rec.events, speed: 0 });
  const again = await runCli(reason());
  const segs = (r: Run) => r.events.filter((e) => e.type === 'segment').map((e) => ({ ...e, tokens: 0, ms: 0 }));
  assert.deepEqual(segs(again), segs(first));
  assert.deepEqual(again.events.at(-2), first.events.at(-2));
});
