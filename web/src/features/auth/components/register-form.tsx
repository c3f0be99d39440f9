import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Form from 'react-bootstrap/Form';
import { errorMessage } from '@/lib/api-client';
import { useRegister } from '../api/register';

const USERNAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Open registration; checks what the server will check, shows what it says. */
export function RegisterForm({ onRegistered }: { onRegistered: () => void }) {
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [touched, setTouched] = useState(false);
  const mutation = useRegister();
  const usernameOk = USERNAME.test(username);
  const passwordOk = password.length >= 10;
  const emailOk = email.includes('@');
  return (
    <Form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (!usernameOk || !passwordOk || !emailOk) return;
        mutation.mutate({ username, email: email.trim(), password }, { onSuccess: onRegistered });
      }}
    >
      {mutation.isError ? (
        <Alert variant="danger" role="alert">
          {errorMessage(mutation.error)}
        </Alert>
      ) : null}
      <Form.Group className="mb-3" controlId="register-username">
        <Form.Label>Username</Form.Label>
        <Form.Control
          autoComplete="username"
          autoFocus
          value={username}
          isInvalid={touched && !usernameOk}
          onChange={(e) => setUsername(e.target.value)}
          aria-describedby="register-username-help"
        />
        <Form.Text id="register-username-help">
          Lowercase letters, digits and dashes; it appears in your URLs.
        </Form.Text>
        <Form.Control.Feedback type="invalid">
          Use lowercase letters, digits and dashes (start with a letter or digit).
        </Form.Control.Feedback>
      </Form.Group>
      <Form.Group className="mb-3" controlId="register-email">
        <Form.Label>Email</Form.Label>
        <Form.Control
          type="email"
          autoComplete="email"
          value={email}
          isInvalid={touched && !emailOk}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Form.Control.Feedback type="invalid">Enter an email address.</Form.Control.Feedback>
      </Form.Group>
      <Form.Group className="mb-3" controlId="register-password">
        <Form.Label>Password</Form.Label>
        <Form.Control
          type="password"
          autoComplete="new-password"
          value={password}
          isInvalid={touched && !passwordOk}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Form.Control.Feedback type="invalid">At least 10 characters.</Form.Control.Feedback>
      </Form.Group>
      <Button type="submit" className="w-100" disabled={mutation.isPending}>
        {mutation.isPending ? 'Creating account…' : 'Create account'}
      </Button>
    </Form>
  );
}
