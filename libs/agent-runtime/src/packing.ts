/**
 * The small JSON envelopes Letta wraps around non-user text that the model reads: tool results,
 * heartbeats and system alerts. Each carries the local time so the model can reason about time.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hour12: true,
        timeZoneName: 'short',
      });
    } catch {
      f = formatterFor('UTC');
    }
    formatters.set(timezone, f);
  }
  return f;
}

/** `2025-01-31 09:15:02 PM UTC` in the given IANA timezone (UTC when unknown). */
export function formatLocalTime(date: Date, timezone?: string | null): string {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timezone || 'UTC').formatToParts(date)) parts[p.type] = p.value;
  const hour = parts.hour === '24' ? '12' : parts.hour;
  return `${parts.year}-${parts.month}-${parts.day} ${hour}:${parts.minute}:${parts.second} ${parts.dayPeriod ?? ''} ${parts.timeZoneName ?? ''}`
    .replace(/\s+/g, ' ')
    .trim();
}

/** Tool result as the model sees it: `{"status":"OK"|"Failed","message":...,"time":...}`. */
export function packToolResponse(success: boolean, message: unknown, time: string): string {
  return JSON.stringify({ status: success ? 'OK' : 'Failed', message, time });
}

export function unpackToolResponse(packed: string): { status: 'success' | 'error'; message: string } {
  try {
    const parsed = JSON.parse(packed) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const o = parsed as Record<string, unknown>;
      const raw = o.message === undefined ? packed : o.message;
      const message = typeof raw === 'string' ? raw : JSON.stringify(raw);
      return { status: o.status === 'Failed' ? 'error' : 'success', message };
    }
  } catch {
    /* not packed: fall through */
  }
  return { status: 'success', message: packed };
}

export const HIDDEN_PREFIX = '[Automated system note, not shown to the user] ';
export const HEARTBEAT_REQUESTED = `${HIDDEN_PREFIX}A tool was called with request_heartbeat=true; you have control again.`;
export const HEARTBEAT_AFTER_FAILURE = `${HIDDEN_PREFIX}The last tool call failed; you have control again.`;

export function packHeartbeat(reason: string, time: string): string {
  return JSON.stringify({ type: 'heartbeat', reason, time });
}

export function packSystemAlert(message: string, time: string): string {
  return JSON.stringify({ type: 'system_alert', message, time });
}

/** Return the `message` of a packed system alert / user envelope, or the text unchanged. */
export function unpackEnvelope(text: string): string {
  if (!text.startsWith('{')) return text;
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if ((o.type === 'system_alert' || o.type === 'user_message') && typeof o.message === 'string')
      return o.message;
  } catch {
    /* plain text */
  }
  return text;
}
