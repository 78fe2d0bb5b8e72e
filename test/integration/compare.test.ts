// "Sample N times" in the real host: virgo.sampleN runs 3 samples of one question against a fake
// vLLM that answers each request differently, the compare page shows the agreement and where the
// traces diverge, the keys move through it, and one sample opens in a reasoning panel to step in.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SequenceScenario } from '../fakeBackend/fakeServer';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';
import { click, evalInAllWebviews, evalInPage, evalInWebview, press, screenshot } from './uiBridge';
import { until } from './waitUntil';

const repo = path.resolve(__dirname, '..', '..', '..');
const sample = path.join(repo, 'media', 'samples', 'right-triangle.png');
const QUESTION = 'Compare test: how long is the hypotenuse AB?';

function transcript(steps: string[], solution: string): string {
  return `<|begin_of_thought|>\n\n${steps.join('\n\n')}\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n${solution}\n\n<|end_of_solution|>`;
}
const shared = [
  'The figure shows a right triangle $ABC$ with the right angle at $C$ and legs $AC = 1$, $BC = 2$.',
  'The question asks for the hypotenuse $AB$, so the Pythagorean theorem applies: $AB^2 = AC^2 + BC^2$.',
];
/** Two traces reach √5 by different routes (they part at step 3); one misreads the figure and says 3. */
const SAMPLES: SequenceScenario = {
  kind: 'sequence',
  steps: [
    transcript([...shared, '$AB^2 = 1 + 4 = 5$, so $AB = \\sqrt{5} \\approx 2.236$.', 'Let me double-check the legs against the tick marks: $1$ and $2$. The computation holds.'],
      'By the Pythagorean theorem $AB = \\sqrt{1^2 + 2^2} = \\boxed{\\sqrt{5}}$.'),
    transcript([...shared, 'Wait, are the legs really $1$ and $2$? Looking again at the labels, yes: $AC = 1$, $BC = 2$.', 'Then $AB^2 = 5$ and $AB = \\sqrt5$.'],
      'So $AB = \\boxed{\\sqrt5}$.'),
    transcript([shared[0], 'Reading $AB$ off the grid, it spans about $3$ units.', 'So the hypotenuse is $3$.'],
      'The hypotenuse is $\\boxed{3}$.'),
  ].map((content) => ({ kind: 'stream' as const, content, chunkChars: 24, delayMs: 4 })),
};

type ColumnState = { label: string; status: string; standing: string; divergesAt: string; diverges: string[]; shared: string[]; current: string | null; count: number };
const columns = () => evalInWebview<ColumnState[]>(`[...document.querySelectorAll('section[data-sample]')].map((s) => ({
  label: s.getAttribute('aria-label'),
  status: s.querySelector('[data-role="status"]').dataset.status,
  standing: s.querySelector('[data-role="answer"]').dataset.agreement,
  divergesAt: s.dataset.divergesAt ?? '',
  diverges: [...s.querySelectorAll('li[data-diverges="true"]')].map((li) => li.dataset.index + ':' + li.querySelector('.diverge-label')?.textContent + ':' + (li.querySelector('.diverge-label')?.getBoundingClientRect().height > 0)),
  shared: [...s.querySelectorAll('li[data-shared="true"]')].map((li) => li.dataset.index),
  current: s.querySelector('li[aria-current]')?.dataset.index ?? null,
  count: s.querySelectorAll('li.segment').length,
}))`);
/** The reasoning panel's state, wherever it is (the compare page is visible too). */
const reasoningPanel = async () => (await evalInAllWebviews<{ segments: number; current: string | null; label: string | null; status: string | null } | null>(
  `document.querySelector('ol.thought:not(.sample__thought)') ? {
    segments: document.querySelectorAll('ol.thought li.segment').length,
    current: document.querySelector('ol.thought li.segment[aria-current]')?.dataset.index ?? null,
    label: document.querySelector('ol.thought li.segment[aria-current]')?.getAttribute('aria-label') ?? null,
    status: document.querySelector('[data-status]')?.dataset.status ?? null,
  } : null`)).find((r) => r !== null);

/** The focused row of the visible quick pick (a hidden one stays in the DOM with its last rows). */
const pickedRow = async (): Promise<string | undefined> => (await evalInPage<string | null>(`(() => {
  const w = [...document.querySelectorAll('.quick-input-widget')].find((e) => e.offsetParent !== null && getComputedStyle(e).display !== 'none');
  return w?.querySelector('.monaco-list-row.focused')?.textContent ?? null;
})()`)) ?? undefined;

