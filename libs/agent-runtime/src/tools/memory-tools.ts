/**
 * Core-memory edit tools as pure functions: (block, args) → new value, or a MemoryEditError the
 * loop reports to the model. Semantics follow Letta's core tool executor.
 */
import { MemoryEditError, type MemoryBlock } from '../ports';

export const MEMORY_EDIT_TOOLS = [
  'core_memory_append',
  'core_memory_replace',
  'memory_replace',
  'memory_insert',
  'memory_rethink',
] as const;
export type MemoryEditTool = (typeof MEMORY_EDIT_TOOLS)[number];

export function isMemoryEditTool(name: string): name is MemoryEditTool {
  return (MEMORY_EDIT_TOOLS as readonly string[]).includes(name);
}

/** Matches the `12: ` / `Line 12: ` prefixes of line-numbered memory views, which must not be copied into edits. */
const LINE_PREFIX = /^(Line )?\d+: /m;

function requireString(args: Record<string, unknown>, ...names: string[]): string {
  for (const n of names) {
    const v = args[n];
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  }
  throw new MemoryEditError(`Missing required argument '${names[0]}'.`, 'invalid');
}

function rejectLinePrefix(value: string, argName: string): void {
  if (LINE_PREFIX.test(value)) {
    throw new MemoryEditError(
      `${argName} starts a line with a line number; line numbers are only for display, leave them out.`,
      'invalid',
    );
  }
}

function checkWritable(block: MemoryBlock): void {
  if (block.readOnly)
    throw new MemoryEditError(
      `Memory block '${block.label}' is read-only and cannot be edited.`,
      'read_only',
    );
}

/** A block's limit counts characters (code points), as the blocks API does: an emoji is one. */
export function checkLimit(block: MemoryBlock, value: string): void {
  let length = 0;
  for (const _ of value) length++;
  if (length > block.limit) {
    throw new MemoryEditError(
      `Edit rejected: memory block '${block.label}' would hold ${length} characters, over its limit of ${block.limit}. Shorten the text or remove something first.`,
      'limit_exceeded',
    );
  }
}

const expandTabs = (s: string): string => s.replace(/\t/g, '        ');

/** Count non-overlapping occurrences. */
function occurrences(hay: string, needle: string): number {
  if (!needle) return 0;
  let n = 0;
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * Compute the new value of `block` for a memory edit tool call. `block` is undefined when the
 * label does not exist (only memory_rethink creates blocks). Throws MemoryEditError.
 */
export function applyMemoryEdit(
  tool: MemoryEditTool,
  block: MemoryBlock | undefined,
  args: Record<string, unknown>,
): string {
  const label = requireString(args, 'label');
  if (!block) {
    if (tool === 'memory_rethink') return requireString(args, 'new_memory');
    throw new MemoryEditError(`No memory block with label '${label}'.`, 'not_found');
  }
  checkWritable(block);
  const current = block.value ?? '';
  let next: string;
  switch (tool) {
    case 'core_memory_append':
      next = `${current}\n${requireString(args, 'content')}`;
      break;
    case 'core_memory_replace': {
      const oldContent = requireString(args, 'old_content');
      const newContent = requireString(args, 'new_content');
      if (!oldContent || !current.includes(oldContent)) {
        throw new MemoryEditError(
          `Text '${oldContent}' was not found in memory block '${label}'.`,
          'conflict',
        );
      }
      next = current.split(oldContent).join(newContent);
      break;
    }
    case 'memory_replace': {
      const oldString = expandTabs(requireString(args, 'old_string', 'old_str'));
      const newString = expandTabs(requireString(args, 'new_string', 'new_str'));
      rejectLinePrefix(oldString, 'old_string');
      rejectLinePrefix(newString, 'new_string');
      const value = expandTabs(current);
      const count = occurrences(value, oldString);
      if (count === 0) {
        throw new MemoryEditError(
          `Nothing replaced: old_string \`${oldString}\` does not appear verbatim in memory block '${label}'.`,
          'conflict',
        );
      }
      if (count > 1) {
        const lines = value
          .split('\n')
          .map((l, i) => (l.includes(oldString) ? i + 1 : 0))
          .filter(Boolean);
        throw new MemoryEditError(
          `Nothing replaced: old_string \`${oldString}\` appears ${count} times (lines ${lines.join(', ')}) in memory block '${label}'; include more surrounding text so it is unique.`,
          'conflict',
        );
      }
      next = value.replace(oldString, () => newString);
      break;
    }
    case 'memory_insert': {
      const text = expandTabs(requireString(args, 'new_string', 'new_str'));
      rejectLinePrefix(text, 'new_string');
      const lines = expandTabs(current).split('\n');
      const raw = args.insert_line;
      let at = raw === undefined || raw === null ? -1 : Number(raw);
      if (!Number.isInteger(at))
        throw new MemoryEditError(`insert_line must be an integer, got ${JSON.stringify(raw)}.`, 'invalid');
      if (at === -1) at = lines.length;
      else if (at < 0 || at > lines.length) {
        throw new MemoryEditError(
          `insert_line ${at} is out of range: use 0..${lines.length}, or -1 to append at the end.`,
          'invalid',
        );
      }
      next = [...lines.slice(0, at), ...text.split('\n'), ...lines.slice(at)].join('\n');
      break;
    }
    case 'memory_rethink': {
      next = requireString(args, 'new_memory');
      rejectLinePrefix(next, 'new_memory');
      break;
    }
  }
  checkLimit(block, next);
  return next;
}
