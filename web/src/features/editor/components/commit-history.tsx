import { useState } from 'react';
import Badge from 'react-bootstrap/Badge';
import Card from 'react-bootstrap/Card';
import Col from 'react-bootstrap/Col';
import ListGroup from 'react-bootstrap/ListGroup';
import Row from 'react-bootstrap/Row';
import { DiffView } from '@/components/ui/diff-view';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { useSearchParams } from 'react-router';
import { formatAge, formatTime, shortSha } from '@/lib/format';
import type { FileStatus } from '@/types/api';
import { useCommit } from '../api/get-commit';
import { useCommits } from '../api/get-commits';

const STATUS_BG: Record<FileStatus, string> = {
  added: 'success',
  modified: 'primary',
  deleted: 'danger',
  renamed: 'secondary',
};

function CommitDiff({ owner, name, sha }: { owner: string; name: string; sha: string }) {
  const detail = useCommit(owner, name, sha);
  if (detail.isLoading) return <Loading label="Loading the diff…" />;
  if (detail.isError) return <ErrorState error={detail.error} />;
  if (!detail.data) return null;
  const { commit, files, truncated } = detail.data;
  return (
    <div>
      <h2 className="h6">
        <code>{shortSha(commit.sha)}</code> {commit.message}
      </h2>
      <p className="small text-secondary">
        {commit.author.name} · {formatTime(commit.time)}
      </p>
      {files.length === 0 ? <EmptyState title="No file changes" /> : null}
      {truncated ? (
        <p className="small text-secondary">The diff is large: some files or lines are left out.</p>
      ) : null}
      {files.map((f) => (
        <Card key={f.path} className="mb-3">
          <Card.Header className="d-flex gap-2 align-items-center py-1">
            <Badge bg={STATUS_BG[f.status]}>{f.status}</Badge>
            <code>{f.old_path ? `${f.old_path} → ${f.path}` : f.path}</code>
            <span className="small ms-auto">
              <span className="text-success">+{f.additions}</span>{' '}
              <span className="text-danger">−{f.deletions}</span>
            </span>
          </Card.Header>
          <Card.Body className="p-0">
            {f.binary ? (
              <p className="p-2 mb-0 text-secondary">Binary file</p>
            ) : f.patch === undefined ? (
              <p className="p-2 mb-0 text-secondary">Diff left out (too large)</p>
            ) : (
              <DiffView patch={f.patch} />
            )}
          </Card.Body>
        </Card>
      ))}
    </div>
  );
}

/**
 * The project's commits; choosing one shows its diff. `?commit=<sha>` (a
 * link from elsewhere, such as a run's trace) chooses one at first.
 */
export function CommitHistory({ owner, name }: { owner: string; name: string }) {
  const commits = useCommits(owner, name);
  const [params] = useSearchParams();
  const [chosen, setChosen] = useState<string | null>(() => params.get('commit'));
  if (commits.isLoading) return <Loading label="Loading history…" />;
  if (commits.isError) return <ErrorState error={commits.error} />;
  const list = commits.data ?? [];
  if (list.length === 0) return <EmptyState title="No commits yet" />;
  const sha = chosen ?? list[0].sha;
  return (
    <Row className="g-3">
      <Col xs={4}>
        <ListGroup aria-label="Commits">
          {list.map((c) => (
            <ListGroup.Item
              key={c.sha}
              action
              active={c.sha === sha || (sha.length < c.sha.length && c.sha.startsWith(sha))}
              onClick={() => setChosen(c.sha)}
              className="small"
            >
              <div className="d-flex justify-content-between">
                <code>{shortSha(c.sha)}</code>
                <span>{formatAge(c.time)}</span>
              </div>
              <div className="text-truncate">{c.message.split('\n')[0]}</div>
            </ListGroup.Item>
          ))}
        </ListGroup>
      </Col>
      <Col xs={8}>
        <CommitDiff owner={owner} name={name} sha={sha} />
      </Col>
    </Row>
  );
}
