-- Count changes become one row per collection (arrays of ids and deltas) instead of one row per
-- change: a first inventory appended about a thousand rows, each one a tuple and an index entry to
-- write and, at the fold, to delete (bench/first-inventories.ts: about a third of PostgreSQL's time
-- per inventory went to the queue and its fold).
--
-- Changes still pending are carried over, each as a row of its own, and folded as any other.

-- AlterTable
ALTER TABLE "software_count_changes"
ADD COLUMN     "title_deltas" INTEGER[],
ADD COLUMN     "title_ids" INTEGER[],
ADD COLUMN     "version_deltas" INTEGER[],
ADD COLUMN     "version_ids" INTEGER[];

UPDATE "software_count_changes" SET
  "title_ids" = CASE WHEN "version_id" IS NULL THEN ARRAY["title_id"] ELSE '{}'::INTEGER[] END,
  "title_deltas" = CASE WHEN "version_id" IS NULL THEN ARRAY["delta"] ELSE '{}'::INTEGER[] END,
  "version_ids" = CASE WHEN "version_id" IS NULL THEN '{}'::INTEGER[] ELSE ARRAY["version_id"] END,
  "version_deltas" = CASE WHEN "version_id" IS NULL THEN '{}'::INTEGER[] ELSE ARRAY["delta"] END;

ALTER TABLE "software_count_changes" DROP COLUMN "delta",
DROP COLUMN "title_id",
DROP COLUMN "version_id";

-- Every fold rewrites thousands of counters. With room left on their pages, an update can be HOT
-- (the new row version on the same page, no new index entry, the old one pruned in place) instead
-- of a new index entry and a dead row left for VACUUM for each counter at each fold.
ALTER TABLE "software_title_hosts" SET (fillfactor = 50);
ALTER TABLE "software_version_hosts" SET (fillfactor = 50);
