import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { JSON_TREE_CHUNK, JsonTree, jsonSummary } from './json-tree';

describe('JsonTree', () => {
  const result = {
    status: 'Optimal',
    objective: 15,
    chosen: ['a', 'c'],
    detail: { nested: { deep: true }, none: null },
  };

  it('shows scalars with their JSON spelling and opens two levels', () => {
    render(<JsonTree value={result} label="Result" />);
    const tree = screen.getByRole('list', { name: 'Result' });
    expect(tree).toHaveTextContent('status: "Optimal"');
    expect(tree).toHaveTextContent('objective: 15');
    expect(tree).toHaveTextContent('0: "a"');
    expect(tree).toHaveTextContent('none: null');
    // Third level: collapsed, its summary shown.
    const nested = screen.getByRole('button', { name: /nested:/ });
    expect(nested).toHaveAttribute('aria-expanded', 'false');
    expect(nested).toHaveTextContent('{1 key}');
    expect(tree).not.toHaveTextContent('deep: true');
  });

  it('toggles a node open and closed', async () => {
    const user = userEvent.setup();
    render(<JsonTree value={result} label="Result" />);
    await user.click(screen.getByRole('button', { name: /nested:/ }));
    expect(screen.getByRole('button', { name: /nested:/ })).toHaveAttribute(
      'aria-expanded',
      'true',
    );
    expect(screen.getByText('true')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: /chosen:/ }));
    expect(screen.queryByText('"a"')).toBeNull();
  });

  it('shows a long array a chunk at a time', async () => {
    const many = Array.from({ length: JSON_TREE_CHUNK * 2 + 5 }, (_, i) => i);
    render(<JsonTree value={{ many }} label="Result" />);
    const list = screen.getByRole('button', { name: /many:/ }).nextElementSibling as HTMLElement;
    expect(within(list).getAllByRole('listitem')).toHaveLength(JSON_TREE_CHUNK + 1);
    await userEvent.setup().click(screen.getByRole('button', { name: /Show 100 more of 105/ }));
    await userEvent.setup().click(screen.getByRole('button', { name: /Show 5 more of 5/ }));
    expect(within(list).getAllByRole('listitem')).toHaveLength(many.length);
    expect(screen.queryByRole('button', { name: /more of/ })).toBeNull();
  });

  it('renders scalars, empty containers and summaries', () => {
    render(<JsonTree value={{ a: [], b: {}, s: 'x"y' }} label="R" />);
    expect(screen.getByRole('list', { name: 'R' })).toHaveTextContent('a: []b: {}s: "x\\"y"');
    expect(jsonSummary([1])).toBe('[1 item]');
    expect(jsonSummary({ a: 1, b: 2 })).toBe('{2 keys}');
    render(<JsonTree value={42} label="Scalar" />);
    expect(screen.getByRole('list', { name: 'Scalar' })).toHaveTextContent('42');
  });
});
