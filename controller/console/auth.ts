// Console logins and sessions. A session is a random token in an HttpOnly, SameSite=Strict,
// Secure cookie scoped to /console; the database keeps only its SHA-256. Each session has
// its own CSRF token, required on every state change. It ends after SESSION_TTL_MS unused
// and SESSION_MAX_MS after the login whatever its use. Failed logins are throttled per
// username and per source address (login-throttle.ts). A password hashed with weaker
// parameters than today's is re-hashed at its next successful login.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ConsoleAccounts } from '../storage/console-accounts';
import type { ConsoleUser } from '../storage/console-users-repo';
import { LoginThrottle } from './login-throttle';
import { hashPassword, needsRehash, PARAMS, verifyPassword } from './passwords';

export const SESSION_COOKIE = 'ivr_session';
/** a working day: a session in use is extended, an idle one ends */
export const SESSION_TTL_MS = 8 * 3600_000;
/** a session ends this long after its login, in use or not */
export const SESSION_MAX_MS = 12 * 3600_000;

export interface Session {
  user: ConsoleUser;
  csrf: string;
  tokenHash: string;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export function sameToken(a: string | undefined, b: string): boolean {
  const x = Buffer.from(a ?? '');
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type LoginResult = { ok: true; token: string } | { ok: false; reason: 'invalid' | 'throttled' };

export class ConsoleAuth {
  constructor(
    /** the accounts and sessions: the node's file, or the cluster's shared database */
    private readonly accounts: ConsoleAccounts,
    private readonly now: () => Date = () => new Date(),
    private readonly throttle: LoginThrottle = new LoginThrottle(),
  ) {}

  /** `source`: the client's address, for the per-source limit */
  async login(username: string, password: string, source = 'unknown'): Promise<LoginResult> {
    const place = this.throttle.begin(username, source);
    if (!place) return { ok: false, reason: 'throttled' };
    const user = await this.accounts.user(username);
    // an unknown user costs the same scrypt as a wrong password: no timing oracle for names
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) return { ok: false, reason: 'invalid' };
    place.release();
    if (needsRehash(user.passwordHash)) {
      const stronger = await hashPassword(password);
      // not waited for: the login does not depend on it
      void this.accounts.rehash(username, stronger, this.now());
    }
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const session = {
      tokenHash: sha256(token),
      username,
      csrf: randomBytes(24).toString('base64url'),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    };
    await this.accounts.startSession(session, now);
    return { ok: true, token };
  }

  /** The request's session, extended; undefined when absent, expired or its account is gone. */
  async session(req: IncomingMessage): Promise<Session | undefined> {
    const token = cookieValue(req, SESSION_COOKIE);
    if (!token) return undefined;
    const tokenHash = sha256(token);
    const now = this.now();
    const s = await this.accounts.liveSession(tokenHash, now);
    const user = s && (await this.accounts.user(s.username));
    if (!s || !user) return undefined;
    const end = Date.parse(s.createdAt) + SESSION_MAX_MS;
    if (now.getTime() >= end) return undefined;
    const until = new Date(Math.min(now.getTime() + SESSION_TTL_MS, end));
    void this.accounts.extendSession(tokenHash, until);
    return { user, csrf: s.csrf, tokenHash };
  }

  /** Whether a session still stands (a live page's stream ends when it does not). */
  async stillValid(tokenHash: string): Promise<boolean> {
    const now = this.now();
    const s = await this.accounts.liveSession(tokenHash, now);
    return !!s && !!(await this.accounts.user(s.username)) && now.getTime() < Date.parse(s.createdAt) + SESSION_MAX_MS;
  }

  /** Settles once the session is certain to end. */
  logout(s: Session): Promise<void> {
    return this.accounts.endSession(s.tokenHash);
  }
}

/** Set-Cookie for a new session, or for clearing it (token undefined). */
export function sessionCookie(token: string | undefined): string {
  const base = `${SESSION_COOKIE}=${token ?? ''}; Path=/console; HttpOnly; SameSite=Strict; Secure`;
  return token ? `${base}; Max-Age=${SESSION_TTL_MS / 1000}` : `${base}; Max-Age=0`;
}

// a valid scrypt record of a random password: verifying against it always fails
const DUMMY_HASH = `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;
