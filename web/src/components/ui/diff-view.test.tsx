import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { DiffView } from './diff-view';

describe('DiffView', () => {
  it('colours added and removed lines and keeps their markers', () => {
    render(
      <DiffView
        patch={'--- a/model.py\n+++ b/model.py\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n'}
      />,
    );
    expect(screen.getByText('+y = 3')).toHaveAttribute('data-kind', 'added');
    expect(screen.getByText('-y = 2')).toHaveAttribute('data-kind', 'removed');
    expect(screen.getByText('@@ -1,2 +1,2 @@')).toHaveAttribute('data-kind', 'hunk');
    expect(screen.getByText('+++ b/model.py')).toHaveAttribute('data-kind', 'file');
    expect(screen.getByText('x = 1')).toHaveAttribute('data-kind', 'context');
  });
});
