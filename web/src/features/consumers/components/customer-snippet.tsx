import Card from 'react-bootstrap/Card';
import { CopyButton } from '@/components/ui/copy-button';
import { projectPath } from '@/lib/api/paths';

/** The shell commands a customer runs with a key: the service, then a run. */
export function customerCommands({
  owner,
  name,
  serviceUrl,
  apiOrigin,
}: {
  owner: string;
  name: string;
  serviceUrl: string | null;
  apiOrigin: string;
}): { service: string | null; runs: string } {
  const service = serviceUrl
    ? [
        `curl -X POST '${new URL('solve', serviceUrl).toString()}' \\`,
        `  -H "X-Api-Key: $ORSA_KEY" -H 'Content-Type: application/json' \\`,
        `  --data-binary @input.json`,
      ].join('\n')
    : null;
  const runs = [
    `curl -X POST '${apiOrigin}${projectPath(owner, name)}/runs' \\`,
    `  -H "X-Api-Key: $ORSA_KEY" -H 'Content-Type: application/json' \\`,
    `  --data-binary "{\\"input\\": $(cat input.json)}"`,
  ].join('\n');
  return { service, runs };
}

function Snippet({ title, text }: { title: string; text: string }) {
  return (
    <>
      <div className="d-flex align-items-center justify-content-between mt-2">
        <span className="small fw-semibold">{title}</span>
        <CopyButton text={text} />
      </div>
      <pre className="bg-body-tertiary border rounded p-2 small mb-0">
        <code>{text}</code>
      </pre>
    </>
  );
}

/** How a customer calls the project with a key (`ORSA_KEY` holds the secret). */
export function CustomerSnippet(props: {
  owner: string;
  name: string;
  serviceUrl: string | null;
  apiOrigin: string;
}) {
  const { service, runs } = customerCommands(props);
  return (
    <Card className="my-3" data-testid="customer-snippet">
      <Card.Header className="small fw-semibold">How your customer calls it</Card.Header>
      <Card.Body className="pt-1">
        <p className="small text-secondary mb-1">
          With the key in <code>ORSA_KEY</code> (or as <code>Authorization: Bearer …</code>). A
          revoked or expired key gets 401; past its rate limit or a quota, 429.
        </p>
        {service ? (
          <Snippet title="The live service" text={service} />
        ) : (
          <p className="small mb-0">
            No deployment is live: the service&apos;s command appears once one is.
          </p>
        )}
        <Snippet title="A run (queued; its result comes later)" text={runs} />
      </Card.Body>
    </Card>
  );
}
