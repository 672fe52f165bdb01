// The web console's accounts and sessions (console/auth.ts, ivrctl users), on either engine:
// one box's SQLite file (this file), or the cluster's shared PostgreSQL
// (postgres/console-accounts.ts), where one account logs in on either node, one session is
// good on both (a proxy may send a supervisor's requests to either), and a new password or a
// removed account ends its sessions everywhere at once.
import { ConsoleSessionsRepo, type ConsoleSession } from './console-sessions-repo';
import { ConsoleUsersRepo, type ConsoleRole, type ConsoleUser } from './console-users-repo';
import type { Db } from './database';
import { WriteQueue } from './write-queue';
import { CONSOLE_WRITE } from './console-store';

export interface NewConsoleUser {
  username: string;
  passwordHash: string;
  role: ConsoleRole;
  operator: string | null;
  at: Date;
}

export interface ConsoleAccounts {
  user(username: string): Promise<ConsoleUser | undefined>;
  users(): Promise<ConsoleUser[]>;
  /** false when the username is taken */
  addUser(u: NewConsoleUser): Promise<boolean>;
  /** removing an account ends its sessions; false when there is none */
  removeUser(username: string): Promise<boolean>;
  /** a new password ends the account's sessions: whoever knew the old one is logged out */
  setPassword(username: string, passwordHash: string, at: Date): Promise<boolean>;
  /** the same password under stronger hashing (at a login), kept when it can be (never rejects); the sessions stay */
  rehash(username: string, passwordHash: string, at: Date): Promise<void>;
  /** a new session; the expired ones are cleared on the way */
  startSession(s: ConsoleSession, now: Date): Promise<void>;
  /** the session if it has not expired */
  liveSession(tokenHash: string, now: Date): Promise<ConsoleSession | undefined>;
  /** sliding expiry, kept when it can be (never rejects): one lost only shortens the session */
  extendSession(tokenHash: string, expiresAt: Date): Promise<void>;
  /** a logout: settles once the session is certain to end */
  endSession(tokenHash: string): Promise<void>;
}

/** One box: the SQLite file's tables; the controller's writes go through its write queue. */
export class SqliteConsoleAccounts implements ConsoleAccounts {
  private readonly usersRepo: ConsoleUsersRepo;
  private readonly sessions: ConsoleSessionsRepo;

  constructor(
    db: Db,
    private readonly writes: WriteQueue = new WriteQueue(),
  ) {
    this.usersRepo = new ConsoleUsersRepo(db);
    this.sessions = new ConsoleSessionsRepo(db);
  }

  user = async (username: string): Promise<ConsoleUser | undefined> => this.usersRepo.get(username);
  users = async (): Promise<ConsoleUser[]> => this.usersRepo.list();
  addUser = (u: NewConsoleUser): Promise<boolean> => this.apply('console_user_add', () => this.usersRepo.add(u));
  removeUser = (username: string): Promise<boolean> => this.apply('console_user_remove', () => this.usersRepo.remove(username));
  setPassword = (username: string, hash: string, at: Date): Promise<boolean> => this.apply('console_passwd', () => this.usersRepo.setPassword(username, hash, at));
  rehash = async (username: string, hash: string, at: Date): Promise<void> => this.writes.record('console_rehash', () => this.usersRepo.rehash(username, hash, at));
  liveSession = async (tokenHash: string, now: Date): Promise<ConsoleSession | undefined> => this.sessions.live(tokenHash, now);
  extendSession = async (tokenHash: string, until: Date): Promise<void> => this.writes.record('console_session_extend', () => this.sessions.extend(tokenHash, until));
  endSession = async (tokenHash: string): Promise<void> => this.writes.record('console_logout', () => this.sessions.remove(tokenHash));

  startSession(s: ConsoleSession, now: Date): Promise<void> {
    return this.apply('console_login', () => {
      this.sessions.removeExpired(now);
      this.sessions.add(s);
    });
  }

  private apply<T>(what: string, write: () => T): Promise<T> {
    return this.writes.apply(what, write, CONSOLE_WRITE);
  }
}
