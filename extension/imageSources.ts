import * as vscode from 'vscode';

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'bmp', 'tif', 'tiff'];

/** VS Code's built-in image preview. */
const IMAGE_PREVIEW = 'imagePreview.previewEditor';

/** The file shown in the active image preview, if the active tab is one. */
export function activeImageFile(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && input.viewType === IMAGE_PREVIEW) return input.uri;
  return undefined;
}

/**
 * The image a command should use: the one it was invoked on (Explorer, image preview title),
 * else one the user picks, starting at the active image preview's file.
 */
export async function chooseImage(invokedOn?: unknown): Promise<vscode.Uri | undefined> {
  if (invokedOn instanceof vscode.Uri) return invokedOn;
  const active = activeImageFile();
  const picked = await vscode.window.showOpenDialog({
    title: 'Virgo: Reason about Image',
    openLabel: 'Reason about Image',
    canSelectMany: false,
    filters: { Images: IMAGE_EXTENSIONS },
    defaultUri: active ?? vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0];
}
