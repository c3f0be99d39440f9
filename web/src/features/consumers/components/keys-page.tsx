import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Card from 'react-bootstrap/Card';
import { ConfirmDeleteModal } from '@/components/ui/confirm-delete-modal';
import { CopyButton } from '@/components/ui/copy-button';
import { EmptyState, ErrorState, Loading } from '@/components/ui/states';
import { useToast } from '@/components/ui/toasts';
import type { ConsumerKey } from '@/types/api';
import { useConsumerKeys } from '../api/get-keys';
import { useRevokeConsumerKey } from '../api/revoke-key';
import { CustomerSnippet } from './customer-snippet';
import { KeysTable } from './keys-table';
import { NewKeyForm } from './new-key-form';

function FreshSecret({ fresh, onDone }: { fresh: ConsumerKey; onDone: () => void }) {
  if (!fresh.secret) return null;
  return (
    <Alert variant="success" data-testid="key-secret">
      <p className="mb-1">
        <strong>Copy the key of {fresh.name} now:</strong> it is shown only this once. Hand it to
        your customer over a private channel.
      </p>
      <div className="d-flex gap-2 align-items-center flex-wrap">
        <code className="token-secret">{fresh.secret}</code>
        <CopyButton text={fresh.secret} />
        <Button size="sm" variant="outline-success" onClick={onDone}>
          Done
        </Button>
      </div>
    </Alert>
  );
}

/**
 * A project's consumer keys: issue one (secret shown once), list them with
 * this month's use against their quotas, revoke; and how a customer calls.
 */
export function KeysPage({
  owner,
  name,
  serviceUrl,
  apiOrigin = window.location.origin,
}: {
  owner: string;
  name: string;
  /** The live deployment's URL; null when none is live. */
  serviceUrl: string | null;
  apiOrigin?: string;
}) {
  const keys = useConsumerKeys(owner, name);
  const revoke = useRevokeConsumerKey(owner, name);
  const toast = useToast();
  const [fresh, setFresh] = useState<ConsumerKey | null>(null);
  const [revoking, setRevoking] = useState<ConsumerKey | null>(null);
  return (
    <>
      <p className="text-secondary">
        Keys let your customers call this project&apos;s service and submit runs without an ORSA
        account. Each key can expire, be rate-limited and have monthly quotas.
      </p>
      <Card className="mb-3">
        <Card.Body>
          <NewKeyForm
            owner={owner}
            name={name}
            onIssued={(key) => {
              setFresh(key);
              toast.notify('success', `Key ${key.name} issued.`);
            }}
          />
        </Card.Body>
      </Card>
      {fresh ? <FreshSecret fresh={fresh} onDone={() => setFresh(null)} /> : null}
      {keys.isLoading ? <Loading label="Loading keys…" /> : null}
      {keys.isError ? <ErrorState error={keys.error} onRetry={() => void keys.refetch()} /> : null}
      {keys.data && keys.data.length === 0 ? (
        <EmptyState title="No keys yet">Issue one above for your first customer.</EmptyState>
      ) : null}
      {keys.data && keys.data.length > 0 ? (
        <KeysTable keys={keys.data} onRevoke={setRevoking} />
      ) : null}
      <CustomerSnippet owner={owner} name={name} serviceUrl={serviceUrl} apiOrigin={apiOrigin} />
      <ConfirmDeleteModal
        show={revoking !== null}
        title={`Revoke key ${revoking?.name ?? ''}?`}
        actionLabel="Revoke"
        busy={revoke.isPending}
        onCancel={() => setRevoking(null)}
        onConfirm={() =>
          revoking &&
          revoke.mutate(revoking.id, {
            onSuccess: () => {
              toast.notify('success', `Key ${revoking.name} revoked.`);
              if (fresh?.id === revoking.id) setFresh(null);
              setRevoking(null);
            },
            onError: (e) => toast.notifyError(e, 'Could not revoke the key'),
          })
        }
      >
        <p className="mb-0">Calls with it are refused (401) at once. This cannot be undone.</p>
      </ConfirmDeleteModal>
    </>
  );
}
