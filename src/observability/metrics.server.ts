import { createServer, Server } from 'node:http';
import { bearerMatches, METRICS_UNAUTHORIZED } from './metrics-access';
import { MetricsService } from './metrics.service';

export interface MetricsListenerOptions {
  host: string;
  port: number;
  token?: string;
}

/**
 * `/metrics` on a port of its own: the worker's (it has no HTTP server), or the API's when
 * `ENGRAM_METRICS_PORT` keeps scrapes off the public port. Answers nothing else.
 */
export class MetricsListener {
  private server?: Server;

  constructor(
    private readonly metrics: MetricsService,
    private readonly options: MetricsListenerOptions,
  ) {}

  /** The bound port (useful with port 0). */
  get port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async start(): Promise<void> {
    const { token } = this.options;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const json = (status: number, detail: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify({ detail }));
      };
      if (path !== '/metrics') return json(404, `Not found: ${path} (this port serves /metrics only)`);
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, `${req.method} is not allowed`);
      if (token && !bearerMatches(req.headers.authorization, token)) {
        return json(401, METRICS_UNAUTHORIZED, { 'www-authenticate': 'Bearer' });
      }
      this.metrics.render().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        () => json(500, 'Collecting metrics failed'),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
