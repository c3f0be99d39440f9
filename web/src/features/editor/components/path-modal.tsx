import { useState } from 'react';
import Button from 'react-bootstrap/Button';
import Form from 'react-bootstrap/Form';
import Modal from 'react-bootstrap/Modal';
import { pathProblem } from './working-copy';
import { FieldError, invalidFieldProps } from '@/components/ui/field-error';

/** Asks for a new file path (add or rename). */
export function PathModal({
  show,
  title,
  initial,
  existing,
  actionLabel,
  onCancel,
  onSubmit,
}: {
  show: boolean;
  title: string;
  initial: string;
  existing: string[];
  actionLabel: string;
  onCancel: () => void;
  onSubmit: (path: string) => void;
}) {
  const [path, setPath] = useState(initial);
  const [touched, setTouched] = useState(false);
  const problem = pathProblem(path.trim(), existing);
  return (
    <Modal
      show={show}
      onHide={onCancel}
      onShow={() => {
        setPath(initial);
        setTouched(false);
      }}
      centered
    >
      <Form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setTouched(true);
          if (!problem) onSubmit(path.trim());
        }}
      >
        <Modal.Header closeButton>
          <Modal.Title as="h2" className="h5">
            {title}
          </Modal.Title>
        </Modal.Header>
        <Modal.Body>
          <Form.Group controlId="file-path">
            <Form.Label>File path</Form.Label>
            <Form.Control
              autoFocus
              value={path}
              {...invalidFieldProps('file-path', touched && problem !== null)}
              onChange={(e) => setPath(e.target.value)}
              placeholder="data/instance.json"
            />
            <FieldError fieldId="file-path">{problem}</FieldError>
          </Form.Group>
        </Modal.Body>
        <Modal.Footer>
          <Button variant="outline-secondary" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit">{actionLabel}</Button>
        </Modal.Footer>
      </Form>
    </Modal>
  );
}
