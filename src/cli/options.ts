import { InvalidArgumentError } from 'commander';

/** Commander parser for a TCP port option (0 lets the OS pick one). */
export function parsePort(value: string): string {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number, 0-65535');
  return value;
}

/** Commander parser for a comma-separated list of origins (`*` allows any). */
export function parseOrigins(value: string): string {
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of origins) {
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o)) {
      throw new InvalidArgumentError(`"${o}" is not an origin such as https://app.example.com (or *)`);
    }
  }
  if (!origins.length) throw new InvalidArgumentError('expected at least one origin');
  return origins.join(',');
}
