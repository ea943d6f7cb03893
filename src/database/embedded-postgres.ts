import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface EmbeddedPostgresOptions {
  /** A folder to keep the database in (created if missing), or `memory://` for a throw-away one. */
  dataDir: string;
  /** TCP port to listen on; 0 (the default) lets the OS pick a free one. */
  port?: number;
  /** Interface to bind; keep it on loopback, there is no authentication. */
  host?: string;
}

export interface EmbeddedPostgres {
  /** `postgres://postgres@host:port/postgres`, ready for `pg` / TypeORM. */
  url: string;
  /** Closes client connections, the listening socket and the database (flushed to disk). */
  stop(): Promise<void>;
}

/**
 * The pool size a `pg` / TypeORM client must use against the embedded server.
 *
 * PGlite is one Postgres backend, i.e. one session. The socket server lets several connections
 * in and forwards their protocol messages to that single session one at a time (keeping an
 * open transaction's connection first), so they share `SET`s, temp tables, the unnamed
 * prepared statement and portal. When a query's messages arrive in more than one TCP chunk
 * (large parameters, e.g. batches of embeddings), another connection's query can land in the
 * middle: seen as "bind message supplies 2 parameters, but prepared statement "" requires 1".
 * With one connection, transactions are safe: the pool lends it to one transaction at a time
 * and queues every other query until it is released; so a query that does not go through the
 * transaction's own manager/runner while the transaction is open waits forever.
 */
export const EMBEDDED_POOL_SIZE = 1;

/**
 * Connections the socket server accepts at once. Only one may be in use (see
 * EMBEDDED_POOL_SIZE); the spare slot covers the moment when a pool drops an idle connection
 * and opens the next before the server has noticed the first one closing. With a limit of 1
 * that new connection is cut at once ("Connection terminated unexpectedly"): measured at 170
 * failures in 400 queries from a pool whose idle timeout kept expiring.
 */
const SOCKET_MAX_CONNECTIONS = 2;

interface WorkerInput {
  modules: { pglite: string; vector: string; socket: string };
  dataDir: string;
  host: string;
  port: number;
  maxConnections: number;
}

type WorkerMessage =
  { type: 'ready'; conn: string } | { type: 'stopped' } | { type: 'error'; message: string };

/**
 * Runs in a worker thread (plain CommonJS, given as source so it needs no build step):
 * PGlite executes queries synchronously in WebAssembly, so off the main thread it never
 * stalls the HTTP event loop; and PGlite's loader uses dynamic `import()`, which Jest's
 * module sandbox refuses but a worker thread runs natively.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.modules.pglite);
const { vector } = require(workerData.modules.vector);
const { PGLiteSocketServer } = require(workerData.modules.socket);

async function main() {
  const db = await PGlite.create(workerData.dataDir, { extensions: { vector } });
  let server;
  try {
    await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
    server = new PGLiteSocketServer({
      db, host: workerData.host, port: workerData.port, maxConnections: workerData.maxConnections,
    });
    // One session serves every connection in turn: give each new connection a clean one, as a
    // real server would (prepared statements, SETs, temp tables, advisory locks).
    server.addEventListener('connection', () => {
      db.exec('DISCARD ALL').catch(() => undefined);
    });
    await server.start();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  parentPort.once('message', async () => {
    try {
      await server.stop();
      if (!db.closed) await db.close();
      parentPort.postMessage({ type: 'stopped' });
    } catch (err) {
      parentPort.postMessage({ type: 'error', message: String((err && err.stack) || err) });
    }
    parentPort.close();
  });
  parentPort.postMessage({ type: 'ready', conn: server.getServerConn() });
}
main().catch((err) => {
  parentPort.postMessage({ type: 'error', message: String((err && err.stack) || err) });
  parentPort.close();
});
`;

/**
 * Starts PGlite (Postgres compiled to WebAssembly) with pgvector in a worker thread, and serves
 * it on a loopback TCP port with the Postgres wire protocol, so that the ordinary `pg` driver,
 * and TypeORM on top of it, connect as to any server. Used when no DATABASE_URL is configured.
 * Clients must use a pool of EMBEDDED_POOL_SIZE (1) connection.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const host = options.host ?? '127.0.0.1';
  const inMemory = options.dataDir.startsWith('memory://');
  const dataDir = inMemory ? options.dataDir : resolve(options.dataDir);
  if (!inMemory) await mkdir(dataDir, { recursive: true });

  const workerData: WorkerInput = {
    modules: {
      pglite: require.resolve('@electric-sql/pglite'),
      vector: require.resolve('@electric-sql/pglite-pgvector'),
      socket: require.resolve('@electric-sql/pglite-socket'),
    },
    dataDir,
    host,
    port: options.port ?? 0,
    maxConnections: SOCKET_MAX_CONNECTIONS,
  };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });

  // Every reply of the worker, and its end, in order; `next()` waits for the following one.
  const replies: WorkerMessage[] = [];
  let wake: (() => void) | undefined;
  let exited = false;
  const push = (m: WorkerMessage) => {
    replies.push(m);
    wake?.();
  };
  worker.on('message', push);
  worker.on('error', (err) => push({ type: 'error', message: err.stack ?? String(err) }));
  const exit = new Promise<void>((done) =>
    worker.once('exit', () => {
      exited = true;
      wake?.();
      done();
    }),
  );
  const next = async (): Promise<WorkerMessage> => {
    while (replies.length === 0) {
      if (exited) return { type: 'error', message: 'the embedded Postgres worker exited' };
      await new Promise<void>((w) => (wake = w));
    }
    return replies.shift()!;
  };

  const started = await next();
  if (started.type !== 'ready') {
    await worker.terminate();
    throw new Error(
      `embedded Postgres did not start in ${dataDir}: ${'message' in started ? started.message : started.type}`,
    );
  }
  const port = Number(started.conn.split(':').pop());
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (!exited) worker.postMessage('stop');
      const reply = await next();
      await exit;
      if (reply.type === 'error' && !reply.message.endsWith('exited')) {
        throw new Error(`embedded Postgres did not stop cleanly: ${reply.message}`);
      }
    })());

  return { url: `postgres://postgres@${urlHost}:${port}/postgres`, stop };
}
