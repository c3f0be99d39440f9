import { describe, expect, it } from 'vitest';
import { loginRedirect } from './login-redirect';

describe('loginRedirect', () => {
  it('returns to the page and its query after login', () => {
    expect(loginRedirect('/projects/alice/knap', '?tab=code')).toBe(
      '/login?next=%2Fprojects%2Falice%2Fknap%3Ftab%3Dcode',
    );
  });

  it('leaves the auth pages alone', () => {
    expect(loginRedirect('/login', '?next=%2F')).toBeNull();
    expect(loginRedirect('/register', '')).toBeNull();
  });
});
