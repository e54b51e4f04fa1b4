import { StringDecoder } from 'node:string_decoder';

/**
 * Student output made safe to read in a terminal or a viewer: control characters (C0 but newline and
 * tab, DEL, C1 such as the 8-bit CSI) and bidirectional overrides become visible `\xNN` / `\u{NNNN}`
 * text, so escape sequences cannot move the cursor, recolour, hide or reorder what a reviewer reads.
 * A line of the student's that starts the way the runner's notes do ("pit-runner", "$ ") is indented
 * with "| ", so in the log only the runner can start a line with them.
 */
export class OutputText {
  readonly #decoder = new StringDecoder('utf8');
  #atLineStart = true;
  #held = '';   // the start of a line, held until it is known not to look like a runner note

  push(chunk: Buffer | string): string {
    const text = this.#held + escape(typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    this.#held = '';
    let out = '';
    let from = 0;
    while (from < text.length) {
      if (this.#atLineStart) {
        const rest = text.slice(from);
        const line = rest.slice(0, rest.indexOf('\n') + 1 || rest.length);
        if (!line.endsWith('\n') && RUNNER_PREFIXES.some((p) => p.startsWith(line) && line.length < p.length)) {
          this.#held = line;
          return out;
        }
        if (RUNNER_PREFIXES.some((p) => line.startsWith(p))) out += '| ';
      }
      const newline = text.indexOf('\n', from);
      const end = newline < 0 ? text.length : newline + 1;
      out += text.slice(from, end);
      this.#atLineStart = newline >= 0;
      from = end;
    }
    return out;
  }

  /** What is still held (an unfinished line start, a split character). */
  end(): string {
    const rest = this.#held + escape(this.#decoder.end());
    this.#held = '';
    return rest;
  }

  /** The runner writes a line of its own: the next student byte starts a line. */
  lineStarted(): void {
    this.#atLineStart = true;
  }
}

export const RUNNER_PREFIXES = ['pit-runner', '$ '];

// C0 but \t and \n, DEL, C1, bidi embeddings/overrides/isolates, and \r unless before \n
const UNSAFE = /\r(?!\n)|[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

function escape(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
