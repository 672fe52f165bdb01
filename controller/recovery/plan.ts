// What a controller does with the calls a dead predecessor left in Asterisk (after a kill or
// a crash the channels stay in the Stasis application, bridges and all). Pure: it sees the
// orphan channels (in the application, routed by no flow of this process) and the bridges,
// and decides, per conversation:
//  - a caller bridged with an official who answered (an operator, an internal unit's
//    official, a callback's operator) is KEPT: two people talking are not cut off because
//    the software restarted; the new controller only ends the call when one side hangs up;
//  - a caller on hold during a transfer whose operator still waits in the bridge goes BACK
//    to the operator (what happens when the unit does not answer);
//  - any other inbound caller (in the menu, at the offer, typing a number, while phones
//    ring) hears the dialplan apology instead of silence;
//  - every other channel (phones still ringing, an official in wrap-up, a callback's caller
//    not yet put through: the dispatcher accounts for that attempt) is hung up;
//  - bridges nobody is kept in are destroyed.
// A channel's Stasis arguments say whose it is: ["inbound", dp] is a caller (the call's id
// is the channel's), ["leg", callId] an official's phone for that call, ["callback", id]
// the callback's legs (the caller's channel id starts "cbcl-").

export interface OrphanChannel {
  id: string;
  /** Stasis application arguments, [] when unknown */
  args: string[];
  /** answered (ARI state "Up") */
  up: boolean;
}

export interface BridgeView {
  id: string;
  channels: string[];
}

export interface KeptConversation {
  bridgeId: string;
  /** every channel that stays, the caller first */
  channels: string[];
  caller: string;
  /** the inbound call's id (its row in calls), null for a callback */
  callId: string | null;
  /** the caller is not in the bridge yet (a transfer was interrupted): add them */
  rejoin: boolean;
}

export interface RecoveryPlan {
  keep: KeptConversation[];
  /** inbound callers handed to the dialplan apology */
  fallback: string[];
  hangup: string[];
  destroyBridges: string[];
}

interface Owner {
  key: string;
  role: 'caller' | 'official';
  callId: string | null;
}

function ownerOf(ch: OrphanChannel): Owner {
  const [kind, ref] = ch.args;
  if (kind === 'inbound') return { key: `call:${ch.id}`, role: 'caller', callId: ch.id };
  if (kind === 'leg' && ref) return { key: `call:${ref}`, role: 'official', callId: ref };
  if (kind === 'callback' && ref) return { key: `cb:${ref}`, role: ch.id.startsWith('cbcl-') ? 'caller' : 'official', callId: null };
  // arguments unknown: a leg of ours by its id, otherwise treated as a caller (apology)
  const leg = ch.id.startsWith('leg-') || ch.id.startsWith('cb');
  return { key: `solo:${ch.id}`, role: leg ? 'official' : 'caller', callId: null };
}

/**
 * @param destroyEmpty also destroy bridges with no channel at all (only safe at a process's
 *   first connection: later, a live flow may have just created one)
 */
export function planRecovery(orphans: OrphanChannel[], bridges: BridgeView[], destroyEmpty: boolean): RecoveryPlan {
  const orphanIds = new Map(orphans.map((c) => [c.id, c]));
  // only bridges that hold nothing but orphans are ours to decide on
  const mine = bridges.filter((b) => (b.channels.length === 0 ? destroyEmpty : b.channels.every((c) => orphanIds.has(c))));
  const bridgeOf = new Map<string, BridgeView>();
  for (const b of mine) for (const c of b.channels) bridgeOf.set(c, b);

  const groups = new Map<string, Array<OrphanChannel & Owner>>();
  for (const ch of orphans) {
    const o = ownerOf(ch);
    groups.set(o.key, [...(groups.get(o.key) ?? []), { ...ch, ...o }]);
  }

  const plan: RecoveryPlan = { keep: [], fallback: [], hangup: [], destroyBridges: [] };
  const stays = new Set<string>();
  for (const members of groups.values()) {
    const caller = members.find((m) => m.role === 'caller');
    if (!caller?.up) continue;
    const together = bridgeOf.get(caller.id);
    const others = together?.channels.filter((c) => c !== caller.id && orphanIds.get(c)?.up && !stays.has(c)) ?? [];
    let kept: KeptConversation | undefined;
    if (together && others.length > 0) {
      kept = { bridgeId: together.id, channels: [caller.id, ...others], caller: caller.id, callId: caller.callId, rejoin: false };
    } else if (!together) {
      // on hold during a transfer: the operator waits alone in the conversation's bridge
      const waiting = members.find((m) => m.role === 'official' && m.up && bridgeOf.get(m.id)?.channels.length === 1 && !stays.has(m.id));
      if (waiting) kept = { bridgeId: bridgeOf.get(waiting.id)!.id, channels: [caller.id, waiting.id], caller: caller.id, callId: caller.callId, rejoin: true };
    }
    if (!kept) continue;
    plan.keep.push(kept);
    for (const c of kept.channels) stays.add(c);
  }
  for (const members of groups.values()) {
    for (const m of members) {
      if (stays.has(m.id)) continue;
      if (m.role === 'caller' && !m.id.startsWith('cb')) plan.fallback.push(m.id);
      else plan.hangup.push(m.id);
    }
  }
  const keptBridges = new Set(plan.keep.map((k) => k.bridgeId));
  plan.destroyBridges = mine.filter((b) => !keptBridges.has(b.id)).map((b) => b.id);
  return plan;
}
