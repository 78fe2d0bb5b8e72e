import type * as vscode from 'vscode';

const KEY = 'virgo.recentQuestions';
const MAX = 12;

/** The last questions asked, most recent first, kept across sessions. */
export class QuestionHistory {
  constructor(private readonly state: vscode.Memento) {}

  recent(): string[] {
    return this.state.get<string[]>(KEY, []);
  }

  async remember(question: string): Promise<void> {
    const next = [question, ...this.recent().filter((q) => q !== question)].slice(0, MAX);
    await this.state.update(KEY, next);
  }
}
