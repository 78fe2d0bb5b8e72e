import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SessionNoticeBody } from '../../protocol/lsp';
import {
  CONTEXT_MARGIN_TOKENS,
  estimateTextTokens,
  fitMaxTokens,
  MIN_MAX_TOKENS,
  probeBackend,
  promptTextOf,
  serverRoot,
  TEMPLATE_TOKENS,
} from '../../server/backend/backendHealth';
import { ReplicaPool } from '../../server/backend/replicaPool';
import { buildChatRequest } from '../../server/backend/requestBuilder';
import { prepareImage, type PreparedImage } from '../../server/image/imagePrep';
import { runReasoning, type SessionBackend } from '../../server/reasoning/reasonSession';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';

const root = join(__dirname, '..', '..', '..');
let image: PreparedImage;
const servers: FakeBackend[] = [];
before(async () => {
  image = await prepareImage(join(root, 'media', 'samples', 'right-triangle.png'));
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function backend(options: Parameters<typeof startFakeBackend>[1] = {}): Promise<FakeBackend> {
  const b = await startFakeBackend(undefined, options);
  servers.push(b);
  return b;
}

/** An Ollama-like server: no /health (404 as text), /v1/models without max_model_len. */
async function withoutHealth(run: (url: string, paths: string[]) => Promise<void>): Promise<void> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'qwen2.5vl:7b', object: 'model', owned_by: 'library' }] }));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, paths);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

describe('probe', () => {
  test('the server root is the base URL without /v1', () => {
    assert.equal(serverRoot('http://gpu-1:8000/v1'), 'http://gpu-1:8000');
    assert.equal(serverRoot('http://gpu-1:8000/v1/'), 'http://gpu-1:8000');
    assert.equal(serverRoot('https://gw.example/virgo/v1'), 'https://gw.example/virgo');
    assert.equal(serverRoot('http://h:9000/api'), 'http://h:9000/api');
  });

  test('GET /health at the root, then /models with max_model_len', async () => {
    const b = await backend({ models: [{ id: 'virgo-72b', max_model_len: 32768 }, { id: 'virgo-7b' }] });
    const report = await probeBackend({ baseUrl: b.url });
    assert.equal(report.alive, true);
    assert.equal(report.via, 'health');
    assert.deepEqual(report.models, [{ id: 'virgo-72b', max_model_len: 32768 }, { id: 'virgo-7b' }]);
    assert.deepEqual(b.requests.map((r) => r.path), ['/health', '/v1/models']);
  });

  test('/health 503: not alive, and /models is not asked', async () => {
    const b = await backend({ healthStatus: 503 });
    const report = await probeBackend({ baseUrl: b.url });
    assert.equal(report.alive, false);
    assert.equal(report.error?.status, 503);
    assert.match(report.error?.message ?? '', /503 Service Unavailable/);
    assert.deepEqual(b.requests.map((r) => r.path), ['/health']);
  });

  test('/health 404 (no such endpoint): /models decides', async () => {
    await withoutHealth(async (url, paths) => {
      const report = await probeBackend({ baseUrl: url });
      assert.deepEqual(report, { alive: true, via: 'models', models: [{ id: 'qwen2.5vl:7b' }] });
      assert.deepEqual(paths, ['/health', '/v1/models']);
    });
  });

  test('alive but the model list refused (wrong key): alive, with the error', async () => {
    const b = await backend({ apiKey: 'right' });
    const report = await probeBackend({ baseUrl: b.url, apiKey: 'wrong' });
    assert.equal(report.alive, true);
    assert.equal(report.models, undefined);
    assert.equal(report.error?.status, 401);
  });

  test('connection refused: not alive, no retries', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const report = await probeBackend({ baseUrl: `http://127.0.0.1:${port}/v1`, onRetry: () => assert.fail('no retries') });
    assert.equal(report.alive, false);
    assert.equal(report.error?.code, 'ECONNREFUSED');
  });
});

