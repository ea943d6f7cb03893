import { Command, InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

interface ImportAfOptions {
  url?: string;
  apiKey?: string;
  name?: string;
  projectId?: string;
  model?: string;
  embedding?: string;
  secrets?: string;
  stripMessages?: boolean;
  copySuffix: boolean;
  overrideTools: boolean;
  json?: boolean;
}

const DEFAULT_URL = 'http://127.0.0.1:8283';

function parseUrl(value: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(value))
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  return value.replace(/\/+$/, '');
}

function parseSecrets(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"API_KEY": "..."}\'');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArgumentError('expected a JSON object, e.g. \'{"API_KEY": "..."}\'');
  return value;
}

/**
 * `engram import-af <file>`: sends a Letta agent file to a running server's
 * `POST /v1/agents/import` and prints the ids of the agents it created.
 */
export function importAfCommand(): Command {
  return new Command('import-af')
    .description('Import a Letta agent file (.af) into a running Engram server; prints the new agent ids')
    .argument('<file>', 'the agent file (JSON, Letta AgentFileSchema)')
    .option('--url <url>', `the server (sets ENGRAM_URL; default ${DEFAULT_URL})`, parseUrl)
    .option('--api-key <key>', 'credential sent as Authorization: Bearer (sets ENGRAM_API_KEY)')
    .option('--name <name>', "name the imported agent(s) so, instead of the file's names")
    .option('--project-id <id>', 'project to put the agent(s) in')
    .option('--model <handle>', "model handle to use instead of the file's, e.g. openai/gpt-4o-mini")
    .option('--embedding <handle>', "embedding handle to use instead of the file's")
    .option('--secrets <json>', 'values for the agents\u2019 secrets, as a JSON object', parseSecrets)
    .option('--strip-messages', 'leave the message history out')
    .option('--no-copy-suffix', "keep the file's agent names (by default '_copy' is appended, as in Letta)")
    .option(
      '--no-override-tools',
      'keep existing custom tools of the same name instead of replacing their source',
    )
    .option('--json', 'print the server\u2019s answer as JSON')
    .action(async (file: string, opts: ImportAfOptions) => {
      if (opts.url !== undefined) process.env.ENGRAM_URL = opts.url;
      if (opts.apiKey !== undefined) process.env.ENGRAM_API_KEY = opts.apiKey;
      const url = parseUrl(process.env.ENGRAM_URL || DEFAULT_URL);
      let content: Buffer;
      try {
        content = await readFile(file);
      } catch (err) {
        console.error(`engram import-af: cannot read ${file}: ${(err as Error).message}`);
        process.exitCode = 1;
        return;
      }
      const form = new FormData();
      form.append('file', new Blob([content], { type: 'application/json' }), basename(file));
      const fields: Record<string, string | undefined> = {
        name: opts.name,
        project_id: opts.projectId,
        model: opts.model,
        embedding: opts.embedding,
        secrets: opts.secrets,
        strip_messages: opts.stripMessages ? 'true' : undefined,
        append_copy_suffix: String(opts.copySuffix),
        override_existing_tools: String(opts.overrideTools),
      };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) form.append(k, v);
      const key = process.env.ENGRAM_API_KEY;
      let res: Response;
      try {
        res = await fetch(`${url}/v1/agents/import`, {
          method: 'POST',
          headers: key ? { authorization: `Bearer ${key}` } : {},
          body: form,
        });
      } catch (err) {
        const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
        console.error(`engram import-af: cannot reach ${url}: ${cause}`);
        process.exitCode = 1;
        return;
      }
      const text = await res.text();
      let body: { agent_ids?: string[]; detail?: unknown } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        /* not JSON: reported as text below */
      }
      if (!res.ok) {
        const detail = typeof body.detail === 'string' ? body.detail : text.slice(0, 500);
        console.error(`engram import-af: the server answered ${res.status}: ${detail}`);
        process.exitCode = 1;
        return;
      }
      console.log(opts.json ? JSON.stringify(body) : (body.agent_ids ?? []).join('\n'));
    });
}
