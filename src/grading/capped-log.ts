import { OutputText } from './log-text.js';

/**
 * The log of one submission: stdout and stderr in arrival order, bounded in memory. The first half
 * of `maxBytes` is kept as it comes (where the compiler complains), the second half is a ring
 * buffer of the latest bytes (where the test summary is); what falls between is counted and cut.
 */
export class CappedLog {
  readonly #headMax: number;
  readonly #tailMax: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #ring: Buffer | undefined;
  #ringEnd = 0;          // next write position in the ring
  #ringBytes = 0;        // bytes held in the ring (≤ tailMax)
  #bytes = 0;
  #endsWithNewline = true;
  #header = Buffer.alloc(0);
  readonly #output = new OutputText();

  constructor(maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 2) throw new RangeError(`CappedLog needs maxBytes ≥ 2 (got ${maxBytes})`);
    this.#headMax = Math.floor(maxBytes / 2);
    this.#tailMax = maxBytes - this.#headMax;
  }

  /** Total bytes written (before capping), runner notes included. */
  get bytes(): number { return this.#bytes; }

  get truncated(): boolean { return this.#bytes > this.#headMax + this.#tailMax; }

  /** Output of the student's processes: neutralised (see OutputText) before it is kept. */
  write(chunk: Buffer | string): void {
    this.#append(this.#output.push(chunk));
  }

  #append(text: string): void {
    let data = Buffer.from(text);
    if (data.length === 0) return;
    this.#bytes += data.length;
    this.#endsWithNewline = data[data.length - 1] === 0x0a;
    const headRoom = this.#headMax - this.#headBytes;
    if (headRoom > 0) {
      const taken = data.subarray(0, headRoom);
      this.#head.push(Buffer.from(taken));
      this.#headBytes += taken.length;
      data = data.subarray(taken.length);
    }
    if (data.length > 0) this.#toRing(data);
  }

  /** A line of the runner's own (e.g. "$ mvn test"), always on a line of its own. */
  note(line: string): void {
    this.#append(this.#output.end());
    this.#append(`${this.#endsWithNewline ? '' : '\n'}${line}\n`);
    this.#output.lineStarted();
  }

  /** The runner's lines the log starts with, whatever came before (outside the cap and the byte count). */
  header(lines: string[]): void {
    this.#header = Buffer.from(lines.map((line) => `${line}\n`).join(''));
  }

  /** Header, head, then (when something was cut) a marker naming how much, then the tail. */
  toBuffer(): Buffer {
    this.#append(this.#output.end());
    const tail = this.#tail();
    if (!this.truncated) return Buffer.concat([this.#header, ...this.#head, tail]);
    const cut = this.#bytes - this.#headBytes - tail.length;
    const aligned = skipUtf8Continuation(tail);
    const marker = Buffer.from(`\n… [${cut + tail.length - aligned.length} bytes cut] …\n`);
    return Buffer.concat([this.#header, ...this.#head, marker, aligned]);
  }

  #toRing(data: Buffer): void {
    this.#ring ??= Buffer.alloc(this.#tailMax);
    const ring = this.#ring;
    if (data.length >= ring.length) {
      data.copy(ring, 0, data.length - ring.length);
      this.#ringEnd = 0;
      this.#ringBytes = ring.length;
      return;
    }
    const first = Math.min(data.length, ring.length - this.#ringEnd);
    data.copy(ring, this.#ringEnd, 0, first);
    data.copy(ring, 0, first);
    this.#ringEnd = (this.#ringEnd + data.length) % ring.length;
    this.#ringBytes = Math.min(ring.length, this.#ringBytes + data.length);
  }

  #tail(): Buffer {
    const ring = this.#ring;
    if (!ring || this.#ringBytes === 0) return Buffer.alloc(0);
    if (this.#ringBytes < ring.length) return Buffer.from(ring.subarray(0, this.#ringBytes));
    return Buffer.concat([ring.subarray(this.#ringEnd), ring.subarray(0, this.#ringEnd)]);
  }
}

/** The tail starts wherever the ring wrapped: drop a split UTF-8 character's leftover bytes. */
function skipUtf8Continuation(buffer: Buffer): Buffer {
  let start = 0;
  while (start < Math.min(3, buffer.length) && ((buffer[start] ?? 0) & 0xc0) === 0x80) start++;
  return buffer.subarray(start);
}
