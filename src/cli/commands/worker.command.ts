import { Command } from 'commander';
import { parsePort } from '../options';

/** `engram worker`: background work (queues) without an HTTP server. */
export function workerCommand(): Command {
  return new Command('worker')
    .description('Run the background worker (needs DATABASE_URL and REDIS_URL)')
    .option(
      '--metrics-port <port>',
      "port of the worker's /metrics (sets ENGRAM_METRICS_PORT; default 9464)",
      parsePort,
    )
    .action(async (opts: { metricsPort?: string }) => {
      if (opts.metricsPort !== undefined) process.env.ENGRAM_METRICS_PORT = opts.metricsPort;
      const { configOrExit, startWorker } = await import('../../bootstrap');
      await startWorker(configOrExit(process.env));
    });
}
