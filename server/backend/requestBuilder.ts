/**
 * The chat-completions request that reproduces Virgo's own evaluation (see docs/virgo.md).
 * Pure: no I/O, so the CLI, the language server and the tests build byte-identical bodies.
 */

export const VIRGO_PROMPT_PREFIX =
  'Please first think deeply about the question, and then put the final answer in \\boxed{}.';

/** What an empty question asks: the figure usually states the problem itself. */
export const DEFAULT_QUESTION =
  'Solve the problem shown in the image. If it poses no problem, describe what the figure shows.';

/** Qwen2-VL's chat template inserts this same text when no system message is sent. */
export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant.';

export interface SamplingOptions {
  temperature?: number;
  top_k?: number;
  top_p?: number;
  repetition_penalty?: number;
  max_tokens?: number;
}

/**
 * Virgo's published sampling values. Always sent explicitly: vLLM otherwise applies the
 * model's generation_config, which would silently change the results.
 */
export const VIRGO_SAMPLING: Readonly<Required<SamplingOptions>> = Object.freeze({
  temperature: 0,
  top_k: 1,
  top_p: 1.0,
  repetition_penalty: 1.05,
  max_tokens: 8192,
});

export interface ChatRequestOptions extends SamplingOptions {
  model: string;
  /** `data:image/png;base64,…` (or any URL the server may fetch). */
  imageDataUrl: string;
  question: string;
  /** Default VIRGO_PROMPT_PREFIX; the text is prefix + '\n' + question. '' sends the bare question. */
  promptPrefix?: string;
  /** Default DEFAULT_SYSTEM_PROMPT; '' sends no system message (the template then adds its own). */
  systemPrompt?: string;
  /**
   * Continue an interrupted answer: the partial assistant text is appended as the last message
   * with continue_final_message: true, add_generation_prompt: false.
   */
  continueFrom?: string;
  /**
   * Merged last, shallowly: every field is overridable. A key set to undefined is removed,
   * for servers that reject a field (e.g. top_k on a strict OpenAI-compatible endpoint).
   */
  extraBody?: Record<string, unknown>;
}

export type ContentPart =
  | { type: 'image_url'; image_url: { url: string } }
  | { type: 'text'; text: string };

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: ContentPart[] }
  | { role: 'assistant'; content: string };

/** The user turn's text exactly as Virgo's quick start writes it. */
export function buildPromptText(question: string, promptPrefix: string = VIRGO_PROMPT_PREFIX): string {
  return promptPrefix === '' ? question : `${promptPrefix}\n${question}`;
}

export function buildMessages(o: ChatRequestOptions): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const system = o.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
  if (system !== '') messages.push({ role: 'system', content: system });
  // Image first, then text, in one user turn: the order Virgo was evaluated with.
  messages.push({
    role: 'user',
    content: [
      { type: 'image_url', image_url: { url: o.imageDataUrl } },
      { type: 'text', text: buildPromptText(o.question, o.promptPrefix) },
    ],
  });
  if (o.continueFrom !== undefined) messages.push({ role: 'assistant', content: o.continueFrom });
  return messages;
}

export function buildChatRequest(o: ChatRequestOptions): Record<string, unknown> {
  const pick = <K extends keyof SamplingOptions>(k: K): number => o[k] ?? VIRGO_SAMPLING[k];
  const body: Record<string, unknown> = {
    model: o.model,
    messages: buildMessages(o),
    temperature: pick('temperature'),
    // Virgo's top_k 1 is greedy decoding: with a temperature above 0 (sampling N traces) it would
    // still give one trace N times, so sampling opens top_k (-1: all tokens, vLLM's and SGLang's "off").
    top_k: o.top_k ?? (pick('temperature') > 0 ? -1 : VIRGO_SAMPLING.top_k),
    top_p: pick('top_p'),
    repetition_penalty: pick('repetition_penalty'),
    max_tokens: pick('max_tokens'),
    stream: true,
    // The usage chunk is the only place the server tells us the prompt's real token count.
    stream_options: { include_usage: true },
  };
  if (o.continueFrom !== undefined) {
    // vLLM refuses continue_final_message together with a generation prompt.
    body.continue_final_message = true;
    body.add_generation_prompt = false;
  }
  for (const [key, value] of Object.entries(o.extraBody ?? {})) {
    if (value === undefined) delete body[key];
    else body[key] = value;
  }
  return body;
}
