import { Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_POLICY, AccessPolicy } from '../common/auth/access.decorator';
import { IS_PUBLIC } from '../common/auth/principal';

/** Every route is served under this prefix (`app.setGlobalPrefix`)... */
export const API_PREFIX = 'v1';
/** ...but these, which keep the paths their tools expect (Prometheus scrapes `/metrics`). */
export const UNPREFIXED_ROUTES = ['metrics'];

export interface RouteInfo {
  /** GET, POST, ... */
  method: string;
  /** Full path with Fastify-style params: `/v1/agents/:agent_id`. */
  path: string;
  controller: string;
  handler: string;
  /** The effective policy (the route's own, else its controller's). */
  policy?: AccessPolicy;
  isPublic: boolean;
}

/**
 * The application's HTTP routes, found through Nest's discovery: what the boot-time
 * default-deny check walks, and what the id-swap test calls, so a route added later is covered
 * without anyone remembering to.
 */
@Injectable()
export class RouteTable {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  list(): RouteInfo[] {
    const routes: RouteInfo[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      const instance = wrapper.instance as object | undefined;
      if (!type || !instance) continue;
      const base = paths(Reflect.getMetadata(PATH_METADATA, type));
      const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = proto[name] as object;
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (sub === undefined || method === undefined) continue;
        const targets = [handler, type] as Array<object>;
        for (const b of base)
          for (const s of paths(sub))
            routes.push({
              method: RequestMethod[method],
              path: join(UNPREFIXED_ROUTES.includes(join(b).slice(1)) ? '' : API_PREFIX, b, s),
              controller: type.name,
              handler: name,
              policy: this.reflector.getAllAndOverride<AccessPolicy | undefined>(
                ACCESS_POLICY,
                targets as never,
              ),
              isPublic: Boolean(this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets as never)),
            });
      }
    }
    return routes;
  }

  /** Routes that declare neither `@Access(...)` nor `@Public()`: default-deny refuses to boot with any. */
  undeclared(): RouteInfo[] {
    return this.list().filter((r) => !r.policy && !r.isPublic);
  }
}

function paths(p: string | string[] | undefined): string[] {
  if (p === undefined) return [''];
  return Array.isArray(p) ? p : [p];
}

function join(...parts: string[]): string {
  const path = parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/');
  return `/${path}`;
}
