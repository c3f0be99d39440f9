import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/lib/api-client';
import { apiError, json, mockFetch, text } from '@/testing/fetch-mock';
import { image, run } from '@/testing/fixtures';
import { renderWithProviders } from '@/testing/render';
import { RunForm } from './run-form';
import {
  fieldOfServerError,
  parseOptions,
  validateRunForm,
  type RunFormValues,
} from './run-form-values';

const values = (over: Partial<RunFormValues> = {}): RunFormValues => ({
  source: 'edit',
  text: '{"capacity": 15}',
  fileText: null,
  fileName: '',
  timeLimit: '',
  options: '',
  imageId: '',
  ...over,
});

describe('run form values', () => {
  it('reads options as key=value rows or a JSON object', () => {
    expect(parseOptions('')).toEqual({ ok: true, value: {} });
    expect(parseOptions('seed=7\n# a comment\n\ngap = 0.01\nmethod=dual\nverbose=true')).toEqual({
      ok: true,
      value: { seed: 7, gap: 0.01, method: 'dual', verbose: true },
    });
    expect(parseOptions('name="x=y"\nlist=[1,2]')).toEqual({
      ok: true,
      value: { name: 'x=y', list: [1, 2] },
    });
    expect(parseOptions('{"seed": 7}')).toEqual({ ok: true, value: { seed: 7 } });
    expect(parseOptions('seed')).toEqual({
      ok: false,
      error: 'Line 1: write key=value (or a JSON object).',
    });
    expect(parseOptions('a=1\na=2')).toEqual({ ok: false, error: 'Line 2: a is set twice.' });
    expect(parseOptions('{"seed": }')).toMatchObject({ ok: false });
    expect(parseOptions('{}x')).toMatchObject({ ok: false });
  });

  it('checks the input, the time limit and the options field by field', () => {
    expect(validateRunForm(values(), null)).toEqual({});
    expect(validateRunForm(values({ source: 'project' }), null).input).toMatch(/no input.json/);
    expect(validateRunForm(values({ source: 'project' }), '[1]')).toEqual({});
    expect(validateRunForm(values({ text: '{"a":' }), null).input).toMatch(/not valid JSON/);
    expect(validateRunForm(values({ source: 'file' }), '{}').input).toBe('Choose a JSON file.');
    for (const bad of ['0', '-3', '1.5', 'abc', '999999999'])
      expect(validateRunForm(values({ timeLimit: bad }), null).timeLimit).toMatch(/whole number/);
    expect(validateRunForm(values({ timeLimit: ' 30 ' }), null)).toEqual({});
    expect(validateRunForm(values({ options: 'oops' }), null).options).toMatch(/key=value/);
  });

  it('maps the server refusals onto fields', () => {
    const err = (status: number, message: string) => new ApiError(status, 'x', message);
    expect(fieldOfServerError(err(400, 'time_limit_s must be between 1 and 3600'))).toBe(
      'timeLimit',
    );
    expect(fieldOfServerError(err(413, 'options exceed the limit of 65536 bytes'))).toBe('options');
    expect(fieldOfServerError(err(413, 'the input exceeds the limit of 10 bytes'))).toBe('input');
    expect(fieldOfServerError(err(413, 'Too large.'))).toBe('input');
    expect(fieldOfServerError(err(422, 'the input is not valid JSON'))).toBe('input');
    expect(fieldOfServerError(err(404, 'image not found in this project'))).toBe('image');
    expect(fieldOfServerError(err(429, 'you have 5 runs waiting'))).toBeNull();
    expect(fieldOfServerError(err(409, 'the project has no image yet'))).toBeNull();
    expect(fieldOfServerError(new Error('x'))).toBeNull();
  });
});

