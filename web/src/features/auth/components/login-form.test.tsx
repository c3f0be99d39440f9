import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { apiError, json, mockFetch } from '@/testing/fetch-mock';
import { renderWithProviders } from '@/testing/render';
import { LoginForm } from './login-form';

async function submit(login: string, password: string) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('Username or email'), login);
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Log in' }));
}

describe('LoginForm', () => {
  it("shows the server's message for a wrong password", async () => {
    mockFetch({
      'POST /api/v1/auth/login': () =>
        apiError(401, 'unauthenticated', 'wrong username or password'),
    });
    const onLoggedIn = vi.fn();
    renderWithProviders(<LoginForm onLoggedIn={onLoggedIn} />);
    await submit('alice', 'not-the-password');
    expect(await screen.findByRole('alert')).toHaveTextContent('wrong username or password');
    expect(onLoggedIn).not.toHaveBeenCalled();
  });

  it('shows the rate limit with its delay', async () => {
    mockFetch({
      'POST /api/v1/auth/login': () =>
        json({ error: { code: 'rate_limited', message: 'too many failed logins' } }, 429, {
          'Retry-After': '60',
        }),
    });
    renderWithProviders(<LoginForm onLoggedIn={() => {}} />);
    await submit('alice', 'x');
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'too many failed logins Try again in 60 s.',
    );
  });

  it('posts login and password and reports success', async () => {
    const { calls } = mockFetch({
      'POST /api/v1/auth/login': () =>
        json({
          token: 't',
          csrf_token: 'c',
          expires_at: '',
          user: { id: 'u1', username: 'alice', email: 'a@x', role: 'developer', disabled: false },
        }),
    });
    const onLoggedIn = vi.fn();
    renderWithProviders(<LoginForm onLoggedIn={onLoggedIn} />);
    await submit('alice', 'password-1234');
    await vi.waitFor(() => expect(onLoggedIn).toHaveBeenCalled());
    expect(JSON.parse(calls[0].body ?? '')).toEqual({ login: 'alice', password: 'password-1234' });
  });
});
