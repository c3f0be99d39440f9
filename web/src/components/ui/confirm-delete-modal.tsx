import { useId, useState, type ReactNode } from 'react';
import Button from 'react-bootstrap/Button';
import Form from 'react-bootstrap/Form';
import Modal from 'react-bootstrap/Modal';

interface Props {
  show: boolean;
  title: string;
  /** When set, the user must type it to confirm. */
  confirmText?: string;
  children?: ReactNode;
  busy?: boolean;
  actionLabel?: string;
  /** The label of the button that closes the dialog doing nothing. */
  dismissLabel?: string;
  onCancel: () => void;
  onConfirm: () => void;
}

/** A destructive action's confirmation, optionally typing a name. */
export function ConfirmDeleteModal({
  show,
  title,
  confirmText,
  children,
  busy,
  actionLabel = 'Delete',
  dismissLabel = 'Cancel',
  onCancel,
  onConfirm,
}: Props) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const ok = !confirmText || typed === confirmText;
  return (
    <Modal show={show} onHide={onCancel} onExited={() => setTyped('')} centered>
      <Form
        onSubmit={(e) => {
          e.preventDefault();
          if (ok && !busy) onConfirm();
        }}
      >
        <Modal.Header closeButton>
          <Modal.Title as="h2" className="h5">
            {title}
          </Modal.Title>
        </Modal.Header>
        <Modal.Body>
          {children}
          {confirmText ? (
            <Form.Group controlId={inputId} className="mt-3">
              <Form.Label>
                Type <code>{confirmText}</code> to confirm
              </Form.Label>
              <Form.Control
                autoFocus
                autoComplete="off"
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
              />
            </Form.Group>
          ) : null}
        </Modal.Body>
        <Modal.Footer>
          <Button variant="outline-secondary" onClick={onCancel}>
            {dismissLabel}
          </Button>
          <Button type="submit" variant="danger" disabled={!ok || busy}>
            {busy ? 'Working…' : actionLabel}
          </Button>
        </Modal.Footer>
      </Form>
    </Modal>
  );
}
