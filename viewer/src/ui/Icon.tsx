/** Small line icons, drawn as SVG so they look the same with any installed fonts. */
const PATHS: Record<string, string> = {
  play: 'M5 3.5v9l8-4.5z',
  pause: 'M4.5 3.5h2.5v9H4.5zM9 3.5h2.5v9H9z',
  prev: 'M4 3.5h1.6v9H4zM13 3.5v9L6.5 8z',
  next: 'M10.4 3.5H12v9h-1.6zM3 3.5v9L9.5 8z',
  phone: 'M5.5 2h5a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1h-5a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zM7 12.3h2',
  speaker:
    'M4.5 2h7a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1h-7a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zM8 6.3a.9.9 0 1 0 0-.1zM8 8.5a2.2 2.2 0 1 0 0 4.4a2.2 2.2 0 1 0 0-4.4z',
  tv: 'M2 3.5h12v8H2zM5.5 14h5',
  car: 'M3 10V8l1.5-3.5h7L13 8v2zM2.5 10h11v2h-11zM5 12.5v1M11 12.5v1',
  computer: 'M3 3.5h10v7H3zM1.5 12.5h13',
  hub: 'M8 1.8l5.4 3.1v6.2L8 14.2l-5.4-3.1V4.9z',
  unknown: 'M8 3a5 5 0 1 0 0 10a5 5 0 1 0 0-10z',
};

const FILLED = new Set(['play', 'pause', 'prev', 'next']);

export function Icon({ name, size = 13, title }: { name: string; size?: number; title?: string }) {
  const d = PATHS[name] ?? PATHS.unknown!;
  const filled = FILLED.has(name);
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 16 16"
      aria-hidden={title ? undefined : true}
      role={title ? 'img' : undefined}
    >
      {title && <title>{title}</title>}
      <path
        d={d}
        fill={filled ? 'currentColor' : 'none'}
        stroke={filled ? 'none' : 'currentColor'}
        strokeWidth={1.3}
        strokeLinejoin="round"
        strokeLinecap="round"
      />
    </svg>
  );
}

/** The product's mark: two arrows passing playback across. */
export function Logo({ size }: { size: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden>
      <path d="M6 10h14l-4-4M26 22H12l4 4" stroke="#5cc8ff" strokeWidth="3" fill="none" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
