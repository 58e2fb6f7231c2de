import type { Actor, UserActor } from './actor';
import type { AppDeps } from '../app';

/** What a service function gets from a procedure: dependencies, the caller and the request id. */
export interface Call<A extends Actor = UserActor> {
  readonly deps: AppDeps;
  readonly actor: A;
  readonly requestId: string;
}
