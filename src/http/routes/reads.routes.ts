import type { Api } from '../api.js';
import { errors } from '../../protocol/common.js';
import { GroupParams } from '../../protocol/orgs.js';
import { ReadBody, ReadCursor } from '../../protocol/workspace.js';
import type { ReadService } from '../../modules/reads/reads.service.js';

export function registerReadRoutes(app: Api, reads: ReadService) {
  app.put(
    '/api/v1/orgs/:orgId/groups/:groupId/read',
    {
      schema: {
        tags: ['groups'],
        summary: 'Move the caller’s read cursor (never backwards; clamped to the group’s last seq)',
        params: GroupParams,
        body: ReadBody,
        response: { 200: ReadCursor, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { orgId, groupId } = req.params;
      const { eventId: _, ...cursor } = await reads.markRead(
        req.principal,
        orgId,
        groupId,
        req.body.seq,
      );
      return cursor;
    },
  );
}
