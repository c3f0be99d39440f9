import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import { ConfirmDeleteModal } from '@/components/ui/confirm-delete-modal';
import { useToast } from '@/components/ui/toasts';
import { errorMessage } from '@/lib/api-client';
import type { Image } from '@/types/api';
import { useDeleteImage } from '../api/delete-image';

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
        {image.deployed ? (
          <Alert variant="warning" className="mb-0">
            This image is deployed; the server refuses to delete it until the deployment is deleted.
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
