-- Software is stored once for the whole fleet: a title (source, name), its versions, and each distinct
-- record as osquery reported it (path, bundle identifier, publisher, alterations). `apps` keeps only
-- which host has which software from which snapshot to which, about 100 bytes a (host, app) with its
-- indexes instead of about 300. Host counts per title and version are kept up to date through
-- software_count_changes (appended by collections, folded in batches), so fleet-wide queries read a
-- few rows instead of counting every host's apps. The counts live in narrow tables of their own
-- (software_title_hosts, software_version_hosts): folding rewrites those rows, never the catalog's.
--
-- Existing rows are carried over: every app keeps its id (App node IDs and latestData cursors stay
-- valid), its host, its snapshots and its text byte for byte.

-- The keys that make a title, a version and a software record unique (their text can be longer than an
-- index entry may be). The store computes them with the same functions.
CREATE FUNCTION software_title_fingerprint(source text, name text) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT sha256(convert_to(json_build_array($1, $2)::text, 'UTF8')) $$;

CREATE FUNCTION software_version_fingerprint(title_id integer, version text) RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT sha256(convert_to(json_build_array($1, $2)::text, 'UTF8')) $$;

CREATE FUNCTION software_fingerprint(version_id integer, path text, bundle_identifier text, publisher text, alterations text)
  RETURNS bytea
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT sha256(convert_to(json_build_array($1, $2, $3, $4, $5)::text, 'UTF8')) $$;

-- CreateTable
CREATE TABLE "software_titles" (
    "id" SERIAL NOT NULL,
    "fingerprint" BYTEA NOT NULL,
    "source" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "sort_key" BYTEA NOT NULL,

    CONSTRAINT "software_titles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "software_versions" (
    "id" SERIAL NOT NULL,
    "fingerprint" BYTEA NOT NULL,
    "title_id" INTEGER NOT NULL,
    "version" TEXT,

    CONSTRAINT "software_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "software" (
    "id" SERIAL NOT NULL,
    "fingerprint" BYTEA NOT NULL,
    "version_id" INTEGER NOT NULL,
    "title_id" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT,
    "path" TEXT,
    "bundle_identifier" TEXT,
    "publisher" TEXT,
    "alterations" "AppAlteration"[] DEFAULT ARRAY[]::"AppAlteration"[],
    "sort_key" BYTEA NOT NULL,

    CONSTRAINT "software_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "software_title_hosts" (
    "title_id" INTEGER NOT NULL,
    "host_count" INTEGER NOT NULL,

    CONSTRAINT "software_title_hosts_pkey" PRIMARY KEY ("title_id")
);

-- CreateTable
CREATE TABLE "software_version_hosts" (
    "version_id" INTEGER NOT NULL,
    "host_count" INTEGER NOT NULL,

    CONSTRAINT "software_version_hosts_pkey" PRIMARY KEY ("version_id")
);

-- CreateTable
CREATE TABLE "software_count_changes" (
    "id" BIGSERIAL NOT NULL,
    "title_id" INTEGER NOT NULL,
    "version_id" INTEGER,
    "delta" INTEGER NOT NULL,

    CONSTRAINT "software_count_changes_pkey" PRIMARY KEY ("id")
);

-- Carry the existing apps over.
INSERT INTO "software_titles" ("fingerprint", "source", "name", "sort_key")
SELECT software_title_fingerprint("source", "name"), "source", "name", (array_agg("sort_key"))[1]
FROM "apps" GROUP BY "source", "name";

INSERT INTO "software_versions" ("fingerprint", "title_id", "version")
SELECT DISTINCT software_version_fingerprint(t."id", a."version"), t."id", a."version"
FROM "apps" a JOIN "software_titles" t ON t."fingerprint" = software_title_fingerprint(a."source", a."name");

INSERT INTO "software" ("fingerprint", "version_id", "title_id", "source", "name", "version", "path", "bundle_identifier", "publisher", "alterations", "sort_key")
SELECT DISTINCT ON (f) f, v."id", t."id", a."source", a."name", a."version", a."path", a."bundle_identifier", a."publisher",
  coalesce(a."alterations", ARRAY[]::"AppAlteration"[]), t."sort_key"
FROM "apps" a
  JOIN "software_titles" t ON t."fingerprint" = software_title_fingerprint(a."source", a."name")
  JOIN "software_versions" v ON v."fingerprint" = software_version_fingerprint(t."id", a."version"),
  LATERAL software_fingerprint(v."id", a."path", a."bundle_identifier", a."publisher",
    coalesce(a."alterations", ARRAY[]::"AppAlteration"[])::text) AS f;

