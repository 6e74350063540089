import { createContext, type ComponentChildren } from "preact";
import { useCallback, useContext, useEffect, useMemo, useState } from "preact/hooks";
import { href as hrefOf, parseRoute, type Route } from "./route.js";

interface RouterValue {
  route: Route;
  /** Goes to a URL of the console; replace keeps the history entry (typing in a filter). */
  navigate(to: string | Route, options?: { replace?: boolean }): void;
}

const RouterContext = createContext<RouterValue | null>(null);

export function RouterProvider({ children }: { children: ComponentChildren }) {
  const read = () => parseRoute(location.pathname, location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const onPop = () => setRoute(read());
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((to: string | Route, { replace = false } = {}) => {
    const url = typeof to === "string" ? to : hrefOf(to);
    if (url === location.pathname + location.search) return;
    if (replace) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
    setRoute(read());
    if (!replace) scrollTo(0, 0);
  }, []);
  const value = useMemo(() => ({ route, navigate }), [route, navigate]);
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterValue {
  const value = useContext(RouterContext);
  if (!value) throw new Error("useRouter outside RouterProvider");
  return value;
}

interface LinkProps {
  to: string | Route;
  children: ComponentChildren;
  class?: string;
  "aria-current"?: "page" | undefined;
}

/** An anchor (so it opens in a new tab, and works with the keyboard) that navigates in-page on a plain click. */
export function Link({ to, children, class: className, "aria-current": current }: LinkProps) {
  const { navigate } = useRouter();
  const url = typeof to === "string" ? to : hrefOf(to);
  return (
    <a
      href={url}
      class={className}
      aria-current={current}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(url);
      }}
    >
      {children}
    </a>
  );
}
