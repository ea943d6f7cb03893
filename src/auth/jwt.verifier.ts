import { Authenticator } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy, StrategyOptionsWithoutRequest } from 'passport-jwt';
import { passportJwtSecret } from 'jwks-rsa';
import type { JwtConfig } from '../config/config';

/** The verified claims Engram reads. */
export interface JwtClaims {
  sub?: unknown;
  org_id?: unknown;
  role?: unknown;
  exp?: unknown;
  [claim: string]: unknown;
}

export type JwtOutcome = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

/**
 * Verifies bearer JWTs with passport-jwt: HS256 with a shared secret, or RS256/ES256 with a PEM
 * public key or the keys of a JWKS URL (fetched through jwks-rsa, cached, rate-limited), plus the
 * optional issuer and audience checks; an expired token fails. Each verifier owns a private
 * passport Authenticator (not the process-wide one), so several apps in one process (tests)
 * cannot overwrite each other's strategy, and the same code serves HTTP and WebSocket callers.
 */
export class JwtVerifier {
  private readonly passport = new Authenticator();

  constructor(config: JwtConfig) {
    const keySource: Record<string, unknown> =
      'secret' in config
        ? { secretOrKey: config.secret }
        : 'publicKey' in config
          ? { secretOrKey: config.publicKey }
          : {
              secretOrKeyProvider: passportJwtSecret({
                jwksUri: config.jwksUrl,
                cache: true,
                cacheMaxAge: 10 * 60_000,
                rateLimit: true,
                jwksRequestsPerMinute: 10,
                timeout: 5_000,
              }),
            };
    this.passport.use(
      'jwt',
      new JwtStrategy(
        {
          jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
          algorithms: config.algorithm === 'HS256' ? ['HS256'] : ['RS256', 'ES256'],
          issuer: config.issuer,
          audience: config.audience,
          ignoreExpiration: false,
          jsonWebTokenOptions: { clockTolerance: 5 },
          ...keySource,
        } as StrategyOptionsWithoutRequest,
        (payload: JwtClaims, done: (err: unknown, user?: JwtClaims) => void) => done(null, payload),
      ),
    );
  }

  verify(token: string): Promise<JwtOutcome> {
    return new Promise((resolve) => {
      const req = { headers: { authorization: `Bearer ${token}` } };
      const done = (err: unknown, user: JwtClaims | false, info?: unknown) => {
        if (err) resolve({ ok: false, reason: describe(err) });
        else if (!user) resolve({ ok: false, reason: describe(info) });
        else resolve({ ok: true, claims: user });
      };
      this.passport.authenticate('jwt', { session: false }, done)(req, {}, (err: unknown) =>
        resolve({ ok: false, reason: describe(err) }),
      );
    });
  }
}

function describe(info: unknown): string {
  if (info instanceof Error) return info.message;
  if (typeof info === 'string') return info;
  return 'invalid token';
}
