import { getMetadataStorage } from 'class-validator';
import { DomainError } from '../common/errors';
import { createValidationPipe } from '../common/validation';
import { agentFileError as bad } from './af-messages';

type Json = Record<string, unknown>;

const validation = createValidationPipe();

/** Validates a plain object of an agent file as `type`, with the pipe request bodies go through; errors name `where`. */
export async function afValidate<T extends object>(type: new () => T, body: Json, where: string): Promise<T> {
  try {
    return (await validation.transform(body, { type: 'body', metatype: type })) as T;
  } catch (e) {
    if (e instanceof DomainError) throw bad(where, e.message.replace(/^Invalid request: /, ''));
    throw e;
  }
}

/**
 * The fields of `o` for the DTO `type`, leaving out the `own` ones. Letta writes every field it
 * has; one Engram does not know passes only when it says nothing (null, false, empty), and is
 * otherwise kept, so validation refuses it by name.
 */
export function afFields(o: Json, own: string[], type: new () => object): Json {
  const knows = knownFields(type);
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (own.includes(k) || (!knows.has(k) && isEmpty(v))) continue;
    out[k] = v;
  }
  return out;
}

const known = new Map<unknown, Set<string>>();

function knownFields(type: new () => object): Set<string> {
  let names = known.get(type);
  if (!names) {
    names = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(type, '', true, false)
        .map((m) => m.propertyName),
    );
    known.set(type, names);
  }
  return names;
}

function isEmpty(v: unknown): boolean {
  return (
    v === null ||
    v === false ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && v !== null && Object.keys(v).length === 0)
  );
}

/** Fails when an id appears twice in one list of the file. */
export function afUnique(kind: string, ids: string[]): void {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw bad(kind, `the id '${id}' appears twice`);
    seen.add(id);
  }
}