suite('Compare samples', () => {
  let backend: FakeBackend;

  suiteSetup(async () => {
    await vscode.extensions.getExtension('virgo-vscode.virgo-vscode')!.activate();
    backend = await startFakeBackend(SAMPLES);
    await vscode.workspace.getConfiguration('virgo').update('backendUrl', backend.url, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await backend?.close();
  });

  test('Sample N Times: 3 samples side by side, majority 2 of 3, divergence marked, keys, one opened in the panel and stepped', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', 'Default Light Modern', vscode.ConfigurationTarget.Global);
    backend.setScenario(SAMPLES); // request n gets steps[n], counted from here
    const chatsBefore = backend.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
    const compare = await vscode.commands.executeCommand<{ finished: Promise<unknown>; dispose(): void }>(
      'virgo.sampleN', { count: 3, temperature: 0.7, question: QUESTION, image: sample });
    assert.ok(compare, 'the command returns its compare panel');
    await until('the compare panel tab', async () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.label === 'Virgo: Compare 3 samples'));
    await until('the final agreement', () => evalInWebview<boolean>(`document.querySelector('[data-role="agreement"]')?.dataset.final === 'true'`), 30_000);

    const chats = backend.requests.filter((r) => r.path.endsWith('/chat/completions')).slice(chatsBefore);
    assert.equal(chats.length, 3, 'three requests');
    assert.ok(chats.every((r) => (r.body as { temperature?: number }).temperature === 0.7), 'each at the sampling temperature');

    const header = await evalInWebview<{ share: string; math: boolean; others: string[]; tie: string | null }>(`(() => {
      const a = document.querySelector('[data-role="agreement"]');
      return { share: a.querySelector('[data-role="share"]')?.textContent, math: !!a.querySelector('[data-role="majority-answer"] math'),
        others: [...a.querySelectorAll('[data-role="other-groups"] li')].map((li) => li.textContent), tie: a.getAttribute('data-tie') };
    })()`);
    assert.equal(header.share, '2 of 3 samples (67%)');
    assert.ok(header.math, 'the majority answer is rendered math');
    assert.equal(header.others.length, 1);
    assert.match(header.others[0], /1 sample/);
    assert.equal(header.tie, null);

    const cols = await columns();
    assert.deepEqual(cols.map((c) => c.label), ['Sample 1', 'Sample 2', 'Sample 3']);
    assert.ok(cols.every((c) => c.status === 'done'), JSON.stringify(cols));
    assert.deepEqual(cols.map((c) => c.standing).sort(), ['majority', 'majority', 'minority']);
    // Which sample got which answer depends on arrival order; the minority one parted at step 2, the others at step 3.
    for (const c of cols) {
      const at = c.standing === 'minority' ? '1' : '2';
      assert.equal(c.divergesAt, at, `${c.label} diverges at index ${at}`);
      assert.deepEqual(c.diverges, [`${at}:diverges here:true`], `${c.label}: one visible "diverges here"`);
      assert.deepEqual(c.shared, ['0'], 'the three share only the first step');
    }
    await screenshot('compare-light');

    // Keys: j steps in the first column, l moves right at the same step, d jumps to that column's divergence.
    await evalInWebview(`document.querySelector('section[data-sample="0"] ol').focus(), true`);
    await press('j', { inWebview: true });
    await press('j', { inWebview: true });
    await until('step 2 current in sample 1', async () => (await columns())[0].current === '1');
    await press('l', { inWebview: true });
    await until('sample 2 at the same step', async () => (await columns())[1].current === '1');
    await press('l', { inWebview: true });
    await press('d', { inWebview: true });
    const third = (await columns())[2];
    await until('sample 3 at its divergence', async () => (await columns())[2].current === third.divergesAt);
    await press('h', { inWebview: true });
    assert.equal(await evalInWebview<string>(`document.activeElement?.closest('section')?.getAttribute('aria-label')`), 'Sample 2');
    await screenshot('compare-light-stepping');

    for (const [theme, name] of [['Default Dark Modern', 'compare-dark'], ['Default High Contrast', 'compare-high-contrast']] as const) {
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme, vscode.ConfigurationTarget.Global);
      await until(`the ${theme} theme`, () => evalInWebview<boolean>(`document.body.classList.contains('${name === 'compare-dark' ? 'vscode-dark' : 'vscode-high-contrast'}')`));
      await screenshot(name);
    }
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', 'Default Light Modern', vscode.ConfigurationTarget.Global);

    // Open the minority sample as a full session; nothing is sent again.
    const minority = cols.findIndex((c) => c.standing === 'minority');
    const chatsBeforeOpen = backend.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
    await click(`section[data-sample="${minority}"] button[data-action="open"]`, { inWebview: true });
    const opened = await until('the sample in a reasoning panel', async () => {
      const p = await reasoningPanel();
      return p && p.segments === cols[minority].count && p.status === 'done' && p;
    });
    assert.ok(opened.segments > 2);
    assert.equal(backend.requests.filter((r) => r.path.endsWith('/chat/completions')).length, chatsBeforeOpen, 'opening sends nothing');
    await until('the panel tab', async () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.label.startsWith('Virgo: right-triangle')));
    await screenshot('compare-opened-in-panel');

    // Step in it with the panel's keys (the compare page closed, so the panel is the visible webview).
    compare.dispose();
    await until('only the panel left', async () => (await evalInAllWebviews<boolean>(`!!document.querySelector('ol.thought')`)).length === 1);
    await evalInWebview(`document.querySelector('ol.thought')?.focus?.(), true`);
    await press('g', { inWebview: true });
    await until('the first segment current', async () => (await reasoningPanel())?.current === '0');
    await press('j', { inWebview: true });
    await until('the second segment current', async () => (await reasoningPanel())?.current === '1');
    assert.equal((await reasoningPanel())?.label, 'Step 2');
    await screenshot('compare-sample-stepping');

    // From the panel's title bar: its image and question, sampled again (5, the default count).
    const action = '.editor-actions .action-label[aria-label*="Sample N Times"]';
    await until('Sample N Times in the panel\'s title bar', () => evalInPage<boolean>(`!!document.querySelector('${action}')`));
    await click(action);
    assert.match(await until('the count picker', pickedRow), /^5 samples.*default/);
    await press('Enter');
    await until('the 5-sample comparison', () => evalInWebview<boolean>(`document.querySelector('[data-role="agreement"]')?.dataset.final === 'true' && document.querySelectorAll('section[data-sample]').length === 5`), 30_000);
    assert.equal(await evalInWebview<string>(`document.querySelector('.compare__question')?.textContent`), QUESTION, 'the panel\'s question');
    assert.match(await evalInWebview<string>(`document.querySelector('.compare__meta')?.textContent`), /^right-triangle\.png · temperature 0\.7/);
    assert.match(await evalInWebview<string>(`document.querySelector('[data-role="share"]')?.textContent ?? ''`), / of 5 samples \(\d+%\)$/);
  });

  test('Sample N Times asks how many (default from virgo.sampling.count), and Stop all cancels every sample', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('virgo.sampling').update('count', 3, vscode.ConfigurationTarget.Global);
    // Slow streams, so there is time to stop them.
    backend.setScenario({ kind: 'stream', content: SAMPLES.steps.map((s) => (s as { content: string }).content)[0], chunkChars: 4, delayMs: 150 });
    const closedBefore = backend.closedConnections;
    try {
      const command = vscode.commands.executeCommand<{ finished: Promise<unknown> }>('virgo.sampleN', { question: QUESTION, image: sample });
      // The setting's count is the default; the picker offers 3, 5 and 8.
      await until('the count picker on 3', async () => /^3 samples.*default/.test((await pickedRow()) ?? ''));
      const picker = await evalInPage<string[]>(`[...document.querySelectorAll('.quick-input-widget .monaco-list-row')].filter((r) => r.offsetParent !== null).map((r) => r.textContent)`);
      assert.deepEqual(picker.map((t) => t.match(/^\d+ samples/)?.[0]), ['3 samples', '5 samples', '8 samples']);
      await press('Enter');
      const compare = await command;
      assert.ok(compare);
      await until('three columns streaming', async () => (await columns()).filter((c) => c.status === 'streaming' && c.count > 0).length === 3, 20_000);
      await click('button:has-text("Stop all")', { inWebview: true });
      await until('every sample stopped', async () => (await columns()).every((c) => c.status === 'cancelled'), 20_000);
      await compare!.finished;
      await until('the backend to see three closed streams', async () => backend.closedConnections - closedBefore === 3);
      assert.equal(await evalInWebview<boolean>(`[...document.querySelectorAll('button')].find((b) => b.textContent === 'Stop all')?.hidden ?? false`), true);
      await screenshot('compare-stopped');
    } finally {
      await vscode.workspace.getConfiguration('virgo.sampling').update('count', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
