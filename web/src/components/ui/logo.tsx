/** The ORSA mark: a descent path reaching its optimum. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" role="img" aria-label="ORSA logo">
      <rect width="32" height="32" rx="7" fill="var(--orsa-accent)" />
      <path
        d="M6 23 L13 9 L19 18 L26 7"
        fill="none"
        stroke="#fff"
        strokeWidth="3"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
      <circle cx="26" cy="7" r="2.6" fill="#ffd166" />
    </svg>
  );
}
