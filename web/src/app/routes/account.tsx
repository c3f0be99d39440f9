import Nav from 'react-bootstrap/Nav';
import { NavLink, Outlet } from 'react-router';
import { ErrorParamAlert } from '@/components/ui/error-param-alert';
import { PageHeader } from '@/components/ui/page-header';
import { LinkedIdentitiesCard } from '@/features/auth';

/** The account's pages (`/account`, `/account/tokens`) under one set of tabs. */
export function AccountLayout() {
  return (
    <>
      <Nav variant="tabs" className="mb-3" as="nav" aria-label="Account">
        <Nav.Item>
          <Nav.Link as={NavLink} to="/account" end>
            Account
          </Nav.Link>
        </Nav.Item>
        <Nav.Item>
          <Nav.Link as={NavLink} to="/account/tokens">
            API tokens
          </Nav.Link>
        </Nav.Item>
      </Nav>
      <Outlet />
    </>
  );
}

/**
 * The account page: the identities the user signs in with. A provider
 * callback lands here (with `?error=` when linking failed).
 */
export function AccountRoute() {
  return (
    <>
      <PageHeader title="Account" />
      <ErrorParamAlert />
      <LinkedIdentitiesCard />
    </>
  );
}
