/** @engram/agent-runtime — the Letta agent loop as a plain TypeScript library over ports. */
export * from './messages';
export * from './letta-messages';
export * from './message-input';
export * from './packing';
export * from './ports';
export * from './prompt';
export * from './tokens';
export * from './tool-rules';
export * from './summarizer';
export * from './runtime-types';
export { runAgent, AgentStateConflictError, DEFAULT_MAX_STEPS } from './agent-loop';
export * from './tools/definitions';
export * from './tools/agent-types';
export * from './tools/memory-tools';
export { executeBaseTool, type BaseToolContext } from './tools/base-executor';
