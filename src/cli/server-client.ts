import { Command, InvalidArgumentError } from 'commander';

/** Where `letta server` (and so `engram api`) listens by default. */
export const DEFAULT_URL = 'http://127.0.0.1:8283';

/** Options every command that talks to a running server takes. */
export interface ServerOptions {
  url?: string;
  apiKey?: string;
}

/** A command failed for a reason the user can act on; `main` prints it without a stack. */
export class CliError extends Error {}

export function parseUrl(value: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(value))
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  return value.replace(/\/+$/, '');
}

/** Adds `--url` and `--api-key`, the flags of every command that calls a running server. */
export function withServerOptions(command: Command): Command {
  return command
    .option('--url <url>', `the server (sets ENGRAM_URL; default ${DEFAULT_URL})`, parseUrl)
    .option('--api-key <key>', 'credential sent as Authorization: Bearer (sets ENGRAM_API_KEY)');
}

/**
 * A running Engram server, reached over its REST API with the credential of the flags or the
 * environment. Every failure becomes a `CliError` whose message says what to fix.
 */
export class ServerClient {
  readonly url: string;
  private readonly key: string | undefined;

  constructor(opts: ServerOptions) {
    if (opts.url !== undefined) process.env.ENGRAM_URL = opts.url;
    if (opts.apiKey !== undefined) process.env.ENGRAM_API_KEY = opts.apiKey;
    this.url = parseUrl(process.env.ENGRAM_URL || DEFAULT_URL);
    this.key = process.env.ENGRAM_API_KEY || undefined;
  }

  /** Sends one request; answers the parsed JSON body (undefined when empty) of a 2xx. */
  async request<T>(method: string, path: string, body?: FormData | object): Promise<T> {
    const headers: Record<string, string> = this.key ? { authorization: `Bearer ${this.key}` } : {};
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, { method, headers, body: payload });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new CliError(`cannot reach ${this.url}: ${cause}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: reported as text below */
    }
    if (!res.ok) {
      const detail = (parsed as { detail?: unknown } | undefined)?.detail;
      throw new CliError(
        `the server answered ${res.status}: ${typeof detail === 'string' ? detail : text.slice(0, 500)}`,
      );
    }
    return parsed as T;
  }
}

/** Runs a command's body, printing a `CliError` as `engram <name>: <message>` with exit code 1. */
export async function reportErrors(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    console.error(`engram ${name}: ${err.message}`);
    process.exitCode = 1;
  }
}
