/**
 * Generates the SDK's wire types (`sdk/src/generated/protocol.ts`) from the server's TypeBox
 * schemas in `src/protocol/`, which are JSON Schema. The generated file is checked in, so the
 * published SDK carries no server code and no runtime dependency; a test fails when it is stale.
 */
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import * as prettier from 'prettier';
import * as apiKeys from '../../src/protocol/api-keys.js';
import * as auth from '../../src/protocol/auth.js';
import * as common from '../../src/protocol/common.js';
import * as messages from '../../src/protocol/messages.js';
import * as orgs from '../../src/protocol/orgs.js';
import * as presence from '../../src/protocol/presence.js';
import * as tasks from '../../src/protocol/tasks.js';
import * as users from '../../src/protocol/users.js';
import * as workspace from '../../src/protocol/workspace.js';
import * as workspaceEvents from '../../src/protocol/workspace-events.js';

export const OUTPUT = fileURLToPath(new URL('../src/generated/protocol.ts', import.meta.url));

/** The exported name in the SDK → the schema. Order is the order in the generated file. */
const SCHEMAS: Record<string, unknown> = {
  // users, orgs, groups, auth
  Role: users.Role,
  User: users.User,
  CreateUserBody: users.CreateUserBody,
  UpdateUserBody: users.UpdateUserBody,
  Org: orgs.Org,
  OrgCreated: orgs.OrgCreated,
  CreateOrgBody: orgs.CreateOrgBody,
  Group: orgs.Group,
  GroupCreated: orgs.GroupCreated,
  CreateGroupBody: orgs.CreateGroupBody,
  LoginBody: auth.LoginBody,
  TokenResponse: auth.TokenResponse,
  SignupBody: auth.SignupBody,
  SignupResponse: auth.SignupResponse,
  MeResponse: auth.MeResponse,
  ApiError: common.ErrorResponse,
  // API keys
  ApiKeyScope: apiKeys.Scope,
  ApiKey: apiKeys.ApiKey,
  ApiKeyCreated: apiKeys.ApiKeyCreated,
  ApiKeyList: apiKeys.ApiKeyList,
  CreateApiKeyBody: apiKeys.CreateApiKeyBody,
  // messages and broadcasts
  Message: messages.Message,
  Broadcast: messages.Broadcast,
  MessagePage: messages.MessagePage,
  MessageHit: messages.MessageHit,
  MessageSearchPage: messages.MessageSearchPage,
  MessageSearchQuery: messages.MessageSearchQuery,
  BroadcastPage: messages.BroadcastPage,
  GroupBroadcastBody: messages.GroupBroadcastBody,
  GroupBroadcastResponse: messages.GroupBroadcastResponse,
  OrgBroadcastResponse: messages.OrgBroadcastResponse,
  ErrorFrame: messages.ErrorFrame,
  // presence
  PresentUser: presence.PresentUser,
  PresenceEvent: presence.PresenceEvent,
  // tasks and notifications
  TaskStatus: tasks.Status,
  TaskPriority: tasks.Priority,
  TaskSort: tasks.Sort,
  Reminder: tasks.Reminder,
  Task: tasks.Task,
  CreateTaskBody: tasks.CreateTaskBody,
  UpdateTaskBody: tasks.UpdateTaskBody,
  TaskPage: tasks.TaskPage,
  TaskActivity: tasks.TaskActivity,
  TaskEvent: tasks.TaskEvent,
  TaskReminderEvent: tasks.TaskReminderEvent,
  Notification: tasks.Notification,
  NotificationList: tasks.NotificationList,
  // read cursors and DMs
  ReadBody: workspace.ReadBody,
  ReadCursor: workspace.ReadCursor,
  Dm: workspace.Dm,
  // the workspace socket: client frames
  SubscribeFrame: workspace.SubscribeFrame,
  UnsubscribeFrame: workspace.UnsubscribeFrame,
  PublishFrame: workspace.PublishFrame,
  HistoryFrame: workspace.HistoryFrame,
  ReadFrame: workspace.ReadFrame,
  TypingFrame: workspace.TypingFrame,
  PresenceFrame: workspace.PresenceFrame,
  AuthFrame: workspace.AuthFrame,
  PingFrame: workspace.PingFrame,
  WorkspaceClientFrame: workspace.WorkspaceClientFrame,
  // the workspace socket: replies and events
  SubscribedReply: workspaceEvents.SubscribedReply,
  UnsubscribedReply: workspaceEvents.UnsubscribedReply,
  HistoryReply: workspaceEvents.HistoryReply,
  ReadReply: workspaceEvents.ReadReply,
  ReadEvent: workspaceEvents.ReadEvent,
  PresenceReply: workspaceEvents.PresenceReply,
  TypingEvent: workspaceEvents.TypingEvent,
  AuthenticatedReply: workspaceEvents.AuthenticatedReply,
  PongReply: workspaceEvents.PongReply,
  TokenExpiringEvent: workspaceEvents.TokenExpiringEvent,
  AccessRevokedEvent: workspaceEvents.AccessRevokedEvent,
  DmOpenedEvent: workspaceEvents.DmOpenedEvent,
  GroupAddedEvent: workspaceEvents.GroupAddedEvent,
  WorkspaceError: workspaceEvents.WorkspaceError,
};

