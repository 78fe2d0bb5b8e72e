// esbuild plugin for the extension bundle: every `import * as vscode from 'vscode'` shares one
// namespace object. Without it esbuild wraps each importing file's require('vscode') in its own
// __toESM, which copies the API object's ~400 properties once per file: 16 copies cost ~10 ms of
// the extension's activation in the real host (a CPU profile of activate(), see bench/).
export const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) =>
      args.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' });
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "export * from 'vscode';", loader: 'js' }));
  },
};
