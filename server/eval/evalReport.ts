/**
 * What `virgo report` computes from result lines: accuracy over items with a gold answer, how
 * long the thoughts are, how often they reflect and of which type, and accuracy split by whether
 * the thought reflected at all: the analyses the Virgo paper (arXiv 2501.01904) makes. Pure.
 */
import type { BatchResult, ReflectionCounts } from './batchResult';

export interface GroupStats {
  /** Answered items in the group. */
  items: number;
  withGold: number;
  correct: number;
  /** correct / withGold, or null when none has a gold answer. */
  accuracy: number | null;
  meanThoughtTokens: number | null;
}

export interface EvalReport {
  /** Distinct ids (a later line for the same id replaces an earlier one). */
  items: number;
  /** Items whose line has an error: not scored, left out of every mean. */
  failed: number;
  answered: number;
  withGold: number;
  correct: number;
  /** correct / withGold over answered items; null without gold answers. */
  accuracy: number | null;
  /** Answered items that boxed nothing. */
  noAnswer: number;
  /** Answered items cut off by max tokens (finishReason "length"). */
  truncated: number;
  meanThoughtTokens: number | null;
  /** Mean reflections per answered item, by type. */
  meanReflections: ReflectionCounts | null;
  /** Answered items whose thought has at least one reflection, and those with none. */
  reflected: GroupStats;
  notReflected: GroupStats;
}

/** Result lines → the report. Lines are taken as results whatever else they carry. */
export function buildReport(lines: readonly BatchResult[]): EvalReport {
  const byId = new Map<string, BatchResult>();
  for (const r of lines) byId.set(String(r.id), r);
  const all = [...byId.values()];
  const answered = all.filter((r) => r.error === undefined || r.error === null);
  const reflections = (r: BatchResult) => r.reflections?.total ?? 0;
  const overall = stats(answered);
  const sum = (key: keyof ReflectionCounts) => answered.reduce((s, r) => s + (r.reflections?.[key] ?? 0), 0);
  return {
    items: all.length,
    failed: all.length - answered.length,
    answered: answered.length,
    withGold: overall.withGold,
    correct: overall.correct,
    accuracy: overall.accuracy,
    noAnswer: answered.filter((r) => !Array.isArray(r.boxed) || r.boxed.length === 0).length,
    truncated: answered.filter((r) => r.finishReason === 'length').length,
    meanThoughtTokens: overall.meanThoughtTokens,
    meanReflections: answered.length === 0 ? null : {
      verify: sum('verify') / answered.length,
      backtrack: sum('backtrack') / answered.length,
      alternative: sum('alternative') / answered.length,
      total: sum('total') / answered.length,
    },
    reflected: stats(answered.filter((r) => reflections(r) > 0)),
    notReflected: stats(answered.filter((r) => reflections(r) === 0)),
  };
}

function stats(rs: readonly BatchResult[]): GroupStats {
  const scored = rs.filter((r) => r.correct === true || r.correct === false);
  const correct = scored.filter((r) => r.correct === true).length;
  return {
    items: rs.length,
    withGold: scored.length,
    correct,
    accuracy: scored.length === 0 ? null : correct / scored.length,
    meanThoughtTokens: rs.length === 0 ? null : rs.reduce((s, r) => s + (r.thoughtTokens ?? 0), 0) / rs.length,
  };
}

/** The report as `virgo report` prints it for people. */
export function formatReport(r: EvalReport, name: string): string {
  const pct = (g: { accuracy: number | null; correct: number; withGold: number }) =>
    g.accuracy === null ? '— (no gold answers)' : `${(100 * g.accuracy).toFixed(1)}% (${g.correct} / ${g.withGold})`;
  const num = (n: number | null, digits = 0) =>
    n === null ? '—' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const group = (g: GroupStats) =>
    `${g.items} item${g.items === 1 ? '' : 's'} · accuracy ${pct(g)} · ${num(g.meanThoughtTokens)} thought tokens on average`;
  const m = r.meanReflections;
  const lines = [
    `${name}: ${r.items} items, ${r.answered} answered${r.failed ? `, ${r.failed} failed (not scored)` : ''}`,
    `Accuracy          ${pct(r)}`,
    `Thought tokens    ${num(r.meanThoughtTokens)} on average`,
    `Reflections       ${m ? `${num(m.total, 2)} on average: verify ${num(m.verify, 2)} · backtrack ${num(m.backtrack, 2)} · alternative ${num(m.alternative, 2)}` : '—'}`,
    `Reflected         ${group(r.reflected)}`,
    `Not reflected     ${group(r.notReflected)}`,
  ];
  if (r.noAnswer || r.truncated) lines.push(`No boxed answer   ${r.noAnswer} · stopped at max tokens ${r.truncated}`);
  return lines.join('\n');
}
