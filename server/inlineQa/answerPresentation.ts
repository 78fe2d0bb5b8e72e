/**
 * How a stored answer reads next to its reference: the one-line lens ("Virgo: √5 · 2,140 tokens
 * · 41 s"), the inlay hint, the hover, the text a code action inserts, and the Markdown file
 * editors without Virgo's panel open for the full thought. Pure functions of the stored data.
 */
import type { AskReferenceArgs, OpenThoughtArgs, StoredAnswer } from '../../protocol/inlineQa';
import { ASK_ABOUT_REFERENCE, OPEN_THOUGHT } from '../../protocol/inlineQa';
import { prettyTex } from '../../protocol/prettyTex';
import { thoughtToMarkdown } from '../../protocol/thoughtMarkdown';
import type { AnswerSummary, Freshness } from './answerStore';

/** The answer in a few words: the last \boxed{}, else the start of the solution. */
export function shortAnswer(s: AnswerSummary, max = 48): string {
  if (s.boxed !== null) return clip(prettyTex(s.boxed), max);
  const text = s.answerText.replace(/\s+/g, ' ').trim();
  if (text) return clip(text, max);
  return s.reason === 'length' ? 'no answer (stopped at max tokens)' : 'no answer';
}

export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1).trimEnd()}…`;
}

export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s).toLocaleString('en-US')} s`;
}

const STALE_LABEL: Partial<Record<Freshness, string>> = { stale: ' (image changed)', missing: ' (image missing)' };

/** "Virgo: √5 · 2,140 tokens · 41 s", marked when the image changed since. */
export function lensTitle(s: AnswerSummary, freshness: Freshness): string {
  return `Virgo${STALE_LABEL[freshness] ?? ''}: ${shortAnswer(s)} · ${s.tokens.toLocaleString('en-US')} tokens · ${formatSeconds(s.durationMs)}`;
}

export function inlayLabel(s: AnswerSummary, freshness: Freshness): string {
  return `Virgo${freshness === 'stale' ? ' (stale)' : ''}: ${shortAnswer(s, 32)}`;
}

/** Escapes text from documents and models for a Markdown hover. */
export function mdEscape(s: string): string {
  // Mid-line, only these can start Markdown or HTML; escaping more shows as backslashes in plain-text hovers.
  return s.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`);
}

export function commandLink(label: string, command: string, args: unknown): string {
  return `[${label}](command:${command}?${encodeURIComponent(JSON.stringify([args]))})`;
}

export interface HoverFacts {
  name: string;
  /** "640×480 px, sent as 644×476 · 391 visual tokens", or why the image can't be used. */
  imageLine: string;
  thumbnailDataUri?: string;
  answer?: { summary: AnswerSummary; freshness: Freshness };
  askArgs?: AskReferenceArgs;
  /** Why asking is not offered (untrusted workspace, remote images off…). */
  cannotAsk?: string;
}

export function hoverMarkdown(f: HoverFacts): string {
  const parts = [`**Virgo** · \`${f.name.replace(/`/g, "'")}\` · ${f.imageLine}`];
  const links: string[] = [];
  if (f.answer) {
    const { summary: s, freshness } = f.answer;
    parts.push(`**Last question:** ${mdEscape(s.question)}`);
    const raw = s.boxed !== null && prettyTex(s.boxed) !== s.boxed.trim() ? ` (\`${s.boxed.replace(/`/g, "'")}\`)` : '';
    parts.push(`**Answer:** ${mdEscape(shortAnswer(s, 120))}${raw}`);
    parts.push(`*${s.tokens.toLocaleString('en-US')} tokens · ${formatSeconds(s.durationMs)} · ${mdEscape(s.model)} · asked ${new Date(s.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC*`);
    if (freshness === 'stale') parts.push('⚠ The image changed since this answer: ask again for a current one.');
    if (freshness === 'missing') parts.push('⚠ The image file is gone; this answer is about the image as it was.');
    links.push(commandLink('Open the reasoning', OPEN_THOUGHT, { key: s.key } satisfies OpenThoughtArgs));
  }
  if (f.askArgs) links.push(commandLink(f.answer ? 'Ask again…' : 'Ask Virgo…', ASK_ABOUT_REFERENCE, f.askArgs));
  if (f.cannotAsk) parts.push(`*${f.cannotAsk}*`);
  if (links.length) parts.push(links.join(' · '));
  // Last: hovers have a height limit, and the answer and links matter more than the picture.
  if (f.thumbnailDataUri) parts.push(`![${mdEscape(f.name)}](${f.thumbnailDataUri})`);
  return parts.join('\n\n');
}

/** The whole thought as Markdown, for editors that open a file instead of Virgo's panel. */
export function thoughtMarkdown(a: StoredAnswer): string {
  const header = [
    `# Virgo: ${a.question}`, '',
    `${a.source} · ${a.model} · ${a.start.sentWidth}×${a.start.sentHeight} sent (${a.start.imageTokens} visual tokens) · ` +
      `${(a.end.usage?.completion_tokens ?? 0).toLocaleString('en-US')} tokens · ${formatSeconds(a.durationMs)} · ${new Date(a.createdAt).toISOString()}`,
    '', '',
  ].join('\n');
  // The body is the panel's "Copy thought as Markdown" and history's export, labels and all.
  const stopped = a.end.reason === 'length' ? '\n*The model stopped at the max-tokens budget.*\n' : '';
  return header + thoughtToMarkdown(a.segments, a.answer) + stopped;
}
