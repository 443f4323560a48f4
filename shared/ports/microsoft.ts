import type { ExchangeClient, GraphClient } from '../adapters/microsoft/index.js';

export type {
  CalendarPermission,
  DirectoryObject,
  GraphGroup,
  GraphUser,
  MailboxPermissionRow,
  MailboxRow,
  RecipientPermissionRow,
  RecipientRow,
} from '../adapters/microsoft/index.js';

/** What the use cases need from Microsoft Graph (the GraphClient satisfies it). */
export type DirectoryPort = Pick<
  GraphClient,
  | 'getGroup'
  | 'findGroupsByMail'
  | 'findGroupsBySamAccountName'
  | 'findGroupsByDisplayName'
  | 'searchGroups'
  | 'transitiveMembers'
  | 'getUser'
  | 'findUserByMail'
  | 'calendarPermissions'
>;

/** What the use cases need from the Exchange Online admin API (the ExchangeClient satisfies it). */
export type ExchangePort = Pick<
  ExchangeClient,
  | 'getMailboxPermission'
  | 'getRecipientPermission'
  | 'getRecipientPermissionsTenantWide'
  | 'getMailbox'
  | 'getMailboxes'
  | 'anyMailbox'
  | 'listMailboxes'
  | 'getRecipient'
>;

export interface MicrosoftPorts {
  graph: DirectoryPort;
  exchange: ExchangePort;
}
