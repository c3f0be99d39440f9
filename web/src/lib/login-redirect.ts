/** The pages a logged-out browser stays on instead of being sent to log in. */
const AUTH_PAGES = ['/login', '/register'];

/**
 * The login page that comes back to `pathname + search` once logged in, or
 * null when the browser is on an auth page already.
 */
export function loginRedirect(pathname: string, search: string): string | null {
  if (AUTH_PAGES.includes(pathname)) return null;
  return `/login?next=${encodeURIComponent(pathname + search)}`;
}