describe('max_tokens fitted to max_model_len', () => {
  test('estimates err high: 3 characters a token, CJK one each', () => {
    assert.equal(estimateTextTokens('abcdef'), 2);
    assert.equal(estimateTextTokens('abcdefg'), 3);
    assert.equal(estimateTextTokens('数学abc'), 3);
    const body = buildChatRequest({ model: 'm', imageDataUrl: 'data:image/png;base64,AAAA', question: 'Why?', continueFrom: 'Because' });
    assert.equal(promptTextOf(body), 'You are a helpful assistant.\nPlease first think deeply about the question, and then put the final answer in \\boxed{}.\nWhy?\nBecause');
  });

  test('min(requested, max_model_len − prompt − margin), never below the floor, unchanged when unknown', () => {
    const text = 'x'.repeat(300); // 100 tokens
    const prompt = 1000 + 100 + TEMPLATE_TOKENS;
    assert.deepEqual(fitMaxTokens({ requested: 8192, imageTokens: 1000, promptText: text }), { maxTokens: 8192, requested: 8192, capped: false, promptTokens: prompt });
    assert.equal(fitMaxTokens({ requested: 8192, maxModelLen: 32768, imageTokens: 1000, promptText: text }).capped, false);
    assert.deepEqual(fitMaxTokens({ requested: 8192, maxModelLen: 8192, imageTokens: 1000, promptText: text }), {
      maxTokens: 8192 - prompt - CONTEXT_MARGIN_TOKENS, requested: 8192, capped: true, promptTokens: prompt, maxModelLen: 8192,
    });
    assert.equal(fitMaxTokens({ requested: 8192, maxModelLen: 1200, imageTokens: 1000, promptText: text }).maxTokens, MIN_MAX_TOKENS);
    assert.equal(fitMaxTokens({ requested: 100, maxModelLen: 1200, imageTokens: 1000, promptText: text }).maxTokens, 100);
  });

  async function sent(b: SessionBackend, model?: string): Promise<{ maxTokens: unknown; notices: SessionNoticeBody[] }> {
    const notices: SessionNoticeBody[] = [];
    let maxTokens: unknown;
    const outcome = await runReasoning(
      { image, question: 'AB?', max_tokens: 8192, ...(model ? { model } : {}) },
      b,
      { onEvent: () => undefined, onNotice: (n) => notices.push(n), onRequest: (body) => { maxTokens = body.max_tokens; } },
    );
    assert.equal(outcome.reason, 'stop', outcome.error?.message);
    return { maxTokens, notices };
  }

  test('a small max_model_len caps the max_tokens sent, and the caller is told', async () => {
    const b = await backend({ models: [{ id: 'virgo-72b', max_model_len: 4096 }] });
    const { maxTokens, notices } = await sent({ baseUrl: b.url });
    const chat = b.requests.find((r) => r.path === '/v1/chat/completions')!.body as { max_tokens: number };
    assert.equal(chat.max_tokens, maxTokens);
    assert.ok(chat.max_tokens < 4096 - image.imageTokens, `sent ${chat.max_tokens}`);
    const promptTokens = 4096 - CONTEXT_MARGIN_TOKENS - chat.max_tokens;
    assert.ok(promptTokens > image.imageTokens + TEMPLATE_TOKENS);
    assert.deepEqual(notices, [{ kind: 'maxTokensCapped', requested: 8192, maxTokens: chat.max_tokens, maxModelLen: 4096, promptTokens }]);
  });

  test('room enough: sent as asked, no notice', async () => {
    const b = await backend({ models: [{ id: 'virgo-72b', max_model_len: 32768 }] });
    assert.deepEqual(await sent({ baseUrl: b.url }), { maxTokens: 8192, notices: [] });
  });

  test('an explicit model: one URL without a pool asks nothing first; a pool reads /models once for its context', async () => {
    const b = await backend({ models: [{ id: 'virgo-72b', max_model_len: 4096 }] });
    assert.deepEqual(await sent({ baseUrl: b.url }, 'virgo-72b').then((r) => r.notices), []);
    assert.deepEqual(b.requests.map((r) => r.path), ['/v1/chat/completions']);

    const pool = new ReplicaPool('', [b.url]);
    b.requests.length = 0;
    const first = await sent({ baseUrl: b.url, pool }, 'virgo-72b');
    const second = await sent({ baseUrl: b.url, pool }, 'virgo-72b');
    assert.equal(first.notices[0]?.kind, 'maxTokensCapped');
    assert.deepEqual(second, first);
    assert.deepEqual(b.requests.map((r) => r.path), ['/v1/models', '/v1/chat/completions', '/v1/chat/completions']);
  });

  test('a continued answer counts in the prompt', async () => {
    const long = 'Let me verify. '.repeat(600); // 9000 characters, ≈ 3000 tokens
    const maxModelLen = image.imageTokens + TEMPLATE_TOKENS + CONTEXT_MARGIN_TOKENS + 8192 + 100;
    const plain = fitMaxTokens({ requested: 8192, maxModelLen, imageTokens: image.imageTokens, promptText: 'q' });
    const continued = fitMaxTokens({ requested: 8192, maxModelLen, imageTokens: image.imageTokens, promptText: 'q\n' + long });
    assert.equal(plain.capped, false);
    assert.equal(continued.capped, true);
    assert.equal(continued.promptTokens - plain.promptTokens, 3000);
  });
});