describe('RunForm', () => {
  const input = 'GET /api/v1/projects/alice/knap/files/input.json';
  const post = 'POST /api/v1/projects/alice/knap/runs';

  it('submits input.json with the time limit, options and image', async () => {
    document.cookie = 'orsa_csrf=c1; path=/';
    const { calls } = mockFetch({
      [input]: () => text('{"capacity": 15}'),
      [post]: () => json(run(), 202),
    });
    const onSubmitted = vi.fn();
    renderWithProviders(
      <RunForm
        owner="alice"
        name="knap"
        images={[image({ id: 'img_2', tag: '2', deployed: true }), image()]}
        onSubmitted={onSubmitted}
      />,
    );
    expect(await screen.findByLabelText('input.json')).toHaveTextContent('{"capacity": 15}');
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Time limit (seconds)'), '30');
    await user.type(screen.getByLabelText('Options'), 'seed=7');
    await user.selectOptions(screen.getByLabelText('Image'), 'img_2');
    expect(screen.getByRole('option', { name: 'Image 2 · abcdef1 (live)' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Run' }));
    await vi.waitFor(() => expect(onSubmitted).toHaveBeenCalledWith(run()));
    const sent = calls.find((c) => c.method === 'POST');
    expect(JSON.parse(sent?.body ?? '')).toEqual({
      input: { capacity: 15 },
      options: { seed: 7 },
      time_limit_s: 30,
      image_id: 'img_2',
    });
    expect(sent?.headers['x-csrf-token']).toBe('c1');
  });

  it('marks invalid fields and sends nothing', async () => {
    const { calls } = mockFetch({ [input]: () => apiError(404, 'not_found', 'no such file') });
    renderWithProviders(<RunForm owner="alice" name="knap" onSubmitted={vi.fn()} />);
    // No input.json: the text box is the source, starting as {}.
    const box = await screen.findByLabelText('Input (JSON)');
    expect(box).toHaveValue('{}');
    const user = userEvent.setup();
    await user.clear(box);
    await user.type(box, '[[1');
    await user.type(screen.getByLabelText('Time limit (seconds)'), '0');
    await user.click(screen.getByRole('button', { name: 'Run' }));
    expect(box).toHaveAttribute('aria-invalid', 'true');
    expect(box).toHaveAccessibleDescription(/not valid JSON/);
    const limit = screen.getByLabelText('Time limit (seconds)');
    expect(limit).toHaveAttribute('aria-invalid', 'true');
    expect(limit).toHaveAccessibleDescription(/whole number of seconds/);
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('shows a 413 on the input field and a 429 for the whole form', async () => {
    let answer = apiError(413, 'too_large', 'the input exceeds the limit of 100 bytes');
    mockFetch({ [input]: () => text('{}'), [post]: () => answer });
    renderWithProviders(<RunForm owner="alice" name="knap" onSubmitted={vi.fn()} />);
    await screen.findByLabelText('input.json');
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Run' }));
    const preview = screen.getByLabelText('input.json');
    await vi.waitFor(() => expect(preview).toHaveAttribute('aria-invalid', 'true'));
    expect(preview).toHaveAccessibleDescription('the input exceeds the limit of 100 bytes');

    answer = json(
      { error: { code: 'rate_limited', message: 'you have 5 runs waiting (at most 5)' } },
      429,
      { 'Retry-After': '30' },
    );
    await user.click(screen.getByRole('button', { name: 'Run' }));
    const alert = await screen.findByTestId('run-form-error');
    expect(alert).toHaveTextContent(
      'Too many runs waiting. you have 5 runs waiting (at most 5) Try again in 30 s.',
    );
    expect(preview).not.toHaveAttribute('aria-invalid');
  });

  it('maps a refused time limit onto its field', async () => {
    mockFetch({
      [input]: () => text('{}'),
      [post]: () => apiError(400, 'invalid_argument', 'time_limit_s must be between 1 and 3600'),
    });
    renderWithProviders(<RunForm owner="alice" name="knap" onSubmitted={vi.fn()} />);
    await screen.findByLabelText('input.json');
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Time limit (seconds)'), '7200');
    await user.click(screen.getByRole('button', { name: 'Run' }));
    const limit = screen.getByLabelText('Time limit (seconds)');
    await vi.waitFor(() => expect(limit).toHaveAttribute('aria-invalid', 'true'));
    expect(limit).toHaveAccessibleDescription(/between 1 and 3600/);
  });

  it('sends an uploaded file', async () => {
    const { calls } = mockFetch({ [input]: () => text('{}'), [post]: () => json(run(), 202) });
    const onSubmitted = vi.fn();
    renderWithProviders(<RunForm owner="alice" name="knap" onSubmitted={onSubmitted} />);
    await screen.findByLabelText('input.json');
    const user = userEvent.setup();
    await user.click(screen.getByLabelText('Upload a file'));
    const file = new File(['{"items": [1, 2]}'], 'big.json', { type: 'application/json' });
    await user.upload(screen.getByLabelText(/JSON file/), file);
    await screen.findByText(/big.json: 17 B/);
    await user.click(screen.getByRole('button', { name: 'Run' }));
    await vi.waitFor(() => expect(onSubmitted).toHaveBeenCalled());
    expect(JSON.parse(calls.find((c) => c.method === 'POST')?.body ?? '')).toEqual({
      input: { items: [1, 2] },
    });
  });
});
