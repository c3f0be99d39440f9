import { useState } from 'react';
import Button from 'react-bootstrap/Button';
import { ConfirmDeleteModal } from '@/components/ui/confirm-delete-modal';
import { useToast } from '@/components/ui/toasts';
import type { Run } from '@/types/api';
import { useCancelRun } from '../api/cancel-run';

/** Cancels a queued or running run after the user confirms. */
export function CancelRunButton({ run }: { run: Run }) {
  const [asking, setAsking] = useState(false);
  const cancel = useCancelRun();
  const toast = useToast();
  return (
    <>
      <Button
        size="sm"
        variant="outline-danger"
        disabled={cancel.isPending || run.cancel_requested}
        onClick={() => setAsking(true)}
      >
        {run.cancel_requested ? 'Canceling…' : 'Cancel run'}
      </Button>
      <ConfirmDeleteModal
        show={asking}
        title="Cancel this run?"
        actionLabel="Cancel run"
        dismissLabel="Keep it"
        busy={cancel.isPending}
        onCancel={() => setAsking(false)}
        onConfirm={() =>
          cancel.mutate(run.id, {
            onSuccess: () => setAsking(false),
            onError: (e) => {
              setAsking(false);
              toast.notifyError(e, 'Cancel failed');
            },
          })
        }
      >
        {run.status === 'queued'
          ? 'It leaves the queue at once and never starts.'
          : 'The model is stopped; what it printed so far stays in the log.'}
      </ConfirmDeleteModal>
    </>
  );
}
