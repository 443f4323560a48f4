import { z } from 'zod';
import { registerApi } from '../shared/host/http.js';
import { listOf, problemResponse } from '../shared/host/apiSchemas.js';
import { getGroup, searchGroups } from '../shared/usecases/directory.js';

const groupView = z.object({
  id: z.string(),
  displayName: z.string(),
  mail: z.string().nullable(),
  onPremisesSamAccountName: z.string().nullable(),
  source: z.enum(['synced', 'cloud']),
});

export const directoryGroupsFn = registerApi({
  name: 'searchDirectoryGroups',
  route: 'directory/groups',
  method: 'GET',
  role: 'admin',
  tags: ['Directory'],
  summary: 'Group picker for task targets: groups whose display name starts with ?search= (synced or cloud)',
  query: z
    .object({
      search: z.string().max(256, 'must be at most 256 characters').default(''),
      top: z.coerce.number().int().min(1).max(100).default(25),
    })
    .strict(),
  responses: { 200: { description: 'Matching groups', schema: listOf(groupView) } },
  handle: async ({ query, services }) => ({
    json: { items: await searchGroups(services, query.search, query.top), continuationToken: null },
  }),
});

export const directoryGroupFn = registerApi({
  name: 'getDirectoryGroup',
  route: 'directory/groups/{id}',
  method: 'GET',
  role: 'reader',
  tags: ['Directory'],
  summary: "One group by object id, live from the directory: how the console names a task's target group",
  params: z.object({ id: z.guid('must be a group object id (GUID)') }),
  responses: {
    200: { description: 'The group', schema: groupView },
    404: problemResponse('No such group in the directory (GROUP.NOT_FOUND)'),
  },
  handle: async ({ params, services }) => ({ json: await getGroup(services, params.id) }),
});
