-- Snapshot ids on apps become sequence positions instead of foreign keys, so retention can delete
-- old snapshots while apps first seen in them stay alive. Indexes for diffs and retention.

-- DropForeignKey
ALTER TABLE "apps" DROP CONSTRAINT "apps_first_seen_snapshot_id_fkey";

-- DropForeignKey
ALTER TABLE "apps" DROP CONSTRAINT "apps_removed_snapshot_id_fkey";

-- DropIndex
DROP INDEX "apps_first_seen_snapshot_id_idx";

-- DropIndex
DROP INDEX "apps_removed_snapshot_id_idx";

-- CreateIndex
CREATE INDEX "apps_host_id_first_seen_snapshot_id_idx" ON "apps"("host_id", "first_seen_snapshot_id");

-- CreateIndex
CREATE INDEX "snapshots_collected_at_idx" ON "snapshots"("collected_at");

