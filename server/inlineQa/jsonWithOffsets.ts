/**
 * A JSON parser that keeps where every value sits in the text. A notebook opened as text (.ipynb
 * in an editor that does not render notebooks) holds its Markdown cells as JSON strings, and a
 * code lens or an edit must point into those strings, escapes and all. JSON.parse cannot say where.
 */

export type JsonNode =
  | { type: 'object'; start: number; end: number; props: Array<{ key: string; value: JsonNode }> }
  | { type: 'array'; start: number; end: number; items: JsonNode[] }
  /** start is the opening quote, end is one past the closing quote. */
  | { type: 'string'; start: number; end: number; value: string }
  | { type: 'literal'; start: number; end: number; value: number | boolean | null };

export class JsonSyntaxError extends Error {}

export function parseJsonWithOffsets(text: string): JsonNode {
  let pos = 0;
  const fail = (what: string): never => { throw new JsonSyntaxError(`${what} at offset ${pos}`); };
  const skip = () => { while (pos < text.length && ' \t\r\n'.includes(text[pos])) pos++; };

  function value(): JsonNode {
    skip();
    const c = text[pos];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(pos, pos + 64));
    if (!m) return fail('unexpected character');
    const start = pos;
    pos += m[0].length;
    return { type: 'literal', start, end: pos, value: JSON.parse(m[0]) as number | boolean | null };
  }

  function string(): Extract<JsonNode, { type: 'string' }> {
    const start = pos;
    // Fast path for long strings (base64 outputs): jump between quotes, count escaping backslashes.
    let close = text.indexOf('"', pos + 1);
    while (close >= 0) {
      let n = 0;
      while (text[close - 1 - n] === '\\') n++;
      if (n % 2 === 0) break;
      close = text.indexOf('"', close + 1);
    }
    if (close < 0) return fail('unterminated string');
    pos = close + 1;
    const raw = text.slice(start + 1, close);
    return { type: 'string', start, end: pos, value: raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw };
  }

  function object(): JsonNode {
    const start = pos++;
    const props: Array<{ key: string; value: JsonNode }> = [];
    skip();
    if (text[pos] === '}') { pos++; return { type: 'object', start, end: pos, props }; }
    for (;;) {
      skip();
      if (text[pos] !== '"') fail('expected a key');
      const key = string().value;
      skip();
      if (text[pos++] !== ':') fail('expected ":"');
      props.push({ key, value: value() });
      skip();
      const c = text[pos++];
      if (c === '}') return { type: 'object', start, end: pos, props };
      if (c !== ',') fail('expected "," or "}"');
    }
  }

  function array(): JsonNode {
    const start = pos++;
    const items: JsonNode[] = [];
    skip();
    if (text[pos] === ']') { pos++; return { type: 'array', start, end: pos, items }; }
    for (;;) {
      items.push(value());
      skip();
      const c = text[pos++];
      if (c === ']') return { type: 'array', start, end: pos, items };
      if (c !== ',') fail('expected "," or "]"');
    }
  }

  const root = value();
  skip();
  if (pos < text.length) fail('trailing text');
  return root;
}

export function prop(node: JsonNode | undefined, key: string): JsonNode | undefined {
  return node?.type === 'object' ? node.props.find((p) => p.key === key)?.value : undefined;
}

/** The text offset of the decoded string's character `index` (index = value.length: the closing quote). */
export function offsetInString(text: string, node: Extract<JsonNode, { type: 'string' }>, index: number): number {
  let raw = node.start + 1;
  for (let decoded = 0; decoded < index && raw < node.end - 1; decoded++) {
    if (text[raw] !== '\\') raw++;
    else raw += text[raw + 1] === 'u' ? 6 : 2;
  }
  return raw;
}
