import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  listModels,
  streamChat,
  type BackendChunk,
  type BackendOptions,
} from '../../server/backend/backendClient';
import { BackendError, isCancelled, parseRetryAfter } from '../../server/backend/backendErrors';
import { directRoute } from '../../server/backend/replicaPool';
import { buildChatRequest } from '../../server/backend/requestBuilder';
import { startFakeBackend, rateLimitedThen, type FakeBackend, type Scenario } from '../fakeBackend/fakeServer';

const IMAGE = 'data:image/png;base64,iVBORw0KGgo=';
const SECRET = 'sk-virgo-SECRET-0123456789';

let backend: FakeBackend;
let guarded: FakeBackend; // requires an API key, like `vllm serve --api-key`

before(async () => {
  backend = await startFakeBackend();
  guarded = await startFakeBackend(undefined, { apiKey: 'the-right-key' });
});

after(async () => {
  await backend.close();
  await guarded.close();
});

function opts(extra: Partial<BackendOptions> = {}): BackendOptions {
  return { baseUrl: backend.url, retryBaseMs: 10, idleTimeoutMs: 5000, ...extra };
}

function body(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return buildChatRequest({ model: 'virgo-72b', imageDataUrl: IMAGE, question: '1+3?', extraBody: extra });
}

async function run(o: BackendOptions, b = body()): Promise<{ chunks: BackendChunk[]; error?: BackendError }> {
  const chunks: BackendChunk[] = [];
  try {
    for await (const c of streamChat(o, b)) chunks.push(c);
    return { chunks };
  } catch (e) {
    assert.ok(e instanceof BackendError, `expected a BackendError, got ${inspect(e)}`);
    return { chunks, error: e };
  }
}

function text(chunks: BackendChunk[], field: 'content' | 'reasoning'): string {
  return chunks.map((c) => c[field] ?? '').join('');
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function use(s: Scenario): void {
  backend.setScenario(s);
}

describe('streaming', () => {
  test('content chunks arrive in order and reassemble; finish_reason and usage follow', async () => {
    const answer = '<|begin_of_thought|>\n\n1+3 = 4. Wait, let me double-check: yes.\n\n<|end_of_thought|>\n\n\\boxed{4} — ∑ 数学';
    use({ kind: 'stream', content: answer, chunkChars: 3, usage: { prompt_tokens: 321 } });
    const before = backend.requests.length;
    const { chunks, error } = await run(opts({ baseUrl: backend.url + '/', apiKey: SECRET }));
    assert.equal(error, undefined);
    assert.equal(text(chunks, 'content'), answer);
    assert.ok(chunks.length > 10, 'one chunk per server event');
    const withFinish = chunks.filter((c) => c.finishReason);
    assert.deepEqual(withFinish.map((c) => c.finishReason), ['stop']);
    const events = Math.ceil(Array.from(answer).length / 3);
    assert.deepEqual(chunks[chunks.length - 1], { usage: { prompt_tokens: 321, completion_tokens: events, total_tokens: 321 + events } });

    const req = backend.requests[before];
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/chat/completions', 'the trailing slash of the base URL is tolerated');
    assert.equal(req.headers.authorization, `Bearer ${SECRET}`);
    assert.deepEqual(req.body, body());
  });

  test('chunks are yielded as they arrive, not when the stream ends', async () => {
    use({ kind: 'stream', content: ['a', 'b', 'c'], delayMs: 80 });
    const started = Date.now();
    const arrivals: number[] = [];
    for await (const c of streamChat(opts(), body())) if (c.content) arrivals.push(Date.now() - started);
    assert.equal(arrivals.length, 3);
    assert.ok(arrivals[2] - arrivals[0] >= 120, `arrivals ${arrivals.join(', ')}`);
  });

  test('the thought in delta.reasoning, the answer in content', async () => {
    use({ kind: 'stream', reasoning: 'Hmm, 1+3 is 4.', content: 'The answer is \\boxed{4}.', chunkChars: 4 });
    const { chunks, error } = await run(opts());
    assert.equal(error, undefined);
    assert.equal(text(chunks, 'reasoning'), 'Hmm, 1+3 is 4.');
    assert.equal(text(chunks, 'content'), 'The answer is \\boxed{4}.');
    const firstContent = chunks.findIndex((c) => c.content);
    assert.ok(chunks.slice(firstContent).every((c) => c.reasoning === undefined), 'thought first, then answer');
  });

  test('the thought in delta.reasoning_content (older vLLM)', async () => {
    use({ kind: 'stream', reasoning: 'Let me verify.', reasoningField: 'reasoning_content', content: '4' });
    const { chunks } = await run(opts());
    assert.equal(text(chunks, 'reasoning'), 'Let me verify.');
    assert.equal(text(chunks, 'content'), '4');
  });

  test("finish_reason 'length' is passed on", async () => {
    use({ kind: 'stream', content: 'a long thought that was cut', finishReason: 'length' });
    const { chunks, error } = await run(opts());
    assert.equal(error, undefined);
    assert.deepEqual(chunks.filter((c) => c.finishReason).map((c) => c.finishReason), ['length']);
  });

  test('no usage chunk unless asked for', async () => {
    use({ kind: 'stream', content: 'four' });
    const { chunks } = await run(opts(), body({ stream_options: undefined }));
    assert.equal(chunks.some((c) => c.usage), false);
  });

  test('a stream that ends without [DONE] but with finish_reason is complete', async () => {
    use({ kind: 'stream', content: 'done anyway', omitDone: true });
    const { chunks, error } = await run(opts());
    assert.equal(error, undefined);
    assert.equal(text(chunks, 'content'), 'done anyway');
  });

  test('a recording replays with finish_reason riding on the last text (fake server replay mode)', async () => {
    use({
      kind: 'replay',
      speed: 0,
      events: [
        { t: 100, reasoning: 'Hmm. ' },
        { t: 120, content: 'Four' },
        { t: 140, finishReason: 'stop' },
        { t: 140, usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } },
      ],
    });
    const { chunks } = await run(opts());
    assert.deepEqual(chunks, [
      { reasoning: 'Hmm. ' },
      { content: 'Four', finishReason: 'stop' },
      { usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } },
    ]);
  });

  test('a server answering with a whole completion (stream:false) gives one chunk', async () => {
    use({ kind: 'stream', reasoning: 'think', content: 'answer', chunkChars: 2 });
    const { chunks, error } = await run(opts(), body({ stream: false }));
    assert.equal(error, undefined);
    assert.deepEqual(chunks, [
      { content: 'answer', reasoning: 'think', finishReason: 'stop', usage: { prompt_tokens: 100, completion_tokens: 6, total_tokens: 106 } },
    ]);
  });

  test('malformed events and keep-alive comments are skipped with a warning', async () => {
    use({ kind: 'stream', content: 'robust against noise', chunkChars: 2, noise: true });
    const warnings: string[] = [];
    const { chunks, error } = await run(opts({ onWarning: (m) => warnings.push(m) }));
    assert.equal(error, undefined);
    assert.equal(text(chunks, 'content'), 'robust against noise');
    assert.ok(warnings.length >= 3, `warnings: ${warnings.length}`);
    assert.match(warnings[0], /malformed/);
  });
});

