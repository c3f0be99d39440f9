import { render, screen } from '@testing-library/react';
import Form from 'react-bootstrap/Form';
import { describe, expect, it } from 'vitest';
import { FieldError, invalidFieldProps } from './field-error';

function Field({ invalid }: { invalid: boolean }) {
  return (
    <Form.Group controlId="name">
      <Form.Label>Name</Form.Label>
      <Form.Control {...invalidFieldProps('name', invalid, 'name-help')} />
      <Form.Text id="name-help">Lowercase letters.</Form.Text>
      <FieldError fieldId="name">Not a valid name.</FieldError>
    </Form.Group>
  );
}

describe('invalidFieldProps', () => {
  it('marks an invalid field and links its message after its help', () => {
    render(<Field invalid />);
    const input = screen.getByLabelText('Name');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveClass('is-invalid');
    expect(input).toHaveAttribute('aria-describedby', 'name-help name-error');
    expect(input).toHaveAccessibleDescription('Lowercase letters. Not a valid name.');
  });

  it('leaves a valid field unmarked, described by its help only', () => {
    render(<Field invalid={false} />);
    const input = screen.getByLabelText('Name');
    expect(input).not.toHaveAttribute('aria-invalid');
    expect(input).not.toHaveClass('is-invalid');
    expect(input).toHaveAttribute('aria-describedby', 'name-help');
  });
});
