// Extension entry point: wires commands and nothing else.
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('virgo.reasonAboutImage', () => {
      void vscode.window.showInformationMessage('Virgo: coming soon');
    }),
  );
}

export function deactivate(): void {}
