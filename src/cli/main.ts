import 'reflect-metadata';
import { Command } from 'commander';
import { VERSION } from '../common/version';
import { COMMANDS } from './commands';

/** The `engram` program: one subcommand per process or task. */
export function program(): Command {
  const program = new Command('engram')
    .description('Engram: stateful LLM agents over the Letta v1 REST API')
    .version(VERSION)
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nEvery setting is an environment variable (see .env.example); flags set the matching variable.',
    );
  for (const command of COMMANDS) program.addCommand(command());
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  await program().parseAsync(argv);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error((err as Error)?.stack ?? String(err));
    process.exit(1);
  });
}
