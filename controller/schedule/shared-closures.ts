// The cluster mode's closures: the shared database's table is the record; each node keeps its
// copy in step (its calls and dispatch passes ask the closures in memory, without a query), as
// the roster is kept (operators/shared-operators.ts). A closure declared on one node is written
// to the shared table first, then every node pulls it: at once the node that took it, the
// others within seconds, each building the closure's message for its own Asterisk.
import type { ClosuresRepo } from '../storage/closures-repo';
import { PgClosuresRepo } from '../storage/postgres/closures-repo';
import type { Pg } from '../storage/postgres/connection';
import { unavailableWhenTransient } from '../storage/postgres/errors';

/** a closure's write not made within this long is rolled back and refused */
const WRITE_MS = 10_000;

export interface ClosureWrite {
  dp: string;
  from: Date;
  until: Date;
  messageIt: string | null;
  messageEn: string | null;
  offerCallback: boolean;
  by: string;
  at: Date;
}

export class SharedClosures {
  private readonly shared = new PgClosuresRepo();

  constructor(
    private readonly pool: Pg,
    private readonly local: ClosuresRepo,
  ) {}

  /** the shared database not reachable, or a bound passed: StorageUnavailable (the sysadmin is told to try again) */
  close(c: ClosureWrite): Promise<number> {
    return unavailableWhenTransient('closure', () => this.shared.close(this.pool, c, WRITE_MS));
  }

  reopen(dp: string, by: string, at: Date): Promise<number> {
    return unavailableWhenTransient('closure_reopen', () => this.shared.reopen(this.pool, dp, by, at));
  }

  /** The node's copy made the shared table's; true when it changed. */
  async pull(): Promise<boolean> {
    return this.local.replaceAll(await this.shared.all(this.pool));
  }
}
