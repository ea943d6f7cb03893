import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { BadRequestError, InvalidInputError } from './errors';

/**
 * What every request passes before a route sees it. Postgres cannot store NUL characters
 * (error 22021) and turns unpaired UTF-16 surrogates into U+FFFD, and deeply nested JSON
 * overflows the stack of whatever walks it next (validation, class-transformer): so bodies,
 * query strings and path parameters are checked here, once, and refused with a 4xx that
 * names the field instead of failing somewhere inside with a 500.
 */

/** Deepest nesting of arrays and objects a JSON body may have. */
export const MAX_JSON_DEPTH = 64;

export interface InputProblem {
  /** Where, as `messages[0].content` or `label`. */
  path: string;
  problem: string;
  /** 400 for structure (depth), 422 for a bad value. */
  status: 400 | 422;
}

// NUL is exactly what this looks for.
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000\ud800-\udfff]/;

/** What is wrong with one string, if anything: a NUL, or a surrogate half without its pair. */
export function textProblem(s: string): string | undefined {
  if (!SUSPECT.test(s)) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return 'must not contain NUL (\\u0000) characters';
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `contains an unpaired UTF-16 surrogate (\\u${c.toString(16)})`;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return `contains an unpaired UTF-16 surrogate (\\u${c.toString(16)})`;
  }
  return undefined;
}

function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const safe = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${safe}` : safe;
}

/**
 * The first problem in a parsed value: too deep, or a string (value or key) with a NUL or an
 * unpaired surrogate. Walks with an explicit stack, so the depth of the input cannot overflow it.
 */
export function inspectValue(value: unknown, maxDepth = MAX_JSON_DEPTH): InputProblem | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return { path: path || 'body', problem, status: 422 };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) {
      return { path: path || 'body', problem: `is nested deeper than ${maxDepth} levels`, status: 400 };
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ value: v[i], path: child(path, i), depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i];
      const keyProblem = textProblem(key);
      if (keyProblem) return { path: child(path, key), problem: `field name ${keyProblem}`, status: 422 };
      // Prototype poisoning: refused outright, as Fastify's own JSON parser does.
      const value = (v as Record<string, unknown>)[key];
      if (
        key === '__proto__' ||
        (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)
      )
        return { path: child(path, key), problem: 'is a forbidden prototype property', status: 400 };
      stack.push({ value: (v as Record<string, unknown>)[key], path: child(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}

export function problemError(p: InputProblem): Error {
  const message = `Invalid request: ${p.path}: ${p.problem}`;
  return p.status === 400 ? new BadRequestError(message) : new InvalidInputError(message);
}

/**
 * Whether a JSON text nests deeper than `maxDepth` (brackets outside strings), found without
 * parsing it, so a body nested thousands of levels is refused before anything recursive sees
 * it. A regex jumps from one quote, backslash or bracket to the next: long strings cost nothing.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  const special = /["\\[\]{}]/g;
  let depth = 0;
  let inString = false;
  for (let m = special.exec(text); m !== null; m = special.exec(text)) {
    const c = m[0];
    if (inString) {
      if (c === '\\')
        special.lastIndex++; // skip the escaped character
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '[' || c === '{') {
      if (++depth > maxDepth) return true;
    } else if (c === ']' || c === '}') {
      depth--;
    }
  }
  return false;
}

/**
 * Reads and discards what is left of a request body, so a 413 reaches a client that sends its
 * whole body before reading the answer (closing a socket with unread data resets it). Bounded:
 * past `maxBytes` or `maxMs` the connection is simply closed.
 */
export function drainRequest(raw: IncomingMessage, maxBytes: number, maxMs = 10_000): Promise<void> {
  if (raw.complete || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', finish);
      raw.off('error', finish);
      raw.off('close', finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) finish();
    };
    const timer = setTimeout(finish, maxMs);
    raw.on('data', onData);
    raw.on('end', finish);
    raw.on('error', finish);
    raw.on('close', finish);
    raw.resume();
  });
}

/**
 * Installs the checks on the Fastify instance: a JSON parser that refuses bodies nested deeper
 * than `MAX_JSON_DEPTH` (400) and strings with NUL or unpaired surrogates (422), and a hook
 * that refuses the same characters in query strings and path parameters (422).
 */
export function installInputChecks(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '')
      return done(
        new BadRequestError("Body cannot be empty when content-type is set to 'application/json'"),
        undefined,
      );
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      const problem = `is nested deeper than ${MAX_JSON_DEPTH} levels`;
      return done(problemError({ path: 'body', problem, status: 400 }), undefined);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return done(
        new BadRequestError("Body is not valid JSON but content-type is set to 'application/json'"),
        undefined,
      );
    }
    // One walk over the parsed value checks depth, text and prototype keys (in place of
    // secure-json-parse, whose regex scans cost about 20 ms per MB of body).
    const problem = inspectValue(value);
    done(problem ? problemError(problem) : null, value);
  });
  fastify.addHook('preValidation', async (request: FastifyRequest) => {
    for (const [source, value] of [
      ['query parameter', request.query],
      ['path parameter', request.params],
    ] as const) {
      const problem = inspectValue(value, 8);
      if (problem) throw problemError({ ...problem, path: `${source} ${problem.path}` });
    }
    // Bodies of other content types (text/plain) arrive as strings.
    if (typeof request.body === 'string') {
      const problem = textProblem(request.body);
      if (problem) throw problemError({ path: 'body', problem, status: 422 });
    }
  });
}
