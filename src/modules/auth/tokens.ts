import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

const ISSUER = 'orghub';
const AUDIENCE = 'orghub-api';

export interface AccessClaims {
  userId: string;
  orgId: string;
  role: 'admin' | 'member';
  /** Unix seconds. */
  exp: number;
  /** The login session (refresh token family) the token was issued in, when it names one. */
  sessionId?: string;
}

/** Signs and verifies access tokens: HS256 only, with issuer, audience and expiry checked. */
export interface TokenService {
  issueAccess(user: {
    id: string;
    orgId: string;
    role: 'admin' | 'member';
    sessionId?: string;
  }): Promise<{ token: string; expiresIn: number }>;
  verifyAccess(token: string): Promise<AccessClaims | null>;
  isOperatorToken(token: string): boolean;
}

export function createTokenService(opts: {
  jwtSecret: string;
  adminToken: string;
  accessTtlSec: number;
}): TokenService {
  const key = new TextEncoder().encode(opts.jwtSecret);
  const adminDigest = sha256(opts.adminToken);
  return {
    async issueAccess(user) {
      // `sid` lets a logout end the sockets of that session only (not the user's others).
      const sid = user.sessionId ? { sid: user.sessionId } : {};
      const token = await new SignJWT({ org: user.orgId, role: user.role, ...sid })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(user.id)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setJti(randomBytes(9).toString('base64url'))
        .setExpirationTime(`${opts.accessTtlSec}s`)
        .sign(key);
      return { token, expiresIn: opts.accessTtlSec };
    },
    async verifyAccess(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          requiredClaims: ['sub', 'exp', 'org'],
        });
        const role = payload['role'];
        const org = payload['org'];
        if (typeof org !== 'string' || (role !== 'admin' && role !== 'member') || !payload.sub)
          return null;
        const sid = payload['sid'];
        return {
          userId: payload.sub,
          orgId: org,
          role,
          exp: payload.exp!,
          ...(typeof sid === 'string' && { sessionId: sid }),
        };
      } catch {
        return null;
      }
    },
    isOperatorToken(token) {
      return timingSafeEqual(sha256(token), adminDigest);
    },
  };
}

export const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** A refresh token: 256 random bits; only its SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = `ohrt_${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256(token).toString('hex') };
}

export const hashRefreshToken = (token: string) => sha256(token).toString('hex');
