/** One Server-Sent Event: `event` is `message` when the server named none. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * An incremental parser of the `text/event-stream` format: feed it text as it arrives, in pieces
 * of any size, and it returns the events completed so far. Comments (`: ping`) are skipped.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private skipLineFeed = false;
  private started = false;

  push(text: string): SseEvent[] {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    // A CR that ended the last piece may be the first half of a CRLF.
    if (this.skipLineFeed && text.startsWith('\n')) text = text.slice(1);
    if (text.length > 0) this.skipLineFeed = false;
    this.buffer += text;

    const events: SseEvent[] = [];
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineEnd.exec(this.buffer); match; match = lineEnd.exec(this.buffer)) {
      if (match[0] === '\r' && lineEnd.lastIndex === this.buffer.length) this.skipLineFeed = true;
      this.line(this.buffer.slice(start, match.index), events);
      start = lineEnd.lastIndex;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0)
        events.push({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}
