/**
 * Comparing N sampled traces of the same question ("Sample N times"): which answers agree, what
 * the majority says and how strongly, and where the traces stop saying the same thing. Pure.
 */
import type { SampleAgreement, SampleAnswerGroup, SampleDivergence } from '../../protocol/compare';
import type { Segment } from '../../protocol/thought';
import { answersMatch, finalAnswer, type MatchOptions } from './answerMatch';

/** protocol/compare.ts's shapes: what the compare panel shows is what this computes. */
export type AnswerGroup = SampleAnswerGroup;
export type AnswerAgreement = SampleAgreement;

/**
 * Groups N traces by equivalent answers (answerMatch.ts: LaTeX forms, numbers within tolerance,
 * choice letters). Each trace joins the first group whose first answer matches its own.
 */
export function groupAnswers(boxedLists: ReadonlyArray<readonly string[]>, options: MatchOptions = {}): AnswerAgreement {
  const n = boxedLists.length;
  const groups: AnswerGroup[] = [];
  const unanswered: number[] = [];
  boxedLists.forEach((boxed, t) => {
    const answer = finalAnswer(boxed);
    if (answer === null) { unanswered.push(t); return; }
    const group = groups.find((g) => answersMatch(answer, g.answer, options));
    if (group) group.traces.push(t);
    else groups.push({ answer, traces: [t], share: 0 });
  });
  for (const g of groups) g.share = g.traces.length / n;
  // Array.prototype.sort is stable: equal sizes keep their order of first appearance.
  groups.sort((a, b) => b.traces.length - a.traces.length);
  const majority = groups[0] ?? null;
  return {
    groups,
    majority,
    share: majority?.share ?? 0,
    tie: groups.length > 1 && groups[0].traces.length === groups[1].traces.length,
    unanswered,
  };
}

/**
 * Where N traces part (protocol/compare.ts's shape): commonPrefix equals the length when all traces
 * are the same, a trace running out counts as diverging, and pairwise's diagonal is a trace's length.
 */
export type TraceDivergence = SampleDivergence;

export interface DivergenceOptions {
  /** Whether two segments say the same; default: same phase and same text by stepKey(). */
  same?: (a: Segment, b: Segment) => boolean;
}

/**
 * Where N traces part. Two segments at the same index are the same step when they are in the
 * same phase and their texts are equal after stepKey(): case, spacing and number formatting
 * ("0.50" / "0.5", "1,000" / "1000") do not count.
 */
export function findDivergence(traces: ReadonlyArray<readonly Segment[]>, options: DivergenceOptions = {}): TraceDivergence {
  const keys = traces.map((segments) => segments.map((s) => `${s.phase}\u0000${stepKey(s.text)}`));
  const same = options.same
    ? (a: number, b: number, i: number) => options.same!(traces[a][i], traces[b][i])
    : (a: number, b: number, i: number) => keys[a][i] === keys[b][i];
  const n = traces.length;
  const pairwise = traces.map((t) => traces.map(() => t.length));
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const limit = Math.min(traces[a].length, traces[b].length);
      let i = 0;
      while (i < limit && same(a, b, i)) i++;
      pairwise[a][b] = pairwise[b][a] = i;
    }
  }
  const lengths = traces.map((t) => t.length);
  const commonPrefix = n === 0 ? 0 : Math.min(...pairwise.map((row) => Math.min(...row)));
  const diverged = n > 1 && (lengths.some((l) => l !== lengths[0]) || commonPrefix < lengths[0]);
  const perTrace = pairwise.map((row, a) => {
    if (n < 2) return null;
    const closest = Math.max(...row.filter((_, b) => b !== a));
    return closest >= lengths[a] ? null : closest;
  });
  return { commonPrefix, diverged, perTrace, pairwise };
}

/**
 * A step's text with formatting that does not change what it says taken out: case, runs of
 * spaces, spaces around operators and punctuation, `$` vs `\(`, trailing zeros of decimals and
 * thousands separators.
 */
export function stepKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/\\[()[\]]/g, '$')
    .replace(/\$+/g, '$')
    .replace(/(\d),(?=\d{3}(?!\d))/g, '$1')
    .replace(/(\d+\.\d*?)0+(?!\d)/g, '$1')
    .replace(/(\d)\.(?!\d)/g, '$1')
    .replace(/\s+/g, ' ')
    .replace(/\s*([=+\-*/^(),.;:!?[\]{}$<>])\s*/g, '$1')
    .trim();
}
