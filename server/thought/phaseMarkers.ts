import type { Phase } from '../../protocol/thought';

/**
 * The plain-text markers that switch phase. STILL-2 markers are ordinary text, not special
 * tokens, so they arrive split across chunks; the parser only looks for them in whole lines.
 */
export const PHASE_MARKERS: ReadonlyArray<readonly [marker: string, next: Phase]> = [
  ['<|begin_of_thought|>', 'thought'],
  ['<|end_of_thought|>', 'solution'],
  ['<|begin_of_solution|>', 'solution'],
  ['<|end_of_solution|>', 'solution'],
  ['<think>', 'thought'],
  ['</think>', 'solution'],
];

export type LinePiece = { text: string } | { marker: string; next: Phase };

/**
 * Splits a line at the markers it holds; a line without markers comes back as one piece.
 * A marker inside an inline code span (`…`) is quoted text, not a phase change.
 */
export function splitAtMarkers(line: string): LinePiece[] {
  if (line.indexOf('<') < 0) return [{ text: line }];
  const spans = line.indexOf('`') >= 0 ? codeSpans(line) : [];
  const inSpan = (at: number) => spans.some(([a, b]) => at > a && at < b);
  const pieces: LinePiece[] = [];
  let from = 0;
  for (;;) {
    let best = -1;
    let bestMarker: readonly [string, Phase] | undefined;
    for (const m of PHASE_MARKERS) {
      let at = line.indexOf(m[0], from);
      while (at >= 0 && inSpan(at)) at = line.indexOf(m[0], at + 1);
      if (at >= 0 && (best < 0 || at < best)) { best = at; bestMarker = m; }
    }
    if (!bestMarker) break;
    if (best > from) pieces.push({ text: line.slice(from, best) });
    pieces.push({ marker: bestMarker[0], next: bestMarker[1] });
    from = best + bestMarker[0].length;
  }
  if (from < line.length || pieces.length === 0) pieces.push({ text: line.slice(from) });
  return pieces;
}

/** The text of an unfinished line as a reader should see it: markers and a marker's start removed. */
export function visibleText(partialLine: string): string {
  if (partialLine.indexOf('<') < 0) return partialLine;
  let out = '';
  for (const p of splitAtMarkers(partialLine)) if ('text' in p) out += p.text;
  // A trailing "<|end_of_th" may be a marker still arriving: hide it until it is decided.
  const lt = out.lastIndexOf('<');
  if (lt >= 0) {
    const tail = out.slice(lt);
    if (PHASE_MARKERS.some(([m]) => m.startsWith(tail))) out = out.slice(0, lt);
  }
  return out;
}

/** [open, close) backtick positions of the line's code spans: a run of n backticks up to the next run of exactly n. */
function codeSpans(line: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const runs = [...line.matchAll(/`+/g)].map((m) => [m.index!, m[0].length] as const);
  for (let i = 0; i < runs.length; i++) {
    const [at, n] = runs[i];
    const j = runs.findIndex(([, len], k) => k > i && len === n);
    if (j < 0) continue;
    spans.push([at, runs[j][0]]);
    i = j;
  }
  return spans;
}
