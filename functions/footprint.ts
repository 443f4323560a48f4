import { z } from 'zod';
import { registerApi } from '../shared/host/http.js';
import { delegateMailboxItem, mailboxDelegateItem, mailboxRefView } from '../shared/host/apiSchemas.js';
import { withEtag } from '../shared/host/etag.js';
import { RIGHTS } from '../shared/domain/delegation/types.js';
import { footprintCsv, footprintOf } from '../shared/usecases/footprint.js';

const source = z.enum(['MailboxPermissionSync', 'Manual']);
const footprint = z.object({
  user: z.object({ id: z.string(), upn: z.string(), address: z.string(), displayName: z.string() }),
  canOpen: z.array(delegateMailboxItem),
  onOwnMailbox: z.array(mailboxDelegateItem),
  throughGroups: z.array(
    z.object({
      group: z.object({ id: z.string(), displayName: z.string() }),
      mailboxes: z.array(
        z.object({ mailbox: mailboxRefView, rights: z.array(z.object({ right: z.enum(RIGHTS), source })) }),
      ),
    }),
  ),
});

export const userFootprintFn = registerApi({
  name: 'getUserFootprint',
  route: 'users/{user}/footprint',
  method: 'GET',
  role: 'reader',
  tags: ['Delegations'],
  summary:
    'A leaver’s footprint: what the user can open (canOpen), who holds rights on the user’s own mailbox ' +
    '(onOwnMailbox) and the trustee groups that give the user access (throughGroups); ?format=csv exports one table',
  params: z.object({
    user: z.string().trim().min(1, 'must not be empty').max(320, 'must be at most 320 characters'),
  }),
  query: z.object({ format: z.enum(['json', 'csv']).default('json') }).strict(),
  responses: {
    200: { description: 'The footprint (JSON or CSV with a section column)', schema: footprint },
    304: { description: 'Not modified (If-None-Match)' },
    404: { description: 'Unknown user' },
  },
  handle: async ({ params, query, services, request }) => {
    const result = await footprintOf(services, params.user);
    if (query.format === 'csv')
      return withEtag(request, {
        text: footprintCsv(result),
        contentType: 'text/csv; charset=utf-8',
        headers: { 'Content-Disposition': 'attachment; filename="footprint.csv"' },
      });
    return withEtag(request, { json: result });
  },
});
