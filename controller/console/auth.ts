// Console logins and sessions. A session is a random token in an HttpOnly, SameSite=Strict,
// Secure cookie scoped to /console; the database keeps only its SHA-256. Each session has
// its own CSRF token, required on every state change. Failed logins are throttled per
// username so a password cannot be guessed at machine speed.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ConsoleSessionsRepo } from '../storage/console-sessions-repo';
import type { ConsoleUser, ConsoleUsersRepo } from '../storage/console-users-repo';
import { WriteQueue } from '../storage/write-queue';
import { verifyPassword } from './passwords';

export const SESSION_COOKIE = 'ivr_session';
/** a working day: a session in use is extended, an idle one ends */
export const SESSION_TTL_MS = 8 * 3600_000;
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 5 * 60_000;

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
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly users: ConsoleUsersRepo,
    private readonly sessions: ConsoleSessionsRepo,
    private readonly now: () => Date = () => new Date(),
    /** the controller's write queue: a busy database delays a login, never crashes it */
    private readonly writes: WriteQueue = new WriteQueue(),
  ) {}

  async login(username: string, password: string): Promise<LoginResult> {
    const t = this.now().getTime();
    const recent = (this.failures.get(username) ?? []).filter((x) => t - x < FAILURE_WINDOW_MS);
    if (recent.length >= MAX_FAILURES) return { ok: false, reason: 'throttled' };
    const user = this.users.get(username);
    // an unknown user costs the same scrypt as a wrong password: no timing oracle for names
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      this.failures.set(username, [...recent, t]);
      return { ok: false, reason: 'invalid' };
    }
    this.failures.delete(username);
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const session = { tokenHash: sha256(token), username, csrf: randomBytes(24).toString('base64url'), createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString() };
    await this.writes.apply(
      'console_login',
      () => {
        this.sessions.removeExpired(now);
        this.sessions.add(session);
      },
      { deadlineMs: 10_000, failFast: true },
    );
    return { ok: true, token };
  }

  /** The request's session, extended; undefined when absent, expired or its account is gone. */
  session(req: IncomingMessage): Session | undefined {
    const token = cookieValue(req, SESSION_COOKIE);
    if (!token) return undefined;
    const tokenHash = sha256(token);
    const now = this.now();
    const s = this.sessions.live(tokenHash, now);
    const user = s && this.users.get(s.username);
    if (!s || !user) return undefined;
    const until = new Date(now.getTime() + SESSION_TTL_MS);
    this.writes.record('console_session_extend', () => this.sessions.extend(tokenHash, until));
    return { user, csrf: s.csrf, tokenHash };
  }

  logout(s: Session): void {
    this.writes.record('console_logout', () => this.sessions.remove(s.tokenHash));
  }
}

/** Set-Cookie for a new session, or for clearing it (token undefined). */
export function sessionCookie(token: string | undefined): string {
  const base = `${SESSION_COOKIE}=${token ?? ''}; Path=/console; HttpOnly; SameSite=Strict; Secure`;
  return token ? `${base}; Max-Age=${SESSION_TTL_MS / 1000}` : `${base}; Max-Age=0`;
}

// a valid scrypt record of a random password: verifying against it always fails
const DUMMY_HASH = `scrypt$32768$8$1$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;
