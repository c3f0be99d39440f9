import { useLayoutEffect, useRef, type RefObject } from 'react';

/**
 * A ref that holds the latest `value`, for callbacks that an effect installs
 * once (event listeners, editor keymaps) but that must call the current
 * props. Updated in a layout effect, so it is current before any effect or
 * event runs, and never written during render.
 */
export function useLatest<T>(value: T): RefObject<T> {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
