/**
 * A history session as a Markdown file: the question as title, the image, the thought with the
 * panel's numbering ("Step 3", "Reflection 2 (backtrack)": steps, reflections and solution steps
 * counted separately, as webview/model/segmentLabels.ts does, and laid out like the panel's "Copy
 * as Markdown"), the solution and boxed answer(s), and a footer with the session's facts. The
 * model's text, math and code included, is copied verbatim.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HistoryImage, HistorySession, HistorySummary } from '../../protocol/history';
import type { Answer, EndReason, Segment } from '../../protocol/thought';

export interface MarkdownOptions {
  /** The file the Markdown is written to: the image link is made relative to its folder. */
  exportPath?: string;
}

/** Lines that would stop being a block if a label were put in front of them (as in the panel's copy). */
const BLOCK_START = /^(?: {0,3})(?:```|~~~|\$\$|\\\[|#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\|)/;

const ENDED: Record<EndReason, string> = {
  stop: 'finished',
  length: 'stopped at the max-tokens budget',
  cancelled: 'stopped by the user',
  error: 'interrupted by an error',
};

export function sessionToMarkdown(session: HistorySession, options: MarkdownOptions = {}): string {
  const s = session.summary;
  const out = [`# Virgo: ${oneLine(s.question)}`, imageReference(s.image, options.exportPath)];
  out.push(thoughtMarkdown(session.segments, session.answer));
  if (s.endReason !== 'stop') out.push(`*The session did not finish: it was ${ENDED[s.endReason]}.*`);
  out.push('---', footer(s));
  return `${out.join('\n\n')}\n`;
}

/**
 * The thought and answer: "## Thought" with labelled segments, "## Solution", "**Answer:**".
 * The same text as the panel's "Copy as Markdown" (webview/model/thoughtExport.ts).
 */
export function thoughtMarkdown(segments: readonly Segment[], answer: Answer | null): string {
  const counts = { step: 0, reflection: 0, solution: 0 };
  const thought: string[] = [];
  const solution: string[] = [];
  for (const s of segments) {
    const series = s.phase === 'solution' ? 'solution' : s.kind === 'reflection' ? 'reflection' : 'step';
    const ordinal = ++counts[series];
    if (series === 'solution') solution.push(s.text.trim());
    else if (series === 'reflection') thought.push(labelled(`**Reflection ${ordinal} (${s.reflection ?? 'reflection'})**`, s.text));
    else thought.push(labelled(`**Step ${ordinal}**`, s.text));
  }
  const out = ['## Thought', ...thought];
  const solutionText = answer?.text.trim() || solution.join('\n\n');
  if (solutionText) out.push('## Solution', solutionText);
  if (answer && answer.boxed.length > 0) out.push(`**Answer:** ${answer.boxed.map((b) => `$${b.trim()}$`).join(', ')}`);
  return out.join('\n\n');
}

function labelled(label: string, text: string): string {
  const body = text.trim();
  // "**Step 3** $$…" would glue display math or a fence onto the label's line and break it.
  return BLOCK_START.test(body) ? `${label}\n\n${body}` : `${label} ${body}`;
}

/** The original file as a relative image link when known, else its name and size. */
export function imageReference(image: HistoryImage, exportPath?: string): string {
  const facts = `${image.width}×${image.height} px, sent as ${image.sentWidth}×${image.sentHeight} ` +
    `(${count(image.imageTokens)} visual tokens, ${kilobytes(image.bytes)})`;
  if (!image.path) return `Image: **${escapeText(image.name)}** · ${facts}`;
  return `![${escapeText(image.name)}](${linkTo(image.path, exportPath)})\n\n*${escapeText(image.name)}* · ${facts}`;
}

function linkTo(file: string, exportPath: string | undefined): string {
  if (exportPath) {
    const relative = path.relative(path.dirname(path.resolve(exportPath)), file);
    // Another drive (Windows) has no relative path: fall through to a file URL.
    if (!path.isAbsolute(relative)) {
      const posix = relative.split(path.sep).join('/');
      return `<${posix.replace(/[<>]/g, encodeURIComponent)}>`;
    }
  }
  return pathToFileURL(file).href;
}

function footer(s: HistorySummary): string {
  const r = s.reflections;
  const reflections = r.verify + r.backtrack + r.alternative;
  const usage = s.usage ? ` · usage: ${count(s.usage.prompt_tokens)} prompt + ${count(s.usage.completion_tokens)} completion` : '';
  return [
    `- **Model:** \`${s.model || 'unknown'}\`${s.backend ? ` on ${escapeText(s.backend)}` : ''}`,
    `- **Tokens:** ${count(s.thoughtTokens)} in the thought, ${count(s.chunks)} in all (stream chunks)${usage}`,
    `- **Reflections:** ${count(reflections)} (${count(r.verify)} verify · ${count(r.backtrack)} backtrack · ${count(r.alternative)} alternative) in ${count(s.segments)} segments`,
    `- **Ended:** ${ENDED[s.endReason]} (${s.endReason}) after ${(s.durationMs / 1000).toFixed(1)} s`,
    `- **Date:** ${new Date(s.createdAt).toISOString()}`,
  ].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function escapeText(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]<>#|]/g, '\\$&');
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function kilobytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KiB`;
}
