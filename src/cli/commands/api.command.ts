import { Command } from 'commander';
import { parseOrigins, parsePort } from '../options';

/** `engram api`: the HTTP server, with the flags of Letta's `letta server`. */
export function apiCommand(): Command {
  return new Command('api')
    .description('Run the API server (HTTP, SSE and WebSocket on one port)')
    .option('--port <port>', 'port to listen on (sets PORT; default 8283)', parsePort)
    .option('--host <host>', 'interface to bind (sets HOST; default 127.0.0.1, 0.0.0.0 in containers)')
    .option(
      '--cors <origins>',
      'set ENGRAM_CORS_ORIGINS (comma-separated origins) for the server',
      parseOrigins,
    )
    .option('--auth', 'set ENGRAM_AUTH=required for the server')
    .action(async (opts: { port?: string; host?: string; cors?: string; auth?: boolean }) => {
      if (opts.port !== undefined) process.env.PORT = opts.port;
      if (opts.host !== undefined) process.env.HOST = opts.host;
      if (opts.cors !== undefined) process.env.ENGRAM_CORS_ORIGINS = opts.cors;
      if (opts.auth) process.env.ENGRAM_AUTH = 'required';
      // Loaded here, so `engram --help` does not load the whole server.
      const { configOrExit, startApi } = await import('../../bootstrap');
      await startApi(configOrExit(process.env));
    });
}
