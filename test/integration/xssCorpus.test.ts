// Hostile model output streamed into the real panel: nothing runs, nothing loads, text stays.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';
import { xssPayloads } from '../fixtures/xssPayloads';
import { click, evalInWebview, press, screenshot, type as typeText } from './uiBridge';
import { until } from './waitUntil';

const sample = vscode.Uri.file(path.join(path.resolve(__dirname, '..', '..', '..'), 'media', 'samples', 'right-triangle.png'));

suite('XSS corpus in the real webview', () => {
  let backend: FakeBackend;
  let canary: http.Server;
  const leaked: string[] = [];

  suiteSetup(async () => {
    canary = http.createServer((req, res) => { leaked.push(req.url ?? ''); res.end('leaked'); });
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
    backend = await startFakeBackend();
    await vscode.workspace.getConfiguration('virgo').update('backendUrl', backend.url, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await backend?.close();
    canary?.close();
  });

  test('100+ payloads: zero executions, zero requests out, every payload still readable', async () => {
    const canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`;
    const payloads = xssPayloads(canaryUrl);
    assert.ok(payloads.length >= 100, `${payloads.length} payloads`);
    const thought = payloads.map((p, i) => `P${i}:\n${p}`).join('\n\n');
    const content = `<|begin_of_thought|>\n\n${thought}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n` +
      `So $\\boxed{\\href{javascript:alert(1)}{42}}$ <img src=x onerror="alert(1);window.__xss=1">\n\n<|end_of_solution|>`;
    backend.setScenario({ kind: 'stream', content, chunkChars: 7 });

    void vscode.commands.executeCommand('virgo.reasonAboutImage', sample);
    await until('the compose view', () => evalInWebview<boolean>(`!!document.querySelector('#virgo-question')`));
    // Traps first: any dialog, any flag, any blocked load is recorded.
    await evalInWebview(`(() => {
      window.__hits = [];
      for (const name of ['alert', 'confirm', 'prompt', 'print']) window[name] = (m) => window.__hits.push(name + ':' + m);
      document.addEventListener('securitypolicyviolation', (e) => window.__hits.push('csp:' + e.violatedDirective + ' ' + e.blockedURI));
      return true;
    })()`);
    await click('#virgo-question', { inWebview: true });
    await typeText('Render this.', { inWebview: true });
    await press('Enter', { inWebview: true });

    await until('the end of the stream', () =>
      evalInWebview<boolean>(`document.querySelector('[data-status]')?.dataset.status === 'done'`), 60_000);
    await screenshot('xss-corpus-end');

    const report = await evalInWebview<{
      hits: string[]; xss: unknown; text: string; dangerous: string[]; badAttrs: string[]; resources: string[];
      answer: string; phases: string[];
    }>(`(() => {
      const list = document.querySelector('ol');
      const all = [...document.querySelectorAll('ol *, .answer__boxed *, .answer__solution *')];
      return {
        hits: window.__hits,
        xss: window.__xss,
        text: list.textContent,
        dangerous: all.filter((e) => /^(script|iframe|object|embed|base|meta|link|form|style|frame|frameset|template|input|button|textarea|select|video|audio|source|picture|img|image|use|foreignobject)$/i.test(e.localName)).map((e) => e.outerHTML.slice(0, 80)),
        badAttrs: all.flatMap((e) => [...e.attributes]
          .filter((a) => /^on/i.test(a.name) || a.name === 'style' || a.name === 'srcset' || a.name === 'ping' || a.name === 'formaction'
            || (/^(href|src|xlink:href|action|data|poster)$/i.test(a.name) && !/^(https?:|#)/i.test(a.value.trim())))
          .map((a) => e.localName + '[' + a.name + '=' + a.value.slice(0, 40) + ']')),
        resources: performance.getEntriesByType('resource').map((r) => r.name).filter((n) => n.includes('127.0.0.1')),
        answer: document.querySelector('[data-role="answer"]')?.textContent ?? '',
        phases: [...document.querySelectorAll('ol li[data-phase]')].map((li) => li.dataset.phase),
      };
    })()`);

    assert.equal(report.xss, undefined, 'no payload ran script');
    assert.deepEqual(report.hits.filter((h) => !h.startsWith('csp:')), [], 'no dialogs');
    assert.deepEqual(report.hits.filter((h) => h.startsWith('csp:')), [], 'nothing even tried a blocked load');
    assert.deepEqual(leaked, [], 'no request reached the canary');
    assert.deepEqual(report.resources, [], 'no resource loaded from outside');
    assert.deepEqual(report.dangerous, [], 'no active or loading elements rendered from model output');
    assert.deepEqual(report.badAttrs, [], 'no handlers, styles or non-http(s) URLs');
    for (let i = 0; i < payloads.length; i++) assert.ok(report.text.includes(`P${i}:`), `payload ${i} is still visible as text`);
    assert.match(report.text, /onerror/, 'raw HTML shows as text');
    assert.ok(!report.answer.includes('PWNED'), 'a quoted marker did not inject a solution');
    assert.equal(report.phases.filter((p) => p === 'solution').length, 1, 'one real solution segment');
    console.log(`xss corpus: ${payloads.length} payloads, 0 executed, 0 requests out`);
  });
});
