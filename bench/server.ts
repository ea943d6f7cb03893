/**
 * The app in a process of its own, as it runs in production (the clients and the LLM elsewhere):
 * bench/step starts it with `startBenchServer` and measures it from the parent process, which
 * holds the fake LLM and the load. Over IPC it answers the parent's `take` with the SQL
 * statements it sent and the CPU it used since the last `take`; `profile` starts a CPU profile,
 * and with a file, stops it and writes it there; `close` ends it.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { queryCounter, startBenchApp } from './support';

type Request = { cmd: 'take' } | { cmd: 'close' } | { cmd: 'profile'; file?: string };

async function main(): Promise<void> {
  const send = (message: unknown) => process.send?.(message);
  const queries = queryCounter();
  const { app, config, base } = await startBenchApp();
  let cpu = process.cpuUsage();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 }); // µs
  process.on('message', async (message: Request) => {
    if (message.cmd === 'take') {
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      send({ sql: queries.take(), cpuMs: (used.user + used.system) / 1000, sysMs: used.system / 1000 });
    } else if (message.cmd === 'profile') {
      // Without a file: start a CPU profile; with one: stop it and write it there.
      if (!message.file) await session.post('Profiler.start');
      else writeFileSync(message.file, JSON.stringify((await session.post('Profiler.stop')).profile));
      send({});
    } else if (message.cmd === 'close') {
      void app.close().then(() => process.exit(0));
    }
  });
  send({ base, db: config.database.url ? 'postgres' : 'embedded PGlite' });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
