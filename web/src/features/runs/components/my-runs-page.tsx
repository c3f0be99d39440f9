import { PageHeader } from '@/components/ui/page-header';
import type { RunLinks } from './run-links';
import { RunsTable } from './runs-table';

/** The caller's own runs across projects. */
export function MyRunsPage({ links }: { links: RunLinks }) {
  return (
    <>
      <PageHeader title="My runs" />
      <RunsTable scope="mine" links={links} showProject />
    </>
  );
}
