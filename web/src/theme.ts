export type ThemeChoice = "system" | "light" | "dark";

export const THEME_KEY = "osquery-inventory.theme";

export function parseTheme(stored: string | null): ThemeChoice {
  return stored === "light" || stored === "dark" ? stored : "system";
}

export function effectiveTheme(choice: ThemeChoice, prefersDark: boolean): "light" | "dark" {
  return choice === "system" ? (prefersDark ? "dark" : "light") : choice;
}

const CYCLE: ThemeChoice[] = ["system", "light", "dark"];

/** The theme button cycles system → light → dark → system. */
export function nextTheme(choice: ThemeChoice): ThemeChoice {
  return CYCLE[(CYCLE.indexOf(choice) + 1) % CYCLE.length]!;
}
