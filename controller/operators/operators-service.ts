// Managing operator accounts: validation against the configuration, the database row, the
// generated PJSIP include and the live reload. Used by ivrctl and at start-up (seeding).
import type { Config, OperatorRole } from '../config/schema';
import { operatorIdSchema, trunkNamed } from '../config/schema';
import { digestHa1 } from '../provisioning/asterisk-includes';
import type { Provisioner } from '../provisioning/provisioner';
import { newSecret } from '../provisioning/secrets';
import type { MetaRepo } from '../storage/meta-repo';
import type { OperatorRow, OperatorsRepo } from '../storage/operators-repo';
import { ValidationError } from '../errors';

/** A SIP password shorter than this is refused: phones register from the office network, and a
 *  digest is guessed offline from one captured REGISTER */
export const MIN_OPERATOR_PASSWORD = 12;

export interface NewOperator {
  id: string;
  dp: string;
  role: OperatorRole;
  unit?: string | undefined;
  password?: string | undefined;
}

/**
 * A new operator checked against the configuration: its row (the password's digest HA1, never
 * the password) and the SIP password, generated when not given. Stored by OperatorsService on
 * one box, in the shared roster by ivrctl in a cluster.
 */
export function newOperatorRow(config: Config, req: NewOperator): { row: { id: string; dp: string; role: OperatorRole; unit: string | null; ha1: string }; password: string } {
  const idCheck = operatorIdSchema.safeParse(req.id);
  if (!idCheck.success) throw new ValidationError(`operator id "${req.id}": ${idCheck.error.issues[0]!.message}`);
  // one PJSIP namespace: an operator named like a trunk would replace the carrier's endpoint
  const trunk = trunkNamed(config.trunks, req.id);
  if (trunk) throw new ValidationError(`operator id "${req.id}" is taken by the trunk "${trunk.id}"`);
  const dp = config.directorates.find((d) => d.id === req.dp);
  if (!dp) throw new ValidationError(`unknown directorate "${req.dp}" (known: ${config.directorates.map((d) => d.id).join(', ')})`);
  if (req.role === 'unit') {
    if (!req.unit) throw new ValidationError('--unit is required with --role unit');
    if (!dp.units.some((u) => u.id === req.unit)) throw new ValidationError(`unknown unit "${req.unit}" of ${dp.id} (known: ${dp.units.map((u) => u.id).join(', ') || 'none'})`);
  } else if (req.unit) {
    throw new ValidationError('--unit is only valid with --role unit');
  }
  if (req.role === 'switchboard' && dp.case !== 'switchboard') throw new ValidationError(`${dp.id} has no switchboard (case "${dp.case}"): use --role staff`);
  const password = req.password ?? newSecret(12);
  if (password.length < MIN_OPERATOR_PASSWORD || /[\s"';]/.test(password))
    throw new ValidationError(`password: at least ${MIN_OPERATOR_PASSWORD} characters, no spaces, quotes or ";"`);
  return { row: { id: req.id, dp: dp.id, role: req.role, unit: req.unit ?? null, ha1: digestHa1(req.id, password) }, password };
}

export class OperatorsService {
  constructor(
    private readonly config: Config,
    private readonly repo: OperatorsRepo,
    private readonly meta: MetaRepo,
    private readonly provisioner: Provisioner,
  ) {}

  list(): OperatorRow[] {
    return this.repo.list();
  }

  /** Checks and stores a new operator; returns the SIP password (generated when not given). */
  create(req: NewOperator): { operator: OperatorRow; password: string } {
    const { row, password } = newOperatorRow(this.config, req);
    if (!this.repo.insert(row)) throw new ValidationError(`operator "${req.id}" already exists`);
    return { operator: this.repo.get(req.id)!, password };
  }

  remove(id: string): void {
    if (!this.repo.remove(id)) throw new ValidationError(`no operator "${id}"`);
  }

  setPaused(id: string, paused: boolean): void {
    if (!this.repo.setPaused(id, paused)) throw new ValidationError(`no operator "${id}"`);
  }

  /**
   * First start of a database: creates the configuration's operators with generated
   * passwords, once (a later removal is not undone by a restart). Returns id/password pairs.
   */
  seedOnce(): Array<{ id: string; password: string }> {
    if (this.config.operators.length === 0 || this.meta.get('operators_seeded')) return [];
    const created: Array<{ id: string; password: string }> = [];
    for (const seed of this.config.operators) {
      if (this.repo.get(seed.id)) continue;
      const { password } = this.create({ ...seed });
      created.push({ id: seed.id, password });
    }
    this.meta.setOnce('operators_seeded', new Date().toISOString());
    return created;
  }

  /** Writes the include and reloads PJSIP in Asterisk (throws AmiError when unreachable). */
  async applyToAsterisk(): Promise<void> {
    await this.provisioner.apply({ forceReload: true });
  }
}
