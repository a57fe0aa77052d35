/**
 * Bounded capture of a process's output: keeps the first and the last `limit / 2` bytes and
 * counts what was cut, so a flood of output never grows the worker's memory.
 *
 * The engine copies a process's stdout and stderr through two pipes, one goroutine each, and
 * the two reach us in whatever order those copies happen to finish: an error printed to stderr
 * after 20 KB of stdout often arrives before much of that stdout, and so lands in the middle
 * that the cap cuts, far from the end that a candidate is shown. With `stderrTailBytes`, the last
 * bytes of stderr are kept apart and, when more than STDERR_NEAR_END_BYTES arrived after them
 * or stdout came between them (an error line and its stack split by a log line), repeated at the
 * end of the text under a label, so the end of a failed step's output always holds its last
 * error lines, whole.
 */
export interface CappedText {
  /** Head and tail joined by a marker line when something was cut. */
  readonly text: string;
  /** Total bytes the process wrote. */
  readonly totalBytes: number;
  /** Bytes left out of `text`. */
  readonly cutBytes: number;
}

/** Stderr whose end lies at most this far from the end of the output is not repeated. */
export const STDERR_NEAR_END_BYTES = 1024;
export const STDERR_REPEATED_LABEL = '--- the end of stderr, repeated here (stdout and stderr arrive separately, so it may also stand higher up) ---';

export class CappedOutput {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private head: Buffer[] = [];
  private headSize = 0;
  private tail: Buffer[] = [];
  private tailSize = 0;
  private total = 0;
  private readonly stderrTailBytes: number;
  private stderrTail = Buffer.alloc(0);
  private stderrBytes = 0;
  /** Where each stderr chunk of the kept tail lies in the output ([start, end) in `total` terms), oldest first. */
  private stderrSpans: Array<[number, number]> = [];

  constructor(readonly limit: number, options: { stderrTailBytes?: number } = {}) {
    this.headLimit = Math.ceil(limit / 2);
    this.tailLimit = Math.floor(limit / 2);
    this.stderrTailBytes = options.stderrTailBytes ?? 0;
  }

  get totalBytes(): number {
    return this.total;
  }

  write(chunk: Buffer, from: 'stdout' | 'stderr' = 'stdout'): void {
    this.total += chunk.length;
    if (from === 'stderr' && this.stderrTailBytes > 0 && chunk.length > 0) this.keepStderr(chunk);
    let rest = chunk;
    if (this.headSize < this.headLimit) {
      const take = rest.subarray(0, this.headLimit - this.headSize);
      this.head.push(Buffer.from(take));
      this.headSize += take.length;
      rest = rest.subarray(take.length);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    if (rest.length >= this.tailLimit) {
      this.tail = [Buffer.from(rest.subarray(rest.length - this.tailLimit))];
      this.tailSize = this.tailLimit;
      return;
    }
    this.tail.push(Buffer.from(rest));
    this.tailSize += rest.length;
    while (this.tailSize - (this.tail[0]?.length ?? 0) >= this.tailLimit) {
      this.tailSize -= this.tail.shift()!.length;
    }
  }

  snapshot(): CappedText {
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.tailLimit) tail = tail.subarray(tail.length - this.tailLimit);
    const head = Buffer.concat(this.head);
    const cutBytes = this.total - head.length - tail.length;
    const text =
      cutBytes > 0
        ? `${head.toString('utf8')}\n… [${cutBytes} bytes cut] …\n${tail.toString('utf8')}`
        : head.toString('utf8') + tail.toString('utf8');
    const stderrEndsAt = this.stderrSpans.at(-1)?.[1] ?? 0;
    const repeated = this.total - stderrEndsAt > STDERR_NEAR_END_BYTES || this.stderrSplit() ? this.stderrEnd() : '';
    return { text: repeated ? `${text}${text.endsWith('\n') ? '' : '\n'}${STDERR_REPEATED_LABEL}\n${repeated}` : text, totalBytes: this.total, cutBytes };
  }

  private keepStderr(chunk: Buffer): void {
    this.stderrBytes += chunk.length;
    this.stderrSpans.push([this.total - chunk.length, this.total]);
    // Only the chunks that still reach into the kept tail count: drop the older ones.
    let first = this.stderrSpans.length - 1;
    for (let kept = 0; first > 0; first--) {
      const [start, end] = this.stderrSpans[first]!;
      kept += end - start;
      if (kept >= this.stderrTailBytes) break;
    }
    this.stderrSpans = this.stderrSpans.slice(first);
    const joined = Buffer.concat([this.stderrTail, chunk]);
    // A copy: a slice would keep a large chunk alive.
    this.stderrTail = Buffer.from(joined.subarray(Math.max(0, joined.length - this.stderrTailBytes)));
  }

  /** Whether other output came between the chunks of the kept end of stderr. */
  private stderrSplit(): boolean {
    return this.stderrSpans.some((span, i) => i > 0 && span[0] !== this.stderrSpans[i - 1]![1]);
  }

  /** The kept end of stderr, from a line start when it was cut, never starting inside a private key block. */
  private stderrEnd(): string {
    let text = this.stderrTail.toString('utf8');
    if (this.stderrBytes > this.stderrTail.length) {
      const nl = text.indexOf('\n');
      text = nl >= 0 && nl < text.length - 1 ? text.slice(nl + 1) : text;
    }
    // A key whose BEGIN line was cut off would escape redaction (runner/report/redact.ts): drop its rest.
    const end = /-----END [A-Z0-9 ]*PRIVATE KEY-----\n?/.exec(text);
    if (end && !text.slice(0, end.index).includes('-----BEGIN')) text = text.slice(end.index + end[0].length);
    return text;
  }
}
