import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Form from 'react-bootstrap/Form';
import { errorMessage } from '@/lib/api-client';
import { useRegister } from '../api/register';
import { FieldError, invalidFieldProps } from '@/components/ui/field-error';

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
          {...invalidFieldProps(
            'register-username',
            touched && !usernameOk,
            'register-username-help',
          )}
          onChange={(e) => setUsername(e.target.value)}
        />
        <Form.Text id="register-username-help">
          Lowercase letters, digits and dashes; it appears in your URLs.
        </Form.Text>
        <FieldError fieldId="register-username">
          Use lowercase letters, digits and dashes (start with a letter or digit).
        </FieldError>
      </Form.Group>
      <Form.Group className="mb-3" controlId="register-email">
        <Form.Label>Email</Form.Label>
        <Form.Control
          type="email"
          autoComplete="email"
          value={email}
          {...invalidFieldProps('register-email', touched && !emailOk)}
          onChange={(e) => setEmail(e.target.value)}
        />
        <FieldError fieldId="register-email">Enter an email address.</FieldError>
      </Form.Group>
      <Form.Group className="mb-3" controlId="register-password">
        <Form.Label>Password</Form.Label>
        <Form.Control
          type="password"
          autoComplete="new-password"
          value={password}
          {...invalidFieldProps('register-password', touched && !passwordOk)}
          onChange={(e) => setPassword(e.target.value)}
        />
        <FieldError fieldId="register-password">At least 10 characters.</FieldError>
      </Form.Group>
      <Button type="submit" className="w-100" disabled={mutation.isPending}>
        {mutation.isPending ? 'Creating account…' : 'Create account'}
      </Button>
    </Form>
  );
}
