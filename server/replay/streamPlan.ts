import { randomBytes } from 'node:crypto';
import type { Usage } from '../../protocol/thought';
import type { ReplayScenario, StreamFault, StreamScenario } from './scriptedBackend';

/** How a stream scenario or a recording goes out on the wire: frames with their times. */

export function splitText(text: string, size: number): string[] {
  const chars = Array.from(text); // never cut a surrogate pair
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

/** One chunk event to send, `at` ms after the response started. */
export interface Frame {
  at: number;
  delta: Record<string, string>;
  finish: string | null;
}

/** What a stream scenario or a recording amounts to on the wire. */
export interface Plan {
  frames: Frame[];
  usage: Usage;
  fault?: StreamFault;
  noise: boolean;
  omitDone: boolean;
}

export function planStream(s: StreamScenario): Plan {
  const split = (v: string | string[] | undefined): string[] =>
    v === undefined ? [] : Array.isArray(v) ? v : splitText(v, s.chunkChars ?? 8);
  const field = s.reasoningField ?? 'reasoning';
  const deltas = [
    ...split(s.reasoning).map((text) => ({ [field]: text })),
    ...split(s.content).map((text) => ({ content: text })),
  ];
  if (deltas.length === 0) deltas.push({ content: '' });
  const finish = s.finishReason ?? 'stop';
  // vLLM puts finish_reason on the chunk carrying the last piece of text.
  const frames = deltas.map((delta, i) => ({
    at: (i + 1) * (s.delayMs ?? 0),
    delta,
    finish: i === deltas.length - 1 ? finish : null,
  }));
  const prompt = s.usage?.prompt_tokens ?? 100;
  const completion = s.usage?.completion_tokens ?? frames.length;
  return {
    frames,
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: s.usage?.total_tokens ?? prompt + completion },
    ...(s.fault ? { fault: s.fault } : {}),
    noise: s.noise ?? false,
    omitDone: s.omitDone ?? false,
  };
}

export function planReplay(s: ReplayScenario): Plan {
  const speed = s.speed ?? 1;
  const field = s.reasoningField ?? 'reasoning';
  const frames: Frame[] = [];
  let usage: Usage | undefined;
  for (const e of s.events) {
    const at = speed > 0 ? e.t / speed : 0;
    if (e.usage) usage = e.usage;
    const delta: Record<string, string> = {};
    if (e.reasoning) delta[field] = e.reasoning;
    if (e.content) delta.content = e.content;
    const last = frames[frames.length - 1];
    if (Object.keys(delta).length === 0 && e.finishReason && last && last.finish === null) {
      last.finish = e.finishReason; // a finish-only event rides on the last text, as vLLM sends it
    } else if (Object.keys(delta).length > 0 || e.finishReason) {
      frames.push({ at, delta: Object.keys(delta).length > 0 ? delta : { content: '' }, finish: e.finishReason ?? null });
    }
  }
  const completion = frames.length;
  return { frames, usage: usage ?? { prompt_tokens: 100, completion_tokens: completion, total_tokens: 100 + completion }, noise: false, omitDone: false };
}

export function wholeCompletion(plan: Plan, model: string): Record<string, unknown> {
  const message: Record<string, string> = { role: 'assistant', content: '' };
  for (const f of plan.frames) for (const [k, v] of Object.entries(f.delta)) message[k] = (message[k] ?? '') + v;
  return {
    id: `chatcmpl-${randomBytes(16).toString('hex')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: plan.frames.at(-1)?.finish ?? 'stop' }],
    usage: plan.usage,
  };
}

