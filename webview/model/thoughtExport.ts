import type { Answer } from '../../protocol/thought';

/** What "Copy answer" puts on the clipboard: the boxed answer(s), else the solution text. */
export function answerToText(answer: Answer): string {
  return answer.boxed.length > 0 ? answer.boxed.map((b) => b.trim()).join('\n') : answer.text.trim();
}
