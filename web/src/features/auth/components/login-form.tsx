import { useState } from 'react';
import Alert from 'react-bootstrap/Alert';
import Button from 'react-bootstrap/Button';
import Form from 'react-bootstrap/Form';
import { errorMessage } from '@/lib/api-client';
import { useLogin } from '../api/login';

/** Username-or-email and password; the server's message on failure. */
export function LoginForm({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [loginName, setLoginName] = useState('');
  const [password, setPassword] = useState('');
  const mutation = useLogin();
  return (
    <Form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        mutation.mutate({ login: loginName.trim(), password }, { onSuccess: onLoggedIn });
      }}
    >
      {mutation.isError ? (
        <Alert variant="danger" role="alert">
          {errorMessage(mutation.error)}
        </Alert>
      ) : null}
      <Form.Group className="mb-3" controlId="login-name">
        <Form.Label>Username or email</Form.Label>
        <Form.Control
          autoComplete="username"
          required
          autoFocus
          value={loginName}
          onChange={(e) => setLoginName(e.target.value)}
        />
      </Form.Group>
      <Form.Group className="mb-3" controlId="login-password">
        <Form.Label>Password</Form.Label>
        <Form.Control
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </Form.Group>
      <Button
        type="submit"
        className="w-100"
        disabled={mutation.isPending || !loginName || !password}
      >
        {mutation.isPending ? 'Logging in…' : 'Log in'}
      </Button>
    </Form>
  );
}
