import type * as vscode from 'vscode';

const WRITERS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);

/**
 * The "Virgo" log with secrets taken out of everything written to it — our own lines and the
 * language client's message traces (`virgo.trace.server: verbose` logs request params, which
 * carry the API key to the server).
 */
export function redactingLog(log: vscode.LogOutputChannel, secrets: () => Iterable<string>): vscode.LogOutputChannel {
  const redact = (text: string): string => {
    let out = text.replace(/(Bearer\s+)[^\s"',]+/gi, '$1[redacted]');
    for (const s of secrets()) if (s.length >= 4) out = out.split(s).join('[redacted]');
    return out;
  };
  return new Proxy(log, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && WRITERS.has(prop)) {
        return (...args: unknown[]) =>
          (value as (...a: unknown[]) => unknown).apply(target, args.map((a) => (typeof a === 'string' ? redact(a) : a)));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
