import Container from 'react-bootstrap/Container';
import Nav from 'react-bootstrap/Nav';
import Navbar from 'react-bootstrap/Navbar';
import NavDropdown from 'react-bootstrap/NavDropdown';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { Logo } from '@/components/ui/logo';
import { ErrorState, Loading } from '@/components/ui/states';
import { useToast } from '@/components/ui/toasts';
import { ApiError } from '@/lib/api-client';
import { useLogout, useMe } from '@/features/auth';

/** The signed-in shell: header with the ORSA mark, navigation and the page. */
export function AppLayout() {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const toast = useToast();
  if (me.isLoading) {
    return (
      <Container className="py-5">
        <Loading />
      </Container>
    );
  }
  if (me.isError) {
    // 401 already sent the browser to the login page.
    if (me.error instanceof ApiError && me.error.status === 401) return null;
    return (
      <Container className="py-5">
        <ErrorState error={me.error} onRetry={() => void me.refetch()} />
      </Container>
    );
  }
  const user = me.data;
  if (!user) return null;
  return (
    <>
      <Navbar expand="md" className="app-navbar border-bottom mb-4" as="header">
        <Container fluid="xl">
          <Navbar.Brand as={Link} to="/" className="d-flex align-items-center gap-2">
            <Logo />
            <span className="brand-name fw-bold">ORSA</span>
          </Navbar.Brand>
          <Nav as="nav" className="me-auto" aria-label="Main">
            <Nav.Link as={NavLink} to="/" end>
              Projects
            </Nav.Link>
            <Nav.Link as={NavLink} to="/deployments">
              Deployments
            </Nav.Link>
            <Nav.Link as={NavLink} to="/runs">
              My runs
            </Nav.Link>
            <Nav.Link as={NavLink} to="/account/tokens">
              API tokens
            </Nav.Link>
            {user.role === 'admin' ? (
              <Nav.Link as={NavLink} to="/admin">
                Admin
              </Nav.Link>
            ) : null}
          </Nav>
          <Nav>
            <NavDropdown
              title={
                <span data-testid="current-user">
                  {user.username} <span className="text-secondary small">({user.role})</span>
                </span>
              }
              align="end"
            >
              <NavDropdown.Item as={Link} to="/account">
                Account
              </NavDropdown.Item>
              <NavDropdown.Item
                as="button"
                onClick={() =>
                  logout.mutate(undefined, {
                    onSuccess: () => void navigate('/login', { replace: true }),
                    onError: (e) => toast.notifyError(e, 'Logout failed'),
                  })
                }
              >
                Log out
              </NavDropdown.Item>
            </NavDropdown>
          </Nav>
        </Container>
      </Navbar>
      <Container fluid="xl" as="main" className="pb-5">
        <Outlet context={user} />
      </Container>
    </>
  );
}
