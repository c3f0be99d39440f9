import { Link, useNavigate, useSearchParams } from 'react-router';
import { AuthCard, LoginForm, RegisterForm } from '@/features/auth';

function useNext(): string {
  const [params] = useSearchParams();
  const next = params.get('next');
  // Only same-app paths: never an absolute URL from the query string.
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginRoute() {
  const navigate = useNavigate();
  const next = useNext();
  return (
    <AuthCard title="Log in">
      <LoginForm onLoggedIn={() => void navigate(next, { replace: true })} />
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
