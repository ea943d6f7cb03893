import { Command, InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { CliError, reportErrors, ServerClient, ServerOptions, withServerOptions } from '../server-client';

interface ImportAfOptions extends ServerOptions {
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
  return withServerOptions(
    new Command('import-af')
      .description('Import a Letta agent file (.af) into a running Engram server; prints the new agent ids')
      .argument('<file>', 'the agent file (JSON, Letta AgentFileSchema)'),
  )
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
    .action((file: string, opts: ImportAfOptions) =>
      reportErrors('import-af', async () => {
        const server = new ServerClient(opts);
        let content: Buffer;
        try {
          content = await readFile(file);
        } catch (err) {
          throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
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
        const body = await server.request<{ agent_ids?: string[] }>('POST', '/v1/agents/import', form);
        console.log(opts.json ? JSON.stringify(body) : (body?.agent_ids ?? []).join('\n'));
      }),
    );
}
