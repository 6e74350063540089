import { CollectionError, CollectionErrorCode } from "../errors.js";
import type { OsVersion } from "./types.js";

/** Longest reason stored on a FAILED snapshot. */
export const MAX_REASON_LENGTH = 2000;

/** Database errors can span lines (query excerpts); the cause is on the last one. */
export function causeOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n").map((line) => line.trim()).filter(Boolean).at(-1) ?? "unknown error";
}

/** The reason a FAILED snapshot records, `[CODE] message`, whichever source failed. */
export function failureReason(error: unknown): string {
  if (error instanceof CollectionError) return `[${error.code}] ${error.message}`.slice(0, MAX_REASON_LENGTH);
  return `[${CollectionErrorCode.DATABASE_ERROR}] the snapshot could not be stored: ${causeOf(error)}`.slice(0, MAX_REASON_LENGTH);
}

export function unsupportedPlatform(os: Pick<OsVersion, "platform" | "platformLike">): CollectionError {
  return new CollectionError(
    CollectionErrorCode.UNSUPPORTED_PLATFORM,
    `installed software is not collected on platform "${os.platform}"${os.platformLike ? ` (like "${os.platformLike}")` : ""}: ` +
      "supported are macOS (apps), Debian/Ubuntu (deb_packages), RHEL/Fedora/CentOS/SUSE/Amazon Linux (rpm_packages) and Windows (programs)",
  );
}
