import { createContext, type ComponentChildren } from "preact";
import { useContext, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { describeError, isUnavailable, type ErrorLike } from "./errors.js";
import { exactTime, relativeTime } from "./format.js";
import { isTypingTarget, nextRow, rowKeyAction } from "./keys.js";

/** Spread on a table row that j/k and the arrow keys move to, and Enter opens (its first link). */
export const NAV_ROW = { "data-nav": "", tabIndex: -1 } as const;

/** Keyboard row navigation for every page (keys.ts): one listener, on the document. */
export function useRowKeys(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const active = document.activeElement;
      const onRow = active instanceof HTMLElement && active.matches("[data-nav]");
      const action = rowKeyAction(event, { typing: isTypingTarget(event.target), onRow });
      if (!action) return;
      if (action.kind === "open") {
        const link = (active as HTMLElement).querySelector<HTMLElement>("a[href]");
        if (!link) return;
        event.preventDefault();
        link.click();
        return;
      }
      const rows = [...document.querySelectorAll<HTMLElement>("[data-nav]")];
      const next = nextRow(onRow ? rows.indexOf(active as HTMLElement) : -1, rows.length, action.by);
      if (next === null) return;
      event.preventDefault();
      rows[next]!.focus({ preventScroll: true });
      rows[next]!.scrollIntoView({ block: "nearest" });
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);
}

/** The current time, ticking every `ms`: relative times stay true without refetching. */
export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** A value that follows `value` once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function Time({ iso, now }: { iso: string | null | undefined; now: number }) {
  if (!iso) return <span class="muted">never</span>;
  return (
    <time dateTime={iso} title={exactTime(iso)}>
      {relativeTime(iso, now)}
    </time>
  );
}

export function Badge({ tone, children, title }: { tone: "ok" | "bad" | "warn" | "info" | "muted"; children: ComponentChildren; title?: string | undefined }) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

const KIND_TONE = { ADDED: "ok", REMOVED: "bad", UPGRADED: "info", DOWNGRADED: "warn" } as const;

/** added, removed, upgraded or downgraded, in the colour each has everywhere in the console. */
export function ChangeKindBadge({ kind }: { kind: keyof typeof KIND_TONE }) {
  return <Badge tone={KIND_TONE[kind]}>{kind.toLowerCase()}</Badge>;
}

export interface ChangeCountsValue {
  added: number;
  removed: number;
  upgraded: number;
  downgraded: number;
}

/** A snapshot's changes as its timeline entry counts them: +added −removed, and ↑upgraded ↓downgraded when there are any. */
export function ChangeCounts({ counts }: { counts: ChangeCountsValue }) {
  return (
    <>
      <span class="added" title="added">
        +{counts.added}
      </span>{" "}
      <span class="removed" title="removed">
        −{counts.removed}
      </span>
      {counts.upgraded ? <span class="upgraded" title="upgraded"> ↑{counts.upgraded}</span> : null}
      {counts.downgraded ? <span class="downgraded" title="downgraded"> ↓{counts.downgraded}</span> : null}
    </>
  );
}

/** Asks the API again for what the page could not get because the service was unavailable. */
export const RetryContext = createContext<(() => void) | null>(null);

export function ErrorBox({ error, children }: { error: ErrorLike; children?: ComponentChildren }) {
  const retry = useContext(RetryContext);
  return (
    <div class="error-box" role="alert">
      <strong>{describeError(error)}</strong>
      {children}
      {retry && isUnavailable(error) ? (
        <p>
          The page asks again when the service is back.{" "}
          <button type="button" class="link" onClick={retry}>
            Try again now
          </button>
        </p>
      ) : null}
    </div>
  );
}

export function SkeletonRows({ rows, columns }: { rows: number; columns: number }) {
  return (
    <>
      {Array.from({ length: rows }, (_, r) => (
        <tr key={r} class="skeleton-row" aria-hidden="true">
          {Array.from({ length: columns }, (_, c) => (
            <td key={c}>
              <span class="skeleton" />
            </td>
          ))}
        </tr>
      ))}
    </>
  );
}

