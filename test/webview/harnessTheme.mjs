// What VS Code gives every webview before the extension's own CSS: the theme's colours as
// --vscode-* variables (values from the default Dark Modern, Light Modern and Dark High Contrast
// themes) and the workbench's default webview styles. The harness serves this as one stylesheet.

const common = {
  'font-family': '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  'font-weight': 'normal',
  'font-size': '13px',
  'editor-font-family': 'Menlo, Monaco, "Courier New", "DejaVu Sans Mono", monospace',
  'editor-font-weight': 'normal',
  'editor-font-size': '13px',
};

const dark = {
  'editor-background': '#1f1f1f',
  foreground: '#cccccc',
  descriptionForeground: '#9d9d9d',
  errorForeground: '#f85149',
  focusBorder: '#0078d4',
  'widget-border': '#313131',
  'panel-border': '#2b2b2b',
  'editorWidget-background': '#202020',
  'button-background': '#0078d4',
  'button-foreground': '#ffffff',
  'button-border': '#ffffff12',
  'button-hoverBackground': '#026ec1',
  'button-secondaryBackground': '#313131',
  'button-secondaryForeground': '#cccccc',
  'button-secondaryHoverBackground': '#3c3c3c',
  'badge-background': '#616161',
  'badge-foreground': '#f8f8f8',
  'textLink-foreground': '#4daafc',
  'textLink-activeForeground': '#4daafc',
  'textPreformat-foreground': '#d0d0d0',
  'textPreformat-background': '#3c3c3c',
  'textCodeBlock-background': '#2b2b2b',
  'textBlockQuote-background': '#2b2b2b',
  'textBlockQuote-border': '#616161',
  'input-background': '#313131',
  'input-foreground': '#cccccc',
  'input-border': '#3c3c3c',
  'input-placeholderForeground': '#989898',
  'inputValidation-errorBackground': '#5a1d1d',
  'inputValidation-errorBorder': '#be1100',
  'inputValidation-warningBackground': '#352a05',
  'inputValidation-warningBorder': '#b89500',
  'inputValidation-infoBackground': '#063b49',
  'inputValidation-infoBorder': '#007acc',
  'list-hoverBackground': '#2a2d2e',
  'list-inactiveSelectionBackground': '#37373d',
  'toolbar-hoverBackground': '#5a5d5e50',
  'editor-selectionHighlightBackground': '#add6ff26',
  'scrollbarSlider-background': '#79797966',
  'scrollbarSlider-hoverBackground': '#646464b3',
  'scrollbarSlider-activeBackground': '#bfbfbf66',
  'charts-foreground': '#cccccc',
  'charts-red': '#f14c4c',
  'charts-blue': '#3794ff',
  'charts-yellow': '#cca700',
  'charts-orange': '#d18616',
  'charts-green': '#89d185',
  'charts-purple': '#b180d7',
};

const light = {
  'editor-background': '#ffffff',
  foreground: '#3b3b3b',
  descriptionForeground: '#3b3b3b',
  errorForeground: '#f85149',
  focusBorder: '#005fb8',
  'widget-border': '#e5e5e5',
  'panel-border': '#e5e5e5',
  'editorWidget-background': '#f8f8f8',
  'button-background': '#005fb8',
  'button-foreground': '#ffffff',
  'button-border': '#0000001a',
  'button-hoverBackground': '#0258a8',
  'button-secondaryBackground': '#e5e5e5',
  'button-secondaryForeground': '#3b3b3b',
  'button-secondaryHoverBackground': '#cccccc',
  'badge-background': '#cccccc',
  'badge-foreground': '#3b3b3b',
  'textLink-foreground': '#005fb8',
  'textLink-activeForeground': '#005fb8',
  'textPreformat-foreground': '#3b3b3b',
  'textPreformat-background': '#0000001f',
  'textCodeBlock-background': '#f8f8f8',
  'textBlockQuote-background': '#f8f8f8',
  'textBlockQuote-border': '#e5e5e5',
  'input-background': '#ffffff',
  'input-foreground': '#3b3b3b',
  'input-border': '#cecece',
  'input-placeholderForeground': '#767676',
  'inputValidation-errorBackground': '#f2dede',
  'inputValidation-errorBorder': '#be1100',
  'inputValidation-warningBackground': '#f6f5d2',
  'inputValidation-warningBorder': '#b89500',
  'inputValidation-infoBackground': '#d6ecf2',
  'inputValidation-infoBorder': '#007acc',
  'list-hoverBackground': '#f2f2f2',
  'list-inactiveSelectionBackground': '#e4e6f1',
  'toolbar-hoverBackground': '#b8b8b850',
  'editor-selectionHighlightBackground': '#add6ff80',
  'scrollbarSlider-background': '#64646466',
  'scrollbarSlider-hoverBackground': '#646464b3',
  'scrollbarSlider-activeBackground': '#00000099',
  'charts-foreground': '#616161',
  'charts-red': '#e51400',
  'charts-blue': '#1a85ff',
  'charts-yellow': '#bf8803',
  'charts-orange': '#d18616',
  'charts-green': '#388a34',
  'charts-purple': '#652d90',
};

