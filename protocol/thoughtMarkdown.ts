import { SegmentLabeler } from './segmentLabels';
import type { Answer, Segment } from './thought';

/** Lines that would stop being a block if a label were put in front of them. */
const BLOCK_START = /^(?: {0,3})(?:```|~~~|\$\$|\\\[|#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\|)/;

function labelled(label: string, text: string): string {
  const body = text.trim();
  // "**Step 3** $$…" would glue display math or a fence onto the label's line and break it.
  return BLOCK_START.test(body) ? `${label}\n\n${body}` : `${label} ${body}`;
}

/**
 * The thought as Markdown: "## Thought" with numbered steps and labelled reflections (the panel's
 * numbering), then "## Solution" and the boxed answer(s). The panel's "Copy thought as Markdown"
 * and history's Markdown export both write it. Math stays as the model wrote it ($…$ / $$…$$),
 * which Markdown previews with math render.
 */
export function thoughtToMarkdown(segments: readonly Segment[], answer: Answer | null): string {
  const labeler = new SegmentLabeler();
  const thought: string[] = [];
  const solution: string[] = [];
  for (const s of segments) {
    const { series, ordinal } = labeler.next(s);
    if (series === 'solution') solution.push(s.text.trim());
    else if (series === 'reflection') thought.push(labelled(`**Reflection ${ordinal} (${s.reflection ?? 'reflection'})**`, s.text));
    else thought.push(labelled(`**Step ${ordinal}**`, s.text));
  }
  const out: string[] = ['## Thought', ...thought];
  const solutionText = answer?.text.trim() || solution.join('\n\n');
  if (solutionText) out.push('## Solution', solutionText);
  if (answer && answer.boxed.length > 0) {
    out.push(`**Answer:** ${answer.boxed.map((b) => `$${b.trim()}$`).join(', ')}`);
  }
  return `${out.join('\n\n')}\n`;
}
