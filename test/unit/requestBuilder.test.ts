import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SYSTEM_PROMPT,
  VIRGO_PROMPT_PREFIX,
  buildChatRequest,
  buildPromptText,
} from '../../server/backend/requestBuilder';

const IMAGE = 'data:image/png;base64,iVBORw0KGgo=';

test('the prefix is the one from Virgo\'s quick start, with a single backslash before boxed', () => {
  assert.equal(VIRGO_PROMPT_PREFIX, 'Please first think deeply about the question, and then put the final answer in \\boxed{}.');
  assert.equal(VIRGO_PROMPT_PREFIX.includes('\\\\'), false);
  assert.equal(DEFAULT_SYSTEM_PROMPT, 'You are a helpful assistant.');
});

test('the body is exactly Virgo\'s evaluation recipe', () => {
  const body = buildChatRequest({ model: 'virgo-72b', imageDataUrl: IMAGE, question: 'What is the area?' });
  assert.deepEqual(body, {
    model: 'virgo-72b',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: IMAGE } },
          {
            type: 'text',
            text: 'Please first think deeply about the question, and then put the final answer in \\boxed{}.\nWhat is the area?',
          },
        ],
      },
    ],
    temperature: 0,
    top_k: 1,
    top_p: 1.0,
    repetition_penalty: 1.05,
    max_tokens: 8192,
    stream: true,
    stream_options: { include_usage: true },
  });
});

test('sampling options override the recipe', () => {
  const body = buildChatRequest({
    model: 'm',
    imageDataUrl: IMAGE,
    question: 'q',
    temperature: 0.6,
    top_k: 20,
    top_p: 0.95,
    repetition_penalty: 1,
    max_tokens: 16384,
  });
  assert.equal(body.temperature, 0.6);
  assert.equal(body.top_k, 20);
  assert.equal(body.top_p, 0.95);
  assert.equal(body.repetition_penalty, 1);
  assert.equal(body.max_tokens, 16384);
});

test('a temperature above 0 without a top_k samples from every token, not greedily (N samples differ)', () => {
  const sampled = buildChatRequest({ model: 'm', imageDataUrl: IMAGE, question: 'q', temperature: 0.7 });
  assert.equal(sampled.temperature, 0.7);
  assert.equal(sampled.top_k, -1);
  const greedy = buildChatRequest({ model: 'm', imageDataUrl: IMAGE, question: 'q' });
  assert.equal(greedy.top_k, 1, "Virgo's evaluation recipe stays greedy");
});

test('extraBody is merged last: every field is overridable, undefined removes one', () => {
  const body = buildChatRequest({
    model: 'm',
    imageDataUrl: IMAGE,
    question: 'q',
    temperature: 0.6,
    extraBody: {
      model: 'other',
      temperature: 0.1,
      stream: false,
      stream_options: { include_usage: false },
      messages: [],
      top_k: undefined,
      seed: 7,
    },
  });
  assert.equal(body.model, 'other');
  assert.equal(body.temperature, 0.1);
  assert.equal(body.stream, false);
  assert.deepEqual(body.stream_options, { include_usage: false });
  assert.deepEqual(body.messages, []);
  assert.equal('top_k' in body, false);
  assert.equal(body.seed, 7);
});

test('prompt prefix and system prompt are configurable', () => {
  const body = buildChatRequest({
    model: 'm',
    imageDataUrl: IMAGE,
    question: 'q',
    promptPrefix: 'Think.',
    systemPrompt: 'Be brief.',
  });
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  assert.deepEqual(messages[0], { role: 'system', content: 'Be brief.' });
  assert.deepEqual((messages[1].content as unknown[])[1], { type: 'text', text: 'Think.\nq' });

  const bare = buildChatRequest({ model: 'm', imageDataUrl: IMAGE, question: 'q', promptPrefix: '', systemPrompt: '' });
  const bareMessages = bare.messages as Array<{ role: string; content: unknown }>;
  assert.equal(bareMessages.length, 1, "an empty system prompt sends none (Qwen2-VL's template adds its own)");
  assert.deepEqual((bareMessages[0].content as unknown[])[1], { type: 'text', text: 'q' });
  assert.equal(buildPromptText('q'), `${VIRGO_PROMPT_PREFIX}\nq`);
});

test('continueFrom appends the partial answer and asks vLLM to continue it', () => {
  const partial = '<|begin_of_thought|>\n\nFirst, the triangle';
  const body = buildChatRequest({ model: 'm', imageDataUrl: IMAGE, question: 'q', continueFrom: partial });
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  assert.equal(messages.length, 3);
  assert.deepEqual(messages[2], { role: 'assistant', content: partial });
  assert.equal(body.continue_final_message, true);
  assert.equal(body.add_generation_prompt, false);

  const fresh = buildChatRequest({ model: 'm', imageDataUrl: IMAGE, question: 'q' });
  assert.equal('continue_final_message' in fresh, false);
  assert.equal('add_generation_prompt' in fresh, false);
});
