import Card from 'react-bootstrap/Card';
import type { Image, Run } from '@/types/api';
import type { RunLinks } from './run-links';
import { RunForm } from './run-form';
import { RunsTable } from './runs-table';

/** A project's Runs tab: submit a run, then the project's run history. */
export function ProjectRuns({
  owner,
  name,
  images,
  links,
  onSubmitted,
}: {
  owner: string;
  name: string;
  images?: Image[];
  links: RunLinks;
  onSubmitted: (run: Run) => void;
}) {
  return (
    <>
      <Card className="mb-4">
        <Card.Header className="fw-semibold">New run</Card.Header>
        <Card.Body>
          <RunForm owner={owner} name={name} images={images} onSubmitted={onSubmitted} />
        </Card.Body>
      </Card>
      <h2 className="h5">History</h2>
      <RunsTable scope={{ owner, name }} links={links} />
    </>
  );
}