-- apps is rebuilt rather than altered: dropped columns would keep their space until a VACUUM FULL.
DROP INDEX "apps_host_id_sort_key_id_idx";
DROP INDEX "apps_host_id_removed_snapshot_id_idx";
DROP INDEX "apps_host_id_first_seen_snapshot_id_idx";
ALTER TABLE "apps" DROP CONSTRAINT "apps_host_id_fkey";
ALTER TABLE "apps" RENAME CONSTRAINT "apps_pkey" TO "apps_before_shared_software_pkey";
ALTER TABLE "apps" RENAME TO "apps_before_shared_software";
ALTER SEQUENCE "apps_id_seq" RENAME TO "apps_before_shared_software_id_seq";

-- CreateTable
CREATE TABLE "apps" (
    "id" SERIAL NOT NULL,
    "host_id" INTEGER NOT NULL,
    "software_id" INTEGER NOT NULL,
    "first_seen_snapshot_id" INTEGER NOT NULL,
    "removed_snapshot_id" INTEGER,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "removed_at" TIMESTAMPTZ(3),

    CONSTRAINT "apps_pkey" PRIMARY KEY ("id")
);

INSERT INTO "apps" ("id", "host_id", "software_id", "first_seen_snapshot_id", "removed_snapshot_id", "first_seen_at", "removed_at")
SELECT a."id", a."host_id", s."id", a."first_seen_snapshot_id", a."removed_snapshot_id", a."first_seen_at", a."removed_at"
FROM "apps_before_shared_software" a
  JOIN "software_titles" t ON t."fingerprint" = software_title_fingerprint(a."source", a."name")
  JOIN "software_versions" v ON v."fingerprint" = software_version_fingerprint(t."id", a."version")
  JOIN "software" s ON s."fingerprint" = software_fingerprint(v."id", a."path", a."bundle_identifier", a."publisher",
    coalesce(a."alterations", ARRAY[]::"AppAlteration"[])::text)
ORDER BY a."id";

SELECT setval('"apps_id_seq"', coalesce((SELECT max("id") FROM "apps"), 0) + 1, false);

DROP TABLE "apps_before_shared_software";

-- Host counts of the newest inventories.
INSERT INTO "software_title_hosts" ("title_id", "host_count")
SELECT s."title_id", count(DISTINCT a."host_id")::int FROM "apps" a JOIN "software" s ON s."id" = a."software_id"
WHERE a."removed_snapshot_id" IS NULL GROUP BY s."title_id";

INSERT INTO "software_version_hosts" ("version_id", "host_count")
SELECT s."version_id", count(DISTINCT a."host_id")::int FROM "apps" a JOIN "software" s ON s."id" = a."software_id"
WHERE a."removed_snapshot_id" IS NULL GROUP BY s."version_id";

-- CreateIndex
CREATE UNIQUE INDEX "software_titles_fingerprint_key" ON "software_titles"("fingerprint");

-- CreateIndex
CREATE INDEX "software_titles_sort_key_idx" ON "software_titles"("sort_key");

-- CreateIndex
CREATE UNIQUE INDEX "software_versions_fingerprint_key" ON "software_versions"("fingerprint");

-- CreateIndex
CREATE INDEX "software_versions_title_id_idx" ON "software_versions"("title_id");

-- CreateIndex
CREATE UNIQUE INDEX "software_fingerprint_key" ON "software"("fingerprint");

-- CreateIndex
CREATE INDEX "software_version_id_idx" ON "software"("version_id");

-- CreateIndex
CREATE INDEX "apps_host_id_removed_snapshot_id_idx" ON "apps"("host_id", "removed_snapshot_id");

-- CreateIndex
CREATE INDEX "apps_host_id_first_seen_snapshot_id_idx" ON "apps"("host_id", "first_seen_snapshot_id");

-- CreateIndex
CREATE INDEX "apps_software_id_idx" ON "apps"("software_id");

-- AddForeignKey
ALTER TABLE "apps" ADD CONSTRAINT "apps_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "software_versions" ADD CONSTRAINT "software_versions_title_id_fkey" FOREIGN KEY ("title_id") REFERENCES "software_titles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "software" ADD CONSTRAINT "software_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "software_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "software_title_hosts" ADD CONSTRAINT "software_title_hosts_title_id_fkey" FOREIGN KEY ("title_id") REFERENCES "software_titles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "software_version_hosts" ADD CONSTRAINT "software_version_hosts_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "software_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "apps" ADD CONSTRAINT "apps_software_id_fkey" FOREIGN KEY ("software_id") REFERENCES "software"("id") ON DELETE NO ACTION ON UPDATE CASCADE;
