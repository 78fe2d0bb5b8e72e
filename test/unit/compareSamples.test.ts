// "Sample N times" on the server: three sessions of one question run concurrently over a real LSP
// connection (`node dist/server.js --stdio`) against the scripted fake vLLM, each answered
// differently, then `virgo/compareSamples` on what the panel was sent; and bad params refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createProtocolConnection, ErrorCodes, ExitNotification, InitializeRequest, InitializedNotification, ResponseError, ShutdownRequest,
  StreamMessageReader, StreamMessageWriter, type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import * as lsp from '../../protocol/lsp';
import type { BackendSettings } from '../../protocol/settings';
import type { Answer, ReasonEvent, Segment } from '../../protocol/thought';
import { compareSamples } from '../../server/lsp/compareService';
import { startFakeBackend, type FakeBackend, type StreamScenario } from '../fakeBackend/fakeServer';

const root = join(__dirname, '..', '..', '..');
const serverJs = join(root, 'dist', 'server.js');

/** A thought of paragraphs, then a boxed answer, as Virgo writes it. */
function transcript(steps: string[], answer: string): string {
  return `<|begin_of_thought|>\n\n${steps.join('\n\n')}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\nSo $AB = ${answer}$, i.e. $\\boxed{${answer}}$.\n\n<|end_of_solution|>`;
}
const common = ['The triangle has legs $AC = 1$ and $BC = 2$ with the right angle at $C$.', 'By Pythagoras, $AB^2 = AC^2 + BC^2$.'];
const scenarios: StreamScenario[] = [
  transcript([...common, '$AB^2 = 1 + 4 = 5$, so $AB = \\sqrt{5}$.'], '\\sqrt{5}'),
  transcript([...common, 'Wait, let me check the legs again: $1$ and $2$, yes.', 'So $AB = \\sqrt{5}$.'], '\\sqrt5'),
  transcript([common[0], 'Reading $AB$ off the grid gives $3$ units.'], '3'),
].map((content) => ({ kind: 'stream', content, chunkChars: 17, delayMs: 2 }));

let ws: string;
let backend: FakeBackend;
let conn: ProtocolConnection;
let child: ChildProcess;
const updates: lsp.SessionUpdate[] = [];

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'virgo-compare-'));
  copyFileSync(join(root, 'media', 'samples', 'right-triangle.png'), join(ws, 'figure.png'));
  backend = await startFakeBackend({ kind: 'sequence', steps: scenarios });
  child = spawn(process.execPath, [serverJs, '--stdio'], {
    env: { ...process.env, VIRGO_BACKEND_URL: '', VIRGO_API_KEY: '', VIRGO_HISTORY_DIR: join(ws, 'history'), VIRGO_ANSWERS_DIR: join(ws, 'answers'), XDG_STATE_HOME: join(ws, 'state') },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  conn.onNotification(lsp.sessionUpdate, (u) => { updates.push(u); });
  conn.onNotification('window/logMessage', () => {});
  conn.onNotification(lsp.historyChanged, () => {});
  conn.onRequest('workspace/configuration', () => [null]);
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { history: { storagePath: join(ws, 'history'), enabled: false } } });
  await conn.sendNotification(InitializedNotification.type, {});
});

after(async () => {
  await conn?.sendRequest(ShutdownRequest.type);
  await conn?.sendNotification(ExitNotification.type);
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  conn.dispose();
  await backend?.close();
  rmSync(ws, { recursive: true, force: true });
});

/** What the extension forwards to the compare page for one session: its closed segments and answer. */
function sent(sessionId: string): { segments: Segment[]; answer: Answer | undefined } {
  const events = updates.flatMap((u) => (u.sessionId === sessionId && u.kind === 'event' ? [u.event] : []));
  return {
    segments: events.filter((e): e is Extract<ReasonEvent, { type: 'segment' }> => e.type === 'segment').map(({ type: _t, ...s }) => s),
    answer: events.filter((e): e is Extract<ReasonEvent, { type: 'answer' }> => e.type === 'answer').map(({ type: _t, ...a }) => a).at(-1),
  };
}

test('three concurrent samples at temperature 0.7, then compareSamples: majority 2 of 3, where each trace parts', async () => {
  const settings: BackendSettings = {
    backendUrl: backend.url, model: '', maxTokens: 4096, temperature: 0.7, maxPixels: 12845056,
    promptPrefix: '', idleTimeoutMs: 10_000, caCertificatePath: '', maxConcurrentSessions: 8,
  };
  const { imageId } = await conn.sendRequest(lsp.prepareImage, { source: { path: join(ws, 'figure.png') } });
  const ids = ['sample-1', 'sample-2', 'sample-3'];
  const results = await Promise.all(ids.map((sessionId) => conn.sendRequest(lsp.reason, { sessionId, imageId, question: 'How long is AB?', settings })));
  assert.deepEqual(results.map((r) => r.reason), ['stop', 'stop', 'stop']);
  const chats = backend.requests.filter((r) => r.path === '/v1/chat/completions');
  assert.equal(chats.length, 3);
  assert.ok(chats.every((r) => (r.body as { temperature?: number }).temperature === 0.7), 'every sample is sent at the sampling temperature');

  const runs = ids.map(sent);
  const result = await conn.sendRequest(lsp.compareSamples, { boxed: runs.map((r) => r.answer?.boxed ?? []), traces: runs.map((r) => r.segments) });
  const { agreement, divergence } = result;
  // Which session got which scenario depends on arrival order: check by answer, not by index.
  const byAnswer = (tex: string) => runs.findIndex((r) => r.answer?.boxed[0] === tex);
  const [a, b, c] = [byAnswer('\\sqrt{5}'), byAnswer('\\sqrt5'), byAnswer('3')];
  assert.ok(a >= 0 && b >= 0 && c >= 0, JSON.stringify(runs.map((r) => r.answer)));
  assert.equal(agreement.majority?.answer.replace(/\s/g, ''), runs[Math.min(a, b)].answer!.boxed[0], 'the majority is the first-seen form of √5');
  assert.deepEqual(agreement.majority?.traces, [a, b].sort());
  assert.equal(Math.round(agreement.share * 100), 67);
  assert.equal(agreement.tie, false);
  assert.deepEqual(agreement.groups.map((g) => g.traces.length), [2, 1]);
  assert.deepEqual(agreement.unanswered, []);
  assert.equal(divergence.diverged, true);
  assert.equal(divergence.commonPrefix, 1, 'all three share only the first step');
  assert.equal(divergence.perTrace[a], 2);
  assert.equal(divergence.perTrace[b], 2);
  assert.equal(divergence.perTrace[c], 1);
  // The server's answer is the pure function's.
  assert.deepEqual(result, compareSamples({ boxed: runs.map((r) => r.answer?.boxed ?? []), traces: runs.map((r) => r.segments) }));
});

test('malformed params are refused with InvalidParams and say what is wrong', async () => {
  await assert.rejects(
    conn.sendRequest(lsp.compareSamples, { boxed: [['1']], traces: [] }),
    (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.InvalidParams && /1 samples but traces has 0/.test(e.message),
  );
  await assert.rejects(
    conn.sendRequest(lsp.compareSamples, { boxed: 'nope' } as never),
    (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.InvalidParams,
  );
  // Zero samples is not an error: nothing agrees, nothing diverges.
  const empty = await conn.sendRequest(lsp.compareSamples, { boxed: [], traces: [] });
  assert.equal(empty.agreement.majority, null);
  assert.equal(empty.divergence.diverged, false);
});
