import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Card from 'react-bootstrap/Card';
import Table from 'react-bootstrap/Table';
import { ErrorState, Loading } from '@/components/ui/states';
import { useToast } from '@/components/ui/toasts';
import { errorMessage } from '@/lib/api-client';
import { formatTime } from '@/lib/format';
import { useIdentities } from '../api/get-identities';
import { useProviders } from '../api/get-providers';
import { useLinkIdentity } from '../api/link-identity';
import { useUnlinkIdentity } from '../api/unlink-identity';

/**
 * The provider identities the user signs in with: the linked ones (each can
 * be unlinked unless it is the last way to sign in) and a "Link …" button
 * per configured provider, which leaves for the provider and comes back here.
 */
export function LinkedIdentitiesCard() {
  const identities = useIdentities();
  const providers = useProviders();
  const link = useLinkIdentity();
  const unlink = useUnlinkIdentity();
  const toast = useToast();
  // Once the server answered, the browser is on its way to the provider.
  const leaving = link.isPending || link.isSuccess;
  return (
    <Card className="mb-3">
      <Card.Body>
        <Card.Title as="h2" className="fs-5">
          Linked identities
        </Card.Title>
        <p className="text-secondary small">
          Each identity signs you in to this account. Linking never matches e-mail addresses: you
          sign in with the provider to prove the identity is yours.
        </p>
        {unlink.isError ? (
          <Alert variant="danger" role="alert" dismissible onClose={() => unlink.reset()}>
            {errorMessage(unlink.error)}
          </Alert>
        ) : null}
        {link.isError ? (
          <Alert variant="danger" role="alert" dismissible onClose={() => link.reset()}>
            {errorMessage(link.error)}
          </Alert>
        ) : null}
        {identities.isLoading ? <Loading label="Loading linked identities…" /> : null}
        {identities.isError ? (
          <ErrorState error={identities.error} onRetry={() => void identities.refetch()} />
        ) : null}
        {identities.data && identities.data.length === 0 ? (
          <p className="mb-3">No identity is linked to this account.</p>
        ) : null}
        {identities.data && identities.data.length > 0 ? (
          <Table hover className="align-middle" aria-label="Linked identities">
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">Email</th>
                <th scope="col">Subject</th>
                <th scope="col">Linked</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {identities.data.map((identity) => (
                <tr key={identity.id}>
                  <td>{identity.provider_name || identity.provider}</td>
                  <td>{identity.email || '—'}</td>
                  <td className="small font-monospace text-break">{identity.subject}</td>
                  <td className="small">{formatTime(identity.created_at)}</td>
                  <td className="text-end">
                    <Button
                      size="sm"
                      variant="outline-danger"
                      disabled={unlink.isPending}
                      onClick={() =>
                        unlink.mutate(identity.id, {
                          onSuccess: () =>
                            toast.notify(
                              'success',
                              `${identity.provider_name || identity.provider} identity unlinked.`,
                            ),
                        })
                      }
                    >
                      Unlink
                      <span className="visually-hidden">
                        {' '}
                        {identity.provider_name || identity.provider}{' '}
                        {identity.email || identity.subject}
                      </span>
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : null}
        {providers.isError ? <ErrorState error={providers.error} /> : null}
        {providers.data && providers.data.length === 0 ? (
          <p className="text-secondary small mb-0">
            No sign-in provider is configured on this server.
          </p>
        ) : null}
        {providers.data && providers.data.length > 0 ? (
          <div className="d-flex gap-2 flex-wrap">
            {providers.data.map((p) => (
              <Button
                key={p.id}
                variant="outline-primary"
                disabled={leaving}
                onClick={() => link.mutate({ provider: p.id })}
              >
                Link {p.name}
              </Button>
            ))}
          </div>
        ) : null}
      </Card.Body>
    </Card>
  );
}