describe('failures mid-stream', () => {
  test('an error chunk is thrown after the chunks before it were yielded (both shapes)', async () => {
    for (const shape of ['nested', 'flat'] as const) {
      use({
        kind: 'stream',
        content: ['one ', 'two ', 'three'],
        fault: { kind: 'errorChunk', afterChunks: 2, message: 'CUDA out of memory', shape },
      });
      const { chunks, error } = await run(opts());
      assert.equal(text(chunks, 'content'), 'one two ', shape);
      assert.equal(error?.kind, 'stream');
      assert.match(error?.message ?? '', /CUDA out of memory/);
      assert.equal(error?.beforeFirstByte, false);
    }
  });

  test('a dropped socket gives a stream error after the earlier chunks', async () => {
    use({ kind: 'stream', content: ['a', 'b', 'c', 'd', 'e'], fault: { kind: 'drop', afterChunks: 3 } });
    const requests = backend.requests.length;
    const { chunks, error } = await run(opts());
    assert.equal(text(chunks, 'content'), 'abc');
    assert.equal(error?.kind, 'stream');
    assert.match(error?.message ?? '', /connection dropped mid-stream/);
    assert.equal(backend.requests.length, requests + 1, 'never retried once streaming started');
  });

  test('a stall ends with an idle error naming the setting, and the connection is closed', async () => {
    use({ kind: 'stream', content: ['x', 'y', 'z'], fault: { kind: 'stall', afterChunks: 2 } });
    const closed = backend.closedConnections;
    const started = Date.now();
    const { chunks, error } = await run(opts({ idleTimeoutMs: 200 }));
    assert.equal(text(chunks, 'content'), 'xy');
    assert.equal(error?.kind, 'idle');
    assert.ok(Date.now() - started >= 190);
    assert.match(error?.message ?? '', /200 ms/);
    assert.match(error?.message ?? '', /--idle-timeout/);
    assert.match(error?.message ?? '', /virgo\.idleTimeoutMs/);
    await until(() => backend.closedConnections === closed + 1);
  });

  test('an AbortSignal cancels: the error is cancelled and the server sees the connection close', async () => {
    use({ kind: 'stream', content: splitWords(40), delayMs: 30 });
    const closed = backend.closedConnections;
    const controller = new AbortController();
    const chunks: BackendChunk[] = [];
    let caught: unknown;
    try {
      for await (const c of streamChat(opts({ signal: controller.signal }), body())) {
        chunks.push(c);
        if (chunks.length === 2) controller.abort();
      }
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof BackendError);
    assert.equal(caught.kind, 'cancelled');
    assert.equal(isCancelled(caught), true);
    assert.equal(chunks.length, 2);
    await until(() => backend.closedConnections === closed + 1);
  });

  test('after an abort no further chunk is yielded, even from bytes already read', async () => {
    use({ kind: 'stream', content: splitWords(20) }); // no delay: many events per read
    const controller = new AbortController();
    const chunks: BackendChunk[] = [];
    const { error } = await (async () => {
      try {
        for await (const c of streamChat(opts({ signal: controller.signal }), body())) {
          chunks.push(c);
          if (chunks.length === 2) controller.abort();
        }
        return {};
      } catch (e) {
        return { error: e as BackendError };
      }
    })();
    assert.equal(error?.kind, 'cancelled');
    assert.equal(chunks.length, 2);
  });

  test('a consumer that stops reading closes the connection too', async () => {
    use({ kind: 'stream', content: splitWords(40), delayMs: 30 });
    const closed = backend.closedConnections;
    for await (const c of streamChat(opts(), body())) {
      if (c.content) break;
    }
    await until(() => backend.closedConnections === closed + 1);
  });

  test('a server that never answers gives an idle error while waiting for headers', async () => {
    const silent = http.createServer(() => {
      // accept the request, never answer
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (silent.address() as AddressInfo).port;
      const { error } = await run(opts({ baseUrl: `http://127.0.0.1:${port}/v1`, idleTimeoutMs: 150 }));
      assert.equal(error?.kind, 'idle');
      assert.equal(error?.beforeFirstByte, true);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('an already aborted signal sends nothing', async () => {
    const requests = backend.requests.length;
    const { error } = await run(opts({ signal: AbortSignal.abort() }));
    assert.equal(error?.kind, 'cancelled');
    assert.equal(backend.requests.length, requests);
  });
});

describe('HTTP errors', () => {
  test('both error shapes and plain text give the status and the server text', async () => {
    for (const shape of ['nested', 'flat', 'text'] as const) {
      use({ kind: 'error', status: 400, message: 'At most 4 image(s) may be provided in one request.', shape });
      const { error } = await run(opts());
      assert.equal(error?.kind, 'http', shape);
      assert.equal(error?.status, 400);
      assert.equal(error?.beforeFirstByte, true);
      assert.match(error?.message ?? '', /^Backend answered 400 Bad Request: At most 4 image\(s\) may be provided in one request\./);
      assert.match(error?.message ?? '', /--limit-mm-per-prompt/);
    }
  });

  test('401 says to check the key and never contains it', async () => {
    const { error } = await run(opts({ baseUrl: guarded.url, apiKey: SECRET }));
    assert.equal(error?.kind, 'http');
    assert.equal(error?.status, 401);
    assert.match(error?.message ?? '', /^Backend answered 401 Unauthorized\. Check the API key \(Virgo: Set API Key \/ \$VIRGO_API_KEY\)\./);
    assertNoSecret(error);
    assert.equal(guarded.requests.at(-1)?.headers.authorization, `Bearer ${SECRET}`);
  });

  test('a server echoing the key back does not leak it either', async () => {
    use({ kind: 'error', status: 401, message: `Invalid API key: ${SECRET}` });
    const { error } = await run(opts({ apiKey: SECRET }));
    assert.match(error?.message ?? '', /Invalid API key: \[redacted\]/);
    assertNoSecret(error);

    use({ kind: 'stream', content: ['a', 'b'], fault: { kind: 'errorChunk', afterChunks: 1, message: `bad key ${SECRET}` } });
    const midStream = await run(opts({ apiKey: SECRET }));
    assert.equal(midStream.error?.kind, 'stream');
    assertNoSecret(midStream.error);
  });

  test('404 for a model says it is not served and how to list models', async () => {
    use({ kind: 'error', status: 404, message: 'The model `virgo-7b` does not exist.' });
    const { error } = await run(opts(), body({ model: 'virgo-7b' }));
    assert.equal(error?.status, 404);
    assert.match(error?.message ?? '', /The model `virgo-7b` does not exist/);
    assert.match(error?.message ?? '', /"virgo-7b" isn't served/);
    assert.ok(error?.message.includes(`curl ${backend.url}/models`));
  });

  test('404 for a wrong path points at the base URL', async () => {
    const { error } = await run(opts({ baseUrl: `http://127.0.0.1:${backend.port}` }));
    assert.equal(error?.status, 404);
    assert.match(error?.message ?? '', /Not Found.*ends in \/v1/);
  });

  test('429 honours Retry-After, then succeeds', async () => {
    use(rateLimitedThen(1, '1', { kind: 'stream', content: 'after the wait' }));
    const retries: Array<[number, number, string]> = [];
    const started = Date.now();
    const { chunks, error } = await run(opts({ onRetry: (a, d, r) => retries.push([a, d, r]) }));
    assert.equal(error, undefined);
    assert.ok(Date.now() - started >= 900, `waited ${Date.now() - started} ms`);
    assert.deepEqual(retries, [[1, 1000, 'HTTP 429 Too Many Requests']]);
    assert.equal(text(chunks, 'content'), 'after the wait');
  });

  test('503 and a hang-up before any byte are retried with backoff', async () => {
    use({
      kind: 'sequence',
      steps: [{ kind: 'error', status: 503, message: 'loading' }, { kind: 'hangUp' }, { kind: 'stream', content: 'ok' }],
    });
    const retries: Array<[number, number, string]> = [];
    const { chunks, error } = await run(opts({ onRetry: (a, d, r) => retries.push([a, d, r]) }));
    assert.equal(error, undefined);
    assert.equal(text(chunks, 'content'), 'ok');
    assert.deepEqual(retries, [
      [1, 10, 'HTTP 503 Service Unavailable'],
      [2, 20, 'connection error (ECONNRESET)'],
    ]);
  });

  test('retries stop after maxRetries with the last error', async () => {
    use({ kind: 'error', status: 502, message: 'Bad gateway', shape: 'text' });
    const requests = backend.requests.length;
    const { error } = await run(opts({ maxRetries: 2 }));
    assert.equal(error?.status, 502);
    assert.match(error?.message ?? '', /gave up after 2 retries/);
    assert.equal(backend.requests.length, requests + 3);
  });

  test('a refused connection is retried, then explained', async () => {
    const port = await closedPort();
    const retries: number[] = [];
    const { error } = await run(opts({ baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 2, apiKey: SECRET, onRetry: (a) => retries.push(a) }));
    assert.deepEqual(retries, [1, 2]);
    assert.equal(error?.kind, 'connection');
    assert.equal(error?.beforeFirstByte, true);
    assert.ok(error?.message.includes(`http://127.0.0.1:${port}/v1/chat/completions`));
    assert.match(error?.message ?? '', /Is the server running\? Start it with `vllm serve/);
    assertNoSecret(error);
  });
});

describe('models', () => {
  test('listModels and a route\'s resolveModel read GET /models', async () => {
    const server = await startFakeBackend(undefined, { models: ['virgo-72b', { id: 'qwen2-vl-7b' }] });
    try {
      const o = { baseUrl: server.url + '/' };
      assert.deepEqual(await listModels(o), [{ id: 'virgo-72b', max_model_len: 32768 }, { id: 'qwen2-vl-7b' }]);
      assert.equal((await directRoute(o).resolveModel(undefined)).id, 'virgo-72b');
      assert.equal((await directRoute(o).resolveModel(' chosen ')).id, 'chosen');
      assert.equal(server.requests.at(-1)?.path, '/v1/models');
    } finally {
      await server.close();
    }
  });

  test('resolveModel explains an empty model list', async () => {
    const server = await startFakeBackend(undefined, { models: [] });
    try {
      await assert.rejects(directRoute({ baseUrl: server.url }).resolveModel(''), (e: unknown) => {
        assert.ok(e instanceof BackendError);
        assert.match(e.message, /serves no models/);
        return true;
      });
    } finally {
      await server.close();
    }
  });
});

test('Retry-After as seconds or HTTP-date', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 7_000), 3000);
  assert.equal(parseRetryAfter('soon'), undefined);
});

function assertNoSecret(e: unknown): void {
  assert.ok(e instanceof Error);
  for (const view of [e.message, String(e), e.stack ?? '', inspect(e, { depth: 10 }), JSON.stringify(e)]) {
    assert.equal(view.includes(SECRET), false, `the key leaked into: ${view}`);
  }
}

function splitWords(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `w${i} `);
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
