import { StatusBadge } from '@/components/ui/status-badge';
import { formatAge } from '@/lib/format';
import { useBuilds } from '../api/get-builds';

/** The newest build's status of a project (projects list). */
export function LastBuildBadge({ owner, name }: { owner: string; name: string }) {
  const builds = useBuilds(owner, name, 1);
  if (builds.isLoading) return <span className="text-secondary small">…</span>;
  const last = builds.data?.[0];
  if (!last) return <span className="text-secondary small">never built</span>;
  return (
    <span className="d-inline-flex gap-2 align-items-center">
      <StatusBadge status={last.status} label={`#${last.number} ${last.status}`} />
      <span className="small text-secondary">{formatAge(last.created_at)}</span>
    </span>
  );
}
