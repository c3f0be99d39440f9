import { useEffect } from 'react';
import Alert from 'react-bootstrap/Alert';
import Badge from 'react-bootstrap/Badge';
import Button from 'react-bootstrap/Button';
import Card from 'react-bootstrap/Card';
import { CopyButton } from '@/components/ui/copy-button';
import { StatusBadge } from '@/components/ui/status-badge';
import { ErrorState, Loading } from '@/components/ui/states';
import { useToast } from '@/components/ui/toasts';
import { formatAge, shortDigest } from '@/lib/format';
import { deploymentToast, deploymentToastKey, isTransitional } from '../api/deployment-status';
import { useStartDeployment, useStopDeployment } from '../api/deployment-actions';
import { useDeployment } from '../api/get-deployment';
import { DeleteDeploymentButton } from './delete-deployment-button';
import { deploymentAnchor } from './deployments-page';
import { DeploymentLogs } from './deployment-logs';
import { MetricsCharts } from './metrics-charts';

const STEPS = ['pending', 'pulling', 'starting', 'healthy'] as const;

/** One deployment: live status, URL, actions, logs and charts. */
export function DeploymentCard({ id }: { id: string }) {
  const deployment = useDeployment(id);
  const stop = useStopDeployment();
  const start = useStartDeployment();
  const toast = useToast();
  const { update: updateToast } = toast;
  const imageTag = deployment.data?.image_tag;
  const status = deployment.data?.status;
  useEffect(() => {
    // The "Deploying…" toast must not outlive the rollout: say how it ended.
    if (imageTag === undefined || status === undefined || isTransitional(status)) return;
    const { variant, message } = deploymentToast(imageTag, status);
    updateToast(deploymentToastKey(id), variant, message);
  }, [id, imageTag, status, updateToast]);
  const loaded = deployment.data !== undefined;
  useEffect(() => {
    // Opened from the Deployments page: bring this card into view.
    if (loaded && window.location.hash === `#${deploymentAnchor(id)}`)
      document.getElementById(deploymentAnchor(id))?.scrollIntoView?.({ block: 'start' });
  }, [id, loaded]);
  if (deployment.isLoading) return <Loading label="Loading the deployment…" />;
  if (deployment.isError) return <ErrorState error={deployment.error} />;
  const d = deployment.data;
  if (!d) return null;
  const serviceUrl = d.url;
  const stepIndex = STEPS.indexOf(d.status as (typeof STEPS)[number]);
  const failed = d.status === 'failed' || d.status === 'crashloop';
  const paused = d.status === 'paused';
  const onError = (title: string) => (e: unknown) => toast.notifyError(e, title);
  return (
    <Card className="deployment-card mb-3" id={deploymentAnchor(d.id)} data-deployment-id={d.id}>
      <Card.Header className="d-flex align-items-center gap-2 flex-wrap">
        <span className="fw-semibold">Image {d.image_tag}</span>
        <StatusBadge status={d.status} />
        {d.live ? <Badge bg="primary">live</Badge> : null}
        <Badge bg="light" text="dark" className="border">
          {d.visibility}
        </Badge>
        <span className="small text-secondary ms-auto">
          {d.memory_mb} MB · {d.cpus} CPU · {d.replicas > 1 ? `${d.replicas} replicas · ` : ''}
          {d.restarts} restarts · updated {formatAge(d.updated_at)}
        </span>
      </Card.Header>
      <Card.Body>
        {!failed && !paused && d.desired === 'running' ? (
          <ol className="deploy-steps list-inline small mb-2" aria-label="Deployment progress">
            {STEPS.map((s, i) => (
              <li
                key={s}
                className={`list-inline-item ${i <= stepIndex ? 'text-success fw-semibold' : 'text-secondary'}`}
              >
                {i <= stepIndex ? '✓' : '○'} {s}
              </li>
            ))}
          </ol>
        ) : null}
        {paused ? (
          <Alert variant="secondary" className="py-2">
            Paused after a while without requests: its memory is kept, and the next request wakes it
            within milliseconds.
          </Alert>
        ) : failed || d.status_reason ? (
          <Alert variant={failed ? 'danger' : 'secondary'} className="py-2">
            {failed ? <strong>Failed: </strong> : null}
            {d.status_reason || 'no reason given'}
          </Alert>
        ) : null}
        <div className="d-flex align-items-center gap-2 mb-3 flex-wrap">
          <span className="small text-secondary">Service URL</span>
          {serviceUrl ? (
            <>
              <a href={serviceUrl} target="_blank" rel="noreferrer" className="font-monospace">
                {serviceUrl}
              </a>
              <CopyButton text={serviceUrl} label="Copy URL" />
            </>
          ) : (
            <span className="small">none (the names do not fit one host name)</span>
          )}
          <span className="small text-secondary">
            digest <code title={d.image_digest}>{shortDigest(d.image_digest)}</code>
          </span>
        </div>
        <div className="d-flex gap-2 mb-3">
          {d.desired === 'running' ? (
            <Button
              size="sm"
              variant="outline-secondary"
              disabled={stop.isPending}
              onClick={() => stop.mutate(d.id, { onError: onError('Could not stop') })}
            >
              Stop
            </Button>
          ) : (
            <Button
              size="sm"
              variant="outline-success"
              disabled={start.isPending}
              onClick={() => start.mutate(d.id, { onError: onError('Could not start') })}
            >
              Start
            </Button>
          )}
          <DeleteDeploymentButton deployment={d} />
        </div>
        <MetricsCharts
          id={d.id}
          runsPath={`/projects/${encodeURIComponent(d.owner)}/${encodeURIComponent(d.project)}/runs`}
        />
        <div className="mt-3">
          <DeploymentLogs
            id={d.id}
            generation={`${d.status}:${d.restarts}:${d.started_at ?? ''}`}
          />
        </div>
      </Card.Body>
    </Card>
  );
}
