import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchResult } from '../../server/eval/batchResult';
import { buildReport, formatReport, type EvalReport } from '../../server/eval/evalReport';
import { parseResults } from '../../server/eval/resultsFile';

// The CLI as users run it: the built bundle under plain node (npm test builds first).
const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'virgo.js');
const fixture = join(root, 'test', 'fixtures', 'eval', 'results.jsonl');

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b; });
    child.stderr.on('data', (b: Buffer) => { stderr += b; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const close = (actual: number | null | undefined, expected: number) =>
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} ≈ ${expected}`);

/** The numbers worked out by hand in test/fixtures/eval/README.md. */
function checkFixtureNumbers(r: EvalReport): void {
  assert.deepEqual([r.items, r.failed, r.answered, r.withGold, r.correct], [7, 1, 6, 5, 3]);
  close(r.accuracy, 0.6);
  close(r.meanThoughtTokens, 700 / 6);
  close(r.meanReflections!.verify, 1 / 6);
  close(r.meanReflections!.backtrack, 3 / 6);
  close(r.meanReflections!.alternative, 2 / 6);
  close(r.meanReflections!.total, 1);
  assert.deepEqual([r.reflected.items, r.reflected.withGold, r.reflected.correct], [3, 3, 2]);
  close(r.reflected.accuracy, 2 / 3);
  close(r.reflected.meanThoughtTokens, 550 / 3);
  assert.deepEqual([r.notReflected.items, r.notReflected.withGold, r.notReflected.correct], [3, 2, 1]);
  close(r.notReflected.accuracy, 0.5);
  close(r.notReflected.meanThoughtTokens, 50);
  assert.deepEqual([r.noAnswer, r.truncated], [1, 1]);
}

test('the fixture parses: 7 results and a half-written last line', () => {
  const parsed = parseResults(readFileSync(fixture, 'utf8'));
  assert.equal(parsed.lines.length, 7);
  assert.equal(parsed.partialTail, true);
  assert.deepEqual(parsed.badLines, []);
});

test('buildReport: accuracy, thought length, reflections, split by reflected', () => {
  const parsed = parseResults(readFileSync(fixture, 'utf8'));
  checkFixtureNumbers(buildReport(parsed.lines.map((l) => l.result)));
});

test('a later line for the same id replaces the earlier one; no lines, no numbers', () => {
  const base = { question: '', image: 'x.png', steps: 1, completionTokens: 10, model: 'm', finishReason: 'stop', ms: 1 } as const;
  const zero = { verify: 0, backtrack: 0, alternative: 0, total: 0 };
  const lines: BatchResult[] = [
    { ...base, id: 1, answer: '2', boxed: ['3'], correct: false, thoughtTokens: 10, reflections: zero },
    { ...base, id: 1, answer: '2', boxed: ['2'], correct: true, thoughtTokens: 30, reflections: { ...zero, verify: 1, total: 1 } },
  ];
  const r = buildReport(lines);
  assert.deepEqual([r.items, r.correct, r.accuracy, r.meanThoughtTokens], [1, 1, 1, 30]);
  assert.equal(r.reflected.items, 1);
  const empty = buildReport([]);
  assert.deepEqual([empty.items, empty.accuracy, empty.meanThoughtTokens, empty.meanReflections], [0, null, null, null]);
});

test('formatReport says it for people', () => {
  const parsed = parseResults(readFileSync(fixture, 'utf8'));
  const text = formatReport(buildReport(parsed.lines.map((l) => l.result)), 'results.jsonl');
  assert.match(text, /^results\.jsonl: 7 items, 6 answered, 1 failed \(not scored\)$/m);
  assert.match(text, /^Accuracy {10}60\.0% \(3 \/ 5\)$/m);
  assert.match(text, /^Thought tokens {4}117 on average$/m);
  assert.match(text, /^Reflections {7}1\.00 on average: verify 0\.17 · backtrack 0\.50 · alternative 0\.33$/m);
  assert.match(text, /^Reflected {9}3 items · accuracy 66\.7% \(2 \/ 3\) · 183 thought tokens on average$/m);
  assert.match(text, /^Not reflected {5}3 items · accuracy 50\.0% \(1 \/ 2\) · 50 thought tokens on average$/m);
  assert.match(text, /^No boxed answer {3}1 · stopped at max tokens 1$/m);
});

test('virgo report prints the same numbers, and --json one object', async () => {
  const human = await runCli(['report', fixture]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /Accuracy {10}60\.0% \(3 \/ 5\)/);
  assert.match(human.stderr, /last line is cut short/);
  const json = await runCli(['report', fixture, '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(json.stdout.trim().split('\n').length, 1, 'one JSON object');
  checkFixtureNumbers(JSON.parse(json.stdout) as EvalReport);
});

test('virgo report: a missing or empty file exits 2; a stray line in the middle is skipped with a warning', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'virgo-report-'));
  const missing = await runCli(['report', join(tmp, 'nope.jsonl')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no result lines/);
  const empty = join(tmp, 'empty.jsonl');
  writeFileSync(empty, '\n');
  assert.equal((await runCli(['report', empty])).code, 2);
  const stray = join(tmp, 'stray.jsonl');
  const lines = readFileSync(fixture, 'utf8').split('\n').slice(0, 7);
  writeFileSync(stray, [lines[0], 'oops', ...lines.slice(1)].join('\n') + '\n');
  const r = await runCli(['report', stray, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /skipped 1 line\(s\) that are not results \(first: line 2\)/);
  checkFixtureNumbers(JSON.parse(r.stdout) as EvalReport);
  assert.equal((await runCli(['report'])).code, 2);
});
