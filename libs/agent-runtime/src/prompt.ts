/**
 * System prompt compilation: the agent's system text plus a rendered memory section (core
 * blocks and memory metadata). Pure and cheap: string building only.
 */
import type { MemoryBlock } from './ports';
import { formatLocalTime } from './packing';

/** Where the memory section goes when the system text contains it (Letta's variable name). */
export const MEMORY_PLACEHOLDER = '{CORE_MEMORY}';

export interface MemoryMetadata {
  now: Date;
  timezone?: string | null;
  /** Latest block edit; derived from the blocks' `updatedAt` when omitted. */
  lastMemoryEdit?: Date | null;
  recallMessageCount: number;
  archivalPassageCount: number;
  archiveTags?: string[];
}

export interface CompileInput extends MemoryMetadata {
  system: string;
  blocks: MemoryBlock[];
  /** Rendered tool rules (ToolRulesSolver.describe()). */
  toolRules?: string | null;
  /** Sections placed after the memory blocks (e.g. `<directories>`), already rendered. */
  sections?: string[];
}

const xmlSafeTag = (label: string): string => label.replace(/[^A-Za-z0-9_.-]/g, '_');

/**
 * The memory section renderBlocks writes, as the Jinja template Letta reports in
 * `memory.prompt_template` (Engram renders it in code; this documents the same layout).
 */
export const MEMORY_PROMPT_TEMPLATE = [
  '<memory_blocks>',
  'These blocks make up your core memory; they are always in view and you can edit them with your memory tools.',
  '{% for block in blocks %}',
  '<{{ block.label }}>',
  '{% if block.description %}<description>',
  '{{ block.description }}',
  '</description>{% endif %}',
  '<metadata>',
  '{% if block.read_only %}- read_only=true',
  '{% endif %}- chars_current={{ block.value|length }}',
  '- chars_limit={{ block.limit }}',
  '</metadata>',
  '<value>',
  '{{ block.value }}',
  '</value>',
  '</{{ block.label }}>',
  '{% endfor %}',
  '</memory_blocks>',
].join('\n');

export function renderBlocks(blocks: MemoryBlock[]): string {
  const out: string[] = [
    '<memory_blocks>',
    'These blocks make up your core memory; they are always in view and you can edit them with your memory tools.',
  ];
  for (const b of blocks) {
    const tag = xmlSafeTag(b.label);
    const value = b.value ?? '';
    out.push('', `<${tag}>`);
    if (b.description) out.push('<description>', b.description, '</description>');
    out.push('<metadata>');
    if (b.readOnly) out.push('- read_only=true');
    out.push(`- chars_current=${value.length}`, `- chars_limit=${b.limit}`, '</metadata>');
    out.push('<value>', value, '</value>', `</${tag}>`);
  }
  out.push('</memory_blocks>');
  return out.join('\n');
}

export function renderMemoryMetadata(meta: MemoryMetadata, blocks: MemoryBlock[] = []): string {
  let lastEdit = meta.lastMemoryEdit ?? null;
  if (!lastEdit) {
    for (const b of blocks) if (b.updatedAt && (!lastEdit || b.updatedAt > lastEdit)) lastEdit = b.updatedAt;
  }
  const lines = [
    '<memory_metadata>',
    `- Current date and time: ${formatLocalTime(meta.now, meta.timezone)}`,
    `- Core memory last edited: ${lastEdit ? formatLocalTime(lastEdit, meta.timezone) : 'never'}`,
    `- Recall memory holds ${meta.recallMessageCount} earlier message(s); search them with conversation_search.`,
    `- Archival memory holds ${meta.archivalPassageCount} passage(s); search them with archival_memory_search.`,
  ];
  if (meta.archiveTags?.length) lines.push(`- Archival memory tags in use: ${meta.archiveTags.join(', ')}`);
  lines.push('</memory_metadata>');
  return lines.join('\n');
}

/** The full system prompt text for one LLM call. */
export function compileSystemPrompt(input: CompileInput): string {
  let memory = renderBlocks(input.blocks);
  for (const section of input.sections ?? []) if (section) memory += `\n\n${section}`;
  memory += `\n\n${renderMemoryMetadata(input, input.blocks)}`;
  if (input.toolRules)
    memory += `\n\n<tool_usage_rules>\nFollow these rules when calling tools:\n${input.toolRules}\n</tool_usage_rules>`;
  if (input.system.includes(MEMORY_PLACEHOLDER)) return input.system.split(MEMORY_PLACEHOLDER).join(memory);
  return input.system ? `${input.system}\n\n${memory}` : memory;
}
