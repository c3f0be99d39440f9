import { useState } from 'react';
import Button from 'react-bootstrap/Button';
import { ConfirmDeleteModal } from '@/components/ui/confirm-delete-modal';
import { useToast } from '@/components/ui/toasts';
import { useDeleteProject } from '../api/delete-project';

export function DeleteProjectButton({
  owner,
  name,
  onDeleted,
}: {
  owner: string;
  name: string;
  onDeleted?: () => void;
}) {
  const [show, setShow] = useState(false);
  const remove = useDeleteProject();
  const toast = useToast();
  return (
    <>
      <Button size="sm" variant="outline-danger" onClick={() => setShow(true)}>
        Delete<span className="visually-hidden"> project {name}</span>
      </Button>
      <ConfirmDeleteModal
        show={show}
        title={`Delete ${owner}/${name}?`}
        confirmText={name}
        busy={remove.isPending}
        onCancel={() => setShow(false)}
        onConfirm={() =>
          remove.mutate(
            { owner, name },
            {
              onSuccess: () => {
                setShow(false);
                toast.notify('success', `Project ${name} deleted.`);
                onDeleted?.();
              },
              onError: (e) => toast.notifyError(e, 'Could not delete the project'),
            },
          )
        }
      >
        <p className="mb-0">The repository and its history are deleted. This cannot be undone.</p>
      </ConfirmDeleteModal>
    </>
  );
}
