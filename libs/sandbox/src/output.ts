/** Appends a marker that says how many characters were cut. `value` may already be cut to `limit`. */
export function truncationMarker(totalChars: number, limit: number): string {
  return `\n... [truncated: output was ${totalChars} characters, ${totalChars - limit} cut to fit the limit of ${limit}]`;
}

/** Cuts `value` to `limit` characters and marks the cut; `totalChars` is the length before any cut. */
export function limitChars(value: string, limit: number, totalChars = value.length): string {
  if (totalChars <= limit) return value;
  return value.slice(0, limit) + truncationMarker(totalChars, limit);
}

/**
 * Collects a child's output stream up to `limit` characters and keeps draining (so the child
 * never blocks on a full pipe) while only counting what it drops.
 */
export class CappedText {
  private readonly parts: string[] = [];
  private kept = 0;
  private total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: string): void {
    this.total += chunk.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const piece = chunk.length > room ? chunk.slice(0, room) : chunk;
    this.parts.push(piece);
    this.kept += piece.length;
  }

  toString(): string {
    return limitChars(this.parts.join(''), this.limit, this.total);
  }
}
