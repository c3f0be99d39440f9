import { useState } from 'react';
import Button from 'react-bootstrap/Button';
import { ConfirmDeleteModal } from '@/components/ui/confirm-delete-modal';
import { useToast } from '@/components/ui/toasts';
import type { Deployment } from '@/types/api';
import { useDeleteDeployment } from '../api/delete-deployment';

/** Deletes one deployment (and its container) after a confirmation. */
export function DeleteDeploymentButton({ deployment: d }: { deployment: Deployment }) {
  const [show, setShow] = useState(false);
  const remove = useDeleteDeployment();
  const toast = useToast();
  return (
    <>
      <Button size="sm" variant="outline-danger" onClick={() => setShow(true)}>
        Delete deployment<span className="visually-hidden"> of image {d.image_tag}</span>
      </Button>
      <ConfirmDeleteModal
        show={show}
        title={`Delete the deployment of image ${d.image_tag}?`}
        busy={remove.isPending}
        onCancel={() => setShow(false)}
        onConfirm={() =>
          remove.mutate(d.id, {
            onSuccess: () => {
              setShow(false);
              toast.notify('success', 'Deployment deleted.');
            },
            onError: (e) => toast.notifyError(e, 'Could not delete the deployment'),
          })
        }
      >
        <p className="mb-0">
          {d.live
            ? `The container stops and ${d.url ?? 'its service URL'} stops answering. The image is kept.`
            : 'Its container (if any) is removed. The image is kept.'}
        </p>
      </ConfirmDeleteModal>
    </>
  );
}
