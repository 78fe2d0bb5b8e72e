import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import type { SessionNoticeBody } from '../../protocol/lsp';
import type { BackendSettings } from '../../protocol/settings';
import { BackendError } from '../../server/backend/backendErrors';
import { failoverKind, PoolRegistry, ReplicaPool, replicaUrls, type PoolOptions } from '../../server/backend/replicaPool';
import { prepareImage, type PreparedImage } from '../../server/image/imagePrep';
import { ReasoningService } from '../../server/lsp/reasoningService';
import { runReasoning, type ReasonOutcome } from '../../server/reasoning/reasonSession';
import { startFakeBackend, type FakeBackend, type Scenario } from '../fakeBackend/fakeServer';

const root = join(__dirname, '..', '..', '..');
const ANSWER = '<|begin_of_thought|>\n\nThe answer is 4.\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n\\boxed{4}\n\n<|end_of_solution|>';
/** About 200 ms of streaming: long enough for 20 sessions to overlap. */
const SLOW: Scenario = { kind: 'stream', content: ANSWER, chunkChars: 24, delayMs: 40 };

let image: PreparedImage;
const servers: FakeBackend[] = [];

before(async () => {
  image = await prepareImage(join(root, 'media', 'samples', 'right-triangle.png'));
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function backend(scenario: Scenario = SLOW, options: Parameters<typeof startFakeBackend>[1] = {}): Promise<FakeBackend> {
  const b = await startFakeBackend(scenario, options);
  servers.push(b);
  return b;
}

const chats = (b: FakeBackend) => b.requests.filter((r) => r.path === '/v1/chat/completions').length;

async function session(pool: ReplicaPool, model?: string): Promise<{ outcome: ReasonOutcome; notices: SessionNoticeBody[] }> {
  const notices: SessionNoticeBody[] = [];
  const outcome = await runReasoning(
    { image, question: '1+3?', ...(model ? { model } : {}) },
    { baseUrl: pool.replicas[0].url, retryBaseMs: 10, idleTimeoutMs: 5000, pool },
    { onEvent: () => undefined, onNotice: (n) => notices.push(n) },
    { keepOpen: true },
  );
  return { outcome, notices };
}

function pool(urls: string[], options: PoolOptions = {}): ReplicaPool {
  return new ReplicaPool('test', urls, options);
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('balancing', () => {
  test('20 concurrent sessions over 3 replicas: 7, 7 and 6, by requests in flight', async () => {
    const bs = await Promise.all([backend(), backend(), backend()]);
    const p = pool(bs.map((b) => b.url));
    let peak = 0;
    const timer = setInterval(() => { peak = Math.max(peak, ...p.replicas.map((r) => r.inFlight)); }, 5);
    const results = await Promise.all(Array.from({ length: 20 }, () => session(p)));
    clearInterval(timer);
    assert.deepEqual(results.map((r) => r.outcome.reason), Array(20).fill('stop'));
    assert.deepEqual(bs.map(chats), [7, 7, 6]);
    assert.ok(peak <= 7, `at most 7 in flight on one replica, saw ${peak}`);
    assert.deepEqual(p.replicas.map((r) => r.inFlight), [0, 0, 0], 'every lease released');
    assert.equal(results.flatMap((r) => r.notices).length, 0, 'no failover, no cap');
  });

  test('with one replica busy, new sessions go to the others', async () => {
    const busy = await backend({ kind: 'stream', content: ANSWER, chunkChars: 8, delayMs: 60 }); // ≈ 1.2 s
    const [b2, b3] = await Promise.all([backend({ kind: 'stream', content: ANSWER }), backend({ kind: 'stream', content: ANSWER })]);
    const p = pool([busy.url, b2.url, b3.url]);
    const long = [session(p), session(p), session(p)]; // one on each
    await until(() => chats(busy) === 1 && chats(b2) === 1 && chats(b3) === 1);
    await until(() => p.replicas[1].inFlight === 0 && p.replicas[2].inFlight === 0);
    assert.equal(p.replicas[0].inFlight, 1);
    for (let i = 0; i < 6; i++) assert.equal((await session(p)).outcome.reason, 'stop');
    assert.equal(chats(busy), 1, 'nothing more went to the busy replica');
    assert.equal(chats(b2) + chats(b3), 8);
    assert.equal(Math.abs(chats(b2) - chats(b3)), 0, 'ties alternate');
    await Promise.all(long);
  });
});

describe('failover', () => {
  test('a dead replica (closed port) is skipped: every session succeeds on the others', async () => {
    const [a, c] = await Promise.all([backend(), backend()]);
    const dead = `http://127.0.0.1:${await closedPort()}/v1`;
    const p = pool([a.url, dead, c.url]);
    const results = await Promise.all(Array.from({ length: 20 }, () => session(p)));
    assert.deepEqual(results.map((r) => r.outcome.reason), Array(20).fill('stop'));
    assert.equal(chats(a) + chats(c), 20);
    const moves = results.flatMap((r) => r.notices);
    assert.ok(moves.length >= 1, 'the sessions given the dead replica moved on');
    for (const n of moves) assert.deepEqual({ ...n, to: '' }, { kind: 'failover', from: dead, to: '', reason: 'connection refused' });
    const status = p.snapshot().replicas[1];
    assert.equal(status.healthy, false);
    assert.match(status.lastError ?? '', /connection refused/);
    assert.ok(status.retryAt! > Date.now(), 'probed again later');
    assert.equal(p.replicas[1].failures, 1, 'sessions failing there together count once');

    // Down now: later sessions do not even try it.
    const later = await Promise.all(Array.from({ length: 6 }, () => session(p)));
    assert.equal(later.flatMap((r) => r.notices).length, 0);
    assert.equal(chats(a) + chats(c), 26);
  });

  test('a replica that comes back is used again after its backoff', async () => {
    const a = await backend({ kind: 'stream', content: ANSWER });
    const port = await closedPort();
    const p = pool([`http://127.0.0.1:${port}/v1`, a.url], { backoffBaseMs: 300 });
    const first = await session(p);
    assert.equal(first.outcome.reason, 'stop');
    assert.equal(first.notices[0]?.kind, 'failover');
    assert.equal(p.replicas[0].healthy, false);

    const revived = await backend({ kind: 'stream', content: ANSWER }, { port });
    await session(p); // within the backoff: not probed, not used
    assert.equal(revived.requests.length, 0);
    await new Promise((r) => setTimeout(r, 350));
    await session(p); // past it: this session's pick probes it in the background
    await until(() => p.replicas[0].healthy);
    assert.deepEqual(revived.requests.slice(0, 2).map((r) => r.path), ['/health', '/v1/models']);
    const both = await Promise.all(Array.from({ length: 4 }, () => session(p)));
    assert.deepEqual(both.map((r) => r.outcome.reason), Array(4).fill('stop'));
    assert.equal(chats(revived), 2, 'back in the rotation');
  });

  test('a drop mid-stream is reported and not retried on another replica', async () => {
    const dropping = await backend({ kind: 'stream', content: ['<|begin_of_thought|>\n\nOne', ' two', ' three'], fault: { kind: 'drop', afterChunks: 2 } });
    const other = await backend();
    const p = pool([dropping.url, other.url]);
    const { outcome, notices } = await session(p);
    assert.equal(outcome.reason, 'error');
    assert.equal(outcome.error?.kind, 'stream');
    assert.match(outcome.error?.message ?? '', /dropped mid-stream/);
    assert.ok(outcome.continuation, 'the user can Continue');
    assert.equal(outcome.continuation!.assistantText, '<|begin_of_thought|>\n\nOne two');
    assert.deepEqual(notices, []);
    assert.equal(other.requests.length, 0, 'the other replica saw no request at all');
    assert.equal(p.replicas[0].healthy, true, 'one drop does not mark a replica down');
    assert.match(p.snapshot().replicas[0].lastError ?? '', /dropped mid-stream/);
  });

  test('503 before streaming moves on and marks down; 429 moves on without marking down; 400 does not move', async () => {
    const unavailable = await backend({ kind: 'error', status: 503, message: 'engine dead' });
    const limited = await backend({ kind: 'error', status: 429, message: 'busy' });
    const ok = await backend({ kind: 'stream', content: ANSWER });
    const p = pool([unavailable.url, limited.url, ok.url]);
    const { outcome, notices } = await session(p, 'virgo-72b');
    assert.equal(outcome.reason, 'stop');
    assert.deepEqual(notices.map((n) => n.kind === 'failover' && n.reason), ['HTTP 503 Service Unavailable', 'HTTP 429 Too Many Requests']);
    assert.deepEqual(p.replicas.map((r) => r.healthy), [false, true, true]);
    assert.deepEqual([chats(unavailable), chats(limited), chats(ok)], [1, 1, 1], 'no retries on a replica while others are left');

    const bad = await backend({ kind: 'error', status: 400, message: 'At most 4 image(s) may be provided in one request.' });
    const spare = await backend({ kind: 'stream', content: ANSWER });
    const q = pool([bad.url, spare.url]);
    const refused = await session(q, 'virgo-72b');
    assert.equal(refused.outcome.reason, 'error');
    assert.equal(refused.outcome.error?.status, 400);
    assert.equal(chats(spare), 0, 'another replica would refuse it too');
    assert.equal(q.replicas[0].healthy, true);
  });

  test('/health 503 marks a replica down; sessions go to the others', async () => {
    const dying = await backend(SLOW, { healthStatus: 503 });
    const ok = await backend({ kind: 'stream', content: ANSWER });
    const p = pool([dying.url, ok.url]);
    const status = await p.refresh({ baseUrl: dying.url });
    assert.deepEqual(status.replicas.map((r) => r.healthy), [false, true]);
    assert.match(status.replicas[0].lastError ?? '', /503/);
    assert.deepEqual(status.replicas[1].models, [{ id: 'virgo-72b', maxModelLen: 32768 }]);
    for (let i = 0; i < 3; i++) assert.equal((await session(p)).outcome.reason, 'stop');
    assert.equal(chats(dying), 0);
    assert.equal(chats(ok), 3);
  });

  test('all replicas down: each is tried once, the last with retries, and the error reaches the session', async () => {
    const ports = await Promise.all([closedPort(), closedPort()]);
    const p = pool(ports.map((port) => `http://127.0.0.1:${port}/v1`));
    const retries: number[] = [];
    const outcome = await runReasoning(
      { image, question: '?' },
      { baseUrl: '', retryBaseMs: 10, maxRetries: 2, pool: p },
      { onEvent: () => undefined, onRetry: (a) => retries.push(a) },
    );
    assert.equal(outcome.reason, 'error');
    assert.equal(outcome.error?.kind, 'connection');
    assert.match(outcome.error?.message ?? '', /connection refused.*gave up after 2 retries/s);
    assert.deepEqual(retries, [1, 2], 'the backoff retries happen on the last replica only');
    assert.deepEqual(p.replicas.map((r) => r.healthy), [false, false]);
    assert.deepEqual(p.replicas.map((r) => r.inFlight), [0, 0]);
  });
});

describe('the pool itself', () => {
  test('ties go round-robin; down replicas are skipped; all down: the least recently failed', () => {
    let now = 1000;
    const p = pool(['http://a/v1', 'http://b/v1', 'http://c/v1'], { now: () => now });
    const picks = Array.from({ length: 4 }, () => p.lease()!);
    assert.deepEqual(picks.map((l) => l.replica.url), ['http://a/v1', 'http://b/v1', 'http://c/v1', 'http://a/v1']);
    picks.forEach((l) => { l.release(); l.release(); });
    assert.deepEqual(p.replicas.map((r) => r.inFlight), [0, 0, 0], 'release is idempotent');

    p.markDown(p.replicas[1], 'refused');
    assert.deepEqual(Array.from({ length: 4 }, () => { const l = p.lease()!; l.release(); return l.replica.url; }), ['http://c/v1', 'http://a/v1', 'http://c/v1', 'http://a/v1']);
    now = 2000;
    p.markDown(p.replicas[0], 'refused');
    now = 3000;
    p.markDown(p.replicas[2], 'refused');
    assert.equal(p.lease()!.replica.url, 'http://b/v1', 'b failed longest ago');
    assert.equal(p.lease(new Set([p.replicas[1]]))!.replica.url, 'http://a/v1');
    assert.equal(p.lease(new Set(p.replicas)), undefined);
  });

  test('the backoff doubles from 5 s to 60 s and resets when the replica is up', () => {
    let now = 0;
    const p = pool(['http://a/v1'], { now: () => now });
    const r = p.replicas[0];
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      p.markDown(r, 'refused');
      p.markDown(r, 'refused again, before the backoff passed'); // counts once
      waits.push(r.retryAt - now);
      now = r.retryAt;
    }
    assert.deepEqual(waits, [5000, 10000, 20000, 40000, 60000, 60000]);
    p.markUp(r);
    p.markDown(r, 'refused');
    assert.equal(r.retryAt - now, 5000);
  });

  test('which failures move a session on', () => {
    const e = (kind: ConstructorParameters<typeof BackendError>[0], init: ConstructorParameters<typeof BackendError>[2]) => new BackendError(kind, 'x', init);
    assert.equal(failoverKind(e('connection', { code: 'ECONNREFUSED', beforeFirstByte: true })), 'down');
    assert.equal(failoverKind(e('connection', { code: 'ENOTFOUND', beforeFirstByte: true })), 'down');
    assert.equal(failoverKind(e('timeout', { beforeFirstByte: true })), 'down');
    assert.equal(failoverKind(e('http', { status: 502, beforeFirstByte: true })), 'down');
    assert.equal(failoverKind(e('http', { status: 503, beforeFirstByte: true })), 'down');
    assert.equal(failoverKind(e('http', { status: 429, beforeFirstByte: true })), 'busy');
    assert.equal(failoverKind(e('http', { status: 401, beforeFirstByte: true })), undefined);
    assert.equal(failoverKind(e('connection', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', beforeFirstByte: true })), undefined);
    assert.equal(failoverKind(e('idle', { beforeFirstByte: true })), undefined, 'the server may be working on it');
    assert.equal(failoverKind(e('stream', { beforeFirstByte: false })), undefined);
  });

  test('one pool per backend name and URL list, shared by every caller', () => {
    const pools = new PoolRegistry();
    const one = pools.forSettings({ backendUrl: 'http://a/v1', replicas: ['http://a/v1', 'http://b/v1/'], backendName: 'lab' });
    assert.equal(pools.forSettings({ backendUrl: 'http://b/v1', replicas: ['http://a/v1/', 'http://b/v1'], backendName: 'lab' }), one);
    assert.notEqual(pools.forSettings({ backendUrl: 'http://a/v1', replicas: ['http://a/v1', 'http://b/v1'], backendName: 'other' }), one);
    assert.deepEqual(one.replicas.map((r) => r.url), ['http://a/v1', 'http://b/v1']);
    assert.deepEqual(replicaUrls({ backendUrl: 'http://x:8000/v1/' }), ['http://x:8000/v1']);
    assert.deepEqual(replicaUrls({ backendUrl: 'http://x/v1', replicas: [] }), ['http://x/v1']);
  });
});

describe('the language server requests', () => {
  const settings = (urls: string[]): BackendSettings => ({
    backendUrl: urls[0], replicas: urls, backendName: 'lab', model: '', maxTokens: 8192, temperature: 0,
    maxPixels: 12845056, promptPrefix: '', idleTimeoutMs: 5000, caCertificatePath: '',
  });

  test('checkBackend probes every replica; backendStatus reports the shared pool', async () => {
    const service = new ReasoningService({} as Connection);
    const [a, b] = await Promise.all([backend(), backend(SLOW, { models: [{ id: 'virgo-72b', max_model_len: 16384 }] })]);
    const dead = `http://127.0.0.1:${await closedPort()}/v1`;
    const s = settings([a.url, dead, b.url]);

    const check = await service.check(s);
    assert.equal(check.ok, true);
    assert.deepEqual(check.models, ['virgo-72b']);
    assert.match(check.error ?? '', new RegExp(`^2 of 3 replicas answered\\. ${dead.replace(/[.]/g, '\\.')}/?: Could not connect`));

    const seen = await service.backendStatus({ ...s, probe: false });
    assert.equal(seen.backendName, 'lab');
    assert.deepEqual(seen.replicas.map((r) => [r.healthy, r.inFlight]), [[true, 0], [false, 0], [true, 0]]);
    assert.deepEqual(seen.replicas[2].models, [{ id: 'virgo-72b', maxModelLen: 16384 }]);
    assert.equal(a.requests.length, 2, 'probe: false asks nothing');

    await service.backendStatus(s);
    assert.deepEqual(a.requests.map((r) => r.path), ['/health', '/v1/models', '/health', '/v1/models']);

    const none = await service.check(settings([dead]));
    assert.equal(none.ok, false);
    assert.match(none.error ?? '', /connection refused/);
  });
});
