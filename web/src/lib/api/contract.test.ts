// The contract lookups are checked by the compiler (tsc -b runs these
// assertions); the runtime part only proves the file is part of the suite.
import { describe, expectTypeOf, it } from 'vitest';
import type { Build, Commit, Project, User } from '@/types/api';
import type { JsonRequest, JsonResponse, NotInContract } from './contract';

describe('contract types', () => {
  it('give the JSON answer of a route and method', () => {
    expectTypeOf<JsonResponse<'/api/v1/me', 'get'>>().toMatchTypeOf<User>();
    expectTypeOf<JsonResponse<'/api/v1/users', 'get'>>().toEqualTypeOf<{ users: User[] }>();
    expectTypeOf<JsonResponse<'/api/v1/projects', 'get'>>().toEqualTypeOf<{
      projects: Project[];
      next_cursor: string | null;
    }>();
    // 201 and 202 answers too.
    expectTypeOf<JsonResponse<'/api/v1/builds/{id}/cancel', 'post'>>().toEqualTypeOf<Build>();
    expectTypeOf<
      JsonResponse<'/api/v1/projects/{owner}/{name}/builds', 'post'>
    >().toEqualTypeOf<Build>();
    expectTypeOf<JsonResponse<'/api/v1/projects/{owner}/{name}/commits', 'get'>>().toEqualTypeOf<{
      commits: Commit[];
    }>();
  });

  it('give the JSON body a route takes', () => {
    expectTypeOf<JsonRequest<'/api/v1/tokens', 'post'>>().toEqualTypeOf<{
      name: string;
      expires_in_days?: number;
      scopes?: ('read' | 'write' | 'deploy' | 'admin')[];
    }>();
  });

  it('refuse a method the contract does not have', () => {
    expectTypeOf<JsonResponse<'/api/v1/me', 'delete'>>().toEqualTypeOf<
      NotInContract<'/api/v1/me', 'delete'>
    >();
    expectTypeOf<JsonResponse<'/api/v1/me', 'delete'>>().not.toMatchTypeOf<User>();
  });
});
