/** Runs the base tools inside the library, through the memory / archival / recall ports. */
import type { ArchivalPort, MemoryBlock, MemoryPort, RecallPort, ToolExecutionResult } from '../ports';
import { MemoryEditError } from '../ports';
import { textOf } from '../messages';
import { formatLocalTime } from '../packing';
import { applyMemoryEdit, isMemoryEditTool } from './memory-tools';

export interface BaseToolContext {
  memory: MemoryPort;
  archival?: ArchivalPort;
  recall?: RecallPort;
  timezone?: string | null;
  /** Called after a block changed so the prompt is recompiled from fresh values. */
  onBlockChanged?(block: MemoryBlock): void;
}

const ok = (funcReturn: unknown): ToolExecutionResult => ({ status: 'success', funcReturn });

function parseDate(value: unknown, name: string, endOfDay: boolean): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const s = String(value);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(s);
  const d = new Date(dateOnly ? `${s}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z` : s);
  if (Number.isNaN(d.getTime()))
    throw new Error(`${name} '${s}' is not a date; use ISO 8601 like 2024-05-01 or 2024-05-01T13:00.`);
  return d;
}

function stringArray(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new Error('Expected a list of strings.');
  return value.map(String);
}

export async function executeBaseTool(
  name: string,
  args: Record<string, unknown>,
  ctx: BaseToolContext,
): Promise<ToolExecutionResult> {
  if (name === 'send_message') return ok('Sent message successfully.');

  if (isMemoryEditTool(name)) {
    const blocks = await ctx.memory.getBlocks();
    const label = typeof args.label === 'string' ? args.label : '';
    const block = blocks.find((b) => b.label === label);
    const value = applyMemoryEdit(name, block, args);
    const saved = await ctx.memory.updateBlockValue(label, value);
    ctx.onBlockChanged?.(saved);
    if (name === 'memory_replace' || name === 'memory_insert') {
      return ok(
        `Memory block '${label}' updated. Check the new contents in your core memory and fix any mistakes (duplicates, wrong indentation) with another edit.`,
      );
    }
    return ok(`Memory block '${label}' updated.`);
  }

  if (name === 'archival_memory_insert') {
    if (!ctx.archival) throw new Error('Archival memory is not available for this agent.');
    const content = args.content;
    if (typeof content !== 'string' || !content) throw new Error("Missing required argument 'content'.");
    await ctx.archival.insert(content, stringArray(args.tags));
    return ok(null);
  }

  if (name === 'archival_memory_search') {
    if (!ctx.archival) throw new Error('Archival memory is not available for this agent.');
    if (typeof args.query !== 'string') throw new Error("Missing required argument 'query'.");
    const mode = args.tag_match_mode === 'all' ? 'all' : 'any';
    const passages = await ctx.archival.search(args.query, {
      tags: stringArray(args.tags),
      tagMatchMode: mode,
      topK: typeof args.top_k === 'number' ? args.top_k : 10,
      startDatetime: parseDate(args.start_datetime, 'start_datetime', false),
      endDatetime: parseDate(args.end_datetime, 'end_datetime', true),
    });
    return ok(
      passages.map((p) => ({
        id: p.id,
        timestamp: formatLocalTime(p.createdAt, ctx.timezone),
        content: p.text,
        tags: p.tags ?? [],
        ...(p.score !== undefined ? { relevance: p.score } : {}),
      })),
    );
  }

  if (name === 'conversation_search') {
    if (!ctx.recall) throw new Error('Conversation history search is not available for this agent.');
    const roles = stringArray(args.roles) as Array<'assistant' | 'user' | 'tool'> | undefined;
    const found = await ctx.recall.search(
      typeof args.query === 'string' && args.query ? args.query : undefined,
      {
        roles,
        limit: typeof args.limit === 'number' && args.limit > 0 ? args.limit : 5,
        startDate: parseDate(args.start_date, 'start_date', false),
        endDate: parseDate(args.end_date, 'end_date', true),
      },
    );
    if (!found.length) return ok({ message: 'No matching messages.', results: [] });
    return ok({
      message: `Found ${found.length} matching message(s).`,
      results: found.map((m) => ({
        timestamp: formatLocalTime(m.createdAt, ctx.timezone),
        role: m.role,
        content: textOf(m),
      })),
    });
  }

  throw new MemoryEditError(`'${name}' is not a base tool.`, 'invalid');
}