/** `Type.Ref('X')` names the schema whose `$id` is X; most `$id`s are the SDK name too. */
const REF_NAMES: Record<string, string> = { Error: 'ApiError' };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Plain JSON Schema with every reference local: `$ref: 'Task'` becomes
 * `#/definitions/Task`, and a sub-schema equal to one of SCHEMAS (as `status: Status` in
 * Task) becomes a reference to it, so it is one named type.
 */
function plain(node: unknown, root: string, named: Map<string, string>, depth = 0): Json {
  if (Array.isArray(node)) return node.map((n) => plain(n, root, named, depth + 1));
  if (node === null || typeof node !== 'object') return node as Json;
  const name = named.get(JSON.stringify(node));
  if (depth > 0 && name !== undefined && name !== root) return { $ref: `#/definitions/${name}` };
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$id') continue;
    if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) {
      out[k] = `#/definitions/${REF_NAMES[v] ?? v}`;
    } else {
      out[k] = plain(v, root, named, depth + 1);
    }
  }
  return out;
}

const BANNER = `
/**
 * GENERATED by \`npm run sdk:types\` (sdk/scripts/protocol-types.ts) from the TypeBox schemas
 * in src/protocol/. Do not edit: change the schema and regenerate.
 */`;

/** The generated file's content, formatted with the repository's prettier settings. */
export async function generateProtocolTypes(): Promise<string> {
  const named = new Map(Object.entries(SCHEMAS).map(([n, s]) => [JSON.stringify(s), n]));
  const definitions = Object.fromEntries(
    Object.entries(SCHEMAS).map(([n, s]) => [n, plain(s, n, named)]),
  );
  const schema = {
    title: 'OrgHubProtocol',
    description: 'Every wire type of the OrgHub contract.',
    type: 'object',
    properties: Object.fromEntries(
      Object.keys(SCHEMAS).map((n) => [n, { $ref: `#/definitions/${n}` }]),
    ),
    additionalProperties: false,
    definitions,
  } as JSONSchema;
  const code = await compile(schema, 'OrgHubProtocol', {
    bannerComment: BANNER,
    additionalProperties: false,
    unknownAny: true,
    strictIndexSignatures: true,
    format: false,
    ignoreMinAndMaxItems: true,
    unreachableDefinitions: true,
  });
  // Its note on every definition says nothing a reader needs.
  const lean = code
    .replace(/\n \*\n \* This interface was referenced by [^\n]*\n \* via the [^\n]*/g, '')
    .replace(
      /\/\*\*\n \* This interface was referenced by [^\n]*\n \* via the [^\n]*\n \*\/\n/g,
      '',
    );
  const config = (await prettier.resolveConfig(OUTPUT)) ?? {};
  return prettier.format(lean, { ...config, filepath: OUTPUT });
}
