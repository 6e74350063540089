-- CreateEnum
CREATE TYPE "SnapshotStatus" AS ENUM ('SUCCEEDED', 'FAILED');

-- CreateTable
CREATE TABLE "hosts" (
    "id" SERIAL NOT NULL,
    "identifier" TEXT,
    "hostname" TEXT NOT NULL,
    "platform" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "hosts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "versions" (
    "id" SERIAL NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "osquery_version" TEXT NOT NULL,
    "os_name" TEXT NOT NULL,
    "os_version" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "platform_like" TEXT,
    "arch" TEXT,
    "build" TEXT,

    CONSTRAINT "versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "snapshots" (
    "id" SERIAL NOT NULL,
    "host_id" INTEGER NOT NULL,
    "status" "SnapshotStatus" NOT NULL,
    "collected_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "duration_ms" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "app_count" INTEGER NOT NULL DEFAULT 0,
    "added" INTEGER NOT NULL DEFAULT 0,
    "removed" INTEGER NOT NULL DEFAULT 0,
    "version_id" INTEGER,

    CONSTRAINT "snapshots_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "apps" (
    "id" SERIAL NOT NULL,
    "host_id" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT,
    "path" TEXT,
    "bundle_identifier" TEXT,
    "publisher" TEXT,
    "sort_key" BYTEA NOT NULL,
    "first_seen_snapshot_id" INTEGER NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "removed_snapshot_id" INTEGER,
    "removed_at" TIMESTAMPTZ(3),

    CONSTRAINT "apps_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "hosts_identifier_key" ON "hosts"("identifier");

-- CreateIndex
CREATE UNIQUE INDEX "versions_fingerprint_key" ON "versions"("fingerprint");

-- CreateIndex
CREATE INDEX "snapshots_host_id_id_idx" ON "snapshots"("host_id", "id");

-- CreateIndex
CREATE INDEX "snapshots_host_id_status_id_idx" ON "snapshots"("host_id", "status", "id");

-- CreateIndex
CREATE INDEX "snapshots_version_id_idx" ON "snapshots"("version_id");

-- CreateIndex
CREATE INDEX "apps_host_id_sort_key_id_idx" ON "apps"("host_id", "sort_key", "id");

-- CreateIndex
CREATE INDEX "apps_host_id_removed_snapshot_id_idx" ON "apps"("host_id", "removed_snapshot_id");

-- CreateIndex
CREATE INDEX "apps_first_seen_snapshot_id_idx" ON "apps"("first_seen_snapshot_id");

-- CreateIndex
CREATE INDEX "apps_removed_snapshot_id_idx" ON "apps"("removed_snapshot_id");

-- AddForeignKey
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "versions"("id") ON DELETE NO ACTION ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "apps" ADD CONSTRAINT "apps_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "apps" ADD CONSTRAINT "apps_first_seen_snapshot_id_fkey" FOREIGN KEY ("first_seen_snapshot_id") REFERENCES "snapshots"("id") ON DELETE NO ACTION ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "apps" ADD CONSTRAINT "apps_removed_snapshot_id_fkey" FOREIGN KEY ("removed_snapshot_id") REFERENCES "snapshots"("id") ON DELETE NO ACTION ON UPDATE CASCADE;

