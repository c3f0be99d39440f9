import type { ReactNode } from 'react';
import Form from 'react-bootstrap/Form';

/** The id of the error message of the field `fieldId`. */
export function fieldErrorId(fieldId: string): string {
  return `${fieldId}-error`;
}

/**
 * The props that mark a field invalid for everyone: Bootstrap's red border,
 * `aria-invalid` for assistive technology, and the error message linked by
 * `aria-describedby` (after any help text the field already points to).
 */
export function invalidFieldProps(
  fieldId: string,
  invalid: boolean,
  describedBy?: string,
): {
  isInvalid: boolean;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
} {
  const ids = [describedBy, invalid ? fieldErrorId(fieldId) : undefined].filter(Boolean);
  return {
    isInvalid: invalid,
    'aria-invalid': invalid ? true : undefined,
    'aria-describedby': ids.length ? ids.join(' ') : undefined,
  };
}

/** The error message of the field `fieldId` (shown while the field is invalid). */
export function FieldError({ fieldId, children }: { fieldId: string; children: ReactNode }) {
  return (
    <Form.Control.Feedback type="invalid" id={fieldErrorId(fieldId)}>
      {children}
    </Form.Control.Feedback>
  );
}
