export * from './types';
export { parseGoogleDocstring } from './schema/docstring';
export { derivePythonSchema } from './schema/python';
export { deriveTypeScriptSchema, describeTypeScriptTool } from './schema/typescript';
export { ToolSandbox, SANDBOX_DEFAULTS } from './sandbox';
export type { SandboxOptions, SandboxCapabilities } from './sandbox';
export { limitChars } from './output';
