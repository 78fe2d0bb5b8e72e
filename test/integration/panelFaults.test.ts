// Each backend fault, as the panel shows it: a clear message, what to do, the partial thought kept.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { rateLimitedThen, startFakeBackend, type FakeBackend, type Scenario } from '../fakeBackend/fakeServer';
import { evalInWebview } from './uiBridge';
import { TRIANGLE_TRANSCRIPT } from './transcript';
import { until } from './waitUntil';

const sample = vscode.Uri.file(path.join(path.resolve(__dirname, '..', '..', '..'), 'media', 'samples', 'right-triangle.png'));

interface Fault { name: string; scenario?: Scenario; backendUrl?: string; idleTimeoutMs?: number; status: string; text: RegExp; actions: string[]; keptSegments?: number }

const faults: Fault[] = [
  { name: 'connection refused', backendUrl: 'http://127.0.0.1:9/v1', status: 'error', text: /connection refused/, actions: ['Check Backend', 'Open Settings', 'Retry'] },
  { name: 'unknown host', backendUrl: 'http://virgo-backend.invalid:8000/v1', status: 'error', text: /virgo-backend\.invalid/, actions: ['Check Backend', 'Open Settings', 'Retry'] },
  { name: '400 (flat shape)', scenario: { kind: 'error', status: 400, shape: 'flat', message: 'At most 1 image(s) may be provided' }, status: 'error', text: /400.*At most 1 image/, actions: ['Retry', 'Show Log'] },
  { name: '404 model', scenario: { kind: 'error', status: 404, message: 'The model `virgo-72b` does not exist.' }, status: 'error', text: /404/, actions: ['Open Settings', 'Check Backend'] },
  { name: '503, retried', scenario: { kind: 'error', status: 503, message: 'Engine loading' }, status: 'error', text: /503.*Engine loading.*gave up after 3 retries/, actions: ['Retry', 'Show Log'] },
  { name: '429 then success', scenario: rateLimitedThen(1, '1', { kind: 'stream', content: TRIANGLE_TRANSCRIPT, chunkChars: 40 }), status: 'done', text: /^$/, actions: [] },
  { name: 'error chunk mid-stream', scenario: { kind: 'stream', content: TRIANGLE_TRANSCRIPT, chunkChars: 10, fault: { kind: 'errorChunk', afterChunks: 80, message: 'CUDA out of memory' } }, status: 'error', text: /CUDA out of memory/, actions: ['Continue', 'Retry', 'Show Log'], keptSegments: 3 },
  { name: 'stall (idle timeout)', scenario: { kind: 'stream', content: TRIANGLE_TRANSCRIPT, chunkChars: 10, fault: { kind: 'stall', afterChunks: 80 } }, idleTimeoutMs: 1500, status: 'error', text: /idle timeout of 1500 ms/, actions: ['Continue', 'Retry', 'Open Settings'], keptSegments: 3 },
  { name: 'malformed SSE lines', scenario: { kind: 'stream', content: TRIANGLE_TRANSCRIPT, chunkChars: 10, noise: true }, status: 'done', text: /^$/, actions: [] },
  { name: 'max tokens (finish_reason length)', scenario: { kind: 'stream', content: TRIANGLE_TRANSCRIPT.slice(0, 1200), chunkChars: 10, finishReason: 'length' }, status: 'length', text: /max tokens/, actions: ['Continue'], keptSegments: 3 },
];

suite('backend faults in the panel', () => {
  let backend: FakeBackend;
  const config = () => vscode.workspace.getConfiguration('virgo');

  suiteSetup(async () => { backend = await startFakeBackend(); });
  suiteTeardown(async () => {
    await config().update('backendUrl', undefined, vscode.ConfigurationTarget.Global);
    await config().update('idleTimeoutMs', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await backend?.close();
  });

  for (const f of faults) {
    test(f.name, async function () {
      this.timeout(60_000);
      await config().update('backendUrl', f.backendUrl ?? backend.url, vscode.ConfigurationTarget.Global);
      await config().update('idleTimeoutMs', f.idleTimeoutMs, vscode.ConfigurationTarget.Global);
      if (f.scenario) backend.setScenario(f.scenario);
      void vscode.commands.executeCommand('virgo.reasonAboutImage', sample, { question: f.name });
      const state = await until(`the end of "${f.name}"`, async () => {
        const s = await evalInWebview<{ question: string; status: string; notice: string; actions: string[]; segments: number }>(`(() => ({
          question: document.querySelector('.session__question')?.textContent ?? '',
          status: document.querySelector('[data-status]')?.dataset.status ?? '',
          notice: document.querySelector('.notice')?.textContent ?? '',
          actions: [...document.querySelectorAll('.notice button')].map((b) => b.textContent),
          segments: document.querySelectorAll('ol li[data-index]').length,
        }))()`);
        return s.question === f.name && ['done', 'error', 'length', 'cancelled'].includes(s.status) && s;
      }, 45_000);
      assert.equal(state.status, f.status, state.notice);
      if (f.status === 'done') assert.equal(state.segments, 11);
      else assert.match(state.notice, f.text);
      assert.deepEqual(state.actions, f.actions);
      assert.ok(state.segments >= (f.keptSegments ?? 0), `${state.segments} segments kept`);
    });
  }
});
