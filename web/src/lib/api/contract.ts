// Types of the API contract, read from the types generated out of
// docs/api/openapi.yaml (schema.d.ts, `npm run gen:api`). Fetchers name the
// route they call, so a change of the contract is a type error here.
import type { components, paths } from './schema';

/** The contract's named schemas. */
export type Schemas = components['schemas'];

/** A route of the contract, as written there (`/api/v1/builds/{id}`). */
export type ApiRoute = keyof paths;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<R extends ApiRoute, M extends Method> = NonNullable<paths[R][M]>;
type JsonContent<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/**
 * What a lookup gives when the contract has no such JSON body. Unlike
 * `never` (which fits any expected type), it fits none, so a fetcher that
 * names a route or method the contract lacks does not compile.
 */
export interface NotInContract<R, M> {
  readonly notInContract: [R, M];
}

type OrMissing<T, R, M> = [T] extends [never] ? NotInContract<R, M> : T;

/** The statuses whose JSON body a fetcher resolves with. */
type Success = 200 | 201 | 202;

/** The JSON body of a route's success answer (200, 201 or 202). */
export type JsonResponse<R extends ApiRoute, M extends Method> = OrMissing<
  Operation<R, M> extends { responses: infer Answers }
    ? JsonContent<Answers[Extract<keyof Answers, Success>]>
    : never,
  R,
  M
>;

/** The JSON request body a route takes. */
export type JsonRequest<R extends ApiRoute, M extends Method> = OrMissing<
  Operation<R, M> extends { requestBody?: infer Body } ? JsonContent<NonNullable<Body>> : never,
  R,
  M
>;

/** The error body every route answers with on 4xx and 5xx. */
export type ErrorBody = Schemas['Error'];
