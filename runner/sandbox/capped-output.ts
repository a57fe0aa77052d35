/**
 * Bounded capture of a process's output: keeps the first and the last `limit / 2` bytes and
 * counts what was cut, so a flood of output never grows the worker's memory.
 */
export interface CappedText {
  /** Head and tail joined by a marker line when something was cut. */
  readonly text: string;
  /** Total bytes the process wrote. */
  readonly totalBytes: number;
  /** Bytes left out of `text`. */
  readonly cutBytes: number;
}

export class CappedOutput {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private head: Buffer[] = [];
  private headSize = 0;
  private tail: Buffer[] = [];
  private tailSize = 0;
  private total = 0;

  constructor(readonly limit: number) {
    this.headLimit = Math.ceil(limit / 2);
    this.tailLimit = Math.floor(limit / 2);
  }

  get totalBytes(): number {
    return this.total;
  }

  write(chunk: Buffer): void {
    this.total += chunk.length;
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
    return { text, totalBytes: this.total, cutBytes };
  }
}
