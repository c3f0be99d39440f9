import Table from 'react-bootstrap/Table';
import { Link } from 'react-router';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { StatusBadge } from '@/components/ui/status-badge';
import { formatAge, formatDuration, secondsBetween, shortSha } from '@/lib/format';
import { useBuilds } from '../api/get-builds';

/** The project's builds with status, duration and image. */
export function BuildsList({
  owner,
  name,
  buildHref,
  imagesHref,
}: {
  owner: string;
  name: string;
  buildHref: (id: string) => string;
  imagesHref: string;
}) {
  const builds = useBuilds(owner, name);
  if (builds.isLoading) return <Loading label="Loading builds…" />;
  if (builds.isError) return <ErrorState error={builds.error} />;
  if (!builds.data?.length)
    return <EmptyState title="No builds yet">Press Build to make an image of the head.</EmptyState>;
  return (
    <Table hover responsive className="align-middle" aria-label="Builds">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Status</th>
          <th scope="col">Commit</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
          <th scope="col">Image</th>
        </tr>
      </thead>
      <tbody>
        {builds.data.map((b) => (
          <tr key={b.id}>
            <td>
              <Link to={buildHref(b.id)}>#{b.number}</Link>
            </td>
            <td>
              <StatusBadge status={b.status} />
              {b.error ? <div className="small text-danger">{b.error}</div> : null}
            </td>
            <td>
              <code>{shortSha(b.commit)}</code>
            </td>
            <td className="small">{formatAge(b.started_at ?? b.created_at)}</td>
            <td className="small">
              {formatDuration(b.duration_s ?? secondsBetween(b.started_at, b.finished_at))}
            </td>
            <td className="small">
              {b.image_id ? <Link to={imagesHref}>tag {b.number}</Link> : '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
