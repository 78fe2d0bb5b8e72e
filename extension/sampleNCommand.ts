import * as vscode from 'vscode';
import type * as lsp from '../protocol/lsp';
import { ComparePanel, type ComparePanelDeps } from './comparePanel';
import { readSettings } from './config';
import { chooseImage } from './imageSources';
import type { QuestionHistory } from './questionHistory';
import { ReasoningPanel } from './reasoningPanel';

/** What tests and scripts can pass to `virgo.sampleN` to skip the prompts. */
export interface SampleNOptions {
  count?: number;
  temperature?: number;
  question?: string;
  /** An image file (a Uri or an absolute path); default: the active reasoning panel's image. */
  image?: vscode.Uri | string;
}

/** The `virgo.sampling.*` settings (defaults as in package.json). */
export function readSamplingSettings(): { count: number; temperature: number } {
  const c = vscode.workspace.getConfiguration('virgo.sampling');
  return { count: c.get<number>('count', 5), temperature: c.get<number>('temperature', 0.7) };
}

const COUNTS = [3, 5, 8];
const MAX_COUNT = 16;

/**
 * "Virgo: Sample N Times…": the active reasoning panel's image (or one the user picks) and question
 * (or one typed), asked N times at temperature > 0, compared in a new compare panel.
 */
export async function sampleN(
  deps: ComparePanelDeps & { questions: QuestionHistory },
  arg?: unknown,
): Promise<ComparePanel | undefined> {
  // From a panel's title bar VS Code passes the webview's own (non-file) Uri: that means "this panel's image".
  const options: SampleNOptions = arg instanceof vscode.Uri ? (arg.scheme === 'file' ? { image: arg } : {}) : isOptions(arg) ? arg : {};
  deps.log.info(`sample N times: ${arg instanceof vscode.Uri ? `invoked on ${arg.scheme}:` : isOptions(arg) ? 'with options' : 'from the palette'}`);
  const settings = readSamplingSettings();

  const temperature = options.temperature ?? settings.temperature;
  if (!(temperature > 0)) {
    const open = 'Open Settings';
    const choice = await vscode.window.showErrorMessage(
      `Virgo: sampling needs a temperature above 0 (it is ${temperature}): at 0 every sample is the same trace. Set virgo.sampling.temperature, e.g. to 0.7.`, open);
    if (choice === open) await vscode.commands.executeCommand('workbench.action.openSettings', 'virgo.sampling.temperature');
    return undefined;
  }

  const from = await imageToSample(deps, options.image);
  if (!from) return undefined;

  const count = options.count ?? await pickCount(settings.count);
  if (count === undefined) return undefined;
  if (!Number.isInteger(count) || count < 2 || count > MAX_COUNT) {
    void vscode.window.showErrorMessage(`Virgo: sample between 2 and ${MAX_COUNT} times (asked for ${count}).`);
    return undefined;
  }

  const question = options.question ?? (from.question || await askQuestion(deps.questions));
  if (!question?.trim()) return undefined;
  await deps.questions.remember(question.trim());
  return new ComparePanel(deps, { image: from.image, imagePath: from.imagePath, question, count, temperature });
}

function isOptions(x: unknown): x is SampleNOptions {
  return typeof x === 'object' && x !== null && ['count', 'temperature', 'question', 'image'].some((k) => k in x);
}

/** The image given, else the active reasoning panel's, else one the user picks; prepared by the server. */
async function imageToSample(
  deps: ComparePanelDeps,
  given: vscode.Uri | string | undefined,
): Promise<{ image: lsp.PrepareImageResult; imagePath?: string; question: string } | undefined> {
  if (given === undefined) {
    const prepared = ReasoningPanel.current()?.prepared;
    if (prepared) return prepared;
  }
  const uri = given === undefined ? await chooseImage() : typeof given === 'string' ? vscode.Uri.file(given) : given;
  if (!uri) return undefined;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(`Virgo: ${uri.toString(true)} is not a local file. Save the image to disk first.`);
    return undefined;
  }
  try {
    const image = await deps.server.prepareImage({ source: { path: uri.fsPath }, maxPixels: readSettings().maxPixels });
    return { image, imagePath: uri.fsPath, question: '' };
  } catch (e) {
    void vscode.window.showErrorMessage(`Virgo: ${(e as Error).message}`);
    return undefined;
  }
}

async function pickCount(preferred: number): Promise<number | undefined> {
  const counts = [...new Set([...COUNTS, preferred])].filter((n) => n >= 2 && n <= MAX_COUNT).sort((a, b) => a - b);
  const items = counts.map((n) => ({ label: `${n} samples`, n, description: n === preferred ? 'default (virgo.sampling.count)' : undefined }));
  const pick = vscode.window.createQuickPick<(typeof items)[number]>();
  pick.title = 'Virgo: Sample N Times';
  pick.placeholder = 'How many traces to sample and compare?';
  pick.items = items;
  pick.activeItems = items.filter((i) => i.n === preferred);
  return new Promise((resolve) => {
    pick.onDidAccept(() => { resolve(pick.selectedItems[0]?.n ?? pick.activeItems[0]?.n); pick.hide(); });
    pick.onDidHide(() => { resolve(undefined); pick.dispose(); });
    pick.show();
  });
}

async function askQuestion(questions: QuestionHistory): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: 'Virgo: Sample N Times',
    prompt: 'The question to ask about the image, every time',
    value: questions.recent()[0] ?? '',
    ignoreFocusOut: true,
  });
}
