import { z } from 'zod';
import { CHANGE_TYPES, OBSERVERS, RIGHTS, type DelegationEvent } from '../../../domain/delegation/types.js';
import { instant, jsonOf, nonEmpty, nullable, readEntity, text } from '../entityFields.js';
import { SOURCES, via } from './delegation.js';

/**
 * A history event's entity (DelegationHistory); the run and task are '' for a change an administrator made, the
 * actor '' when not known. `actor` and `observedBy` came with attribution (issue 22): a row written before has
 * neither, and reads as what it does record (see fromEventEntity); a value present must be readable.
 */
const eventEntity = z.object({
  type: z.enum(CHANGE_TYPES),
  mailboxId: nonEmpty,
  mailboxAddress: text,
  mailboxDisplayName: text,
  delegateId: nonEmpty,
  delegateUpn: text,
  delegateAddress: text,
  delegateDisplayName: text,
  right: z.enum(RIGHTS),
  via: jsonOf(z.array(via)),
  source: z.enum(SOURCES),
  runId: nullable(nonEmpty),
  taskId: nullable(nonEmpty),
  at: instant,
  actor: nullable(nonEmpty).optional(),
  observedBy: z.enum(OBSERVERS).optional(),
});

/** The properties of an event's entity besides its keys and sort key (the history's layout decides those). */
export function toEventProperties(event: DelegationEvent): Record<string, string> {
  return {
    type: event.type,
    mailboxId: event.mailbox.id,
    mailboxAddress: event.mailbox.address,
    mailboxDisplayName: event.mailbox.displayName,
    delegateId: event.delegate.id,
    delegateUpn: event.delegate.upn,
    delegateAddress: event.delegate.address,
    delegateDisplayName: event.delegate.displayName,
    right: event.right,
    via: JSON.stringify(event.via),
    source: event.source,
    runId: event.runId ?? '',
    taskId: event.taskId ?? '',
    at: event.at,
    actor: event.actor ?? '',
    observedBy: event.observedBy,
  };
}

/**
 * Maps a history entity back to an event; a missing or unreadable property is a CorruptEntityError. A row written
 * before attribution has no `observedBy`: only runs and administrators wrote history then, and only scheduled and
 * manual runs existed, so a run id means `fullScan` and none means `manual`; its `actor` was not recorded (null).
 */
export function fromEventEntity(e: Record<string, unknown>): DelegationEvent {
  const s = readEntity('DelegationHistory', eventEntity, e);
  return {
    type: s.type,
    mailbox: { id: s.mailboxId, address: s.mailboxAddress, displayName: s.mailboxDisplayName },
    delegate: { id: s.delegateId, upn: s.delegateUpn, address: s.delegateAddress, displayName: s.delegateDisplayName },
    right: s.right,
    via: s.via,
    source: s.source,
    runId: s.runId,
    taskId: s.taskId,
    at: s.at,
    actor: s.actor ?? null,
    observedBy: s.observedBy ?? (s.runId === null ? 'manual' : 'fullScan'),
  };
}