const hc = {
  'editor-background': '#000000',
  foreground: '#ffffff',
  descriptionForeground: '#ffffff',
  errorForeground: '#f48771',
  focusBorder: '#f38518',
  contrastBorder: '#6fc3df',
  contrastActiveBorder: '#f38518',
  'widget-border': '#6fc3df',
  'panel-border': '#6fc3df',
  'editorWidget-background': '#0c141f',
  'button-background': '#000000',
  'button-foreground': '#ffffff',
  'button-border': '#6fc3df',
  'button-secondaryBackground': '#000000',
  'button-secondaryForeground': '#ffffff',
  'badge-background': '#000000',
  'badge-foreground': '#ffffff',
  'textLink-foreground': '#21a6ff',
  'textLink-activeForeground': '#21a6ff',
  'textPreformat-foreground': '#ffffff',
  'textPreformat-background': '#ffffff1a',
  'textCodeBlock-background': '#000000',
  'textBlockQuote-background': '#000000',
  'textBlockQuote-border': '#ffffff',
  'input-background': '#000000',
  'input-foreground': '#ffffff',
  'input-border': '#6fc3df',
  'input-placeholderForeground': '#ffffffb3',
  'inputValidation-errorBackground': '#000000',
  'inputValidation-errorBorder': '#6fc3df',
  'inputValidation-warningBackground': '#000000',
  'inputValidation-warningBorder': '#6fc3df',
  'inputValidation-infoBackground': '#000000',
  'inputValidation-infoBorder': '#6fc3df',
  'scrollbarSlider-background': '#6fc3df99',
  'charts-foreground': '#ffffff',
  'charts-red': '#f48771',
  'charts-blue': '#3794ff',
  'charts-yellow': '#ffd370',
  'charts-orange': '#f38518',
  'charts-green': '#89d185',
  'charts-purple': '#b180d7',
};

/** VS Code's default webview stylesheet (src/vs/workbench/contrib/webview/browser/pre/index.html). */
const defaults = `
html { scrollbar-color: var(--vscode-scrollbarSlider-background) var(--vscode-editor-background); }
body { background-color: transparent; color: var(--vscode-editor-foreground, var(--vscode-foreground));
  font-family: var(--vscode-font-family); font-weight: var(--vscode-font-weight); font-size: var(--vscode-font-size);
  margin: 0; padding: 0 20px; }
img, video { max-width: 100%; max-height: 100%; }
a, a code { color: var(--vscode-textLink-foreground); }
code { font-family: var(--monaco-monospace-font); color: var(--vscode-textPreformat-foreground);
  background-color: var(--vscode-textPreformat-background); padding: 1px 3px; border-radius: 4px; }
blockquote { background: var(--vscode-textBlockQuote-background); border-color: var(--vscode-textBlockQuote-border); }
::-webkit-scrollbar { width: 10px; height: 10px; }
::-webkit-scrollbar-corner { background-color: var(--vscode-editor-background); }
::-webkit-scrollbar-thumb { background-color: var(--vscode-scrollbarSlider-background); }
::-webkit-scrollbar-thumb:hover { background-color: var(--vscode-scrollbarSlider-hoverBackground); }
::-webkit-scrollbar-thumb:active { background-color: var(--vscode-scrollbarSlider-activeBackground); }
`;

export function themeCss(kind) {
  const colors = kind === 'light' ? light : kind === 'hc' ? hc : dark;
  const vars = Object.entries({ ...common, ...colors }).map(([k, v]) => `  --vscode-${k}: ${v};`).join('\n');
  return `:root {\n${vars}\n}\n${defaults}`;
}
