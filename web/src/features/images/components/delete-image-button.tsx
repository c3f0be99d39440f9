import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import { ConfirmDeleteModal } from '@/components/ui/confirm-delete-modal';
import { useToast } from '@/components/ui/toasts';
import { errorMessage } from '@/lib/api-client';
import type { Image } from '@/types/api';
import { useDeleteImage } from '../api/delete-image';

/** Why the server will refuse (409) to delete an image deployments still use. */
export function inUseMessage(image: Image): string {
  const n = image.deployments;
  const which = image.deployed ? 'including a running one' : 'stopped or failed';
  return (
    `${n} deployment${n === 1 ? '' : 's'} (${which}) use${n === 1 ? 's' : ''} this image; ` +
    'the server refuses to delete it until they are deleted on the Deployment tab.'
  );
}

export function DeleteImageButton({ image }: { image: Image }) {
  const [show, setShow] = useState(false);
  const remove = useDeleteImage();
  const toast = useToast();
  return (
    <>
      <Button size="sm" variant="outline-danger" onClick={() => setShow(true)}>
        Delete<span className="visually-hidden"> image {image.tag}</span>
      </Button>
      <ConfirmDeleteModal
        show={show}
        title={`Delete image ${image.reference}?`}
        busy={remove.isPending}
        onCancel={() => {
          setShow(false);
          remove.reset();
        }}
        onConfirm={() =>
          remove.mutate(image.id, {
            onSuccess: () => {
              setShow(false);
              toast.notify('success', `Image ${image.reference} deleted.`);
            },
            onError: (e) => toast.notifyError(e, 'Could not delete the image'),
          })
        }
      >
        <p>The tag is removed from the registry; builds keep their logs.</p>
        {image.deployments > 0 ? (
          <Alert variant="warning" className="mb-0" data-testid="image-in-use">
            {inUseMessage(image)}
          </Alert>
        ) : null}
        {remove.isError ? (
          <Alert variant="danger" className="mt-2 mb-0">
            {errorMessage(remove.error)}
          </Alert>
        ) : null}
      </ConfirmDeleteModal>
    </>
  );
}
