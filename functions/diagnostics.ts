import { z } from 'zod';
import { registerApi } from '../shared/host/http.js';
import { runDiagnostics } from '../shared/usecases/diagnostics.js';

const checkView = z.object({
  name: z.string(),
  status: z.enum(['pass', 'fail']),
  detail: z.string(),
  fix: z.string().optional(),
});

export const diagnosticsFn = registerApi({
  name: 'diagnostics',
  route: 'diagnostics',
  method: 'GET',
  role: 'admin',
  tags: ['Diagnostics'],
  summary:
    "Preflight of the app's own permissions: Graph and Exchange tokens, read a group, Get-MailboxPermission, " +
    'tables, queue, the audit feed (Management API token, subscription, content) — each with the fix',
  responses: {
    200: {
      description: 'The checklist',
      schema: z.object({ status: z.enum(['pass', 'fail']), checks: z.array(checkView) }),
    },
  },
  handle: async ({ services }) => ({ json: await runDiagnostics(services) }),
});
