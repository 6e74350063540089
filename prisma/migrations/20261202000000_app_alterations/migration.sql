-- What had to change to store an app's text (NUL and unpaired surrogates replaced, bytes that were not
-- UTF-8 replaced, over-long values cut), and how many apps of a snapshot that concerns. Rows stored
-- before this migration get the defaults: their alterations were not recorded.

-- CreateEnum
CREATE TYPE "AppAlteration" AS ENUM ('NUL_REPLACED', 'UNPAIRED_SURROGATE_REPLACED', 'INVALID_UTF8_REPLACED', 'TRUNCATED');

-- AlterTable
ALTER TABLE "apps" ADD COLUMN     "alterations" "AppAlteration"[] DEFAULT ARRAY[]::"AppAlteration"[];

-- AlterTable
ALTER TABLE "snapshots" ADD COLUMN     "altered_apps" INTEGER NOT NULL DEFAULT 0;
