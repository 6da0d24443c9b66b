/**
 * The client's terminal: a node:readline prompt with tab completion when
 * stdin is a TTY, plain line reading when it is piped. `print` writes a line
 * without breaking the one being typed: clear the prompt line, write, then
 * redraw the prompt with the partial input and cursor preserved.
 *
 * @module
 */
import { clearLine, createInterface, cursorTo, type Interface } from "node:readline";

export interface TerminalOptions {
  /** Prompt line and tab completion (stdin is a TTY). */
  interactive: boolean;
  completer?: (line: string) => [string[], string];
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream & { isTTY?: boolean };
}

export class Terminal {
  private readonly rl: Interface;
  private readonly out: NodeJS.WritableStream;
  private readonly interactive: boolean;
  private busy = false;

  constructor(opts: TerminalOptions) {
    this.interactive = opts.interactive;
    this.out = opts.output ?? process.stdout;
    const input = opts.input ?? process.stdin;
    this.rl = opts.interactive
      ? createInterface({ input, output: this.out, terminal: true, completer: opts.completer, historySize: 200 })
      : createInterface({ input, terminal: false });
  }

  /** Input lines, in order; ends at EOF (or Ctrl-D). */
  lines(): AsyncIterableIterator<string> {
    return this.rl[Symbol.asyncIterator]();
  }

  /** Called on Ctrl-C at the prompt. */
  onInterrupt(handler: () => void): void {
    this.rl.on("SIGINT", handler);
  }

  setPrompt(prompt: string): void {
    this.rl.setPrompt(prompt);
  }

  /** Shows the prompt (interactive only); call when ready for the next line. */
  prompt(): void {
    this.busy = false;
    if (this.interactive) this.rl.prompt(true);
  }

  /** Marks a command as running: lines printed meanwhile do not redraw the prompt. */
  working(): void {
    this.busy = true;
  }

  /** Prints one line (or several, separated by newlines) above the input line. */
  print(text: string): void {
    if (!this.interactive) {
      this.out.write(text + "\n");
      return;
    }
    clearLine(this.out, 0);
    cursorTo(this.out, 0);
    this.out.write(text + "\n");
    if (!this.busy) this.rl.prompt(true);
  }

  close(): void {
    this.rl.close();
  }
}