export function SkeletonBlock({ lines = 3 }: { lines?: number }) {
  return (
    <div aria-busy="true" aria-label="Loading">
      {Array.from({ length: lines }, (_, i) => (
        <p key={i}>
          <span class="skeleton" />
        </p>
      ))}
    </div>
  );
}

/**
 * Calls onVisible when the sentinel comes into view from below as the page is scrolled down: infinite
 * scrolling that also has a button. Never at the top of the page, so a window tall enough for the
 * whole first page (or a full-page screenshot) does not load the next one by itself; and never while
 * the sentinel is in the upper half of the window, where a reader who scrolled past the list has left
 * it: loading there would push what they read away, page after page.
 *
 * `auto={false}` keeps only the button, for a list followed by more in its column (a host's snapshots,
 * then its agent errors): each page loaded on the way down would push that further away, until the
 * list had no pages left.
 *
 * `hold` is set by a jump past the list (a phone's links under Collect now). The jump can land with
 * the sentinel in the lower half of the window, where the page ends too soon below the target to
 * scroll it further up: nothing loads until the sentinel has left the window below (the reader came
 * back up to the list), then scrolling down to it loads again.
 */
export function LoadMore({ onVisible, busy, label, auto = true, hold }: { onVisible: () => void; busy: boolean; label: string; auto?: boolean; hold?: { current: boolean } }) {
  const ref = useRef<HTMLButtonElement>(null);
  const latest = useRef(onVisible);
  latest.current = onVisible;
  const held = useRef(hold);
  held.current = hold;
  useEffect(() => {
    const element = ref.current;
    if (!auto || !element || typeof IntersectionObserver === "undefined") return;
    let inView = false;
    const maybeLoad = () => {
      const top = element.getBoundingClientRect().top;
      const hold = held.current;
      if (hold?.current) {
        if (top <= innerHeight) return;
        hold.current = false;
      }
      if (inView && scrollY > 0 && top > innerHeight / 2) latest.current();
    };
    // In view or up to 200 px below it.
    const observer = new IntersectionObserver((entries) => {
      inView = entries.some((e) => e.isIntersecting);
      maybeLoad();
    }, { rootMargin: "0px 0px 200px 0px" });
    observer.observe(element);
    addEventListener("scroll", maybeLoad, { passive: true });
    return () => {
      observer.disconnect();
      removeEventListener("scroll", maybeLoad);
    };
  }, [auto]);
  // The last page read removes the button: if it had the focus, the focus goes to the last link or
  // button of the list above it (the end of what was just read) rather than to the page.
  useLayoutEffect(() => {
    const element = ref.current;
    return () => {
      const list = element?.previousElementSibling;
      if (!list || document.activeElement !== element) return;
      // After the render that removed the button has put the rows it read in place.
      setTimeout(() => {
        if (document.activeElement && document.activeElement !== document.body) return;
        const controls = list.querySelectorAll<HTMLElement>("a[href], button");
        controls[controls.length - 1]?.focus();
      });
    };
  }, []);
  return (
    // Not disabled while loading: a disabled button drops the keyboard's focus to the page.
    <button ref={ref} type="button" class="load-more" aria-disabled={busy} onClick={() => busy || latest.current()}>
      {busy ? "Loading…" : label}
    </button>
  );
}

/** A search box that `/` focuses from anywhere on the page. */
export function SearchInput({ value, onInput, label, placeholder, name }: { value: string; onInput: (v: string) => void; label: string; placeholder: string; name: string }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.key !== "/" || target?.closest("input, textarea, select")) return;
      event.preventDefault();
      ref.current?.focus();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);
  return (
    <label class="field">
      <span>{label}</span>
      <input ref={ref} type="search" name={name} value={value} placeholder={placeholder} autoComplete="off" onInput={(e) => onInput(e.currentTarget.value)} />
    </label>
  );
}
