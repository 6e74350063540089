/**
 * Keyboard row navigation: j/k (or the arrow keys once a row has focus) move between the rows of the
 * page's tables, Enter opens the focused row. Keys typed into a field, or pressed with a modifier
 * (the browser's and the system's shortcuts), are left alone.
 */
export type RowKeyAction = { kind: "move"; by: 1 | -1 } | { kind: "open" };

export interface KeyLike {
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
}

export function rowKeyAction(event: KeyLike, where: { typing: boolean; onRow: boolean }): RowKeyAction | null {
  if (where.typing || event.altKey || event.ctrlKey || event.metaKey) return null;
  switch (event.key) {
    case "j":
      return { kind: "move", by: 1 };
    case "k":
      return { kind: "move", by: -1 };
    // Arrows scroll the page until a row has focus.
    case "ArrowDown":
      return where.onRow ? { kind: "move", by: 1 } : null;
    case "ArrowUp":
      return where.onRow ? { kind: "move", by: -1 } : null;
    case "Enter":
      return where.onRow ? { kind: "open" } : null;
    default:
      return null;
  }
}

/** The row to focus: from none (-1) the first; the ends stay where they are. Null: there are no rows. */
export function nextRow(current: number, count: number, by: 1 | -1): number | null {
  if (count === 0) return null;
  if (current < 0 || current >= count) return 0;
  return Math.min(count - 1, Math.max(0, current + by));
}

/** Where keys are text: fields, editable content and the token dialog's input. */
export function isTypingTarget(target: EventTarget | null): boolean {
  const element = target as { closest?: (selector: string) => unknown } | null;
  return typeof element?.closest === "function" && element.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])") !== null;
}
