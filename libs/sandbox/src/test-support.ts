import { createServer, Server } from 'node:net';

/** A TCP server on 127.0.0.1 that counts the connections it accepts (to prove a tool made none). */
export async function listeningServer(): Promise<{
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count += 1;
    socket.end('hello\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const SECRET_NAME = 'ENGRAM_SANDBOX_TEST_SECRET';
export const SECRET_VALUE = 'host-secret-7f3a9c';
