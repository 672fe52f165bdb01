// Failed console logins, throttled per username and per source address, so that a password
// can be guessed neither at machine speed on one account nor by spraying one password over
// many accounts. An attempt takes its place *before* the slow password check (atomically, in
// the event loop's turn), so parallel attempts cannot all pass the check together; a success
// gives its place back. Memory is bounded: the least recently seen keys are forgotten first.

export interface ThrottleLimits {
  perUser: number;
  perSource: number;
  windowMs: number;
  /** keys (usernames and sources) remembered at most */
  maxKeys: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = { perUser: 5, perSource: 20, windowMs: 5 * 60_000, maxKeys: 10_000 };

export class LoginThrottle {
  private readonly seen = new Map<string, number[]>();

  constructor(
    private readonly limits: ThrottleLimits = DEFAULT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a place for an attempt; undefined when the user or the source is over its limit. */
  begin(username: string, source: string): { release(): void } | undefined {
    const t = this.now();
    const user = this.recent(`u:${username}`, t);
    const src = this.recent(`s:${source}`, t);
    if (user.length >= this.limits.perUser || src.length >= this.limits.perSource) return undefined;
    user.push(t);
    src.push(t);
    this.store(`u:${username}`, user);
    this.store(`s:${source}`, src);
    return {
      // the password was right: this attempt was no failure
      release: () => {
        for (const key of [`u:${username}`, `s:${source}`]) {
          const list = this.seen.get(key);
          const i = list?.indexOf(t) ?? -1;
          if (list && i >= 0) list.splice(i, 1);
        }
      },
    };
  }

  get size(): number {
    return this.seen.size;
  }

  private recent(key: string, t: number): number[] {
    return (this.seen.get(key) ?? []).filter((x) => t - x < this.limits.windowMs);
  }

  private store(key: string, list: number[]): void {
    // re-inserted: the Map's order is the order keys were last seen in
    this.seen.delete(key);
    this.seen.set(key, list);
    while (this.seen.size > this.limits.maxKeys) this.seen.delete(this.seen.keys().next().value!);
  }
}
