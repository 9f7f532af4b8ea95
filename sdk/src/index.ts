export { OrgHubClient, type ClientOptions } from './client.js';
export {
  DEFAULT_GROUP_EVENTS,
  GroupSocket,
  type GroupSocketEvent,
  type GroupSocketOptions,
  type LiveEvents,
  type SocketEvents,
  type SocketState,
  type WebSocketCtor,
  type WebSocketLike,
} from './socket.js';
export { WorkspaceSocket } from './workspace-socket.js';
export type {
  ClientError,
  SubscribeResult,
  WorkspaceEvents,
  WorkspaceSocketOptions,
  WorkspaceState,
} from './workspace-events.js';
export { WorkspaceRequestError } from './workspace-requests.js';
export { Session, type StoredSession, type TokenSource } from './session.js';
export { OrgHubError } from './errors.js';
export { backoffDelay } from './emitter.js';
export type * from './types.js';
