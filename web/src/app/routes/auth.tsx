import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorParamAlert } from '@/components/ui/error-param-alert';
import { AuthCard, LoginForm, ProviderSignIn, RegisterForm } from '@/features/auth';

/** The `?next=` path to come back to, when it is one of this app's; else null. */
function useNext(): string | null {
  const [params] = useSearchParams();
  const next = params.get('next');
  // Only same-app paths: never an absolute URL from the query string ("//host"
  // and "/\\host" are both another origin to a browser).
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\')
    ? next
    : null;
}

export function LoginRoute() {
  const navigate = useNavigate();
  const next = useNext();
  return (
    <AuthCard title="Log in">
      <ErrorParamAlert />
      <LoginForm onLoggedIn={() => void navigate(next ?? '/', { replace: true })} />
      <ProviderSignIn next={next} />
      <p className="mt-3 mb-0 small">
        No account? <Link to="/register">Create one</Link>
      </p>
    </AuthCard>
  );
}

export function RegisterRoute() {
  const navigate = useNavigate();
  return (
    <AuthCard title="Create your account">
      <RegisterForm onRegistered={() => void navigate('/', { replace: true })} />
      <p className="mt-3 mb-0 small">
        Already registered? <Link to="/login">Log in</Link>
      </p>
    </AuthCard>
  );
}
