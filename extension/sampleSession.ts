import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as vscode from 'vscode';
import { backendSelection } from './config';
import type { LocalBackend } from './localBackend';

const SAMPLE_BACKEND = 'sample replay';

/**
 * "Virgo: Try a Sample (No GPU Needed)": serves the recorded sample session with the CLI's replay
 * backend (a vLLM-shaped server, started as the local backend), then asks the sample diagram its
 * question, so a new user sees a real long thought stream before configuring any GPU backend.
 */
export async function trySample(context: vscode.ExtensionContext, local: LocalBackend): Promise<void> {
  const recordingPath = context.asAbsolutePath('media/samples/right-triangle.recording.json');
  const image = vscode.Uri.file(context.asAbsolutePath('media/samples/right-triangle.png'));
  const { question } = JSON.parse(await fs.readFile(recordingPath, 'utf8')) as { question: string };
  if (backendSelection.localBackend?.name !== SAMPLE_BACKEND) {
    if (local.running) {
      void vscode.window.showInformationMessage('Virgo: a local backend is running; stop it (Virgo: Stop Local Backend) to try the sample replay, or ask your own backend about the sample image.');
      return;
    }
    const port = await freePort();
    const cli = context.asAbsolutePath('dist/virgo.js');
    const started = await local.start({
      name: SAMPLE_BACKEND,
      label: 'replay',
      command: `"${process.execPath}" "${cli}" replay "${recordingPath}" --port ${port}`,
      port,
      // VS Code's own executable runs as plain Node with this (code-server's is Node already).
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
    if (!started) return;
  }
  await vscode.commands.executeCommand('virgo.reasonAboutImage', image, { question });
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => ok(port));
    }).on('error', fail);
  });
}
