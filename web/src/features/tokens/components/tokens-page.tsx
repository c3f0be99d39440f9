import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Card from 'react-bootstrap/Card';
import Form from 'react-bootstrap/Form';
import Table from 'react-bootstrap/Table';
import { ConfirmDeleteModal } from '@/components/ui/confirm-delete-modal';
import { CopyButton } from '@/components/ui/copy-button';
import { PageHeader } from '@/components/ui/page-header';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { useToast } from '@/components/ui/toasts';
import { formatAge, formatTime } from '@/lib/format';
import type { ApiToken, TokenScope } from '@/types/api';
import { useCreateToken } from '../api/create-token';
import { useTokens } from '../api/get-tokens';
import { useRevokeToken } from '../api/revoke-token';

const EXPIRY_CHOICES = [
  { days: 7, label: '7 days' },
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
  { days: 365, label: '1 year' },
  { days: 0, label: 'Never' },
];

const SCOPES: { scope: TokenScope; label: string }[] = [
  { scope: 'read', label: 'read' },
  { scope: 'write', label: 'write' },
  { scope: 'deploy', label: 'deploy' },
  { scope: 'admin', label: 'admin' },
];

function NewTokenForm({ onCreated }: { onCreated: (token: ApiToken) => void }) {
  const [name, setName] = useState('');
  const [days, setDays] = useState(30);
  const [scopes, setScopes] = useState<TokenScope[]>(SCOPES.map((s) => s.scope));
  const narrowed = scopes.length < SCOPES.length;
  const create = useCreateToken();
  const toast = useToast();
  return (
    <Form
      className="d-flex gap-2 align-items-end flex-wrap"
      onSubmit={(e) => {
        e.preventDefault();
        if (!name.trim()) return;
        create.mutate(
          {
            name: name.trim(),
            ...(days > 0 ? { expires_in_days: days } : {}),
            ...(narrowed ? { scopes } : {}),
          },
          {
            onSuccess: (t) => {
              setName('');
              onCreated(t);
            },
            onError: (err) => toast.notifyError(err, 'Could not create the token'),
          },
        );
      }}
    >
      <Form.Group controlId="token-name">
        <Form.Label>Name</Form.Label>
        <Form.Control
          value={name}
          maxLength={100}
          placeholder="ci-pipeline"
          onChange={(e) => setName(e.target.value)}
        />
      </Form.Group>
      <Form.Group controlId="token-expiry">
        <Form.Label>Expires after</Form.Label>
        <Form.Select value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {EXPIRY_CHOICES.map((c) => (
            <option key={c.days} value={c.days}>
              {c.label}
            </option>
          ))}
        </Form.Select>
      </Form.Group>
      <fieldset className="d-flex gap-2 align-items-center">
        <legend className="form-label mb-0 me-1 fs-6">Scopes</legend>
        {SCOPES.map(({ scope, label }) => (
          <Form.Check
            key={scope}
            inline
            id={`token-scope-${scope}`}
            label={label}
            checked={scopes.includes(scope)}
            onChange={(e) =>
              setScopes((current) =>
                e.target.checked
                  ? SCOPES.map((s) => s.scope).filter((s) => s === scope || current.includes(s))
                  : current.filter((s) => s !== scope),
              )
            }
          />
        ))}
      </fieldset>
      <Button type="submit" disabled={!name.trim() || scopes.length === 0 || create.isPending}>
        {create.isPending ? 'Creating…' : 'Create token'}
      </Button>
    </Form>
  );
}

/** API tokens: create (secret shown once), list, revoke. */
export function TokensPage() {
  const tokens = useTokens();
  const revoke = useRevokeToken();
  const toast = useToast();
  const [fresh, setFresh] = useState<ApiToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  return (
    <>
      <PageHeader title="API tokens" />
      <p className="text-secondary">
        Tokens authenticate the CLI, scripts and the registry (<code>Authorization: Bearer …</code>
        ).
      </p>
      <Card className="mb-3">
        <Card.Body>
          <NewTokenForm
            onCreated={(t) => {
              setFresh(t);
              toast.notify('success', `Token ${t.name} created.`);
            }}
          />
        </Card.Body>
      </Card>
      {fresh?.secret ? (
        <Alert variant="success" data-testid="token-secret">
          <p className="mb-1">
            <strong>Copy the secret of {fresh.name} now:</strong> it is shown only this once.
          </p>
          <div className="d-flex gap-2 align-items-center">
            <code className="token-secret">{fresh.secret}</code>
            <CopyButton text={fresh.secret} />
            <Button size="sm" variant="outline-success" onClick={() => setFresh(null)}>
              Done
            </Button>
          </div>
        </Alert>
      ) : null}
      {tokens.isLoading ? <Loading label="Loading tokens…" /> : null}
      {tokens.isError ? <ErrorState error={tokens.error} /> : null}
      {tokens.data && tokens.data.length === 0 ? <EmptyState title="No API tokens" /> : null}
      {tokens.data && tokens.data.length > 0 ? (
        <Table hover className="align-middle" aria-label="API tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Scopes</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td className="small">{formatAge(t.created_at)}</td>
                <td className="small">{(t.scopes ?? []).join(', ')}</td>
                <td className="small">{t.expires_at ? formatTime(t.expires_at) : 'never'}</td>
                <td className="small">{t.last_used_at ? formatAge(t.last_used_at) : 'never'}</td>
                <td className="text-end">
                  <Button size="sm" variant="outline-danger" onClick={() => setRevoking(t)}>
                    Revoke<span className="visually-hidden"> {t.name}</span>
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
      <ConfirmDeleteModal
        show={revoking !== null}
        title={`Revoke token ${revoking?.name ?? ''}?`}
        actionLabel="Revoke"
        busy={revoke.isPending}
        onCancel={() => setRevoking(null)}
        onConfirm={() =>
          revoking &&
          revoke.mutate(revoking.id, {
            onSuccess: () => {
              toast.notify('success', `Token ${revoking.name} revoked.`);
              setRevoking(null);
            },
            onError: (e) => toast.notifyError(e, 'Could not revoke the token'),
          })
        }
      >
        <p className="mb-0">Anything using it stops working at once.</p>
      </ConfirmDeleteModal>
    </>
  );
}
