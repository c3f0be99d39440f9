import { useState } from 'react';
import Button from 'react-bootstrap/Button';
import Card from 'react-bootstrap/Card';
import Form from 'react-bootstrap/Form';
import { useToast } from '@/components/ui/toasts';
import { useChangePassword } from '../api/change-password';

const MIN_LENGTH = 10;

/** Changes the signed-in user's password; other sessions are signed out. */
export function ChangePasswordCard() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useChangePassword();
  const toast = useToast();
  return (
    <Card className="mb-3">
      <Card.Body>
        <Card.Title as="h2" className="fs-5">
          Password
        </Card.Title>
        <Form
          className="d-flex gap-2 align-items-end flex-wrap"
          onSubmit={(e) => {
            e.preventDefault();
            change.mutate(
              { current_password: current, new_password: next },
              {
                onSuccess: () => {
                  setCurrent('');
                  setNext('');
                  toast.notify('success', 'Password changed; your other sessions were signed out.');
                },
                onError: (err) => toast.notifyError(err, 'Could not change the password'),
              },
            );
          }}
        >
          <Form.Group controlId="current-password">
            <Form.Label>Current password</Form.Label>
            <Form.Control
              type="password"
              autoComplete="current-password"
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          </Form.Group>
          <Form.Group controlId="new-password">
            <Form.Label>New password</Form.Label>
            <Form.Control
              type="password"
              autoComplete="new-password"
              minLength={MIN_LENGTH}
              value={next}
              onChange={(e) => setNext(e.target.value)}
            />
          </Form.Group>
          <Button
            type="submit"
            variant="outline-primary"
            disabled={!current || next.length < MIN_LENGTH || change.isPending}
          >
            {change.isPending ? 'Changing…' : 'Change password'}
          </Button>
        </Form>
      </Card.Body>
    </Card>
  );
}
