import { Link } from 'react-router';

export function NotFound({ what = 'page' }: { what?: string }) {
  return (
    <div className="text-center py-5" data-testid="not-found">
      <h1 className="h3">Not found</h1>
      <p className="text-secondary">This {what} does not exist, or you have no access to it.</p>
      <Link to="/">Back to your projects</Link>
    </div>
  );
}
