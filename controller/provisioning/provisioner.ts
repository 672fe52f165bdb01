// Keeps the generated Asterisk files in the state dir in step with the database and the
// configuration, and makes a running Asterisk pick them up without a restart.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema';
import type { OperatorsRepo } from '../storage/operators-repo';
import { amiActions, type AmiCredentials } from '../telephony/ami';
import { renderAsteriskOptions, renderColleagueExtensions, renderDirectorateExtensions, renderPjsipOperators } from './asterisk-includes';
import { SHARED_DIR, SHARED_FILE } from '../storage/private-files';
import { writeFileAtomic } from './files';
import { renderRtpPorts, renderTransports, renderTrunks } from './trunks';
import { ensureSecrets, renderAriUsers, renderManagerUsers, renderPrometheusAuth, type Secrets } from './secrets';

export const includesDir = (stateDir: string): string => path.join(stateDir, 'asterisk');

export class Provisioner {
  constructor(
    private readonly stateDir: string,
    private readonly config: Config,
    private readonly operators: OperatorsRepo,
    /** the cluster mode: this node's id (environment.ts clusterNode) */
    private readonly node?: string,
  ) {}

  get dir(): string {
    return includesDir(this.stateDir);
  }

  /** Writes every generated file; returns the ones whose content changed. */
  writeAll(): { secrets: Secrets; changed: string[] } {
    const secrets = ensureSecrets(this.stateDir);
    const files: Record<string, string> = {
      'asterisk-options.conf': renderAsteriskOptions(this.node),
      'ari-users.conf': renderAriUsers(secrets),
      'manager-users.conf': renderManagerUsers(secrets),
      'prometheus-auth.conf': renderPrometheusAuth(secrets),
      'pjsip-transports.conf': renderTransports(this.config),
      'pjsip-trunks.conf': renderTrunks(this.config),
      'rtp-ports.conf': renderRtpPorts(this.config),
      'pjsip-operators.conf': renderPjsipOperators(this.operators.list(), this.config.cluster),
      'extensions-directorates.conf': renderDirectorateExtensions(this.config),
      'extensions-colleagues.conf': renderColleagueExtensions(this.operators.list()),
    };
    const changed: string[] = [];
    // group-readable by Asterisk's group, which the setgid bit passes on to each file
    mkdirSync(this.dir, { recursive: true });
    if ((statSync(this.dir).mode & 0o7777) !== SHARED_DIR) chmodSync(this.dir, SHARED_DIR);
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(this.dir, name);
      if (existsSync(file) && readFileSync(file, 'utf8') === content) continue;
      // Asterisk (its own user) reads them through its group: see storage/private-files.ts
      writeFileAtomic(file, content, SHARED_FILE);
      changed.push(name);
    }
    return { secrets, changed };
  }

  amiCredentials(secrets: Secrets): AmiCredentials {
    return { host: this.config.asterisk.amiHost, port: this.config.asterisk.amiPort, user: secrets.ami.user, secret: secrets.ami.secret };
  }

  /**
   * Regenerates and, when something changed, reloads the affected Asterisk modules over AMI.
   * Throws AmiError when Asterisk is not reachable: the files are written anyway and a
   * starting Asterisk reads them.
   */
  async apply(opts: { forceReload?: boolean } = {}): Promise<string[]> {
    const { secrets, changed } = this.writeAll();
    // forceReload: an earlier change may have been written while Asterisk was unreachable
    const force = !!opts.forceReload;
    const reloads: Array<Record<string, string>> = [];
    if (force || changed.includes('pjsip-operators.conf') || changed.includes('pjsip-trunks.conf')) reloads.push({ action: 'Reload', module: 'res_pjsip.so' });
    if (changed.includes('prometheus-auth.conf')) reloads.push({ action: 'Reload', module: 'res_prometheus.so' });
    // a new or removed operator is also a colleague to call
    if (force || changed.includes('extensions-directorates.conf') || changed.includes('extensions-colleagues.conf')) reloads.push({ action: 'Reload', module: 'pbx_config.so' });
    if (reloads.length > 0) await amiActions(this.amiCredentials(secrets), reloads);
    return changed;
  }
}
