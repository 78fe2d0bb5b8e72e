// The command line of "Virgo: Start Local Backend": engine templates, placeholders, and finding the
// program before anything is run. Plain Node (no `vscode`), so it is unit-tested on its own.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export type Engine = 'vllm' | 'sglang' | 'ollama';

export interface LocalBackendOptions {
  engine: Engine;
  /** A command template of the user's; empty: the engine's own. */
  command: string;
  model: string;
  port: number;
  tensorParallelSize: number;
  maxModelLen: number;
  imageLimit: number;
  servedModelName: string;
}

/** The engines' own templates: Virgo's published serving recipe (../docs/backends.md). */
export const ENGINE_TEMPLATES: Record<Engine, string> = {
  vllm: 'vllm serve ${model} --host 127.0.0.1 --port ${port} --tensor-parallel-size ${tensorParallelSize}'
    + ' --max-model-len ${maxModelLen} --limit-mm-per-prompt \'{"image":${imageLimit}}\' --served-model-name ${servedModelName}',
  sglang: 'python3 -m sglang.launch_server --model-path ${model} --host 127.0.0.1 --port ${port} --tp ${tensorParallelSize}'
    + ' --context-length ${maxModelLen} --chat-template qwen2-vl --served-model-name ${servedModelName}',
  ollama: 'OLLAMA_HOST=127.0.0.1:${port} ollama serve',
};

/** How to get each engine's program, said when it is missing. */
export const INSTALL_HINTS: Record<Engine, string> = {
  vllm: 'Install vLLM in the environment VS Code runs in ("pip install vllm"; it needs NVIDIA GPUs with CUDA), '
    + 'or set virgo.localBackend.command to the full path of your vllm.',
  sglang: 'Install SGLang ("pip install \'sglang[all]\'"), or set virgo.localBackend.command.',
  ollama: 'Install Ollama from https://ollama.com/download, or set virgo.localBackend.command.',
};

/** A value that goes into a shell command: nothing a shell would read as syntax. */
const SAFE_VALUE = /^[\w./:@+-]+$/;

/** Fills the template's ${placeholders}; a bad value or unknown placeholder is an error saying which. */
export function buildCommand(o: LocalBackendOptions): string {
  const values: Record<string, string | number> = {
    model: o.model, port: o.port, tensorParallelSize: o.tensorParallelSize, maxModelLen: o.maxModelLen,
    imageLimit: o.imageLimit, servedModelName: o.servedModelName,
  };
  for (const [k, v] of Object.entries(values)) {
    if (!SAFE_VALUE.test(String(v))) throw new Error(`virgo.localBackend.${k} "${v}" has characters a shell would interpret; use letters, digits and . / : @ + - _ only.`);
  }
  const template = o.command.trim() || ENGINE_TEMPLATES[o.engine];
  return template.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`virgo.localBackend.command uses \${${name}}, which is not one of: ${Object.keys(values).map((k) => `\${${k}}`).join(', ')}.`);
    return String(values[name]);
  });
}

/** The program a command line runs: its first word after any VAR=value assignments (quotes removed). */
export function programOf(command: string): string | undefined {
  const words = command.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const word = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  return word?.replace(/^["']|["']$/g, '');
}

/** Where `program` would be found (a path, or on PATH), or undefined when it is not there. */
export function findProgram(program: string, env: NodeJS.ProcessEnv = process.env, platform = process.platform): string | undefined {
  const executable = (file: string) => {
    try {
      if (!statSync(file).isFile()) return false;
      if (platform !== 'win32') accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const extensions = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  if (isAbsolute(program) || program.includes('/') || program.includes('\\')) {
    return extensions.map((e) => program + e).find(executable);
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const hit = extensions.map((e) => join(dir, program + e)).find(executable);
    if (hit) return hit;
  }
  return undefined;
}

/** The base URL the started backend answers on. */
export function localBaseUrl(o: Pick<LocalBackendOptions, 'port'>): string {
  return `http://127.0.0.1:${o.port}/v1`;
}
