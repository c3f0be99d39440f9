import Alert from 'react-bootstrap/Alert';
import { useSearchParams } from 'react-router';

/** Longest message shown from the query string; the rest is cut. */
const MAX_LENGTH = 500;

/**
 * The `?error=` message a server redirect left in the URL (a failed
 * sign-in or link with a provider), as a danger alert. Closing it removes
 * the parameter, so a reload does not show it again.
 */
export function ErrorParamAlert({ className }: { className?: string }) {
  const [params, setParams] = useSearchParams();
  const error = params.get('error');
  if (!error) return null;
  const message = error.length > MAX_LENGTH ? `${error.slice(0, MAX_LENGTH)}…` : error;
  return (
    <Alert
      variant="danger"
      role="alert"
      dismissible
      className={className}
      onClose={() =>
        setParams(
          (current) => {
            const rest = new URLSearchParams(current);
            rest.delete('error');
            return rest;
          },
          { replace: true },
        )
      }
    >
      {message}
    </Alert>
  );
}
