import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Badge from 'react-bootstrap/Badge';
import Button from 'react-bootstrap/Button';
import Col from 'react-bootstrap/Col';
import Form from 'react-bootstrap/Form';
import Row from 'react-bootstrap/Row';
import { CodeEditor } from '@/components/ui/code-editor';
import { ErrorState, Loading } from '@/components/ui/states';
import { errorMessage } from '@/lib/api-client';
import { useSampleInput } from '../api/get-input';
import { useLiveService } from '../api/get-service';
import { useSolve } from '../api/solve';

function jsonProblem(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return errorMessage(e);
  }
}

/** Sends a JSON body to the deployed service and shows what it answers. */
export function TryIt({ owner, name }: { owner: string; name: string }) {
  const sample = useSampleInput(owner, name);
  const service = useLiveService(owner, name);
  const [input, setInput] = useState<string | null>(null);
  const [token, setToken] = useState('');
  const serviceUrl = service.data?.url ?? '';
  const solve = useSolve(serviceUrl, token);
  if (sample.isLoading || service.isLoading) return <Loading label="Loading input.json…" />;
  if (sample.isError) return <ErrorState error={sample.error} />;
  if (service.isError) return <ErrorState error={service.error} />;
  const text = input ?? sample.data ?? '{}';
  const problem = jsonProblem(text);
  const send = () => {
    if (!problem && serviceUrl && !solve.isPending) solve.mutate(text);
  };
  const result = solve.data;
  return (
    <Row className="g-3 try-it">
      <Col xs={6}>
        <div className="d-flex justify-content-between align-items-center mb-1">
          <span className="small fw-semibold">
            Request body{' '}
            <span className="text-secondary fw-normal" data-testid="solve-url">
              POST {serviceUrl ? `${serviceUrl}solve` : '(no live deployment)'}
            </span>
          </span>
          <Button size="sm" variant="link" onClick={() => setInput(sample.data ?? '{}')}>
            Reset to input.json
          </Button>
        </div>
        <CodeEditor
          value={text}
          onChange={setInput}
          onSave={send}
          language="json"
          ariaLabel="Request body (JSON)"
          minHeight="360px"
        />
        {problem ? (
          <div className="small text-danger mt-1" role="alert">
            Not valid JSON: {problem}
          </div>
        ) : null}
        {service.data?.visibility === 'private' ? (
          <Form.Group className="mt-2" controlId="tryit-token">
            <Form.Label className="small mb-1">API token</Form.Label>
            <Form.Control
              type="password"
              size="sm"
              autoComplete="off"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              placeholder="orsa_…"
            />
            <Form.Text>
              A private service takes a bearer token (create one under API tokens): it runs on its
              own origin, where your ORSA login is never sent.
            </Form.Text>
          </Form.Group>
        ) : null}
        <Button
          className="mt-2"
          onClick={send}
          disabled={Boolean(problem) || !serviceUrl || solve.isPending}
        >
          {solve.isPending ? 'Solving…' : 'Send'}
        </Button>
      </Col>
      <Col xs={6}>
        <div className="small fw-semibold mb-1">Response</div>
        {solve.isError ? <Alert variant="danger">{errorMessage(solve.error)}</Alert> : null}
        {result ? (
          <>
            <div className="d-flex gap-2 align-items-center mb-1" data-testid="solve-status">
              <Badge bg={result.ok ? 'success' : 'danger'}>
                {result.ok ? '✓' : '✕'} HTTP {result.status}
              </Badge>
              <span className="small text-secondary">{result.millis} ms</span>
            </div>
            <pre className="response-view" aria-label="Response body" data-testid="solve-response">
              {result.body}
            </pre>
          </>
        ) : (
          <p className="text-secondary small">
            Send the request to see the answer of the live deployment.
          </p>
        )}
      </Col>
    </Row>
  );
}
